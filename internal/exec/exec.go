// Package exec runs the user's own analysis on one input file at a time:
// any command (a process per item), a persistent worker speaking lines
// (one path in, one result line out), or a Python function called by a
// small worker program this package carries. A Runner lives inside one
// lane process, which was started pinned to the lane's CPUs with the BLAS
// thread variables set to its inner count, so every process it starts
// inherits both.
//
// A Runner turns each item into a results.Record: ok with the result, or
// failed saying why in words — the exception, "exit status 3", "killed by
// signal SIGSEGV (segmentation fault)", "timed out after 30s" — with the
// last lines of the item's standard error.
package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/blasbatch/blasbatch/results"
)

// Mode says how a Command runs.
type Mode int

const (
	// PerItem starts Args once per item.
	PerItem Mode = iota
	// Worker starts Args once per lane and keeps it: one item path per
	// line on its standard input, one result line per item on its
	// standard output.
	Worker
	// Python starts the carried Python worker once per lane; it imports
	// Function's module once and calls it with each item's path.
	Python
)

// Config is the user's command, as a lane runs it.
type Config struct {
	Mode Mode `json:"mode"`
	// Args is the command (PerItem, Worker). For PerItem, {} is replaced by
	// the item's path, {/} by its base name, {.} by the path without its
	// extension; with none of them the path is appended as the last
	// argument.
	Args []string `json:"args,omitempty"`
	// Function is MODULE:FUNC (Python); PythonExe the interpreter,
	// "python3" when empty.
	Function  string `json:"function,omitempty"`
	PythonExe string `json:"python,omitempty"`
	// Dir is the directory commands run in (and the Python worker puts
	// first on sys.path); "" is the lane's.
	Dir string `json:"dir,omitempty"`
	// Timeout, when positive, bounds one item: its process group is
	// killed and the item fails saying so (a worker is restarted).
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retries is how many times a failed item is tried again.
	Retries int `json:"retries,omitempty"`
	// MaxResult bounds a result line (0: DefaultMaxResult); a longer one
	// fails the item.
	MaxResult int64 `json:"max_result,omitempty"`
	// StderrLines is how many last lines of standard error a record keeps
	// (0: DefaultStderrLines).
	StderrLines int `json:"stderr_lines,omitempty"`
}

// DefaultMaxResult is the longest result line an item may produce.
const DefaultMaxResult = 16 << 20

// DefaultStderrLines is how many lines of an item's standard error its
// record keeps.
const DefaultStderrLines = 20

// maxStderrBytes bounds the standard error a record keeps, whatever the
// line count.
const maxStderrBytes = 8 << 10

// Lane is what a Runner knows of the lane it serves.
type Lane struct {
	ID    int
	CPUs  []int // nil: unpinned
	Inner int
	// Env is the environment commands run with (thread variables,
	// BLASBATCH_LANE, BLASBATCH_CPUS already set).
	Env []string
	// Warn reports a problem once (a worker that reset its affinity).
	Warn func(string)
}

// Item is one input file.
type Item struct {
	ID   string // the record id
	Path string // the path to give the command
}

// Runner runs items one at a time. It is not safe for concurrent use.
type Runner interface {
	// Run computes one item and returns its record (Lane and Attempts
	// set by the caller). ctx ends only for abandoning: the item's
	// processes are killed.
	Run(ctx context.Context, it Item) results.Record
	// Close stops what the Runner keeps running (a persistent worker).
	Close()
}

// New returns the Runner of cfg for lane l.
func New(cfg Config, l Lane) (Runner, error) {
	if cfg.MaxResult <= 0 {
		cfg.MaxResult = DefaultMaxResult
	}
	if cfg.StderrLines <= 0 {
		cfg.StderrLines = DefaultStderrLines
	}
	switch cfg.Mode {
	case PerItem:
		if len(cfg.Args) == 0 {
			return nil, errors.New("exec: no command")
		}
		return &perItem{cfg: cfg, lane: l}, nil
	case Worker:
		if len(cfg.Args) == 0 {
			return nil, errors.New("exec: no worker command")
		}
		return newLineWorker(cfg, l, lineProtocol{}), nil
	case Python:
		mod, fn, ok := strings.Cut(cfg.Function, ":")
		if !ok || mod == "" || fn == "" {
			return nil, fmt.Errorf("exec: -py %q: want MODULE:FUNC", cfg.Function)
		}
		return newPythonWorker(cfg, l)
	}
	return nil, fmt.Errorf("exec: unknown mode %d", cfg.Mode)
}

// RunItem runs it through r, retrying a failed item up to retries times,
// and sets the record's Attempts.
func RunItem(ctx context.Context, r Runner, it Item, retries int) results.Record {
	var rec results.Record
	for attempt := 1; ; attempt++ {
		rec = r.Run(ctx, it)
		rec.Attempts = attempt
		if rec.OK || attempt > retries || ctx.Err() != nil {
			return rec
		}
	}
}

// resultValue makes a command's output line a record's result: a JSON
// value as it is, anything else as a string. Invalid UTF-8 is replaced.
func resultValue(line []byte) json.RawMessage {
	line = []byte(strings.TrimRight(string(line), "\r\n"))
	if len(line) == 0 {
		return nil
	}
	if json.Valid(line) {
		return json.RawMessage(line)
	}
	s := string(line)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b, _ := json.Marshal(s)
	return b
}

// describeExit says in words how a process ended, and sets the record's
// Exit or Signal.
func describeExit(rec *results.Record, state *os.ProcessState) string {
	if state == nil {
		return "did not run"
	}
	ws, ok := state.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		rec.Signal = SignalName(ws.Signal())
		return fmt.Sprintf("killed by signal %s (%s)", rec.Signal, ws.Signal())
	}
	code := state.ExitCode()
	rec.Exit = &code
	return fmt.Sprintf("exit status %d", code)
}

// SignalName is a signal's conventional name ("SIGSEGV").
func SignalName(s syscall.Signal) string {
	names := map[syscall.Signal]string{
		syscall.SIGABRT: "SIGABRT", syscall.SIGALRM: "SIGALRM", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE",
		syscall.SIGHUP: "SIGHUP", syscall.SIGILL: "SIGILL", syscall.SIGINT: "SIGINT", syscall.SIGKILL: "SIGKILL",
		syscall.SIGPIPE: "SIGPIPE", syscall.SIGQUIT: "SIGQUIT", syscall.SIGSEGV: "SIGSEGV", syscall.SIGTERM: "SIGTERM",
		syscall.SIGTRAP: "SIGTRAP", syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGXCPU: "SIGXCPU",
		syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGSYS: "SIGSYS",
	}
	if n, ok := names[s]; ok {
		return n
	}
	return fmt.Sprintf("SIG%d", int(s))
}

// tail keeps the last lines of a stream, bounded in lines and bytes.
type tail struct {
	max   int
	lines []string
	part  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := strings.IndexByte(string(p), '\n')
		if i < 0 {
			t.part = append(t.part, p...)
			if len(t.part) > maxStderrBytes {
				t.part = t.part[len(t.part)-maxStderrBytes:]
			}
			break
		}
		t.add(string(append(t.part, p[:i]...)))
		t.part = t.part[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (t *tail) add(line string) {
	if len(line) > maxStderrBytes {
		line = line[len(line)-maxStderrBytes:]
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// String is the kept lines, joined, at most maxStderrBytes.
func (t *tail) String() string {
	lines := t.lines
	if len(t.part) > 0 {
		if len(lines) >= t.max {
			lines = lines[len(lines)-t.max+1:]
		}
		lines = append(append([]string(nil), lines...), string(t.part))
	}
	s := strings.Join(lines, "\n")
	if len(s) > maxStderrBytes {
		s = s[len(s)-maxStderrBytes:]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func (t *tail) reset() { t.lines, t.part = t.lines[:0], t.part[:0] }

// limitedBuffer keeps at most max bytes and says whether more came.
type limitedBuffer struct {
	max  int64
	b    []byte
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - int64(len(l.b)); int64(len(p)) > room {
		l.b = append(l.b, p[:max(room, 0)]...)
		l.over = true
		return len(p), nil
	}
	l.b = append(l.b, p...)
	return len(p), nil
}

var _ io.Writer = (*limitedBuffer)(nil)
