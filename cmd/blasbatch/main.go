// Command blasbatch runs work over large batches of files on every core of
// a machine — and on many machines through Slurm: your own command or
// Python function on every file (exec), or one of eleven dense linear
// algebra kernels on every matrix of NumPy and other matrix files (run). It
// splits the cores between outer lanes (files at once, each pinned to its
// own cores) and inner BLAS threads (one file at once), chooses the split
// from the machine or by measuring, writes one JSON Lines record per item
// as it finishes, and never loses a finished result.
//
// Usage:
//
//	blasbatch run [flags] FILE|DIR...             a kernel over every matrix (.npy, .npz, .mtx, .csv, .tsv, .f64)
//	blasbatch exec [flags] CMD ::: FILE|DIR...    your command on every file; -py MODULE:FUNC a Python function; -worker a persistent worker
//	blasbatch plan [flags] FILE|DIR...            the split run would choose, and why, without running
//	blasbatch scale [flags]                       every outer × inner split timed on a generated workload
//	blasbatch slurm -array N -- run|exec ...      a Slurm array job of shards and its merge job
//	blasbatch merge -jsonl FILE [INPUTS]          join a sharded run's results and check nothing is missing
//	blasbatch env [-json]                         which BLAS, threading model and usable cores
//	blasbatch topo [-json]                        CPU topology, affinity, cgroup quota and cpuset
//	blasbatch gen [flags]                         random matrices as .npy files (the question's workload)
//
// Run "blasbatch COMMAND -h" for a command's flags. Flags take one dash or
// two (-outer 4 and --outer 4 are the same). Exit status: 0 when every item
// succeeded, 1 when some failed or the run failed, 2 for a usage error,
// 128+N when stopped by signal N. The library behind it is package
// github.com/blasbatch/blasbatch.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"

	"github.com/blasbatch/blasbatch"
)

const usage = `blasbatch — your analysis, or dense linear algebra, over batches of files, on every core.

Usage:
  blasbatch run [flags] FILE|DIR...   run a kernel over every matrix (.npy, .npz)
  blasbatch exec [flags] CMD ::: FILE|DIR...  run your own command or Python function (-py MODULE:FUNC) on every file
  blasbatch env [-json]               which BLAS, threading model, usable cores
  blasbatch topo [-json]              CPU topology, affinity, cgroup quota and cpuset
  blasbatch plan [flags] FILE|DIR...  show the split run would choose, and why, without running
  blasbatch scale [flags]             the scaling table: every outer × inner split on a generated workload
  blasbatch slurm -array N -- run|exec ...  write (and -submit) a Slurm array job of shards and its merge job
  blasbatch merge -jsonl FILE [INPUTS] merge a sharded run's results, check nothing is missing
  blasbatch gen [flags]               write random matrices as .npy files (the question's workload)

Run "blasbatch COMMAND -h" for a command's flags. Flags take one or two
dashes: -outer 4 and --outer 4 are the same.
`

// exit statuses
const (
	exitOK     = 0
	exitFailed = 1 // some items failed, or the run itself failed
	exitUsage  = 2
)

func main() {
	spareP()
	// In a worker process of a run, serve the parent and exit.
	blasbatch.LaneMain()
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

// spareP gives the Go scheduler one P more than its default, unless
// GOMAXPROCS is set. Lanes are locked threads that spend their time in C
// calls, each holding a P: with every P in a C call, the runtime takes each
// back after 20 µs and wakes a thread to look for other work, twice per
// item of a kernel that takes longer than that (2000 eigh items of 64² on
// 2 cores: 4352 context switches, 1306 with a spare P, and 7% faster).
// The spare P also runs the results writer beside the lanes. The lanes
// themselves still number the usable cores (the planner's), not GOMAXPROCS.
// A GOMAXPROCS the runtime ignores (not a positive number) counts as unset.
// Setting it stops Go from following later changes of the CPU quota; so
// does the planner, which reads the usable cores once per run.
func spareP() {
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err != nil || n <= 0 {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "exec":
		return cmdExec(args[1:], stdout, stderr)
	case "env":
		return cmdEnv(args[1:], stdout, stderr)
	case "gen":
		return cmdGen(args[1:], stdout, stderr)
	case "scale":
		return cmdScale(args[1:], stdout, stderr)
	case "slurm":
		return cmdSlurm(args[1:], stdout, stderr)
	case "merge":
		return cmdMerge(args[1:], stdout, stderr)
	case "topo":
		return cmdTopo(args[1:], stdout, stderr)
	case "plan":
		return cmdPlan(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "blasbatch: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// parseFlags parses a command's flags. When it returns false the command
// ends with code: 0 after -h (the usage was printed), 2 for a bad flag (the
// flag package printed why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		return exitOK, false
	default:
		return exitUsage, false
	}
}
