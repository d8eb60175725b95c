// Package lanes runs one phase of a plan: Outer lanes, each computing one
// item at a time with Inner BLAS threads, either as goroutines of this
// process (each locked to its OS thread and pinned to its CPU) or as worker
// processes of the program's own binary (each started pinned to its own
// CPUs, with its own BLAS thread count). [Run] is the parent's side for
// both; [Serve] is a worker process's side.
//
// Data flows one way: tasks (parts of input files) → a reader that decodes
// items ahead of the lanes into bounded slabs → the lanes → encoded records
// → the caller's writer, a chunk of whole records at a time.
package lanes

import (
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/exec"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// Options configure a phase. The zero value of each optional field is a
// sensible default.
type Options struct {
	// Kernel is the kernel to run and KernelOptions its options.
	Kernel        kernels.Spec
	KernelOptions kernels.Options
	// Exec, when not nil, runs the user's command on each item instead
	// of a kernel (worker processes only): each item is a file, its record
	// what the command printed. Kernel then only names the records'
	// "kernel" ("exec").
	Exec *exec.Config
	// LAPACK is the implementation in-process lanes use; nil means
	// blas.Default(). (Worker processes use their own default.)
	LAPACK blas.LAPACK
	// Read is how inputs are opened (the shape of raw .f64 files).
	Read matio.Options
	// Save, if not "", is the directory each item's arrays are written to
	// (see SafeName). Inputs lists the identities of the run's input files:
	// a save file that would be one of them fails its item instead.
	Save   string
	Inputs map[safefile.ID]bool

	// Outer is the number of lanes, and Inner the BLAS threads of each.
	// CPUs, when not nil, holds one CPU set per lane (len(CPUs) == Outer):
	// an in-process lane of one thread is pinned to its one CPU; a worker
	// process is started pinned to its set. nil leaves lanes unpinned.
	Outer, Inner int
	CPUs         [][]int
	// Process runs every lane as a worker process: the binary Exe (with
	// Args), which must call the root package's LaneMain first.
	Process bool
	Exe     string
	Args    []string

	// Budget, if positive, is the memory the items in flight may need
	// together (Spec.ItemBytes each): an item that alone needs more fails
	// with ErrTooBig. Worker processes are handed tasks only while their
	// Task.Bytes fit together (one lane may always work). In process Run
	// cuts nothing: the caller fits Outer and ReadAhead to the budget
	// (plan.FitMemory).
	Budget int64
	// ReadAhead is how many slabs may be filled beyond one per lane: with
	// one lane a reader fills them ahead of it, with more each lane reads
	// its own and the spares let a lane read on while its last slab waits
	// to be written; 0 means 1, negative means none.
	ReadAhead int
	// SlabBytes is the target size of a chunk of small items; 0 means 512
	// KiB. ChunkItems caps the items per chunk; 0 means 1024.
	SlabBytes, ChunkItems int
	// FirstLane is the number of lane 0 in records.
	FirstLane int

	// Out receives the JSON Lines records, whole records in each Write,
	// never concurrently. nil discards them.
	Out io.Writer
	// Progress, if set, is called with the running counts after each
	// chunk of records, from the goroutine that writes them.
	Progress func(Counts)
	// Warn receives one line per problem that does not fail an item (a lane
	// that died and was restarted, a lane that runs unpinned); Debug the
	// details (a panic's stack, what a dead lane wrote on standard error).
	Warn, Debug func(string)
	// OnStart, if set, is told each worker process's lane and pid as it
	// starts (restarts included).
	OnStart func(lane, pid int)
	// Grace is how long worker processes may take to exit once their input
	// is closed at the end of the work before they are killed; 0 means 5s.
	// (An interrupted run waits for the items in flight however long they
	// take; only abandoning kills.)
	Grace time.Duration
	// MemoryLimit is the cgroup's memory limit (0: none), and OOMKills,
	// if set, counts the cgroup's out-of-memory kills: a worker process
	// killed by SIGKILL is then recorded as (probably) out of memory.
	MemoryLimit int64
	OOMKills    func() int64
	// MaxDeaths is how many times in a row a lane process may die without
	// finishing an item before it is not restarted; 0 means 3.
	MaxDeaths int
}

// Task is a part of one input file: Count items from the item at index
// First, all of them items the scan found readable. Runs are the file's
// runs (inputs.File.Runs) from the one holding item First, and Start the
// index in the file of Runs[0]'s first item: they give each item its id
// and the shape it must still have.
type Task struct {
	Path     string       `json:"path"`
	PairWith string       `json:"pair_with,omitempty"`
	First    int          `json:"first"`
	Count    int          `json:"count"`
	Start    int          `json:"start"`
	Runs     []inputs.Run `json:"runs"`
	// Bytes is the memory the task's largest item needs (Spec.ItemBytes).
	Bytes int64 `json:"bytes,omitempty"`
	// Head is inputs.File.Head: with a Direct run, in-process lanes read
	// the task's items into place (one pread) when the file still starts
	// with the bytes that hash to it, and through matio otherwise.
	Head uint64 `json:"-"`
	// Kept is inputs.File.Kept: an in-process reader reads a Direct task
	// from it rather than opening Path again. Worker processes open Path.
	Kept *inputs.Kept `json:"-"`
}

// expect returns the id and shape item First+n of the task must have.
func (t *Task) expect(n int) (inputs.Run, int) {
	i := t.First + n - t.Start
	for _, r := range t.Runs {
		if i < r.Count {
			return r, i
		}
		i -= r.Count
	}
	return inputs.Run{ID0: matio.EscapeID(t.Path) + "[" + strconv.Itoa(t.First+n) + "]"}, 0
}

// ID is the id of item First+n.
func (t *Task) ID(n int) string {
	r, i := t.expect(n)
	return r.ID(i)
}

// Counts are what a phase did.
type Counts struct {
	OK, Failed int
	// Abandoned items were in flight when the phase was abandoned: they got
	// no record.
	Abandoned int
	// FirstError is the first failed item's error, for a summary line.
	FirstError string
}

// Items is OK + Failed: the items that got a record.
func (c Counts) Items() int { return c.OK + c.Failed }

// Add adds d's counts to c (keeping c's first error).
func (c *Counts) Add(d Counts) {
	c.OK += d.OK
	c.Failed += d.Failed
	c.Abandoned += d.Abandoned
	if c.FirstError == "" {
		c.FirstError = d.FirstError
	}
}

// ErrTooBig means an item needs more memory than the budget.
var ErrTooBig = errors.New("item exceeds the memory budget")

// ErrChanged means a file no longer holds the item the scan found there
// (it was truncated or rewritten since).
var ErrChanged = errors.New("the file changed since it was scanned")
