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
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
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
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (for developers)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch run [flags] FILE|DIR...

Runs a kernel over every matrix in the inputs and writes one JSON Lines
record per matrix, in order of completion. Inputs are .npy files (a 2-D
array is one matrix, a 3-D array of shape (k,m,n) is k matrices, ids
PATH[i]) and .npz archives (members PATH:NAME, PATH:NAME[i]); a directory
stands for its .npy and .npz files, sorted.

Splits: -outer N -inner 1 computes N matrices at once, one BLAS thread each;
-outer 1 -inner K gives one matrix K BLAS threads. Without flags, blasbatch
uses every usable core as an outer worker when there are at least as many
matrices as cores, else one worker with every core as BLAS threads.

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

	files, inErrs := matio.Expand(fs.Args())
	host, err := probeHost()
	if err != nil {
		return usageErr("%v", err)
	}
	// Items are counted from the headers (no data is read) when the split
	// depends on it or a progress bar needs its total; otherwise a file
	// stands for at least one item.
	showBar := !f.quiet && (f.progress || isTerminal(stderr))
	items := len(files)
	if showBar || items < host.usable.Limit && (f.outer == 0 || f.inner == 0) {
		items = countItems(files)
	}
	split, err := chooseSplit(f.outer, f.inner, items, host.usable.Limit, host.blas)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := host.blas.Check(split.outer); err != nil {
		fmt.Fprintf(stderr, "blasbatch run: %v\n", err)
		return exitFailed
	}
	if a := cpuAdvice(host.blas); a != "" && !f.quiet {
		split.warnings = append(split.warnings, a)
	}
	for _, w := range split.warnings {
		fmt.Fprintf(stderr, "blasbatch run: warning: %s\n", w)
	}
	blas.SetThreads(split.inner)

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

	cfg := batch.Config{
		Inputs:    files,
		Kernel:    spec,
		Outer:     split.outer,
		Save:      f.save,
		Out:       flushEach{bw},
		ReadAhead: f.readAhead,
		Warn:      func(s string) { fmt.Fprintf(stderr, "blasbatch run: warning: %s\n", s) },
	}
	if !f.noPin && split.inner == 1 && split.outer > 1 && split.outer <= len(host.usable.Preferred) {
		cfg.CPUs = host.usable.Preferred[:split.outer]
	}
	bar := newProgress(stderr, showBar, items+len(inErrs))
	cfg.Progress = bar.update

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
	sum, runErr := batch.Run(ctx, cfg)
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
		fmt.Fprintf(stderr, "blasbatch: %d items ok in %.2fs (%d outer × %d inner, %s)\n",
			sum.OK, sum.Elapsed.Seconds(), split.outer, split.inner, host.blas.Implementation)
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

// countItems reads the headers of files (no data) to count their matrices;
// bad files count as one item each, as they will be reported as one.
func countItems(files []string) int {
	n := 0
	for _, p := range files {
		r, err := matio.Open(p)
		if err != nil {
			n++
			continue
		}
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			n++
		}
		r.Close()
	}
	return n
}
