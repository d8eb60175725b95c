// Command blasbatch runs dense linear algebra over batches of matrices read
// from many files, splitting the machine's cores between outer workers
// (whole matrices at once) and inner BLAS threads (one matrix at once).
//
// Usage:
//
//	blasbatch run [flags] FILE|DIR...   run a kernel over every matrix
//	blasbatch env [-json]               which BLAS, threads and cores
//	blasbatch gen [flags]               write the question's workload as .npy files
//
// Run "blasbatch COMMAND -h" for a command's flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
)

const usage = `blasbatch — dense linear algebra over batches of matrix files, on every core.

Usage:
  blasbatch run [flags] FILE|DIR...   run a kernel over every matrix (.npy, .npz)
  blasbatch exec [flags] CMD ::: FILE|DIR...  run your own command or Python function (-py MODULE:FUNC) on every file
  blasbatch env [-json]               which BLAS, threading model, usable cores
  blasbatch topo [-json]              CPU topology, affinity, cgroup quota and cpuset
  blasbatch plan [flags] FILE|DIR...  show the split run would choose, and why, without running
  blasbatch scale [flags]             the scaling table: every outer × inner split on a generated workload
  blasbatch slurm -array N -- run ...  write (and -submit) a Slurm array job of shards and its merge job
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
	// In a worker process of a run, serve the parent and exit.
	blasbatch.LaneMain()
	// OpenBLAS's helper threads, made when it loaded, would spin for the
	// first 0.1 s beside whatever this command does; a phase that needs
	// them starts them again.
	blas.StopIdleThreads()
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
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
