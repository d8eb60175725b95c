package lanes

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/results"
	"github.com/blasbatch/blasbatch/threads"
)

// Worker processes. Each lane is a process of Options.Exe, started from a
// goroutine locked to its OS thread and pinned to the lane's CPUs, so the
// child starts with that affinity (the BLAS threads it creates as the
// library loads inherit it); the thread stays locked (and is discarded)
// until the child has exited, which also makes it the thread whose exit
// sends the child SIGKILL (PR_SET_PDEATHSIG) if this process dies. Lanes
// run in their own process group, so a terminal's Ctrl-C reaches only this
// process, whose caller decides what the lanes do.
//
// A lane holds one task at a time and runs its items in order, sending
// each record as its item finishes, so the parent always knows which item
// a lane is computing: when the process dies, that item gets a failed
// record saying why, the rest of its task goes back to the front of the
// queue, and the lane is restarted on the same CPUs after a back-off.

// childEnv marks a worker process (see IsChild).
const childEnv = "BLASBATCH_LANE_CHILD"

// threadVars are the variables BLAS and OpenMP libraries read for their
// thread counts (threadpoolctl's list): a lane gets each set to its inner
// count, never the user's values.
var threadVars = []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"}

// LaneEnv returns env without the thread-count variables and the lane
// marker, plus each thread variable set to inner.
func LaneEnv(env []string, inner int) []string {
	out := make([]string, 0, len(env)+len(threadVars))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if name == childEnv || containsString(threadVars, name) {
			continue
		}
		out = append(out, kv)
	}
	k := strconv.Itoa(max(inner, 1))
	for _, v := range threadVars {
		out = append(out, v+"="+k)
	}
	return out
}

func containsString(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// laneState is where a lane is in its life.
type laneState int

const (
	down     laneState = iota // no process
	starting                  // a process is starting or has not said it is ready
	idle                      // ready for a task
	busy                      // holding a task
	waiting                   // dead, to be restarted after a back-off
)

// lane is the parent's view of one lane. Only the pool's goroutine touches
// it.
type lane struct {
	id     int
	cpus   []int
	name   string // "lane 1 (CPUs 2-3)"
	gen    int    // generation of the current process, counting restarts
	state  laneState
	gone   bool // not restarted any more
	pid    int
	proc   *os.Process
	stdin  *os.File
	pinned bool

	task    *Task // the task it holds
	seq     int
	started bool // the lane has read the task
	got     int  // records of the task received

	deaths    int      // deaths in a row without finishing an item
	stderr    []string // the last lines of the process's standard error
	signalled bool     // told to stop (SIGTERM) in this generation
	restart   *time.Timer
}

// pool is the state of one run over worker processes.
type pool struct {
	opt       Options
	out       io.Writer
	grace     time.Duration
	maxDeaths int
	env       []string
	oom       func() int64 // the cgroup's OOM kill count, or nil

	events   chan event
	restarts chan int // lanes whose back-off is over
	lanes    []*lane
	queue    []Task // tasks not handed out; rests of tasks of dead lanes go first
	seq      int
	c        Counts
	err      error // the run's own failure
	oomBase  int64

	stopping bool // interrupted or Out failed: no more tasks
	closing  bool // all work done: lanes told to exit
	killAt   <-chan time.Time
	killing  bool // every lane process is being killed
	// abandoning: the caller gave up the items in flight (see
	// abandonInFlight)
	abandoning bool
}

type eventKind int

const (
	evStarted eventKind = iota
	evLine              // a line of standard output
	evStderr            // a line of standard error
	evExit              // the process has exited and its output is all read
)

// event is what a lane's goroutines tell the pool's goroutine. For one
// process, evStarted comes first and evExit last.
type event struct {
	lane, gen int
	kind      eventKind
	line      []byte
	proc      *os.Process
	stdin     *os.File
	pinErr    error
	err       error
}

// maxStderrLines is how many of a lane process's last lines of standard
// error are kept for the debug log when it dies.
const maxStderrLines = 40

// runProcesses runs tasks on worker processes. See Run.
func runProcesses(ctx context.Context, abandon <-chan struct{}, opt Options, tasks []Task) (Counts, error) {
	if opt.Exe == "" {
		return Counts{}, errors.New("lanes: no executable for worker processes")
	}
	p := &pool{
		opt:       opt,
		out:       opt.Out,
		grace:     opt.Grace,
		maxDeaths: opt.MaxDeaths,
		events:    make(chan event),
		queue:     append([]Task(nil), tasks...),
		env:       append(LaneEnv(os.Environ(), opt.Inner), childEnv+"=1"),
		oom:       opt.OOMKills,
	}
	if p.out == nil {
		p.out = io.Discard
	}
	if p.grace <= 0 {
		p.grace = 5 * time.Second
	}
	if p.maxDeaths <= 0 {
		p.maxDeaths = 3
	}
	if p.oom != nil {
		p.oomBase = p.oom()
	}
	if len(p.queue) == 0 || ctx.Err() != nil {
		return p.c, ctx.Err()
	}
	outer := max(opt.Outer, 1)
	p.restarts = make(chan int, outer)
	for i := range outer {
		var cpus []int
		if i < len(opt.CPUs) {
			cpus = append(cpus, opt.CPUs[i]...)
		}
		name := fmt.Sprintf("lane %d", opt.FirstLane+i)
		if len(cpus) > 0 {
			noun := "CPUs"
			if len(cpus) == 1 {
				noun = "CPU"
			}
			name += fmt.Sprintf(" (%s %s)", noun, threads.FormatCPUList(cpus))
		}
		l := &lane{id: i, cpus: cpus, name: name}
		p.lanes = append(p.lanes, l)
		p.spawn(l)
	}
	done := ctx.Done()
	abandoned := false
	for {
		p.dispatch()
		if !p.live() {
			break
		}
		select {
		case ev := <-p.events:
			p.handle(ev)
		case id := <-p.restarts:
			if l := p.lanes[id]; l.state == waiting {
				p.spawn(l)
			}
		case <-done:
			done = nil
			p.stop()
		case <-abandon:
			abandon, abandoned = nil, true
			p.abandonInFlight()
		case <-p.killAt:
			p.killAt = nil
			p.killAll()
		}
	}
	for _, l := range p.lanes {
		if l.restart != nil {
			l.restart.Stop()
		}
	}
	if p.err == nil {
		p.err = ctx.Err()
	}
	if p.err == nil && abandoned {
		p.err = ErrAbandoned
	}
	return p.c, p.err
}

// live reports whether any lane has a process, or will have one.
func (p *pool) live() bool {
	for _, l := range p.lanes {
		if l.state != down {
			return true
		}
	}
	return false
}

// inFlight is the memory the busy lanes' tasks need.
func (p *pool) inFlight() (bytes int64, lanes int) {
	for _, l := range p.lanes {
		if l.state == busy && l.task != nil {
			bytes += l.task.Bytes
			lanes++
		}
	}
	return bytes, lanes
}

// dispatch hands tasks to idle lanes — only while the items in flight fit
// the memory budget together (one lane may always work) — and tells the
// lanes to exit once all work is done.
func (p *pool) dispatch() {
	if p.stopping || p.closing {
		return
	}
	for _, l := range p.lanes {
		if len(p.queue) == 0 {
			break
		}
		if l.state != idle {
			continue
		}
		t := p.queue[0]
		if held, n := p.inFlight(); p.opt.Budget > 0 && n > 0 && held+t.Bytes > p.opt.Budget {
			break
		}
		p.queue = p.queue[1:]
		p.seq++
		tc := t
		l.task, l.seq, l.started, l.got = &tc, p.seq, false, 0
		l.state = busy
		if _, err := l.stdin.Write(taskLine(p.seq, t)); err != nil {
			// The lane is dying: its exit will follow. The task was not
			// received, so it goes back whole.
			p.queue = append([]Task{t}, p.queue...)
			l.task = nil
			l.state = starting
		}
	}
	if len(p.queue) > 0 {
		return
	}
	for _, l := range p.lanes {
		if l.task != nil || l.state == waiting {
			return
		}
	}
	// Nothing queued or held: the work is done.
	p.closing = true
	for _, l := range p.lanes {
		p.closeStdin(l)
	}
	if p.live() {
		p.killAt = time.After(p.grace)
	}
}

// stop handles an interruption (or a failure to write the results): no
// more tasks; idle lanes exit, busy lanes stop after the item they are
// computing, however long it takes.
func (p *pool) stop() {
	if p.stopping {
		return
	}
	p.stopping = true
	for _, l := range p.lanes {
		p.closeStdin(l)
		if l.state == waiting {
			l.state = down
			continue
		}
		p.terminate(l)
	}
}

// abandonInFlight kills every lane now: the items they were computing are
// abandoned (no record).
//
// They are counted as each lane's exit is handled, once everything it
// wrote has been read: a record or a started line still in the pipe when
// abandon was closed counts as what it says.
func (p *pool) abandonInFlight() {
	p.stop()
	p.abandoning = true
	p.killAll()
}

func (p *pool) killAll() {
	p.killing = true
	for _, l := range p.lanes {
		if l.proc != nil {
			l.proc.Kill()
		}
	}
}

func (p *pool) closeStdin(l *lane) {
	if l.stdin != nil {
		l.stdin.Close()
		l.stdin = nil
	}
}

func (p *pool) terminate(l *lane) {
	if l.proc != nil && !l.signalled {
		l.signalled = true
		l.proc.Signal(syscall.SIGTERM)
	}
}

func (p *pool) warn(format string, a ...any) {
	if p.opt.Warn != nil {
		p.opt.Warn(fmt.Sprintf(format, a...))
	}
}

func (p *pool) debug(format string, a ...any) {
	if p.opt.Debug != nil {
		p.opt.Debug(fmt.Sprintf(format, a...))
	}
}

func (p *pool) handle(ev event) {
	l := p.lanes[ev.lane]
	if ev.gen != l.gen {
		return // cannot happen: a generation ends with its evExit
	}
	switch ev.kind {
	case evStarted:
		l.proc, l.pid, l.stdin = ev.proc, ev.proc.Pid, ev.stdin
		l.pinned = ev.pinErr == nil
		if ev.pinErr != nil && len(l.cpus) > 0 {
			p.warn("%s runs unpinned: %v", l.name, ev.pinErr)
		}
		if p.opt.OnStart != nil {
			p.opt.OnStart(p.opt.FirstLane+l.id, l.pid)
		}
		if _, err := l.stdin.Write(p.configLine(l)); err != nil {
			p.closeStdin(l) // its exit follows
		}
		if p.stopping || p.closing {
			p.closeStdin(l)
		}
		if p.stopping {
			p.terminate(l)
		}
		if p.killing {
			l.proc.Kill()
		}
	case evLine:
		p.line(l, ev.line)
	case evStderr:
		text := strings.TrimRight(string(ev.line), "\r\n")
		if len(l.stderr) == maxStderrLines {
			l.stderr = l.stderr[1:]
		}
		l.stderr = append(l.stderr, text)
		p.debug("%s: %s", l.name, text)
	case evExit:
		p.exited(l, ev.err)
	}
}

// line handles a line of a lane's standard output: a control line or a
// record.
func (p *pool) line(l *lane, b []byte) {
	if isControl(b) {
		p.control(l, b)
		return
	}
	rec, err := results.Decode(b)
	if err != nil {
		p.debug("%s: unexpected output %s", l.name, quote(b))
		return
	}
	if l.task != nil {
		l.got++
	}
	l.deaths = 0
	msg := rec.Error
	if !rec.OK && !strings.HasPrefix(msg, rec.Input) {
		msg = rec.Input + ": " + msg // a command's error says why, not which
	}
	p.emit(b, rec.OK, msg)
}

func (p *pool) control(l *lane, b []byte) {
	c, err := parseControl(b)
	if err != nil {
		p.debug("%s: unexpected output %s", l.name, quote(b))
		return
	}
	switch {
	case c.Ready != nil:
		if l.state == starting {
			l.state = idle
		}
		if c.CPUs != nil && l.pinned && len(l.cpus) > 0 && *c.CPUs != threads.FormatCPUList(l.cpus) {
			p.warn("%s: the lane process runs on CPUs %s", l.name, *c.CPUs)
		}
	case c.Warning != "":
		p.warn("%s: %s", l.name, c.Warning)
	case c.Debug != "":
		p.debug("%s: %s", l.name, c.Debug)
	case c.Started != nil:
		if l.task != nil && *c.Started == l.seq {
			l.started = true
			p.debug("%s: process %d started task %d (%s, item %d on)", l.name, l.pid, l.seq, l.task.Path, l.task.First)
		}
	case c.Done != nil:
		if l.task == nil || *c.Done != l.seq {
			p.debug("%s: done line for task %d, which it does not hold", l.name, *c.Done)
			return
		}
		if c.Records != l.got {
			p.warn("%s: task %d: the lane counted %d records, %d arrived", l.name, l.seq, c.Records, l.got)
		}
		l.task, l.started, l.got = nil, false, 0
		if l.state == busy {
			l.state = idle
		}
	default:
		p.debug("%s: unexpected output %s", l.name, quote(b))
	}
}

// emit writes one record line to Out and counts it.
func (p *pool) emit(b []byte, ok bool, msg string) {
	// A record Out did not take is not counted: its item is not started,
	// as -resume will see it.
	if p.err != nil {
		return
	}
	if _, err := p.out.Write(b); err != nil {
		p.err = fmt.Errorf("writing results: %w", err)
		p.stop()
		return
	}
	if ok {
		p.c.OK++
	} else {
		p.c.Failed++
		if p.c.FirstError == "" {
			p.c.FirstError = msg
		}
	}
	if p.opt.Progress != nil {
		p.opt.Progress(p.c)
	}
}

// exited handles the end of a lane process.
func (p *pool) exited(l *lane, err error) {
	p.closeStdin(l)
	l.proc, l.pid = nil, 0
	t, started, got := l.task, l.started, l.got
	l.task, l.started, l.got = nil, false, 0
	lines := l.stderr
	l.stderr, l.signalled = nil, false
	l.state = down
	if p.abandoning {
		if t != nil && started && got < t.Count {
			p.c.Abandoned++
		}
		return
	}
	if p.killing || p.stopping && err == nil {
		return
	}
	if p.stopping {
		// Told to stop after its item, a lane exits 0 (see Serve); one
		// that dies instead loses the item it was computing.
		if t != nil && started {
			p.lose(l, t, got, l.name+" died: "+p.cause(err, lines))
		}
		return
	}
	if p.closing {
		if err != nil {
			p.warn("%s exited: %s", l.name, p.cause(err, lines))
		}
		return
	}
	cause := l.name + " died: " + p.cause(err, lines)
	if err == nil {
		cause = l.name + " exited unexpectedly"
	}
	var se *startError
	if errors.As(err, &se) {
		cause = l.name + " could not start: " + se.err.Error()
	}
	if len(lines) > 0 {
		p.debug("%s: its last standard error lines:\n  %s", cause, strings.Join(lines, "\n  "))
	}
	if t != nil {
		if started {
			p.lose(l, t, got, cause)
		} else {
			p.queue = append([]Task{*t}, p.queue...)
		}
	}
	l.deaths++
	if l.deaths >= p.maxDeaths {
		l.gone = true
		p.warn("%s; not restarted: it died %d times in a row without finishing an item", cause, l.deaths)
		for _, o := range p.lanes {
			if !o.gone {
				return
			}
		}
		p.abandonQueue(cause)
		return
	}
	delay := backoff(l.deaths)
	p.warn("%s; restarting it in %v", cause, delay)
	l.state = waiting
	id := l.id
	l.restart = time.AfterFunc(delay, func() { p.restarts <- id })
}

// backoff is the wait before restarting a lane that died n times in a row:
// 100 ms, doubling, at most 5 s.
func backoff(n int) time.Duration {
	d := 100 * time.Millisecond << min(n-1, 6)
	return min(d, 5*time.Second)
}

// cause describes how a process ended: "signal: killed", "exit status 2:
// panic: …"; a SIGKILL under a cgroup memory limit says that it was
// (probably) the out-of-memory killer.
func (p *pool) cause(err error, lines []string) string {
	if err == nil {
		return "exit status 0"
	}
	s := err.Error()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			switch {
			case p.oom != nil && p.oom() > p.oomBase:
				p.oomBase = p.oom()
				s += fmt.Sprintf(": out of memory — the kernel's OOM killer ended it (cgroup memory limit %s)", plan.FormatBytes(p.opt.MemoryLimit))
			case p.opt.MemoryLimit > 0:
				s += fmt.Sprintf(": probably out of memory (cgroup memory limit %s)", plan.FormatBytes(p.opt.MemoryLimit))
			}
			return s
		}
	}
	if n := len(lines); n > 0 {
		s += ": " + firstMeaningful(lines)
	}
	return s
}

// firstMeaningful picks the line of a dead process's standard error that
// says why: a Go panic's message, else the first line.
func firstMeaningful(lines []string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return l
		}
	}
	return lines[0]
}

// lose writes the failed record of the item a dead lane was computing,
// item got of its task, and queues the rest of the task first.
func (p *pool) lose(l *lane, t *Task, got int, cause string) {
	if got >= t.Count {
		return // the lane died after the task's last item
	}
	exp, i := t.expect(got)
	id := exp.ID(i)
	enc := results.Encoder{Kernel: p.opt.Kernel.Name, Lane: p.opt.FirstLane + l.id}
	msg := id + ": " + cause
	p.emit(enc.AppendFailure(nil, id, exp.Rows, exp.Cols, msg), false, msg)
	if rest := t.Count - got - 1; rest > 0 && !p.stopping {
		r := *t
		r.First, r.Count = t.First+got+1, rest
		p.queue = append([]Task{r}, p.queue...)
	}
}

// abandonQueue fails every queued item once no lane is left.
func (p *pool) abandonQueue(cause string) {
	msg := "not run: no lane is left (last: " + cause + ")"
	enc := results.Encoder{Kernel: p.opt.Kernel.Name, Lane: -1}
	n := 0
	for qi := range p.queue {
		t := &p.queue[qi]
		for k := range t.Count {
			exp, i := t.expect(k)
			id := exp.ID(i)
			n++
			p.emit(enc.AppendFailure(nil, id, exp.Rows, exp.Cols, id+": "+msg), false, id+": "+msg)
		}
	}
	p.queue = nil
	if p.err == nil {
		p.err = fmt.Errorf("lanes: every lane is gone, %d items not run (last: %s)", n, cause)
	}
}

// startError is a lane process that could not be started.
type startError struct{ err error }

func (e *startError) Error() string { return "could not start: " + e.err.Error() }

// spawn starts a new process for l, from a goroutine of its own.
func (p *pool) spawn(l *lane) {
	l.gen++
	l.state = starting
	l.restart = nil
	go runProcess(p.events, l.id, l.gen, l.cpus, p.opt.Exe, p.opt.Args, p.env)
}

// runProcess starts one lane process pinned to cpus and reports on events
// until it has exited and its output is read.
func runProcess(events chan<- event, id, gen int, cpus []int, exe string, args, env []string) {
	// The thread is pinned for the child to inherit its affinity, and is
	// the child's parent for PR_SET_PDEATHSIG: it stays locked to this
	// goroutine, which waits for the child, and is discarded when the
	// goroutine returns, never reused by other goroutines.
	runtime.LockOSThread()
	send := func(ev event) {
		ev.lane, ev.gen = id, gen
		events <- ev
	}
	var pinErr error
	if len(cpus) > 0 {
		pinErr = threads.Pin(cpus)
	}

	var files []*os.File // every pipe end, closed on failure
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		files = append(files, r, w)
		return r, w, err
	}
	inR, inW, err1 := pipe()
	outR, outW, err2 := pipe()
	errR, errW, err3 := pipe()
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = sysProcAttr()
	err := errors.Join(err1, err2, err3)
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
		send(event{kind: evExit, err: &startError{err}})
		return
	}
	inR.Close()
	outW.Close()
	errW.Close()
	send(event{kind: evStarted, proc: cmd.Process, stdin: inW, pinErr: pinErr})

	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		readLines(errR, func(b []byte) { send(event{kind: evStderr, line: b}) })
		errR.Close()
	}()
	waited := make(chan error, 1)
	go func() {
		readLines(outR, func(b []byte) { send(event{kind: evLine, line: b}) })
		outR.Close()
		<-stderrDone
		send(event{kind: evExit, err: <-waited})
	}()
	waited <- cmd.Wait()
}

// readLines calls f with each whole line of r, newline included. A last
// line without a newline (a process killed while writing) is dropped.
func readLines(r io.Reader, f func([]byte)) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		f(b)
	}
}

// quote shortens and quotes an unexpected line for a message.
func quote(line []byte) string {
	line = bytes.TrimRight(line, "\n")
	if len(line) > 200 {
		return strconv.Quote(string(line[:200])) + "…"
	}
	return strconv.Quote(string(line))
}
