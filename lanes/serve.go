package lanes

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// ServeConfig describes the work of a lane process.
type ServeConfig struct {
	Kernel kernels.Spec
	LAPACK blas.LAPACK // nil means blas.Default()
	Save   string      // --save directory; "" writes none
	Lane   int         // the lane number written in records
	// Read: see batch.Config.
	Read matio.Options
	// Options: see batch.Config.
	Options kernels.Options
	// MaxItemBytes and ItemBytes bound each item's memory (see batch.Config).
	MaxItemBytes int64
	ItemBytes    func(rows, cols int) int64
	// Warn, if set, receives warnings that do not fail items.
	Warn func(string)
}

// Serve is the lane process's side of the protocol (see the package
// documentation). It writes its ready line to out, then for each task line
// read from in it runs the task with [batch.Run] (one worker, unpinned: the
// process is already pinned to its lane's CPUs; BLAS threads as the process
// set them) and writes the task's records to out, each as its item finishes
// and whole in one Write, followed by the task's done line.
//
// Serve returns nil at the end of in, ctx.Err() when ctx is cancelled
// (between items; the task is left unfinished and gets no done line), and an
// error for a malformed task line or a failed write to out. Reading in
// continues in a goroutine until in ends, so a cancelled Serve does not
// wait for it.
func Serve(ctx context.Context, in io.Reader, out io.Writer, cfg ServeConfig) error {
	cpus := ""
	if c, err := threads.Affinity(); err == nil {
		cpus = threads.FormatCPUList(c)
	}
	if _, err := out.Write(readyLine(os.Getpid(), cpus, blas.Threads())); err != nil {
		return fmt.Errorf("lane %d: writing: %w", cfg.Lane, err)
	}
	lines := make(chan []byte)
	readErr := make(chan error, 1)
	go func() {
		br := bufio.NewReader(in)
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
				err = fmt.Errorf("task line without a newline: %s", quote(line))
			}
			readErr <- err
			return
		}
	}()
	for {
		var line []byte
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-readErr:
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("lane %d: reading tasks: %w", cfg.Lane, err)
		case line = <-lines:
		}
		var t taskLine
		if err := json.Unmarshal(line, &t); err != nil || t.source().Path == "" || t.First < 0 || t.Count < 0 {
			return fmt.Errorf("lane %d: malformed task line %s", cfg.Lane, quote(line))
		}
		src := t.source()
		if _, err := out.Write([]byte(`{"lane_task_started":` + strconv.Itoa(t.Seq) + "}\n")); err != nil {
			return fmt.Errorf("lane %d: writing: %w", cfg.Lane, err)
		}
		sum, err := batch.Run(ctx, batch.Config{
			Sources:    []batch.Source{src},
			Kernel:     cfg.Kernel,
			LAPACK:     cfg.LAPACK,
			Outer:      1,
			Save:       cfg.Save,
			Out:        out,
			ChunkItems: 1, // a record as each item finishes: Run counts them
			SlabBytes:  8, // so a slab holds one item, whatever its size
			FirstLane:  cfg.Lane,
			Warn:       cfg.Warn,
			// One item in flight, none read ahead.
			ReadAhead:    -1,
			MaxItemBytes: cfg.MaxItemBytes,
			ItemBytes:    cfg.ItemBytes,
			Options:      cfg.Options,
			Read:         cfg.Read,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("lane %d: task %d (%s from item %d): %w", cfg.Lane, t.Seq, src.Path, src.First, err)
		}
		done := []byte(`{"lane_task_done":` + strconv.Itoa(t.Seq) + `,"records":` + strconv.Itoa(sum.Items()) + "}\n")
		if _, err := out.Write(done); err != nil {
			return fmt.Errorf("lane %d: writing: %w", cfg.Lane, err)
		}
	}
}
