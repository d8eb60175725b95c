package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/lanes"
	"github.com/blasbatch/blasbatch/matio"
)

// cmdLane is the hidden "lane" command: one worker process of a hybrid
// split (outer > 1 and inner > 1), started by lanes.Run already pinned to its
// CPUs with OPENBLAS_NUM_THREADS set. It reads task lines from stdin, runs
// each with one worker and writes the records and a done line to stdout
// (the protocol of package lanes), and exits 0 at the end of stdin. SIGTERM
// or SIGINT stops it after the current item, with status 1.
func cmdLane(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lane", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernel := fs.String("kernel", "svd", "kernel to run: "+strings.Join(kernels.Names(), ", "))
	save := fs.String("save", "", "also write each item's arrays as .npy files under `DIR`")
	lane := fs.Int("lane", 0, "the lane number written in records")
	fallback := fs.Bool("fallback", false, "retry items whose LAPACK routine did not converge with the other driver")
	shape := fs.String("shape", "", "shape of raw .f64 inputs")
	repeat := fs.Int("repeat", 0, "hadamard: squarings (0: the default)")
	symmetrize := fs.Bool("symmetrize", false, "eigh: use (A+Aᵀ)/2")
	maxItem := fs.Int64("max-item-bytes", 0, "fail items that need more memory than this (0: no limit)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: blasbatch lane [flags]\n\nA worker process of a hybrid split, started by blasbatch run; not for direct use.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch lane: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected arguments %q", fs.Args())
	}
	spec, err := kernels.Lookup(*kernel)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if err := blas.Runtime().Check(1); err != nil {
		return fail(exitFailed, "%v", err)
	}
	// OpenBLAS read OPENBLAS_NUM_THREADS when it loaded; set it again so the
	// count in effect is the one the parent chose, whatever the library's
	// own reading of the environment.
	if v, ok := os.LookupEnv("OPENBLAS_NUM_THREADS"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fail(exitUsage, "OPENBLAS_NUM_THREADS=%q is not a positive number", v)
		}
		blas.SetThreads(n)
	}

	var read matio.Options
	if *shape != "" {
		sh, err := matio.ParseShape(*shape)
		if err != nil {
			return fail(exitUsage, "-shape: %v", err)
		}
		read.Shape = sh
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = lanes.Serve(ctx, stdin, stdout, lanes.ServeConfig{
		Kernel:       spec,
		Save:         *save,
		Lane:         *lane,
		Warn:         func(s string) { fmt.Fprintf(stderr, "blasbatch lane: warning: %s\n", s) },
		MaxItemBytes: *maxItem,
		Options:      kernels.Options{Fallback: *fallback, Symmetrize: *symmetrize, Repeat: *repeat},
		Read:         read,
		ItemBytes:    spec.ItemBytes,
	})
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		return exitFailed
	}
	return fail(exitFailed, "%v", err)
}
