package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/results"
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
	fs.StringVar(&f.jsonl, "jsonl", "", "write JSON Lines records to `FILE` (default: standard output); held locked for the run; an existing FILE is replaced only if it is empty or holds records")
	fs.StringVar(&f.save, "save", "", "also write each item's arrays (svd: U, S, Vt; see the kernels below) as .npy files under `DIR`")
	fs.IntVar(&f.outer, "outer", 0, "outer workers: matrices computed at once (0: choose)")
	fs.IntVar(&f.inner, "inner", 0, "BLAS threads per matrix (0: choose)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar, no summary line and no notes (warnings and errors are still printed)")
	fs.BoolVar(&f.progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	fs.BoolVar(&f.noPin, "no-pin", false, "do not pin outer workers to their own CPUs")
	fs.IntVar(&f.readAhead, "readahead", 1, "spare chunks of decoded input: read ahead of a single worker, or read into by a worker while its last chunk is written (bounds memory)")
	fs.BoolVar(&f.isolate, "isolate", false, "run every lane as a separate worker process, even for N × 1 splits, so a crash inside native code loses only the item it held")
	fs.BoolVar(&f.verbose, "v", false, "print the plan and its reasons, and the details behind warnings (a dead lane's standard error, a kernel panic's stack), to standard error")
	f.plan.register(fs)
	fs.BoolVar(&f.resume, "resume", false, "continue an interrupted run: skip every item -jsonl FILE records as ok, cut a torn last line, retry failed items, append the rest")
	fs.StringVar(&f.sync, "sync", "interval", "when records are forced to disk: every (each chunk of records), interval (at most once a second), end")
	fs.StringVar(&f.maxMemory, "max-memory", "", "memory for decoded items, outputs and workspace in flight, e.g. 4GiB, or none for no limit (default: the cgroup memory limit or half of RAM, whichever is smaller)")
	fs.BoolVar(&f.fallback, "fallback", false, "when LAPACK's routine does not converge on an item (info > 0), retry it with the slower, more robust driver (svd: dgesvd after dgesdd) and say so in its record (\"fallback\")")
	fs.BoolVar(&f.symmetrize, "symmetrize", false, "eigh: use (A+Aᵀ)/2 for input that is not symmetric (without it such input is an item error)")
	fs.StringVar(&f.shard, "shard", defaultShard(), "run only shard `I/N` of the items (dealt by estimated cost, so one big file spreads across shards); auto: from a Slurm array task's SLURM_ARRAY_TASK_* or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX with -shards; results go to FILE.shard-000I-of-000N.jsonl beside -jsonl FILE")
	fs.IntVar(&f.shards, "shards", 0, "with -shard auto in a Kubernetes Indexed Job: the number of shards N")
	fs.Var(&f.pairs, "pair", "a pair of files for a pair kernel (matmul): `A,B` multiplies item i of A by item i of B; repeat the flag for more pairs (an .npz with members a and b is a pair by itself)")
	fs.IntVar(&f.repeat, "repeat", 0, "hadamard: how many times to square the input (0: 100, the question's example)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the run to `FILE` (for developers)")
	return fs, &f
}

const runUsage = `Usage: blasbatch run [flags] FILE|DIR...

Runs a kernel over every matrix in the inputs and writes one JSON Lines
record per matrix, in order of completion. Inputs are .npy files (a 2-D
array is one matrix, a 3-D array of shape (k,m,n) is k matrices, ids
PATH[i]), .npz archives (members PATH:NAME, PATH:NAME[i]), Matrix Market
.mtx, .csv/.tsv, and raw little-endian .f64 (shape from -shape or a
FILE.f64.shape sidecar); a directory stands for its files of those kinds,
sorted. A file named twice (by any path) is computed once. Pair kernels
(matmul) take an .npz's members a and b, or -pair A,B. Flags may come
before or after the inputs; after "--" everything is an input.

Splits: -outer N -inner 1 computes N matrices at once, one BLAS thread each;
-outer 1 -inner K gives one matrix K BLAS threads; -outer N -inner K runs N
worker processes ("lanes") of K BLAS threads each, each pinned to its own
cores. Without -outer/-inner the planner chooses (see "blasbatch plan"):
every usable core an outer worker when there are enough matrices, lanes of
several threads when there are fewer matrices than cores, and a tail phase
that gives the last matrices more threads so no core idles.

The results file (-jsonl FILE) is locked for the run: a second run on it
fails at once. Without -resume it is replaced, but only if it is empty or
starts with a blasbatch record; it may not be one of the inputs. Records
reach it as items finish, a chunk of whole records at a time.

Interrupting: the first SIGINT (Ctrl-C), SIGTERM or SIGHUP stops taking new
items, finishes those in flight however long they take, writes their
records and a summary, and exits 130, 143 or 129; a second abandons the
items in flight at once. Run again with -resume to finish: items already
recorded as ok are skipped.

Exit status: 0 when every item succeeded, 1 when some failed (a summary
goes to standard error; each failed record says why) or the run itself
failed, 2 on usage errors (a bad flag, a results file that cannot be used,
inputs that hold no matrix), 128+N when stopped by signal N.

Kernels:
`

func cmdRun(args []string, stdout, stderr io.Writer) int {
	// Signals first: planning can take a while (a slow header scan,
	// -plan measure), and an interruption then must still end cleanly.
	sig := watchSignals()
	defer sig.stop()

	fs, f := newRunFlags(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, runUsage)
		for _, k := range kernels.All() {
			fmt.Fprintf(stderr, "  %-8s %s\n", k.Name, k.Doc)
		}
		fmt.Fprintf(stderr, "\nFlags:\n")
		fs.PrintDefaults()
	}
	args, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch run: "+format+"\n", a...)
		return exitUsage
	}
	job, err := f.job(args)
	if err != nil {
		return usageErr("%s", oneLine(err.Error()))
	}
	setMessages(&job, stderr, "run", f.quiet, f.verbose)
	if f.cpuProfile != "" {
		// Written at the end, so that a refused run leaves FILE alone.
		stop, err := startProfile(f.cpuProfile, job)
		if err != nil {
			return usageErr("-cpuprofile: %s", oneLine(err.Error()))
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintf(stderr, "blasbatch run: -cpuprofile: %s\n", oneLine(err.Error()))
			}
		}()
	}
	if job.ResultsFile == "" {
		job.Records = stdout
	}
	return runJob(stderr, "run", "items", f.quiet, f.progress, f.verbose, job, sig)
}

// runJob runs job under sig for command cmd (run or exec, whose items are
// what): a progress bar on stderr unless quiet (even off a terminal with
// showProgress), the first signal's message, and the summary and exit
// status report gives.
func runJob(stderr io.Writer, cmd, what string, quiet, showProgress, verbose bool, job blasbatch.Job, sig *signals) int {
	var bar *progress
	var barMu sync.Mutex
	showBar := !quiet && (showProgress || isTerminal(stderr))
	job.Progress = func(p blasbatch.Progress) {
		barMu.Lock()
		defer barMu.Unlock()
		if bar == nil {
			bar = newProgress(stderr, showBar, p.Items)
		}
		bar.update(p.Done, p.Items)
	}
	job.Abandon = sig.abandon
	sig.onFirst = func(s os.Signal) {
		if !quiet {
			fmt.Fprintf(stderr, "\nblasbatch %s: %v: finishing the %s in flight (again to abandon them)\n", cmd, s, what)
		}
	}
	sum, runErr := blasbatch.Run(sig.ctx, job)
	barMu.Lock()
	if bar != nil {
		bar.finish()
	}
	barMu.Unlock()
	return report(stderr, cmd, quiet, verbose, job, sum, runErr, sig.first())
}

// job turns run's flags and inputs into a Job.
func (f *runFlags) job(args []string) (blasbatch.Job, error) {
	var job blasbatch.Job
	spec, err := kernels.Lookup(f.kernel)
	if err != nil {
		return job, err
	}
	if len(args) == 0 && len(f.pairs) == 0 {
		return job, errors.New("no inputs: give .npy/.npz files or directories (see -h)")
	}
	if f.outer < 0 || f.inner < 0 || f.readAhead < 0 {
		return job, errors.New("-outer, -inner and -readahead cannot be negative")
	}
	opt := kernels.Options{Fallback: f.fallback, Symmetrize: f.symmetrize, Repeat: f.repeat}
	if err := opt.Validate(); err != nil {
		return job, err
	}
	mode, err := f.plan.mode()
	if err != nil {
		return job, err
	}
	sync, err := results.ParseSyncMode(f.sync)
	if err != nil {
		return job, err
	}
	read, err := f.plan.readOptions()
	if err != nil {
		return job, err
	}
	var budget int64
	if f.maxMemory != "" {
		b, err := plan.ParseBytes(f.maxMemory)
		if err != nil {
			return job, fmt.Errorf("-max-memory %w", err)
		}
		budget = b
		if b == 0 {
			budget = -1 // none
		}
	}
	sh, err := parseShard(f.shard, f.shards, os.Getenv)
	if err != nil {
		return job, err
	}
	results := f.jsonl
	if results == "-" {
		results = ""
	}
	if f.resume && results == "" {
		return job, errors.New("-resume needs -jsonl FILE: it reads what FILE already holds")
	}
	job = blasbatch.Job{
		Kernel: spec, Options: opt, Inputs: args, Pairs: f.pairs, Read: read,
		Outer: f.outer, Inner: f.inner, Isolate: f.isolate, NoPin: f.noPin,
		Plan: mode, Wisdom: f.plan.wisdom, MaxMemory: budget, ReadAhead: f.readAhead,
		ResultsFile: results, Resume: f.resume, Sync: sync, SaveDir: f.save, Shard: sh,
	}
	if f.readAhead == 0 {
		job.ReadAhead = -1
	}
	return job, nil
}

// report prints a run's summary line and returns the exit status.
func report(stderr io.Writer, cmd string, quiet, verbose bool, job blasbatch.Job, sum blasbatch.Summary, err error, sig os.Signal) int {
	if verbose {
		d := sum.Decision
		if len(d.Phases) > 0 {
			fmt.Fprintf(stderr, "blasbatch %s: plan: %s\n", cmd, describePhases(d.Phases))
		}
		for _, s := range append(d.Reasons, d.Notes...) {
			fmt.Fprintf(stderr, "blasbatch %s:   %s\n", cmd, s)
		}
	}
	if errors.Is(err, blasbatch.ErrJob) {
		fmt.Fprintf(stderr, "blasbatch %s: %s\n", cmd, oneLine(err.Error()))
		return exitUsage
	}
	where := ""
	unsynced := errors.Is(err, results.ErrSync)
	switch {
	case sum.ResultsFile != "" && unsynced:
		where = ", written to " + inputs.Quote(sum.ResultsFile) + " but perhaps not all of it to disk"
	case sum.ResultsFile != "":
		where = ", recorded in " + inputs.Quote(sum.ResultsFile)
	}
	// Advice to resume only when something is left to do, or may be.
	resume := func() string {
		if sum.ResultsFile == "" || sum.NotStarted+sum.Abandoned == 0 && !unsynced {
			return ""
		}
		return fmt.Sprintf("; rerun with -resume -jsonl %s to finish", inputs.Quote(job.ResultsFile))
	}
	counts := fmt.Sprintf("%d ok, %d failed", sum.OK, sum.Failed)
	if sum.Abandoned > 0 {
		counts += fmt.Sprintf(", %d abandoned", sum.Abandoned)
	}
	counts += fmt.Sprintf(", %d not started", sum.NotStarted)
	if sum.Skipped > 0 {
		counts += fmt.Sprintf(", %d already done", sum.Skipped)
	}
	if sig != nil {
		if sum.Items == 0 && sum.OK+sum.Failed+sum.Skipped == 0 {
			// Stopped while listing, scanning or planning: nothing was
			// computed, and the results file was not touched.
			left := ""
			if sum.ResultsFile != "" {
				left = "; " + inputs.Quote(sum.ResultsFile) + " is as it was"
			}
			fmt.Fprintf(stderr, "blasbatch: interrupted by %v before computing: nothing computed%s\n", sig, left)
			return signalExit(sig)
		}
		fmt.Fprintf(stderr, "blasbatch: interrupted by %v: %s (of %d)%s\n", sig, counts, sum.Items, resume())
		return signalExit(sig)
	}
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch %s: %s\n", cmd, oneLine(err.Error()))
		if sum.OK+sum.Failed > 0 || sum.NotStarted > 0 {
			fmt.Fprintf(stderr, "blasbatch: %s (of %d)%s%s\n", counts, sum.Items, where, resume())
		}
		return exitFailed
	}
	done := ""
	if sum.Skipped > 0 {
		done = fmt.Sprintf(", %d already done", sum.Skipped)
	}
	if sum.Failed > 0 {
		fmt.Fprintf(stderr, "blasbatch: %d of %d items failed%s (first: %s)\n", sum.Failed, sum.OK+sum.Failed, done, oneLine(sum.FirstError))
		return exitFailed
	}
	if !quiet {
		noun := "items"
		if job.Command != nil {
			noun = "files"
		}
		fmt.Fprintf(stderr, "blasbatch: %d %s ok%s in %.2fs (%s)\n", sum.OK, noun, done, sum.Elapsed.Seconds(), describeRun(job, sum))
	}
	return exitOK
}

// describeRun is the summary line's account of the split that ran.
func describeRun(job blasbatch.Job, sum blasbatch.Summary) string {
	phases := sum.Phases
	switch {
	case len(phases) == 0:
		return "nothing to compute"
	case job.Command != nil:
		ph := phases[0]
		return fmt.Sprintf("%d %s of %d %s, each pinned to its own CPUs", ph.Outer, plural(ph.Outer, "lane", "lanes"), ph.Inner, plural(ph.Inner, "thread", "threads"))
	}
	return describePhases(phases)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// describePhases says what a plan's phases are.
func describePhases(phases []blasbatch.Phase) string {
	var s []string
	for i := 0; i < len(phases); i++ {
		first, ph := i == 0, phases[i]
		// Consecutive phases that ran alike (a memory fit can make a
		// planned tail's split the same as the phase before) are one.
		for i+1 < len(phases) && phases[i+1].Outer == ph.Outer && phases[i+1].Inner == ph.Inner && phases[i+1].Process == ph.Process {
			i++
			ph.Items += phases[i].Items
		}
		d := fmt.Sprintf("%d outer × %d inner", ph.Outer, ph.Inner)
		if ph.Process {
			d += " in lane processes"
		}
		if !first {
			d = fmt.Sprintf("then %s for the last %d", d, ph.Items)
		}
		s = append(s, d)
	}
	return strings.Join(s, ", ")
}

// signalExit is the conventional status of a process stopped by sig:
// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM).
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitFailed
}

// signals is the two-stage handling of SIGINT, SIGTERM and SIGHUP: the
// first cancels ctx (finish what is in flight), the second closes abandon.
type signals struct {
	ctx     context.Context
	abandon chan struct{}
	onFirst func(os.Signal)
	ch      chan os.Signal
	done    chan struct{}
	mu      sync.Mutex
	sig     os.Signal
}

func watchSignals() *signals {
	ctx, cancel := context.WithCancel(context.Background())
	s := &signals{ctx: ctx, abandon: make(chan struct{}), ch: make(chan os.Signal, 2), done: make(chan struct{})}
	signal.Notify(s.ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		defer cancel()
		select {
		case sig := <-s.ch:
			s.mu.Lock()
			s.sig = sig
			on := s.onFirst
			s.mu.Unlock()
			if on != nil {
				on(sig)
			}
			cancel()
		case <-s.done:
			return
		}
		select {
		case <-s.ch:
			close(s.abandon)
		case <-s.done:
		}
	}()
	return s
}

func (s *signals) first() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sig
}

func (s *signals) stop() {
	signal.Stop(s.ch)
	close(s.done)
}

// parseInterleaved parses flags that may come before, between or after
// the positional arguments, as GNU tools take them; after "--" everything
// is positional. It returns the positional arguments; ok false means the
// command ends with code (0 after -h, 2 for a bad flag).
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), 0, true
		}
		if len(rest) == 0 {
			return pos, 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
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
