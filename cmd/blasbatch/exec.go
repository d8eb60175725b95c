package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/results"
)

const execUsage = `Usage: blasbatch exec [flags] COMMAND [ARGS...] ::: FILE|DIR...
       blasbatch exec [flags] -py MODULE:FUNC ::: FILE|DIR...
       blasbatch exec [flags] -worker COMMAND [ARGS...] ::: FILE|DIR...
       ... -inputs-from FILE|- instead of ::: FILE|DIR...

Runs your own analysis on every input file, in parallel on every core, and
writes one JSON Lines record per file, as each finishes. Inputs follow
":::" (files and directories; a directory means its regular files, sorted,
not recursive unless -recursive), or come one per line from -inputs-from
FILE (- for standard input). Any file type: exec does not read the files.

Three ways to run it:
  COMMAND ARGS   started once per file. {} is replaced by the file's path,
                 {/} its base name, {.} the path without its extension,
                 {/.} the base name without it, {//} its directory; with
                 none of them the path is appended. What it prints on
                 standard output is the record's "result" (a JSON value as
                 it is, other text as a string); a non-zero exit or a
                 signal fails the file.
  -py MODULE:FUNC  a Python function: blasbatch's own small worker program
                 (nothing to install beside Python) is started once per
                 lane with -python (default python3), imports MODULE once
                 with the current directory on sys.path, and calls
                 FUNC(path) for each file. The return value is the result
                 (NumPy scalars and arrays become numbers and lists, NaN and
                 Inf null); an exception fails the file with its type and
                 message, the traceback's last lines in "stderr".
  -worker COMMAND  a persistent worker, started once per lane and kept: it
                 reads one file path per line on standard input and writes
                 one line per file on standard output — a JSON value (the
                 result), {"error": "..."} (a failed file) or any other text
                 (the result, as a string).

Threads and cores: the cores are split into lanes (-outer) of -inner
threads each, as run splits them. Every lane is started already pinned to
its own CPUs (one per physical core), which every process it starts
inherits, with OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS,
BLIS_NUM_THREADS, VECLIB_MAXIMUM_THREADS and NUMEXPR_NUM_THREADS set to its
inner count, and BLASBATCH_LANE and BLASBATCH_CPUS to its number and CPU
list. A persistent worker whose library resets its CPU affinity (the
OpenBLAS bug the question hit) is pinned back after its first file, with a
warning. Default split: every core a lane of one thread when there are at
least as many files as cores, else fewer lanes with more threads.
-plan measure times trial waves on real files (kept as results) at 1, 2,
4, … threads a lane, keeps the split with the most files per second, and
saves it as wisdom for this command on this machine.

Records: input, ok, result, error, exit, signal, stderr (last lines),
seconds, lane, attempts. A crash or a non-zero exit fails that file only;
a worker that dies is started again. -resume, -sync, -shard and the two
signals (first: finish the files in flight; second: abandon them) work as
for run. Nothing is left running after blasbatch exits.

Exit status: 0 when every file succeeded, 1 when some failed, 2 on usage
errors, 128+N when stopped by signal N.

Flags:
`

// execFlags are exec's flags; slurm parses the exec command it wraps with
// them too.
type execFlags struct {
	jsonl, syncMode, shard, py, python, inputsFrom      string
	resume, quiet, progress, worker, recursive, verbose bool
	outer, inner, shards, retries                       int
	timeout                                             time.Duration
	maxResult                                           int64
	plan                                                planOptions
}

func newExecFlags(stderr io.Writer) (*flag.FlagSet, *execFlags) {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f execFlags
	fs.StringVar(&f.jsonl, "jsonl", "", "write JSON Lines records to `FILE` (default: standard output); held locked for the run")
	fs.BoolVar(&f.resume, "resume", false, "continue an interrupted run: skip every file -jsonl FILE records as ok, retry the failed ones, append the rest")
	fs.StringVar(&f.syncMode, "sync", "interval", "when records are forced to disk: every, interval (at most once a second), end")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar, no summary line and no notes (warnings and errors are still printed)")
	fs.BoolVar(&f.progress, "progress", false, "show the progress bar even when standard error is not a terminal")
	fs.IntVar(&f.outer, "outer", 0, "lanes: files computed at once (0: choose)")
	fs.IntVar(&f.inner, "inner", 0, "threads per lane: the value of OMP_NUM_THREADS and friends (0: choose)")
	f.plan.register(fs)
	fs.StringVar(&f.shard, "shard", defaultShard(), "run only shard `I/N` of the files, or auto (Slurm array, Kubernetes Indexed Job with -shards); results go to FILE.shard-000I-of-000N.jsonl")
	fs.IntVar(&f.shards, "shards", 0, "with -shard auto in a Kubernetes Indexed Job: the number of shards N")
	fs.DurationVar(&f.timeout, "timeout", 0, "fail a file that takes longer than `DURATION` (30s, 5m), killing its processes")
	fs.IntVar(&f.retries, "retries", 0, "try a failed file up to `N` more times")
	fs.StringVar(&f.py, "py", "", "call the Python function `MODULE:FUNC` on each file")
	fs.StringVar(&f.python, "python", "python3", "the Python interpreter for -py")
	fs.BoolVar(&f.worker, "worker", false, "start COMMAND once per lane and keep it: one path per line in, one result line out")
	fs.StringVar(&f.inputsFrom, "inputs-from", "", "read the inputs one per line from `FILE` (- for standard input)")
	fs.BoolVar(&f.recursive, "recursive", false, "take the files of directories recursively")
	fs.Int64Var(&f.maxResult, "max-result", 16<<20, "the longest result one file may give, in `BYTES`; a longer one fails the file")
	fs.BoolVar(&f.verbose, "v", false, "print the plan and its reasons, and the details behind warnings, to standard error")
	return fs, &f
}

// splitCommand cuts exec's arguments after the flags into the command and
// the inputs after ":::" (sep false when there is no ":::").
func splitCommand(rest []string) (command, inputs []string, sep bool) {
	for i, a := range rest {
		if a == ":::" {
			return rest[:i], rest[i+1:], true
		}
	}
	return rest, nil, false
}

// job turns exec's flags and the arguments after them into a Job; the
// inputs are read from -inputs-from when it is given.
func (f *execFlags) job(rest []string) (blasbatch.Job, error) {
	var job blasbatch.Job
	command, inputs, sep := splitCommand(rest)
	switch {
	case f.inputsFrom != "" && sep:
		return job, errors.New("give the inputs after ::: or with -inputs-from, not both")
	case f.inputsFrom != "":
		var err error
		if inputs, err = readInputList(f.inputsFrom); err != nil {
			return job, fmt.Errorf("-inputs-from: %v", err)
		}
	case !sep:
		return job, errors.New("no inputs: give them after ::: (blasbatch exec COMMAND ::: FILE...), or with -inputs-from FILE (see -h)")
	}
	switch {
	case len(inputs) == 0:
		return job, errors.New("no inputs after ::: (or in -inputs-from)")
	case f.py != "" && len(command) > 0:
		return job, fmt.Errorf("-py runs a Python function: give no command beside it (got %q)", command)
	case f.py != "" && f.worker:
		return job, errors.New("-py and -worker are two ways to run: give one")
	case f.py == "" && len(command) == 0:
		return job, errors.New("no command: give the command to run on each file before :::, or -py MODULE:FUNC")
	case f.outer < 0 || f.inner < 0 || f.timeout < 0 || f.retries < 0 || f.maxResult < 1:
		return job, errors.New("-outer, -inner, -timeout and -retries cannot be negative, nor -max-result less than 1")
	}
	mode, err := f.plan.mode()
	if err != nil {
		return job, err
	}
	syncEvery, err := results.ParseSyncMode(f.syncMode)
	if err != nil {
		return job, err
	}
	sh, err := parseShard(f.shard, f.shards, os.Getenv)
	if err != nil {
		return job, err
	}
	res := f.jsonl
	if res == "-" {
		res = ""
	}
	if f.resume && res == "" {
		return job, errors.New("-resume needs -jsonl FILE: it reads what FILE already holds")
	}
	return blasbatch.Job{
		Command: &blasbatch.Command{Args: command, Worker: f.worker, Python: f.py, PythonExe: f.python,
			Timeout: f.timeout, Retries: f.retries, MaxResult: f.maxResult},
		Inputs: inputs, Recursive: f.recursive,
		Outer: f.outer, Inner: f.inner, Plan: mode, Wisdom: f.plan.wisdom,
		ResultsFile: res, Resume: f.resume, Sync: syncEvery, Shard: sh,
	}, nil
}

func cmdExec(args []string, stdout, stderr io.Writer) int {
	sig := watchSignals()
	defer sig.stop()
	fs, f := newExecFlags(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, execUsage)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	job, err := f.job(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch exec: %s\n", oneLine(err.Error()))
		return exitUsage
	}
	if job.ResultsFile == "" {
		job.Records = stdout
	}
	setMessages(&job, stderr, "exec", f.quiet, f.verbose)
	return runJob(stderr, "exec", "files", f.quiet, f.progress, f.verbose, job, sig)
}

// readInputList reads one path per line (a trailing "\r" dropped, blank
// lines skipped) from a file or, for "-", standard input.
func readInputList(name string) ([]string, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := strings.TrimSuffix(sc.Text(), "\r"); line != "" {
			out = append(out, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no paths in it")
	}
	return out, nil
}
