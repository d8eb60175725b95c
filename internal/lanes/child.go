package lanes

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/exec"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// IsChild reports whether this process was started by Run as a worker
// process. It is what the root package's LaneMain asks first.
func IsChild() bool { return os.Getenv(childEnv) == "1" }

// ServeChild is a worker process's main: it serves the protocol on
// standard input and output with the given kernels (the one the parent
// names must be among them) and returns the exit status. SIGTERM or SIGINT
// stops it after the item it is computing, with status 0.
func ServeChild(specs []kernels.Spec) int {
	// The marker must not reach programs this process starts.
	os.Unsetenv(childEnv)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := Serve(ctx, os.Stdin, os.Stdout, specs)
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "blasbatch lane: %v\n", err)
		return 1
	}
	return 0
}

// Serve is a worker process's side of the protocol (see the package
// documentation's protocol section): it reads its configuration line, says
// it is ready, then for each task line runs the task with one in-process
// lane (unpinned: the process is already pinned to its lane's CPUs) and
// writes the task's records to out, each as its item finishes and whole in
// one Write, followed by the task's done line.
//
// Serve returns nil at the end of in, ctx.Err() when ctx is cancelled
// (after the item in hand), and an error for a malformed line, a kernel
// not among specs, or a failed write to out.
func Serve(ctx context.Context, in io.Reader, out io.Writer, specs []kernels.Spec) error {
	// Cancelled on return, so that the reader goroutine never blocks
	// forever on a line nobody will take.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		br := bufio.NewReaderSize(in, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 && err == nil {
				select {
				case lines <- line:
					continue
				case <-ctx.Done():
					return
				}
			}
			if err == io.EOF && len(line) > 0 {
				err = fmt.Errorf("a line without a newline: %s", quote(line))
			}
			readErr <- err
			return
		}
	}()
	next := func() ([]byte, error) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-readErr:
			return nil, err
		case line := <-lines:
			return line, nil
		}
	}

	first, err := next()
	if err != nil {
		if err == io.EOF {
			return nil
		}
		return err
	}
	var cl configLine
	if err := json.Unmarshal(first, &cl); err != nil {
		return fmt.Errorf("malformed configuration %s", quote(first))
	}
	cfg := cl.Config
	control := func(v any) error {
		_, err := out.Write(appendJSON(nil, v))
		return err
	}
	say := func(key, s string) { control(map[string]string{key: s}) }
	if cfg.Exec != nil {
		return serveExec(ctx, next, out, cfg, control, say)
	}
	var spec kernels.Spec
	for _, s := range specs {
		if s.Name == cfg.Kernel {
			spec = s
		}
	}
	if spec.Name == "" {
		return fmt.Errorf("kernel %q is not one of this program's: did its main call blasbatch.LaneMain with it?", cfg.Kernel)
	}
	save, err := matio.UnescapeID(cfg.Save)
	if err != nil {
		return fmt.Errorf("malformed configuration: save directory: %v", err)
	}
	if cfg.Inner > 0 {
		// OpenBLAS read OPENBLAS_NUM_THREADS when it loaded; set it again
		// so the count in effect is the parent's choice, for the rest of
		// the lane process's life (its one phase, never ended).
		blas.BeginPhase(cfg.Inner)
	}
	inputs := map[safefile.ID]bool{}
	for _, id := range cfg.Inputs {
		inputs[id] = true
	}
	opt := Options{
		Kernel: spec, KernelOptions: cfg.Options, Read: matio.Options{Shape: cfg.Shape},
		Save: save, Inputs: inputs, Outer: 1, Budget: cfg.Budget, FirstLane: cfg.Lane,
		// A record as each item finishes (the parent counts them), one
		// item in flight, none read ahead.
		ChunkItems: 1, SlabBytes: 8, ReadAhead: -1,
		Out:   out,
		Warn:  func(s string) { say("lane_warning", s) },
		Debug: func(s string) { say("lane_debug", s) },
	}
	cpus := ""
	if c, err := threads.Affinity(); err == nil {
		cpus = threads.FormatCPUList(c)
	}
	if err := control(struct {
		PID     int    `json:"lane_ready"`
		CPUs    string `json:"cpus"`
		Threads int    `json:"blas_threads"`
	}{os.Getpid(), cpus, blas.Threads()}); err != nil {
		return fmt.Errorf("lane %d: writing: %w", cfg.Lane, err)
	}
	return serveTasks(ctx, next, out, cfg.Lane, func(seq int, t Task) (int, error) {
		c, err := runInProcess(ctx, nil, opt, []Task{t})
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("lane %d: task %d (%s from item %d): %w", cfg.Lane, seq, t.Path, t.First, err)
		}
		return c.Items(), nil
	})
}

// serveTasks is a lane's task loop: each task line read with next is
// announced started, run (which writes its records to out and says how
// many), and announced done with that count, until next says io.EOF (the
// parent is done), ctx is done, or an error.
func serveTasks(ctx context.Context, next func() ([]byte, error), out io.Writer, lane int, run func(seq int, t Task) (records int, err error)) error {
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		seq, t, err := parseTask(line)
		if err != nil {
			return fmt.Errorf("lane %d: %w", lane, err)
		}
		if _, err := out.Write([]byte(`{"lane_task_started":` + strconv.Itoa(seq) + "}\n")); err != nil {
			return fmt.Errorf("lane %d: writing: %w", lane, err)
		}
		n, err := run(seq, t)
		if err != nil {
			return err
		}
		if _, err := out.Write([]byte(`{"lane_task_done":` + strconv.Itoa(seq) + `,"records":` + strconv.Itoa(n) + "}\n")); err != nil {
			return fmt.Errorf("lane %d: writing: %w", lane, err)
		}
	}
}

// serveExec is Serve for the user's command: each task's items (files)
// go through an exec.Runner in turn, one record each, written as it
// finishes. Told to stop, it finishes the item in hand; the parent
// abandons by killing this process, and the kernel then kills the item's
// processes (PR_SET_PDEATHSIG).
func serveExec(ctx context.Context, next func() ([]byte, error), out io.Writer, cfg childConfig, control func(any) error, say func(string, string)) error {
	cpus, _ := threads.Affinity()
	lane := exec.Lane{ID: cfg.Lane, CPUs: cpus, Inner: max(cfg.Inner, 1),
		Env:  append(os.Environ(), "BLASBATCH_LANE="+strconv.Itoa(cfg.Lane), "BLASBATCH_CPUS="+threads.FormatCPUList(cpus)),
		Warn: func(s string) { say("lane_warning", s) }}
	runner, err := exec.New(*cfg.Exec, lane)
	if err != nil {
		return err
	}
	defer runner.Close()
	if err := control(struct {
		PID  int    `json:"lane_ready"`
		CPUs string `json:"cpus"`
	}{os.Getpid(), threads.FormatCPUList(cpus)}); err != nil {
		return err
	}
	return serveTasks(ctx, next, out, cfg.Lane, func(_ int, t Task) (int, error) {
		for n := range t.Count {
			if n > 0 && ctx.Err() != nil {
				return n, ctx.Err()
			}
			rec := exec.RunItem(context.Background(), runner, exec.Item{ID: t.ID(n), Path: t.Path}, cfg.Exec.Retries)
			rec.Lane = cfg.Lane
			b, err := json.Marshal(rec)
			if err != nil {
				return n, err
			}
			if _, err := out.Write(append(b, '\n')); err != nil {
				return n, err
			}
		}
		return t.Count, nil
	})
}
