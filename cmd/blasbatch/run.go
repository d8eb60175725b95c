package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
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
	resume       bool
	sync         string
	maxMemory    string
	fallback     bool
	symmetrize   bool
	repeat       int
	pairs        pairList
	shard        string
	shards       int
}

// newRunFlags defines run's flags on a new flag set; slurm parses the run
// command it wraps with it too.
func newRunFlags(stderr io.Writer) (*flag.FlagSet, *runFlags) {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	fs.StringVar(&f.kernel, "kernel", "svd", "kernel to run: "+strings.Join(kernels.Names(), ", "))
	fs.StringVar(&f.jsonl, "jsonl", "", "write JSON Lines records to `FILE` (default: standard output)")
	fs.StringVar(&f.save, "save", "", "also write each item's arrays (svd: U, S, Vt; see the kernels below) as .npy files under `DIR`")
	fs.IntVar(&f.outer, "outer", 0, "outer workers: matrices computed at once (0: choose)")
	fs.IntVar(&f.inner, "inner", 0, "BLAS threads per matrix (0: choose)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar and no summary line")
	fs.BoolVar(&f.progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	fs.BoolVar(&f.noPin, "no-pin", false, "do not pin outer workers to their own CPUs")
	fs.IntVar(&f.readAhead, "readahead", 2, "chunks of decoded input read ahead of the workers (bounds memory)")
	fs.BoolVar(&f.isolate, "isolate", false, "run every lane as a separate worker process, even for N × 1 splits, so a crash inside native code loses only the item it held")
	fs.BoolVar(&f.verbose, "v", false, "print the plan and its reasons to standard error")
	f.plan.register(fs)
	fs.BoolVar(&f.resume, "resume", false, "continue an interrupted run: skip every item -jsonl FILE records as ok, cut a torn last line, retry failed items, append the rest")
	fs.StringVar(&f.sync, "sync", "interval", "when records are forced to disk: every (each chunk of records), interval (at most once a second), end")
	fs.StringVar(&f.maxMemory, "max-memory", "", "memory for decoded items and workspace in flight, e.g. 4GiB or none (default: the cgroup memory limit or half of RAM, whichever is smaller)")
	fs.BoolVar(&f.fallback, "fallback", false, "when LAPACK's routine does not converge on an item (info > 0), retry it with the slower, more robust driver (svd: dgesvd after dgesdd) and say so in its record (\"fallback\")")
	fs.BoolVar(&f.symmetrize, "symmetrize", false, "eigh: use (A+Aᵀ)/2 for input that is not symmetric (without it such input is an item error)")
	fs.StringVar(&f.shard, "shard", defaultShard(), "run only shard `I/N` of the items (dealt by estimated cost, so one big file spreads across shards); auto: from a Slurm array task's SLURM_ARRAY_TASK_* or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with -shards; results go to FILE.shard-000I-of-000N.jsonl beside -jsonl FILE")
	fs.IntVar(&f.shards, "shards", 0, "with -shard auto in a Kubernetes Indexed Job: the number of shards N")
	fs.Var(&f.pairs, "pair", "a pair of files for a pair kernel (matmul): `A,B` multiplies item i of A by item i of B; repeat the flag for more pairs (an .npz with members a and b is a pair by itself)")
	fs.IntVar(&f.repeat, "repeat", 0, "hadamard: how many times to square the input (0: 100, the question's example)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (for developers)")
	return fs, &f
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs, fp := newRunFlags(stderr)
	f := fp
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch run [flags] FILE|DIR...

Runs a kernel over every matrix in the inputs and writes one JSON Lines
record per matrix, in order of completion. Inputs are .npy files (a 2-D
array is one matrix, a 3-D array of shape (k,m,n) is k matrices, ids
PATH[i]), .npz archives (members PATH:NAME, PATH:NAME[i]), Matrix Market
.mtx, .csv/.tsv, and raw little-endian .f64 (shape from -shape or a
FILE.f64.shape sidecar); a directory stands for its files of those kinds,
sorted. Pair kernels (matmul) take an .npz's members a and b, or -pair A,B.

Splits: -outer N -inner 1 computes N matrices at once, one BLAS thread each;
-outer 1 -inner K gives one matrix K BLAS threads; -outer N -inner K runs N
worker processes ("lanes") of K BLAS threads each, each pinned to its own
cores. Without -outer/-inner the planner chooses (see "blasbatch plan"):
every usable core an outer worker when there are enough matrices, lanes of
several threads when there are fewer matrices than cores, and a tail phase
that gives the last matrices more threads so no core idles.

Interrupting: the first SIGINT (Ctrl-C) or SIGTERM stops taking new items,
finishes those in flight, writes their records and a summary, and exits
130 (SIGINT) or 143 (SIGTERM); a second abandons the items in flight at once.
Run again with -resume to finish: items already recorded as ok are skipped.

Exit status: 0 when every item succeeded, 1 when some failed (a summary
goes to standard error; each failed record says why), 2 on usage errors,
130/143 when interrupted.

Kernels:
`)
		for _, k := range kernels.All() {
			fmt.Fprintf(stderr, "  %-8s %s\n", k.Name, k.Doc)
		}
		fmt.Fprintf(stderr, "\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch run: "+format+"\n", a...)
		return exitUsage
	}
	spec, err := kernels.Lookup(f.kernel)
	if err != nil {
		return usageErr("%v", err)
	}
	if fs.NArg() == 0 && len(f.pairs) == 0 {
		return usageErr("no inputs: give .npy/.npz files or directories (see -h)")
	}
	if len(f.pairs) > 0 && !spec.Pairwise {
		return usageErr("-pair is for pair kernels (matmul); -kernel %s takes one matrix per item", spec.Name)
	}
	if spec.Pairwise && (f.isolate || f.outer > 1 && f.inner > 1) {
		return usageErr("-kernel %s runs in-process only: lanes do not take pairs yet", spec.Name)
	}
	if f.outer < 0 || f.inner < 0 || f.readAhead < 0 {
		return usageErr("-outer, -inner and -readahead cannot be negative")
	}

	if err := f.plan.check(); err != nil {
		return usageErr("%v", err)
	}
	switch f.sync {
	case "every", "interval", "end":
	default:
		return usageErr("-sync %q: want every, interval or end", f.sync)
	}
	budget, err := parseBytes(f.maxMemory)
	if f.maxMemory == "" {
		budget, err = 0, nil
	}
	if err != nil {
		return usageErr("%v", err)
	}

	files, inErrs := matio.Expand(fs.Args())
	host, err := probeHost()
	if err != nil {
		return usageErr("%v", err)
	}
	read, err := f.plan.readOptions()
	if err != nil {
		return usageErr("%v", err)
	}
	pl := planner{host: host, spec: spec, lanes: processLanesAvailable() && !spec.Pairwise, read: read}
	cores := pl.machine().Cores

	if f.maxMemory == "" {
		budget = defaultMemoryBudget(host.usable.Cgroup.MemoryLimit)
	}

	sh, err := parseShard(f.shard, f.shards, os.Getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	if sh.active() && f.jsonl != "" && f.jsonl != "-" {
		f.jsonl = shardPath(f.jsonl, sh)
	}

	// The journal first: with -resume it says which items are done.
	jr, err := openJournal(f.jsonl, f.resume, spec.Name, f.sync, stdout)
	if err != nil {
		if f.resume {
			return usageErr("%v", err)
		}
		fmt.Fprintf(stderr, "blasbatch run: %v\n", err)
		return exitFailed
	}
	ins := append(scanInputs(files, spec, read), scanPairs(f.pairs, spec, read)...)
	if sh.active() {
		applyShard(ins, sh, spec)
		if !f.quiet {
			fmt.Fprintf(stderr, "blasbatch run: shard %d of %d (%s): %d item(s)", sh.index, sh.count, sh.from, totalItems(ins))
			if f.jsonl != "" && f.jsonl != "-" {
				fmt.Fprintf(stderr, ", results in %s", f.jsonl)
			}
			fmt.Fprintln(stderr)
		}
	}
	skipped := 0
	if f.resume {
		skipped = skipDone(ins, jr.isDone)
		if !f.quiet {
			fmt.Fprintf(stderr, "blasbatch run: resuming %s: %d item(s) already ok, %d earlier failure(s) to retry", f.jsonl, len(jr.done), jr.failed)
			if jr.cut > 0 {
				fmt.Fprintf(stderr, ", cut a torn last line of %d bytes", jr.cut)
			}
			fmt.Fprintln(stderr)
		}
	}

	// The plan: the planner's, or the split the flags force (one phase).
	var phases []threads.Phase
	var warnings []string
	ins = bigFirst(ins)
	if f.outer == 0 && f.inner == 0 {
		d, err := decide(pl, ins, f.plan)
		if err != nil {
			fmt.Fprintf(stderr, "blasbatch run: planning: %v\n", err)
			return exitFailed
		}
		phases = d.plan.Phases
		if f.verbose {
			fmt.Fprintf(stderr, "blasbatch run: plan: %s\n", d.plan)
			for _, s := range append(d.plan.Reasons, d.notes...) {
				fmt.Fprintf(stderr, "blasbatch run:   %s\n", s)
			}
		}
	} else {
		split, err := chooseSplit(f.outer, f.inner, totalItems(ins), cores, host.blas, pl.lanes)
		if err != nil {
			return usageErr("%v", err)
		}
		warnings = split.warnings
		phases = []threads.Phase{{Outer: split.outer, Inner: split.inner, Items: totalItems(ins), Process: split.outer > 1 && split.inner > 1}}
	}
	// -isolate changes where lanes run, not the split: every phase on
	// worker processes.
	for i := range phases {
		phases[i].Process = phases[i].Process || f.isolate
		if phases[i].Process && !pl.lanes {
			return usageErr("process lanes are not available in this build")
		}
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

	showBar := !f.quiet && (f.progress || isTerminal(stderr))
	bar := newProgress(stderr, showBar, totalItems(ins)+len(inErrs))

	// Errors found while expanding the arguments (a missing file) are
	// failed items like any other: recorded, counted, never fatal.
	var pre batch.Summary
	for _, e := range inErrs {
		rec := batch.FailureRecord(spec, e)
		jr.Write(rec)
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

	// Signals: the first stops taking new items and lets those in flight
	// finish; the second abandons them.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var first os.Signal
	var sigMu sync.Mutex
	var progressMu sync.Mutex
	var last batch.Summary
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		select {
		case sig := <-sigs:
			sigMu.Lock()
			first = sig
			sigMu.Unlock()
			if !f.quiet {
				fmt.Fprintf(stderr, "\nblasbatch run: %v: finishing the items in flight (again to abandon them)\n", sig)
			}
			cancel()
		case <-stopWatch:
			return
		}
		select {
		case sig := <-sigs:
			jr.Close()
			progressMu.Lock()
			s := last
			progressMu.Unlock()
			fmt.Fprintf(stderr, "blasbatch: abandoned on a second %v: %d ok, %d failed, the rest not done; rerun with -resume to finish\n", sig, s.OK, s.Failed)
			os.Exit(signalExit(sig))
		case <-stopWatch:
		}
	}()

	ex := executor{
		host: host, spec: spec, save: f.save, out: jr, readAhead: f.readAhead, pin: !f.noPin, budget: budget, read: read,
		opt:  kernels.Options{Fallback: f.fallback, Symmetrize: f.symmetrize, Repeat: f.repeat},
		warn: func(s string) { fmt.Fprintf(stderr, "blasbatch run: warning: %s\n", s) },
		progress: func(s batch.Summary) {
			s.OK += pre.OK
			s.Failed += pre.Failed
			progressMu.Lock()
			last = s
			progressMu.Unlock()
			bar.update(s)
		},
	}
	sum, runErr := ex.run(ctx, phases, ins)
	bar.finish()
	if err := jr.Close(); err != nil && runErr == nil {
		runErr = err
	}
	sum.Failed += pre.Failed
	if sum.FirstError == "" {
		sum.FirstError = pre.FirstError
	}
	sigMu.Lock()
	sig := first
	sigMu.Unlock()
	if sig != nil {
		notStarted := totalItems(ins) + len(inErrs) - sum.OK - sum.Failed
		fmt.Fprintf(stderr, "blasbatch: interrupted by %v: %d ok, %d failed, %d not started", sig, sum.OK, sum.Failed, notStarted)
		if f.jsonl != "" && f.jsonl != "-" {
			fmt.Fprintf(stderr, "; rerun with -resume -jsonl %s to finish", f.jsonl)
		}
		fmt.Fprintln(stderr)
		return signalExit(sig)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "blasbatch run: %v\n", runErr)
		return exitFailed
	}
	done := ""
	if f.resume {
		done = fmt.Sprintf(", %d already done", skipped)
	}
	if sum.Failed > 0 {
		fmt.Fprintf(stderr, "blasbatch: %d of %d items failed%s (first: %s)\n", sum.Failed, sum.Items(), done, sum.FirstError)
		return exitFailed
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "blasbatch: %d items ok%s in %.2fs (%s, %s)\n",
			sum.OK, done, sum.Elapsed.Seconds(), describePhases(phases), host.blas.Implementation)
	}
	return exitOK
}

// signalExit is the conventional status of a process stopped by sig:
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailed
}

// pairList is the repeatable -pair A,B flag.
type pairList [][2]string

func (p *pairList) String() string {
	var s []string
	for _, q := range *p {
		s = append(s, q[0]+","+q[1])
	}
	return strings.Join(s, " ")
}

func (p *pairList) Set(v string) error {
	a, b, ok := strings.Cut(v, ",")
	if !ok || a == "" || b == "" {
		return fmt.Errorf("want A,B: two files, comma-separated")
	}
	*p = append(*p, [2]string{a, b})
	return nil
}
