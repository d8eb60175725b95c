package exec

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/blasbatch/blasbatch/results"
)

// protocol is how a persistent worker is spoken to.
type protocol interface {
	// args is the command line of the worker process.
	args(cfg Config) []string
	// handshake reads what the worker says once started (nil: nothing);
	// a non-nil error is a fatal one: every item fails with it.
	handshake(line func() ([]byte, error)) error
	// request is the line that asks for one item.
	request(it Item) ([]byte, error)
	// response fills rec from the worker's line for the item.
	response(line []byte, rec *results.Record)
}

// lineProtocol is -worker's: the path on a line in, one line out (a JSON
// value is the result, {"error": "…"} a failure, other text a string).
type lineProtocol struct{}

func (lineProtocol) args(cfg Config) []string               { return cfg.Args }
func (lineProtocol) handshake(func() ([]byte, error)) error { return nil }
func (lineProtocol) request(it Item) ([]byte, error) {
	if strings.ContainsAny(it.Path, "\n") {
		return nil, errors.New("its path holds a newline, which a line-protocol worker cannot be sent")
	}
	return []byte(it.Path + "\n"), nil
}

func (lineProtocol) response(line []byte, rec *results.Record) {
	v := resultValue(line)
	var failure struct {
		Error *string `json:"error"`
	}
	if len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &failure) == nil && failure.Error != nil {
		var all map[string]json.RawMessage
		if json.Unmarshal(v, &all) == nil && len(all) == 1 {
			rec.Error = *failure.Error
			return
		}
	}
	rec.OK, rec.Result = true, v
}

// lineWorker keeps one worker process per lane, restarting it after it
// dies or times out.
type lineWorker struct {
	cfg   Config
	lane  Lane
	proto protocol

	proc    *osexec.Cmd
	stdin   io.WriteCloser
	lines   chan lineOrErr
	errMu   sync.Mutex
	errTail *tail
	exited  chan struct{}
	fatal   error // the worker cannot start: every item fails with it
	items   int   // items this process has computed
	warned  bool  // drift reported
	locked  bool  // this goroutine holds its OS thread for the worker
}

type lineOrErr struct {
	b   []byte
	err error
}

func newLineWorker(cfg Config, l Lane, p protocol) *lineWorker {
	return &lineWorker{cfg: cfg, lane: l, proto: p, errTail: &tail{max: cfg.StderrLines}}
}

// start starts the worker process.
func (w *lineWorker) start() error {
	args := w.proto.args(w.cfg)
	cmd := osexec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = w.cfg.Dir, w.lane.Env
	cmd.SysProcAttr = procAttr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	// Locked for the worker's life: the parent PR_SET_PDEATHSIG watches.
	if !w.locked {
		runtime.LockOSThread()
		w.locked = true
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start %s: %v", args[0], unwrapExec(err))
	}
	w.proc, w.stdin, w.items = cmd, stdin, 0
	w.lines = make(chan lineOrErr, 1)
	w.exited = make(chan struct{})
	lines, max := w.lines, w.cfg.MaxResult
	go func() {
		br := bufio.NewReaderSize(stdout, 64<<10)
		for {
			b, err := readLine(br, max)
			lines <- lineOrErr{b, err}
			if err != nil && !errors.Is(err, errLineTooLong) {
				close(lines)
				return
			}
		}
	}()
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		buf := make([]byte, 4096)
		for {
			n, err := stderr.Read(buf)
			if n > 0 {
				w.errMu.Lock()
				w.errTail.Write(buf[:n])
				w.errMu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	exited := w.exited
	go func() {
		<-stderrDone
		cmd.Wait()
		close(exited)
	}()
	w.fatal = w.proto.handshake(func() ([]byte, error) { return w.next(context.Background(), nil) })
	return nil
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line of at most max bytes (without its newline); a
// longer one is read to its end and reported as errLineTooLong.
func readLine(br *bufio.Reader, max int64) ([]byte, error) {
	var b []byte
	over := false
	for {
		frag, err := br.ReadSlice('\n')
		if !over {
			if int64(len(b)+len(frag)) > max+1 {
				over = true
				b = nil
			} else {
				b = append(b, frag...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return b, err
		}
		if over {
			return nil, errLineTooLong
		}
		return b, nil
	}
}

// next waits for the worker's next line, its death, the timeout or ctx.
func (w *lineWorker) next(ctx context.Context, timeout <-chan time.Time) ([]byte, error) {
	select {
	case l, ok := <-w.lines:
		if !ok {
			return nil, io.EOF
		}
		return l.b, l.err
	case <-timeout:
		return nil, errTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var errTimeout = errors.New("timed out")

// stop kills the worker's process group and waits for it.
func (w *lineWorker) stop() *os.ProcessState {
	if w.proc == nil {
		return nil
	}
	killGroup(w.proc.Process.Pid)
	w.stdin.Close()
	<-w.exited
	for range w.lines {
	}
	st := w.proc.ProcessState
	w.proc = nil
	return st
}

func (w *lineWorker) Close() {
	if w.proc != nil {
		w.stdin.Close() // a worker ends at the end of its input
		select {
		case <-w.exited:
		case <-time.After(2 * time.Second):
		}
		w.stop()
	}
	if w.locked {
		runtime.UnlockOSThread()
		w.locked = false
	}
}

func (w *lineWorker) Run(ctx context.Context, it Item) results.Record {
	rec := results.Record{Input: it.ID, Kernel: "exec", Lane: w.lane.ID}
	if w.proc == nil {
		if err := w.start(); err != nil {
			rec.Error = err.Error()
			return rec
		}
	}
	if w.fatal != nil {
		rec.Error = w.fatal.Error()
		return rec
	}
	req, err := w.proto.request(it)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	w.errMu.Lock()
	w.errTail.reset()
	w.errMu.Unlock()
	t0 := time.Now()
	var timeout <-chan time.Time
	if w.cfg.Timeout > 0 {
		t := time.NewTimer(w.cfg.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	_, werr := w.stdin.Write(req)
	var line []byte
	if werr == nil {
		line, err = w.next(ctx, timeout)
	} else {
		err = io.EOF
	}
	rec.Seconds = time.Since(t0).Seconds()
	switch {
	case err == nil:
		w.proto.response(line, &rec)
		w.items++
		if w.items == 1 {
			w.checkAffinity()
		}
	case errors.Is(err, errLineTooLong):
		rec.Error = fmt.Sprintf("its result line is over %d bytes (-max-result)", w.cfg.MaxResult)
	case errors.Is(err, errTimeout):
		w.stop()
		rec.Error = fmt.Sprintf("timed out after %v", w.cfg.Timeout)
	case ctx.Err() != nil:
		w.stop()
		rec.Error = "abandoned"
	default:
		// The worker died: say how, and start a new one for the next item.
		st := w.stop()
		rec.Error = "the worker died: " + describeExit(&rec, st)
	}
	w.errMu.Lock()
	printed := w.errTail.String()
	w.errMu.Unlock()
	switch {
	case rec.Stderr == "":
		rec.Stderr = printed
	case printed != "":
		rec.Stderr = printed + "\n" + rec.Stderr
	}
	return rec
}
