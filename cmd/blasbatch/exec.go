package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

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

func cmdExec(args []string, stdout, stderr io.Writer) int {
	sig := watchSignals()
	defer sig.stop()
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonl := fs.String("jsonl", "", "write JSON Lines records to `FILE` (default: standard output); held locked for the run")
	resume := fs.Bool("resume", false, "continue an interrupted run: skip every file -jsonl FILE records as ok, retry the failed ones, append the rest")
	syncMode := fs.String("sync", "interval", "when records are forced to disk: every, interval (at most once a second), end")
	quiet := fs.Bool("quiet", false, "no progress bar and no summary line")
	showProgress := fs.Bool("progress", false, "show the progress bar even when standard error is not a terminal")
	outer := fs.Int("outer", 0, "lanes: files computed at once (0: choose)")
	inner := fs.Int("inner", 0, "threads per lane: the value of OMP_NUM_THREADS and friends (0: choose)")
	var po planOptions
	po.register(fs)
	shardFlag := fs.String("shard", defaultShard(), "run only shard `I/N` of the files, or auto (Slurm array, Kubernetes Indexed Job with -shards); results go to FILE.shard-000I-of-000N.jsonl")
	shards := fs.Int("shards", 0, "with -shard auto in a Kubernetes Indexed Job: the number of shards N")
	timeout := fs.Duration("timeout", 0, "fail a file that takes longer than `DURATION` (30s, 5m), killing its processes")
	retries := fs.Int("retries", 0, "try a failed file up to `N` more times")
	py := fs.String("py", "", "call the Python function `MODULE:FUNC` on each file")
	python := fs.String("python", "python3", "the Python interpreter for -py")
	worker := fs.Bool("worker", false, "start COMMAND once per lane and keep it: one path per line in, one result line out")
	inputsFrom := fs.String("inputs-from", "", "read the inputs one per line from `FILE` (- for standard input)")
	recursive := fs.Bool("recursive", false, "take the files of directories recursively")
	maxResult := fs.Int64("max-result", 16<<20, "the longest result one file may give, in `BYTES`; a longer one fails the file")
	verbose := fs.Bool("v", false, "print the plan and its reasons, and the details behind warnings, to standard error")
	fs.Usage = func() {
		fmt.Fprint(stderr, execUsage)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch exec: "+format+"\n", a...)
		return exitUsage
	}
	rest := fs.Args()
	command, inputs := rest, []string(nil)
	sep := -1
	for i, a := range rest {
		if a == ":::" {
			sep = i
			break
		}
	}
	if sep >= 0 {
		command, inputs = rest[:sep], rest[sep+1:]
	}
	switch {
	case *inputsFrom != "" && sep >= 0:
		return usageErr("give the inputs after ::: or with -inputs-from, not both")
	case *inputsFrom != "":
		var err error
		if inputs, err = readInputList(*inputsFrom); err != nil {
			return usageErr("-inputs-from: %v", err)
		}
	case sep < 0:
		return usageErr("no inputs: give them after ::: (blasbatch exec COMMAND ::: FILE...), or with -inputs-from FILE (see -h)")
	}
	if len(inputs) == 0 {
		return usageErr("no inputs after ::: (or in -inputs-from)")
	}
	if *py != "" && len(command) > 0 {
		return usageErr("-py runs a Python function: give no command beside it (got %q)", command)
	}
	if *py != "" && *worker {
		return usageErr("-py and -worker are two ways to run: give one")
	}
	if *py == "" && len(command) == 0 {
		return usageErr("no command: give the command to run on each file before :::, or -py MODULE:FUNC")
	}
	if *outer < 0 || *inner < 0 || *timeout < 0 || *retries < 0 || *maxResult < 1 {
		return usageErr("-outer, -inner, -timeout and -retries cannot be negative, nor -max-result less than 1")
	}
	mode, err := po.mode()
	if err != nil {
		return usageErr("%v", err)
	}
	syncEvery, err := results.ParseSyncMode(*syncMode)
	if err != nil {
		return usageErr("%v", err)
	}
	sh, err := parseShard(*shardFlag, *shards, os.Getenv)
	if err != nil {
		return usageErr("%v", err)
	}
	res := *jsonl
	if res == "-" {
		res = ""
	}
	if *resume && res == "" {
		return usageErr("-resume needs -jsonl FILE: it reads what FILE already holds")
	}
	job := blasbatch.Job{
		Command: &blasbatch.Command{Args: command, Worker: *worker, Python: *py, PythonExe: *python,
			Timeout: *timeout, Retries: *retries, MaxResult: *maxResult},
		Inputs: inputs, Recursive: *recursive,
		Outer: *outer, Inner: *inner, Plan: mode, Wisdom: po.wisdom,
		ResultsFile: res, Resume: *resume, Sync: syncEvery, Shard: sh, Abandon: sig.abandon,
	}
	if res == "" {
		job.Records = stdout
	}
	if !*quiet {
		job.Info = func(s string) { fmt.Fprintf(stderr, "blasbatch exec: %s\n", s) }
		job.Warn = func(s string) { fmt.Fprintf(stderr, "blasbatch exec: warning: %s\n", s) }
	}
	if *verbose {
		job.Debug = func(s string) { fmt.Fprintf(stderr, "blasbatch exec: debug: %s\n", s) }
	}
	var bar *progress
	var barMu sync.Mutex
	showBar := !*quiet && (*showProgress || isTerminal(stderr))
	job.Progress = func(p blasbatch.Progress) {
		barMu.Lock()
		defer barMu.Unlock()
		if bar == nil {
			bar = newProgress(stderr, showBar, p.Items)
		}
		bar.update(p.Done, p.Items)
	}
	sig.onFirst = func(s os.Signal) {
		if !*quiet {
			fmt.Fprintf(stderr, "\nblasbatch exec: %v: finishing the files in flight (again to abandon them)\n", s)
		}
	}
	sum, runErr := blasbatch.Run(sig.ctx, job)
	barMu.Lock()
	if bar != nil {
		bar.finish()
	}
	barMu.Unlock()
	return report(stderr, "exec", *quiet, *verbose, job, sum, runErr, sig.first())
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
