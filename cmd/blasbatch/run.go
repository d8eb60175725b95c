package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

type runFlags struct {
	kernel       string
	jsonl        string
	save         string
	outer, inner int
	quiet        bool
	progress     bool
	noPin        bool
	readAhead    int
	cpuProfile   string
	isolate      bool
	verbose      bool
	plan         planOptions
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	fs.StringVar(&f.kernel, "kernel", "svd", "kernel to run: "+strings.Join(kernels.Names(), ", "))
	fs.StringVar(&f.jsonl, "jsonl", "", "write JSON Lines records to `FILE` (default: standard output)")
	fs.StringVar(&f.save, "save", "", "also write each item's arrays (svd: U, S, Vt) as .npy files under `DIR`")
	fs.IntVar(&f.outer, "outer", 0, "outer workers: matrices computed at once (0: choose)")
	fs.IntVar(&f.inner, "inner", 0, "BLAS threads per matrix (0: choose)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar and no summary line")
	fs.BoolVar(&f.progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	fs.BoolVar(&f.noPin, "no-pin", false, "do not pin outer workers to their own CPUs")
	fs.IntVar(&f.readAhead, "readahead", 2, "chunks of decoded input read ahead of the workers (bounds memory)")
	fs.BoolVar(&f.isolate, "isolate", false, "run every lane as a separate worker process, even for N × 1 splits, so a crash inside native code loses only the item it held")
	fs.BoolVar(&f.verbose, "v", false, "print the plan and its reasons to standard error")
	f.plan.register(fs)
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (for developers)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch run [flags] FILE|DIR...

Runs a kernel over every matrix in the inputs and writes one JSON Lines
record per matrix, in order of completion. Inputs are .npy files (a 2-D
array is one matrix, a 3-D array of shape (k,m,n) is k matrices, ids
PATH[i]) and .npz archives (members PATH:NAME, PATH:NAME[i]); a directory
stands for its .npy and .npz files, sorted.

Splits: -outer N -inner 1 computes N matrices at once, one BLAS thread each;
-outer 1 -inner K gives one matrix K BLAS threads; -outer N -inner K runs N
worker processes ("lanes") of K BLAS threads each, each pinned to its own
cores. Without -outer/-inner the planner chooses (see "blasbatch plan"):
every usable core an outer worker when there are enough matrices, lanes of
several threads when there are fewer matrices than cores, and a tail phase
that gives the last matrices more threads so no core idles.

Exit status: 0 when every item succeeded, 1 when some failed (a summary
goes to standard error; each failed record says why), 2 on usage errors.

Kernels:
`)
		for _, k := range kernels.All() {
			fmt.Fprintf(stderr, "  %-8s %s\n", k.Name, k.Doc)
		}
		fmt.Fprintf(stderr, "\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch run: "+format+"\n", a...)
		return exitUsage
	}
	spec, err := kernels.Lookup(f.kernel)
	if err != nil {
		return usageErr("%v", err)
	}
	if fs.NArg() == 0 {
		return usageErr("no inputs: give .npy/.npz files or directories (see -h)")
	}
	if f.outer < 0 || f.inner < 0 || f.readAhead < 0 {
		return usageErr("-outer, -inner and -readahead cannot be negative")
	}

	if err := f.plan.check(); err != nil {
		return usageErr("%v", err)
	}

	files, inErrs := matio.Expand(fs.Args())
	host, err := probeHost()
	if err != nil {
		return usageErr("%v", err)
	}
	pl := planner{host: host, spec: spec, lanes: processLanesAvailable()}
	cores := pl.machine().Cores

	// The plan: the planner's, or the split the flags force (one phase).
	var phases []threads.Phase
	var ins []inputFile
	var warnings []string
	if f.outer == 0 && f.inner == 0 && !f.isolate {
		d, err := decide(pl, files, f.plan)
		if err != nil {
			fmt.Fprintf(stderr, "blasbatch run: planning: %v\n", err)
			return exitFailed
		}
		phases, ins = d.plan.Phases, bigFirst(d.ins)
		if f.verbose {
			fmt.Fprintf(stderr, "blasbatch run: plan: %s\n", d.plan)
			for _, s := range append(d.plan.Reasons, d.notes...) {
				fmt.Fprintf(stderr, "blasbatch run:   %s\n", s)
			}
		}
	} else {
		ins = bigFirst(scanInputs(files, spec))
		split, err := chooseSplit(f.outer, f.inner, totalItems(ins), cores, host.blas, pl.lanes)
		if err != nil {
			return usageErr("%v", err)
		}
		warnings = split.warnings
		process := split.outer > 1 && split.inner > 1 || f.isolate
		if process && !pl.lanes {
			return usageErr("process lanes are not available in this build")
		}
		phases = []threads.Phase{{Outer: split.outer, Inner: split.inner, Items: totalItems(ins), Process: process}}
	}
	for _, ph := range phases {
		if ph.Process {
			continue // each lane process is a runtime of its own
		}
		if err := host.blas.Check(ph.Outer); err != nil {
			fmt.Fprintf(stderr, "blasbatch run: %v\n", err)
			return exitFailed
		}
	}
	if a := cpuAdvice(host.blas); a != "" {
		warnings = append(warnings, a)
	}
	if !f.quiet {
		for _, w := range warnings {
			fmt.Fprintf(stderr, "blasbatch run: warning: %s\n", w)
		}
	}

	var out io.Writer = stdout
	var outFile *os.File
	if f.jsonl != "" && f.jsonl != "-" {
		outFile, err = os.OpenFile(f.jsonl, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "blasbatch run: %v\n", err)
			return exitFailed
		}
		out = outFile
	}
	bw := bufio.NewWriterSize(out, 256<<10)
	showBar := !f.quiet && (f.progress || isTerminal(stderr))
	bar := newProgress(stderr, showBar, totalItems(ins)+len(inErrs))

	// Errors found while expanding the arguments (a missing file) are
	// failed items like any other: recorded, counted, never fatal.
	var pre batch.Summary
	for _, e := range inErrs {
		rec := batch.FailureRecord(spec, e)
		bw.Write(rec)
		pre.Failed++
		if pre.FirstError == "" {
			pre.FirstError = e.Error()
		}
	}

	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "blasbatch run: %v\n", err)
			return exitFailed
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "blasbatch run: %v\n", err)
			return exitFailed
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ex := executor{
		host: host, spec: spec, save: f.save, out: flushEach{bw}, readAhead: f.readAhead, pin: !f.noPin,
		warn: func(s string) { fmt.Fprintf(stderr, "blasbatch run: warning: %s\n", s) },
		progress: func(s batch.Summary) {
			s.OK += pre.OK
			s.Failed += pre.Failed
			bar.update(s)
		},
	}
	sum, runErr := ex.run(ctx, phases, ins)
	bar.finish()
	if err := bw.Flush(); err != nil && runErr == nil {
		runErr = err
	}
	if outFile != nil {
		if err := outFile.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	sum.Failed += pre.Failed
	if sum.FirstError == "" {
		sum.FirstError = pre.FirstError
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "blasbatch run: %v\n", runErr)
		return exitFailed
	}
	if sum.Failed > 0 {
		fmt.Fprintf(stderr, "blasbatch: %d of %d items failed (first: %s)\n", sum.Failed, sum.Items(), sum.FirstError)
		return exitFailed
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "blasbatch: %d items ok in %.2fs (%s, %s)\n",
			sum.OK, sum.Elapsed.Seconds(), describePhases(phases), host.blas.Implementation)
	}
	return exitOK
}

// flushEach writes each chunk of records through to the file, so finished
// results reach the disk as they complete rather than when the run ends.
type flushEach struct{ w *bufio.Writer }

func (f flushEach) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.w.Flush()
	}
	return n, err
}
