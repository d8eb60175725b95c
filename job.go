package blasbatch

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
	"github.com/blasbatch/blasbatch/threads"
)

// Job describes one batch: what to compute, how to split the cores, and
// where the results go. The zero value of every field is a sensible
// default; a Job with only Inputs set runs the svd kernel with the split
// the planner chooses and discards the records.
type Job struct {
	// Kernel is the operation on each matrix: kernels.Lookup("svd"), or a
	// Spec of the caller's own (see LaneMain for running it on worker
	// processes). The zero Spec means svd.
	Kernel kernels.Spec
	// Options are the kernel's options (fallback, symmetrize, repeat).
	Options kernels.Options
	// Inputs are files and directories, as the command line takes them: a
	// directory stands for its matrix files, sorted; a file named twice
	// (by any path) is computed once. Files the page cache does not hold
	// when they are scanned are read ahead into it, all at once, while the
	// others are scanned (up to an eighth of MaxMemory, 1 GiB at most), so
	// that a directory of files on disk costs the disk's throughput, not a
	// round trip per file; not by a shard or a resumed run, which scan
	// files they do not read.
	Inputs []string
	// Pairs are pairs of files for a pair kernel (matmul): item i of the
	// first times item i of the second.
	Pairs [][2]string
	// Read is how inputs are opened (the shape of raw .f64 files).
	Read matio.Options

	// Command, when not nil, is the user's own analysis, run on every
	// input file instead of Kernel (blasbatch exec): any file is an
	// item, and its record holds what the command printed or the
	// function returned. Recursive descends into directories.
	Command   *Command
	Recursive bool

	// Outer and Inner force the split: Outer items at once, each with
	// Inner BLAS threads. 0 lets the planner choose (either or both).
	Outer, Inner int
	// Isolate runs every phase on worker processes, so a crash inside
	// native code loses only the item it held.
	Isolate bool
	// NoPin leaves in-process workers unpinned.
	NoPin bool
	// Plan says how the planner chooses: PlanEstimate (flop counts and
	// saved wisdom) or PlanMeasure (time trials on real items first; the
	// trial items are kept as results).
	Plan PlanMode
	// Wisdom is the wisdom file; "" means DefaultWisdomPath, "-" none.
	Wisdom string
	// MaxMemory bounds the memory of the items in flight, decoded data and
	// workspace together; 0 means the smaller of the cgroup's memory limit
	// and half of the machine's RAM, negative means no limit. An item that
	// alone needs more fails (its record says so); fewer items are held at
	// once when they are large.
	MaxMemory int64
	// ReadAhead is how many chunks of decoded input may be held beyond one
	// per worker (read ahead of the worker when there is one, else spares
	// a worker reads on into while its last chunk is written); 0 means 1,
	// negative none. It bounds memory.
	ReadAhead int

	// Records receives the JSON Lines records, whole records in each
	// Write, never concurrently, in order of completion; nil discards them.
	Records io.Writer
	// ResultsFile, when not "", is the results file the records also go
	// to, written in place as items finish and held under an exclusive
	// lock for the whole run. Without Resume it is replaced — only if it is
	// empty or starts with a record; with Resume its items recorded ok are
	// skipped and the rest appended. A target that is not a regular file
	// (/dev/null) is written through, not locked.
	ResultsFile string
	Resume      bool
	// Sync says when records are forced to disk (regular files).
	Sync results.SyncMode
	// SaveDir, when not "", receives each item's arrays as .npy files.
	SaveDir string
	// Shard runs only one shard of the items; with ResultsFile its records
	// go to results.ShardPath(ResultsFile, …). The zero Shard runs all.
	Shard Shard

	// Progress, if set, is called with the running totals after each
	// chunk of records.
	Progress func(Progress)
	// Info receives what a user should know about the run as it starts
	// (resuming: how many items are done; a shard's share). Warn receives
	// warnings that change nothing the records say (a file named twice, an
	// oversubscribed split); Debug the details behind them (a kernel
	// panic's stack, what a dead worker process wrote).
	Info, Warn, Debug func(string)
	// Abandon, when closed, gives up the items in flight (see Run).
	Abandon <-chan struct{}

	// LaneExe is the program worker processes run; "" means this one
	// (os.Executable), which must call LaneMain first.
	LaneExe string
}

// Command is the user's own analysis: a command started for each item, a
// persistent worker speaking lines, or a Python function. Every lane runs
// it with the BLAS and OpenMP thread variables (OMP_NUM_THREADS,
// OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, BLIS_NUM_THREADS,
// VECLIB_MAXIMUM_THREADS, NUMEXPR_NUM_THREADS) set to its inner count,
// BLASBATCH_LANE and BLASBATCH_CPUS set, and already pinned to its CPUs,
// which every process it starts inherits.
type Command struct {
	// Args is the command and its arguments. Without Worker it is started
	// once per item: {} stands for the item's path, {/} its base name,
	// {.} the path without its extension, {/.} the base name without it,
	// {//} its directory; with none of them the path is appended. Its
	// standard output is the record's result (a JSON value as it is, other
	// text as a string); a non-zero exit or a signal fails the item.
	Args []string
	// Worker starts Args once per lane and keeps it: blasbatch writes one
	// item path per line on its standard input and reads one line per item
	// from its standard output (a JSON value: the result; {"error": "…"}:
	// a failed item; other text: the result as a string). A worker that
	// dies fails its item and is started again.
	Worker bool
	// Python, when not "", is MODULE:FUNC: blasbatch's own small worker
	// program, one interpreter per lane (PythonExe; "" means python3, with
	// Dir or the current directory first on sys.path), imports MODULE once
	// and calls FUNC(path) for each item. The return value is the result
	// (NumPy scalars and arrays as numbers and lists, NaN and Inf as
	// null); an exception fails the item with its type and message, the
	// traceback's last lines in the record's stderr. Args is ignored.
	Python, PythonExe string
	// Dir is the directory commands run in; "" is this process's.
	Dir string
	// Timeout, when positive, bounds each item: its process group is
	// killed and it fails saying so.
	Timeout time.Duration
	// Retries is how many more times a failed item is tried; its record
	// says how many attempts it took.
	Retries int
	// MaxResult bounds one item's result (0: 16 MiB); a longer one fails
	// the item.
	MaxResult int64
}

// PlanMode says how the planner chooses the split.
type PlanMode int

const (
	// PlanEstimate uses flop counts, refined by saved wisdom.
	PlanEstimate PlanMode = iota
	// PlanMeasure times trials on real items first and saves what they
	// teach as wisdom; the trial items are results like any other.
	PlanMeasure
)

// Shard is shard Index (from 0) of Count. The zero value is no sharding.
type Shard struct{ Index, Count int }

// Active reports whether the shard is part of a sharded run.
func (s Shard) Active() bool { return s.Count > 0 }

// Phase is one stage of a plan: Items items run as Outer lanes of Inner
// threads, in-process or as worker processes.
type Phase = plan.Phase

// Progress is the running state of a run.
type Progress struct {
	// Items is how many items the run computes (after shard and resume);
	// Done how many have a record, of which Failed failed.
	Items, Done, Failed int
	Elapsed             time.Duration
}

// Summary is what a run did. Its counts always add up:
// Items = Skipped + OK + Failed + Abandoned + NotStarted.
type Summary struct {
	// Items is the run's item set (its shard's, with Shard).
	Items int
	// Skipped items were recorded ok by an earlier run (Resume); Retried
	// of the others had been recorded failed.
	Skipped, Retried int
	// OK and Failed items got their record in this run.
	OK, Failed int
	// Abandoned items were in flight when the run was abandoned;
	// NotStarted items were never started (interrupted).
	Abandoned, NotStarted int
	// FirstError is the first failed item's error.
	FirstError string
	// Phases is the split that ran (after the memory budget).
	Phases []Phase
	// Decision is the planner's, with its reasons.
	Decision Decision
	// ResultsFile is the file written (the shard's, with Shard).
	ResultsFile string
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// Decision is how the planner chose the split, and why.
type Decision struct {
	Phases []Phase
	// Seconds is the predicted wall time.
	Seconds float64
	// Reasons say why, in a user's words; Notes what it measured, which
	// costs came from wisdom, what the budget changed.
	Reasons, Notes []string
	// Candidates are the splits considered, best first.
	Candidates []plan.Candidate
	// LaneCPUs holds, per phase and lane, the CPUs it runs on.
	LaneCPUs [][][]int
	// Cores is how many threads the planner keeps busy; Items the items
	// it planned.
	Cores, Items int
	// Usable is what the machine allows this process.
	Usable threads.Usable
}

// ErrJob is wrapped by the errors of a job that cannot run as given — the
// caller's mistake, found before anything is written: an output that is
// one of the inputs, a results file another run holds or that holds
// something else, inputs that hold no item, contradictory fields. A
// command line reports them as usage errors (exit 2).
var ErrJob = errors.New("blasbatch")

// jobError wraps err as a job error.
type jobError struct{ err error }

func (e *jobError) Error() string   { return e.err.Error() }
func (e *jobError) Unwrap() []error { return []error{ErrJob, e.err} }

func jobErr(err error) error { return &jobError{err} }

func jobErrf(format string, a ...any) error { return &jobError{fmt.Errorf(format, a...)} }
