// Package lanes runs a batch as several worker processes ("lanes"), each
// pinned to its own set of CPUs and running its BLAS calls with that many
// threads.
//
// A split of the cores with more than one outer worker and more than one
// BLAS thread per worker cannot run in one process with Debian's OpenBLAS:
// its thread count is process-global and two multithreaded calls never run
// at once (the pthread build serialises them). So each outer lane is a
// separate process, the same blasbatch binary started as "blasbatch lane",
// with OPENBLAS_NUM_THREADS set to the size of its CPU set and its affinity
// set to that CPU set before it starts, so that the BLAS threads it creates
// as the library loads inherit it.
//
// [Run] is the parent side: it hands out tasks (parts of input files) one at
// a time to idle lanes, copies their JSON Lines records through, and
// survives the death of a lane. [Serve] is the lane's side.
//
// # Protocol
//
// Parent and lane speak JSON Lines over the lane's standard input and
// output. Only task descriptions cross the pipe, never matrices: a lane
// reads its input files itself. Every control line is an object whose first
// key starts with "lane_"; every record starts with {"input": so the two
// never collide.
//
//	parent → lane  {"lane_task":SEQ,"path":P,"first":F,"count":C}    a batch.Source
//	lane → parent  {"lane_ready":PID,"cpus":"0-1","blas_threads":2}  once, first
//	lane → parent  {"lane_task_started":SEQ}                         the task was read
//	lane → parent  {"input":...}                                     a record, as each item finishes, in item order
//	lane → parent  {"lane_task_done":SEQ,"records":K}                the task's K records are all out
//
// The parent sends a task only to an idle lane (after its ready or done
// line), so a lane holds at most one task and its input never fills. Lines
// that are neither (a library printing on standard output) are reported
// through Warn and not copied; a last line cut short by a lane's death is
// dropped.
package lanes

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// Config describes a run over lane processes.
type Config struct {
	Exe    string // the blasbatch binary to start as "Exe lane ..."
	Kernel string // the kernel's name, as kernels.Lookup takes it
	Save   string // --save directory for the lanes ("" none); each lane writes its items' outputs itself
	// Lanes holds one CPU set per lane: lane i runs with
	// OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) set to len(Lanes[i]) and
	// is pinned to Lanes[i]; its records say "lane":i. Sets may overlap
	// (they then share those CPUs).
	Lanes [][]int
	// Tasks is the work, handed out in this order, one task to a lane at
	// a time (give the biggest first).
	Tasks []batch.Source
	// Out receives the JSON Lines records, each line whole in one Write,
	// in the order the lanes produce them. nil discards them.
	Out io.Writer

	// Progress, if set, is called after each record with the running
	// totals.
	Progress func(batch.Summary)
	// Warn, if set, receives warnings: a lane that died or runs unpinned,
	// and what lanes write on their standard error (a few lines each).
	Warn func(string)
	// OnStart, if set, is called with the lane number and process id of
	// each lane process once it has started, restarts included.
	OnStart func(lane, pid int)

	// Read is how inputs are opened (the shape of raw .f64 files); lanes
	// get it as -shape.
	Read matio.Options
	// Options are the kernel's options, passed to each lane as flags.
	Options kernels.Options
	// MaxItemBytes, if positive, is passed to each lane as its per-item
	// memory cap (batch.Config.MaxItemBytes).
	MaxItemBytes int64
	// Grace is how long lanes may take to exit once told to (at the end of
	// the work, or on cancellation) before they are killed; 0 means 5s.
	Grace time.Duration
	// MaxDeaths is how many times in a row a lane may die without
	// finishing an item before it is not restarted; 0 means 3.
	MaxDeaths int
}

// Run runs cfg.Tasks on lane processes and returns the totals of the
// records written to cfg.Out.
//
// Every lane process is started from a goroutine locked to its OS thread
// and pinned to the lane's CPUs, so the child starts with that affinity; the
// thread stays locked (and is discarded) until the child has exited, which
// also makes it the thread whose exit sends the child SIGKILL
// (PR_SET_PDEATHSIG) if this process dies. Lanes run in their own process
// group, so a terminal's Ctrl-C reaches only this process (whose caller
// cancels ctx) and never kills a lane mid-item behind Run's back.
//
// A lane holds one task at a time and runs its items in order, sending each
// record as its item finishes, so Run always knows which item a lane is
// computing. Callbacks (Out, Progress, Warn, OnStart) are called from Run's
// goroutine, one at a time.
//
// When a lane process dies (a signal, a crash in native code, a non-zero
// exit), the item it was computing gets a failed record (the shape of
// batch's records, with the lane and its CPUs and the cause in "error",
// e.g. "x.npy[3]: lane 1 (CPUs 2-3) died: signal: killed"), the rest of its
// task goes back to the front of the queue, and the lane is restarted on the
// same CPUs. A lane that dies MaxDeaths times in a row without finishing an
// item is not restarted; if no lane is left, every item not yet run gets a
// failed record saying so and Run returns an error.
//
// When ctx is cancelled, Run hands out no more tasks, closes the lanes'
// standard input and sends them SIGTERM (a lane stops after its current
// item), kills those still running after Grace, waits for every one and
// returns ctx.Err(). Items not run get no record. Run never returns while a
// lane process it started is still running.
//
// Run returns an error for failures of the run itself: a bad Config,
// writing to Out (the lanes are then stopped as on cancellation), no lane
// left, or ctx's error. Bad items are failed records, as in batch.Run.
func Run(ctx context.Context, cfg Config) (batch.Summary, error) {
	if _, err := kernels.Lookup(cfg.Kernel); err != nil {
		return batch.Summary{}, fmt.Errorf("lanes: %w", err)
	}
	if cfg.Exe == "" {
		return batch.Summary{}, errors.New("lanes: no executable")
	}
	if len(cfg.Lanes) == 0 {
		return batch.Summary{}, errors.New("lanes: no lanes")
	}
	for i, cpus := range cfg.Lanes {
		if len(cpus) == 0 {
			return batch.Summary{}, fmt.Errorf("lanes: lane %d has no CPUs", i)
		}
	}
	for _, t := range cfg.Tasks {
		if t.First < 0 || t.Count < 0 {
			return batch.Summary{}, fmt.Errorf("lanes: task %s: negative First (%d) or Count (%d)", t.Path, t.First, t.Count)
		}
	}
	p := &pool{
		cfg:       cfg,
		start:     time.Now(),
		out:       cfg.Out,
		grace:     cfg.Grace,
		maxDeaths: cfg.MaxDeaths,
		events:    make(chan event),
		queue:     append([]batch.Source(nil), cfg.Tasks...),
		env:       laneEnv(os.Environ()),
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
	if len(p.queue) == 0 || ctx.Err() != nil {
		return p.sum, ctx.Err()
	}
	return p.run(ctx)
}

// laneEnv is env without the variables that set BLAS thread counts; each
// lane adds its own.
func laneEnv(env []string) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// laneState is where a lane is in its life.
type laneState int

const (
	down     laneState = iota // no process
	starting                  // a process is starting or has not said it is ready
	idle                      // ready for a task
	busy                      // holding a task
)

// lane is the parent's view of one lane. Only Run's goroutine touches it.
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
	pinned bool // the process was started pinned

	task    *task // the task it holds
	started bool  // the lane has read the task
	got     int   // records of the task received

	deaths    int    // deaths in a row without finishing an item
	stderrN   int    // lines of standard error seen from this process
	firstErr  string // its first line of standard error
	signalled bool   // told to stop (SIGTERM) in this generation
}

type task struct {
	seq int
	src batch.Source
}

// pool is the state of one Run.
type pool struct {
	cfg       Config
	start     time.Time
	out       io.Writer
	grace     time.Duration
	maxDeaths int
	env       []string

	events chan event
	lanes  []*lane
	queue  []batch.Source // tasks not handed out; rests of tasks of dead lanes go first
	seq    int
	sum    batch.Summary
	err    error // the run's own failure

	stopping bool // cancelled or Out failed: no more tasks, lanes told to stop
	closing  bool // all work done: lanes told to exit
	killAt   <-chan time.Time
	killing  bool // the grace period is over: every lane process is killed
}

type eventKind int

const (
	evStarted eventKind = iota
	evLine              // a line of standard output
	evStderr            // a line of standard error
	evExit              // the process has exited and its output is all read
)

// event is what a lane's goroutines tell Run's goroutine. For one process,
// evStarted comes first and evExit last.
type event struct {
	lane, gen int
	kind      eventKind
	line      []byte
	proc      *os.Process
	stdin     *os.File
	pinErr    error
	err       error
}

func (p *pool) run(ctx context.Context) (batch.Summary, error) {
	for i, cpus := range p.cfg.Lanes {
		noun := "CPUs"
		if len(cpus) == 1 {
			noun = "CPU"
		}
		l := &lane{id: i, cpus: append([]int(nil), cpus...), name: fmt.Sprintf("lane %d (%s %s)", i, noun, threads.FormatCPUList(cpus))}
		p.lanes = append(p.lanes, l)
		p.spawn(l)
	}
	done := ctx.Done()
	for {
		p.dispatch()
		if !p.live() {
			break
		}
		select {
		case ev := <-p.events:
			p.handle(ev)
		case <-done:
			done = nil
			p.stop()
		case <-p.killAt:
			p.killAt, p.killing = nil, true
			for _, l := range p.lanes {
				if l.proc != nil {
					l.proc.Kill()
				}
			}
		}
	}
	p.sum.Elapsed = time.Since(p.start)
	if p.err == nil {
		p.err = ctx.Err()
	}
	return p.sum, p.err
}

// live reports whether any lane has a process (or one starting).
func (p *pool) live() bool {
	for _, l := range p.lanes {
		if l.state != down {
			return true
		}
	}
	return false
}

// dispatch hands tasks to idle lanes, and tells the lanes to exit once all
// work is done.
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
		src := p.queue[0]
		p.queue = p.queue[1:]
		p.seq++
		l.task, l.started, l.got = &task{seq: p.seq, src: src}, false, 0
		l.state = busy
		line := appendJSON(nil, newTaskLine(p.seq, src))
		if _, err := l.stdin.Write(line); err != nil {
			// The lane is dying: its exit will follow. The task was not
			// received, so it goes back whole.
			p.queue = append([]batch.Source{src}, p.queue...)
			l.task = nil
			l.state = starting
		}
	}
	if len(p.queue) > 0 {
		return
	}
	for _, l := range p.lanes {
		if l.task != nil {
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

// stop handles cancellation and write failures: no more tasks, and every
// lane is asked to stop now.
func (p *pool) stop() {
	if p.stopping {
		return
	}
	p.stopping = true
	for _, l := range p.lanes {
		p.closeStdin(l)
		p.terminate(l)
	}
	p.killAt = time.After(p.grace)
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
	if p.cfg.Warn != nil {
		p.cfg.Warn(fmt.Sprintf(format, a...))
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
		if ev.pinErr != nil {
			p.warn("%s runs unpinned: %v", l.name, ev.pinErr)
		}
		if p.cfg.OnStart != nil {
			p.cfg.OnStart(l.id, l.pid)
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
		l.stderrN++
		text := strings.TrimRight(string(ev.line), "\r\n")
		if l.firstErr == "" {
			l.firstErr = text
		}
		switch {
		case l.stderrN <= maxStderrLines:
			p.warn("%s: %s", l.name, text)
		case l.stderrN == maxStderrLines+1:
			p.warn("%s: further standard error output not shown", l.name)
		}
	case evExit:
		p.exited(l, ev.err)
	}
}

// maxStderrLines is how many lines of a lane process's standard error are
// passed to Warn.
const maxStderrLines = 10

// line handles a line of a lane's standard output.
func (p *pool) line(l *lane, b []byte) {
	if bytes.HasPrefix(b, []byte(recordPrefix)) {
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			p.warn("%s: malformed record %s", l.name, quote(b))
			return
		}
		if l.task != nil {
			l.got++
		}
		l.deaths = 0
		p.emit(b, r.OK, r.Error)
		return
	}
	var c control
	if !bytes.HasPrefix(b, []byte(`{"lane_`)) || json.Unmarshal(b, &c) != nil {
		p.warn("%s: unexpected output %s", l.name, quote(b))
		return
	}
	switch {
	case c.Ready != nil:
		if l.state == starting {
			l.state = idle
		}
		if c.CPUs != nil && l.pinned && *c.CPUs != threads.FormatCPUList(l.cpus) {
			p.warn("%s: the lane process runs on CPUs %s", l.name, *c.CPUs)
		}
		if c.BLASThreads > len(l.cpus) {
			p.warn("%s: the lane process runs %d BLAS threads on %d CPUs", l.name, c.BLASThreads, len(l.cpus))
		}
	case c.Started != nil:
		if l.task != nil && *c.Started == l.task.seq {
			l.started = true
		}
	case c.Done != nil:
		if l.task == nil || *c.Done != l.task.seq {
			p.warn("%s: done line for task %d, which it does not hold", l.name, *c.Done)
			return
		}
		if c.Records != l.got {
			p.warn("%s: task %d: the lane counted %d records, %d arrived", l.name, l.task.seq, c.Records, l.got)
		}
		l.task, l.started, l.got = nil, false, 0
		if l.state == busy {
			l.state = idle
		}
	default:
		p.warn("%s: unexpected output %s", l.name, quote(b))
	}
}

// emit writes one record line to Out and counts it.
func (p *pool) emit(b []byte, ok bool, msg string) {
	if p.err == nil {
		if _, err := p.out.Write(b); err != nil {
			p.err = fmt.Errorf("writing results: %w", err)
			p.stop()
		}
	}
	if ok {
		p.sum.OK++
	} else {
		p.sum.Failed++
		if p.sum.FirstError == "" {
			p.sum.FirstError = msg
		}
	}
	if p.cfg.Progress != nil {
		p.sum.Elapsed = time.Since(p.start)
		p.cfg.Progress(p.sum)
	}
}

// exited handles the end of a lane process.
func (p *pool) exited(l *lane, err error) {
	p.closeStdin(l)
	l.proc, l.pid = nil, 0
	t, started, got := l.task, l.started, l.got
	l.task, l.started, l.got = nil, false, 0
	note := l.firstErr
	l.stderrN, l.firstErr, l.signalled = 0, "", false
	l.state = down
	if p.stopping {
		return
	}
	if p.closing {
		if err != nil {
			p.warn("%s exited: %s", l.name, exitCause(err, note))
		}
		return
	}
	cause := l.name + " died: " + exitCause(err, note)
	if err == nil {
		cause = l.name + " exited unexpectedly" + ifNote(note)
	}
	var se *startError
	if errors.As(err, &se) {
		cause = l.name + " could not start: " + se.err.Error()
	}
	if t != nil {
		if started {
			p.lose(l, t, got, cause)
		} else {
			p.queue = append([]batch.Source{t.src}, p.queue...)
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
		p.abandon(cause)
		return
	}
	p.warn("%s; restarting it", cause)
	p.spawn(l)
}

// exitCause describes how a process ended: "signal: killed", "exit status
// 2: panic: ...".
func exitCause(err error, note string) string {
	if err == nil {
		return "exit status 0" + ifNote(note)
	}
	return err.Error() + ifNote(note)
}

func ifNote(note string) string {
	if note == "" {
		return ""
	}
	return ": " + note
}

// lose writes the failed record of the item a dead lane was computing, item
// got of its task, and queues the rest of the task first.
func (p *pool) lose(l *lane, t *task, got int, cause string) {
	src := t.src
	if src.Count > 0 && got >= src.Count {
		return // the lane died after the task's last item
	}
	i := src.First + got
	id, rows, cols, exists, unreadable := itemAt(src.Path, i, p.cfg.Read)
	if !exists {
		return // the lane died after the file's last item
	}
	p.emit(batch.ItemFailureRecord(p.cfg.Kernel, id, rows, cols, l.id, id+": "+cause), false, id+": "+cause)
	if unreadable {
		return // the rest would only fail again, as one more record of the path
	}
	rest := batch.Source{Path: src.Path, First: i + 1}
	if src.Count > 0 {
		rest.Count = src.Count - got - 1
		if rest.Count <= 0 {
			return
		}
	}
	p.queue = append([]batch.Source{rest}, p.queue...)
}

// itemAt returns the id and shape (0×0 if unknown) of item i of the file at
// path, as a lane reads it. exists is false when the file has no item i. A
// file that cannot be opened (now) is unreadable, reported as the path.
func itemAt(path string, i int, opt matio.Options) (id string, rows, cols int, exists, unreadable bool) {
	r, err := matio.OpenWith(path, opt)
	if err != nil {
		return path, 0, 0, true, true
	}
	defer r.Close()
	if err := r.Skip(i); err != nil {
		return "", 0, 0, false, false
	}
	it, err := r.Next()
	if err == io.EOF {
		return "", 0, 0, false, false
	}
	if err != nil {
		return matio.ErrorID(path, err), 0, 0, true, false
	}
	return it.ID, it.Rows, it.Cols, true, false
}

// abandon fails every queued item once no lane is left.
func (p *pool) abandon(cause string) {
	msg := "not run: no lane is left (last: " + cause + ")"
	n := 0
	for _, src := range p.queue {
		forItems(src, p.cfg.Read, func(id string, rows, cols int) {
			n++
			p.emit(batch.ItemFailureRecord(p.cfg.Kernel, id, rows, cols, -1, id+": "+msg), false, id+": "+msg)
		})
	}
	p.queue = nil
	if p.err == nil {
		p.err = fmt.Errorf("lanes: every lane is gone, %d items not run (last: %s)", n, cause)
	}
}

// forItems calls f with the id and shape of each item of src, as a lane
// would report them: a file that cannot be opened is one item, the path.
func forItems(src batch.Source, opt matio.Options, f func(id string, rows, cols int)) {
	r, err := matio.OpenWith(src.Path, opt)
	if err != nil {
		f(src.Path, 0, 0)
		return
	}
	defer r.Close()
	if r.Skip(src.First) != nil {
		return
	}
	for n := 0; src.Count == 0 || n < src.Count; n++ {
		it, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			f(matio.ErrorID(src.Path, err), 0, 0)
			continue
		}
		f(it.ID, it.Rows, it.Cols)
	}
}

// startError is a lane process that could not be started.
type startError struct{ err error }

func (e *startError) Error() string { return "could not start: " + e.err.Error() }

// spawn starts a new process for l, from a goroutine of its own.
func (p *pool) spawn(l *lane) {
	l.gen++
	l.state = starting
	args := []string{"lane", "-kernel", p.cfg.Kernel, "-lane", strconv.Itoa(l.id)}
	if p.cfg.Options.Fallback {
		args = append(args, "-fallback")
	}
	if p.cfg.Options.Symmetrize {
		args = append(args, "-symmetrize")
	}
	if p.cfg.Options.Repeat > 0 {
		args = append(args, "-repeat", strconv.Itoa(p.cfg.Options.Repeat))
	}
	if len(p.cfg.Read.Shape) > 0 {
		args = append(args, "-shape", matio.FormatShape(p.cfg.Read.Shape))
	}
	if p.cfg.MaxItemBytes > 0 {
		args = append(args, "-max-item-bytes", strconv.FormatInt(p.cfg.MaxItemBytes, 10))
	}
	if p.cfg.Save != "" {
		args = append(args, "-save", p.cfg.Save)
	}
	k := strconv.Itoa(len(l.cpus))
	env := append(append([]string(nil), p.env...), "OPENBLAS_NUM_THREADS="+k, "OMP_NUM_THREADS="+k)
	go runProcess(p.events, l.id, l.gen, l.cpus, p.cfg.Exe, args, env)
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
	pinErr := threads.Pin(cpus)

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
