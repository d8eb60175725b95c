// Package blasbatch runs work over every item of many files, on every
// core: a dense linear algebra kernel (one of package kernels', or the
// caller's own kernels.Spec) over every matrix, or the user's own command,
// persistent worker or Python function over every file (Job.Command). It
// splits the cores between outer workers (items at once, each pinned to
// its own cores) and inner BLAS threads (one item at once), choosing the
// split from the machine's topology and, where asked, by measuring.
//
// A [Job] says what to compute and where the results go; [Run] runs it:
//
//	spec, _ := kernels.Lookup("svd")
//	sum, err := blasbatch.Run(ctx, blasbatch.Job{
//		Kernel:      spec,
//		Inputs:      []string{"data/"},
//		ResultsFile: "results.jsonl",
//	})
//
// The data flows one way: the inputs (files and directories) are expanded
// and their headers scanned, so every item's id and shape is known before
// the first is computed (internal/inputs); the planner chooses the split
// and its phases (internal/plan); each phase runs on lanes — goroutines of
// this process, or worker processes of the same program (internal/lanes) —
// which read their items into bounded slabs (each lane its own; a lone lane
// has a reader ahead of it), a small file through the descriptor the scan
// opened; each item goes through the kernel ([kernels.Worker]); its record
// (package results) goes to the results file as its chunk finishes.
//
// Nothing is lost: the results file is locked for the run, validated before
// a byte of it changes, and written a chunk of whole records at a time;
// an interrupted run (ctx cancelled) finishes the items in flight, and a
// run with Resume skips what the file records as ok. Every item is counted
// once in the [Summary], whatever happened to it.
//
// A kernel of the caller's own is a [kernels.Spec]; to run it on worker
// processes the program's main must call [LaneMain] with it first.
//
// In-process lanes are goroutines locked to their threads that spend their
// time in C calls, each holding one of Go's Ps; a program that leaves
// GOMAXPROCS at its default gains from one more (runtime.GOMAXPROCS(n+1),
// as the blasbatch command does): with every P in a C call the runtime
// takes each back and wakes a thread on every call longer than 20 µs.
package blasbatch
