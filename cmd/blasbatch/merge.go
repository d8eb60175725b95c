package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
)

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonl := fs.String("jsonl", "", "the -jsonl `FILE` the shards were run with: reads FILE.shard-*-of-*.jsonl beside it and writes the merged records to FILE")
	kernel := fs.String("kernel", "", "kernel of the records, or exec for a blasbatch exec run (default: the one they name)")
	shape := fs.String("shape", "", "shape of raw .f64 inputs, as run's -shape")
	var pairs pairList
	fs.Var(&pairs, "pair", "a pair of the run's -pair inputs A,B (repeatable)")
	recursive := fs.Bool("recursive", false, "the shards are of an exec run with -recursive: take INPUTS' directories recursively")
	inputsFrom := fs.String("inputs-from", "", "read INPUTS one per line from `FILE` (- for standard input), as exec's -inputs-from")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch merge -jsonl FILE [flags] [INPUTS...]

Merges the results of a sharded run (run -shard I/N -jsonl FILE writes
FILE.shard-000I-of-000N.jsonl) into FILE: one record per item, the ok one
where a resumed or retried shard wrote several. Shard files are found by
name, exactly as run writes them. It checks that every shard is there, that
no shard file ends in a torn line, and that no item was computed ok twice;
given the run's INPUTS, also that every item of the input set has a record
and that no record is of an item outside it. Missing shards, missing
items, unexpected items and failed items are listed on standard error.

FILE is written (atomically) whenever the shard files are one run's; it is
not written when they are not (different shard counts or kernels), nor
when a line is not a record.

Exit status: 0 when the set is complete and every item is ok, 1 when
anything is missing, unexpected or failed, or the shards cannot be merged,
2 on usage errors.

Flags:
`)
		fs.PrintDefaults()
	}
	args, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch merge: "+format+"\n", a...)
		return exitUsage
	}
	if *jsonl == "" || *jsonl == "-" {
		return usageErr("-jsonl FILE is required (see -h)")
	}
	if *inputsFrom != "" {
		if len(args) > 0 {
			return usageErr("give INPUTS or -inputs-from, not both")
		}
		var err error
		if args, err = readInputList(*inputsFrom); err != nil {
			return usageErr("-inputs-from: %v", err)
		}
	}
	job := blasbatch.MergeJob{ResultsFile: *jsonl, Inputs: args, Pairs: pairs, Recursive: *recursive}
	switch *kernel {
	case "":
	case "exec":
		job.Kernel = kernels.Spec{Name: "exec"} // the records of blasbatch exec
	default:
		spec, err := kernels.Lookup(*kernel)
		if err != nil {
			return usageErr("%v", err)
		}
		job.Kernel = spec
	}
	if *shape != "" {
		sh, err := matio.ParseShape(*shape)
		if err != nil {
			return usageErr("-shape: %v", err)
		}
		job.Read.Shape = sh
	}
	sig := watchSignals()
	defer sig.stop()
	rep, err := blasbatch.Merge(sig.ctx, job)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch merge: %s\n", oneLine(err.Error()))
		// FILE itself refused (not a results file, or held by a run): the
		// user's mistake, as for run's -jsonl.
		var je *results.JournalError
		if errors.Is(err, blasbatch.ErrJob) || errors.As(err, &je) && je.Path == *jsonl {
			return exitUsage
		}
		return exitFailed
	}
	fmt.Fprintf(stderr, "blasbatch merge: %d of %d shard file(s) → %s: %d ok, %d failed\n", len(rep.Files), rep.Count, inputs.Quote(*jsonl), rep.OK, rep.Failed)
	if !rep.Complete {
		const show = 20
		for i, p := range rep.Problems {
			if i == show {
				fmt.Fprintf(stderr, "  … and %d more\n", len(rep.Problems)-show)
				break
			}
			fmt.Fprintf(stderr, "  %s\n", oneLine(p))
		}
		fmt.Fprintf(stderr, "blasbatch merge: incomplete: %d problem(s)\n", len(rep.Problems))
		return exitFailed
	}
	return exitOK
}
