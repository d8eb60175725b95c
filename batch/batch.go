// Package batch runs one kernel over every matrix of many input files: a
// reader decodes items ahead of the workers into reusable slabs, outer
// workers (each an OS thread, optionally pinned to a CPU) run the kernel,
// and a writer emits one JSON Lines record per item in order of completion.
//
// Memory stays bounded: the reader can only fill a slab the writer has given
// back, and there are Outer+ReadAhead slabs, each about SlabBytes or one
// item, whichever is larger.
//
// Items travel in chunks (many small matrices share one slab and one channel
// send), so per-item overhead does not dominate batches of tiny matrices.
package batch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// Config describes one batch run. The zero value of each optional field
// is a sensible default.
type Config struct {
	Inputs []string     // files to read, in order
	Kernel kernels.Spec // the kernel to run
	LAPACK blas.LAPACK  // nil means blas.Default()
	Outer  int          // concurrent workers; 0 means 1
	CPUs   []int        // if non-empty, worker i is pinned to CPUs[i%len(CPUs)]
	Save   string       // directory for --save outputs; "" writes none
	Out    io.Writer    // JSON Lines destination; nil discards records

	// Sources, if non-empty, is read instead of Inputs: parts of files,
	// in order. See [Source].
	Sources []Source

	// ReadAhead is how many slabs the reader may fill beyond one per
	// worker; 0 means 2, negative means none.
	ReadAhead int
	// SlabBytes is the target size of a chunk of small items; 0 means 512 KiB.
	SlabBytes int
	// ChunkItems caps the items per chunk; 0 means 1024. Records are
	// written a chunk at a time, so 1 writes each record as soon as its
	// item is done (what a lane process needs, see package lanes).
	ChunkItems int
	// FirstLane is the lane number of worker 0 in records: worker i
	// reports lane FirstLane+i.
	FirstLane int
	// Options are the kernel's options (fallback, symmetrize, repeat).
	Options kernels.Options
	// Read is how inputs are opened (matio.Options: the shape of raw .f64
	// files).
	Read matio.Options
	// MaxItemBytes, if positive, is the memory one item may need (its data
	// plus the kernel's workspace, as ItemBytes estimates): a larger item is
	// a failed record saying so, and is never decoded.
	MaxItemBytes int64
	// ItemBytes estimates the memory of a rows×cols item; nil means its
	// data alone (8 bytes an element).
	ItemBytes func(rows, cols int) int64

	// Warn, if set, receives warnings that do not fail items (a worker
	// that could not be pinned runs unpinned).
	Warn func(string)
	// Progress, if set, is called from the writer goroutine after each
	// chunk with the running totals.
	Progress func(Summary)

	// testHook, if set, is told +1 when a chunk is taken from the free
	// list and -1 when it is given back.
	testHook func(delta int)
}

// Source selects items of one file: Count items from the item at index
// First, counting items as [matio.Reader.Next] returns them (a bad item or
// .npz member that Next reports as an error is one item). Count 0 means to
// the end of the file. Records keep the items' own identities (PATH[i] with
// i the index in the file, not in the selection).
//
// A file that cannot be opened gives one failed record whatever First is; a
// First beyond the file's items gives none.
type Source struct {
	Path         string
	First, Count int
	// PairWith, for a pairwise kernel (matmul), is the file whose item i
	// pairs with Path's item i; "" means Path is an .npz whose members a
	// and b pair up. Records are "PATH,PAIRWITH" (with "[i]" for stacks),
	// or the .npz's PATH (PATH[i]).
	PairWith string
}

// ErrTooBig means an item needs more memory than Config.MaxItemBytes.
var ErrTooBig = errors.New("item exceeds the memory budget")

// Summary counts what a run did.
type Summary struct {
	OK, Failed int
	// FirstError is the first failed item's record error, for the summary line.
	FirstError string
	Elapsed    time.Duration
}

// Items is the total of processed items.
func (s Summary) Items() int { return s.OK + s.Failed }

// entry is one item within a chunk: its identity, where its data sits in
// the slab, and a reader error if it could not be decoded.
type entry struct {
	id         string
	rows, cols int
	off        int
	err        error
	// The second matrix of a pair (rows2 > 0), after the first in the slab.
	rows2, cols2, off2 int
}

// chunk is the unit that moves between the stages.
type chunk struct {
	slab    []float64
	entries []entry
	out     []byte // encoded records, filled by the worker
	ok, bad int
	first   string
}

func (c *chunk) used() int {
	if len(c.entries) == 0 {
		return 0
	}
	e := c.entries[len(c.entries)-1]
	if e.rows2 > 0 {
		return e.off2 + e.rows2*e.cols2
	}
	return e.off + e.rows*e.cols
}

// maxChunkItems caps items per chunk so progress and load balance stay fine
// grained for tiny matrices.
const maxChunkItems = 1024

// Run processes every item of cfg.Inputs, or of cfg.Sources. It returns the
// summary and an error only for failures of the run itself (writing results,
// creating the save directory, a cancelled context, a negative First or Count
// in a Source); bad items are counted in Summary and reported in their
// records.
func Run(parent context.Context, cfg Config) (Summary, error) {
	start := time.Now()
	impl := cfg.LAPACK
	if impl == nil {
		impl = blas.Default()
	}
	outer := max(cfg.Outer, 1)
	readAhead := cfg.ReadAhead
	switch {
	case readAhead == 0:
		readAhead = 2
	case readAhead < 0:
		readAhead = 0
	}
	slabBytes := cfg.SlabBytes
	if slabBytes <= 0 {
		slabBytes = 512 << 10
	}
	chunkItems := cfg.ChunkItems
	if chunkItems <= 0 {
		chunkItems = maxChunkItems
	}
	sources := cfg.Sources
	if len(sources) == 0 {
		sources = make([]Source, len(cfg.Inputs))
		for i, p := range cfg.Inputs {
			sources[i] = Source{Path: p}
		}
	}
	for _, s := range sources {
		if s.First < 0 || s.Count < 0 {
			return Summary{}, fmt.Errorf("batch: source %s: negative First (%d) or Count (%d)", s.Path, s.First, s.Count)
		}
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	if cfg.Save != "" {
		if err := os.MkdirAll(cfg.Save, 0o755); err != nil {
			return Summary{}, fmt.Errorf("--save: %w", err)
		}
	}
	ctx, cancel := context.WithCancel(parent)
	defer cancel()

	free := make(chan *chunk, outer+readAhead)
	for range outer + readAhead {
		free <- &chunk{}
	}
	todo := make(chan *chunk, outer+readAhead)
	done := make(chan *chunk, outer+readAhead)

	// Reader.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(todo)
		r := reader{ctx: ctx, free: free, todo: todo, slabFloats: max(1, slabBytes/8), chunkItems: chunkItems, hook: cfg.testHook,
			maxBytes: cfg.MaxItemBytes, itemBytes: cfg.ItemBytes, read: cfg.Read, pairwise: cfg.Kernel.Pairwise}
		r.run(sources)
	}()

	// Workers.
	var wg sync.WaitGroup
	for lane := range outer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cpu []int
			if len(cfg.CPUs) > 0 {
				cpu = []int{cfg.CPUs[lane%len(cfg.CPUs)]}
			}
			w := worker{lane: cfg.FirstLane + lane, kernel: cfg.Kernel, impl: impl, save: cfg.Save, cpus: cpu, warn: cfg.Warn, opt: cfg.Options}
			w.run(ctx, todo, done)
		}()
	}
	go func() { wg.Wait(); close(done) }()

	// Writer: this goroutine.
	var sum Summary
	var werr error
	for c := range done {
		if werr == nil && len(c.out) > 0 {
			if _, err := out.Write(c.out); err != nil {
				werr = fmt.Errorf("writing results: %w", err)
				cancel()
			}
		}
		sum.OK += c.ok
		sum.Failed += c.bad
		if sum.FirstError == "" {
			sum.FirstError = c.first
		}
		if cfg.Progress != nil {
			sum.Elapsed = time.Since(start)
			cfg.Progress(sum)
		}
		if cfg.testHook != nil {
			cfg.testHook(-1)
		}
		free <- c // never blocks: free holds every chunk there is
	}
	<-readerDone
	sum.Elapsed = time.Since(start)
	if werr == nil {
		werr = parent.Err()
	}
	return sum, werr
}

// reader decodes items into chunks taken from free and sends them on todo.
type reader struct {
	ctx        context.Context
	free       chan *chunk
	todo       chan<- *chunk
	slabFloats int
	chunkItems int
	cur        *chunk
	hook       func(int)
	maxBytes   int64
	itemBytes  func(rows, cols int) int64
	read       matio.Options
	pairwise   bool
}

func (r *reader) run(sources []Source) {
	for _, s := range sources {
		if r.ctx.Err() != nil {
			return
		}
		r.file(s)
	}
	r.flush()
}

// take returns the current chunk if it has room for n more floats, else
// sends it and takes a fresh one sized for n.
func (r *reader) take(n int) *chunk {
	c := r.cur
	if c != nil && (len(c.entries) >= r.chunkItems || (n > 0 && c.used()+n > cap(c.slab))) {
		r.flush()
		c = nil
	}
	if c == nil {
		select {
		case c = <-r.free:
		case <-r.ctx.Done():
			return nil
		}
		if r.hook != nil {
			r.hook(+1)
		}
		c.entries = c.entries[:0]
		want := max(r.slabFloats, n)
		if cap(c.slab) < want || cap(c.slab) > 2*want && want > r.slabFloats {
			c.slab = make([]float64, want)
		}
		c.slab = c.slab[:cap(c.slab)]
		r.cur = c
	}
	return c
}

func (r *reader) flush() {
	if r.cur != nil && len(r.cur.entries) > 0 {
		select {
		case r.todo <- r.cur:
		case <-r.ctx.Done():
		}
		r.cur = nil
	}
}

func (r *reader) fail(id string, err error) {
	c := r.take(0)
	if c == nil {
		return
	}
	c.entries = append(c.entries, entry{id: id, off: c.used(), err: err})
}

func (r *reader) file(s Source) {
	if r.pairwise {
		r.pairFile(s)
		return
	}
	path := s.Path
	f, err := matio.OpenWith(path, r.read)
	if err != nil {
		r.fail(path, err)
		return
	}
	defer f.Close()
	if err := f.Skip(s.First); err == io.EOF {
		return
	} else if err != nil {
		r.fail(path, err)
		return
	}
	for n := 0; (s.Count == 0 || n < s.Count) && r.ctx.Err() == nil; n++ {
		it, err := f.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			r.fail(matio.ErrorID(path, err), err)
			continue
		}
		if r.maxBytes > 0 {
			need := int64(it.Rows) * int64(it.Cols) * 8
			if r.itemBytes != nil {
				need = r.itemBytes(it.Rows, it.Cols)
			}
			if need > r.maxBytes {
				r.fail(it.ID, fmt.Errorf("%w: %d×%d needs about %d MiB with the kernel's workspace, over the memory budget of %d MiB (-max-memory)", ErrTooBig, it.Rows, it.Cols, need>>20, r.maxBytes>>20))
				continue
			}
		}
		n := it.Rows * it.Cols
		c := r.take(n)
		if c == nil {
			return
		}
		off := c.used()
		if err := f.Read(c.slab[off : off+n]); err != nil {
			c.entries = append(c.entries, entry{id: it.ID, off: off, err: err})
			continue
		}
		c.entries = append(c.entries, entry{id: it.ID, rows: it.Rows, cols: it.Cols, off: off})
	}
}

// worker runs the kernel on the items of each chunk and encodes the records.
type worker struct {
	lane   int
	kernel kernels.Spec
	impl   blas.LAPACK
	save   string
	cpus   []int
	warn   func(string)
	opt    kernels.Options
}

// run computes chunks until todo closes. Once ctx is cancelled it computes
// no new chunk (the one in hand is finished): later chunks are sent back
// uncomputed and without records, so the writer can return them to the
// free list; the caller counts what was not started from its totals.
func (w *worker) run(ctx context.Context, todo <-chan *chunk, done chan<- *chunk) {
	if len(w.cpus) > 0 {
		// The goroutine keeps its OS thread to the end, so the pinned
		// thread exits with it instead of returning to Go's pool.
		runtime.LockOSThread()
		if err := threads.Pin(w.cpus); err != nil && w.warn != nil {
			w.warn(fmt.Sprintf("lane %d runs unpinned: pinning to CPU %v: %v", w.lane, w.cpus, err))
		}
	}
	kw := w.kernel.NewWith(w.impl, w.opt)
	enc := encoder{kernel: w.kernel.Name, field: w.kernel.Field, pairs: w.kernel.Pairs, lane: w.lane}
	for c := range todo {
		c.out = c.out[:0]
		c.ok, c.bad, c.first = 0, 0, ""
		if ctx.Err() != nil {
			done <- c
			continue
		}
		for i := range c.entries {
			e := &c.entries[i]
			var res kernels.Result
			err := e.err
			var secs float64
			if err == nil {
				t0 := time.Now()
				a := c.slab[e.off : e.off+e.rows*e.cols]
				if e.rows2 > 0 {
					res, err = runPair(kw, e, a, c.slab[e.off2:e.off2+e.rows2*e.cols2], w.save != "")
				} else {
					res, err = kw.Run(e.rows, e.cols, a, w.save != "")
				}
				secs = time.Since(t0).Seconds()
			}
			if err == nil && w.save != "" {
				err = saveOutputs(w.save, e.id, res.Outputs)
			}
			if err != nil {
				c.bad++
				msg := itemError(e.id, err)
				if c.first == "" {
					c.first = msg
				}
				c.out = enc.failure(c.out, e.id, e.rows, e.cols, msg)
				continue
			}
			c.ok++
			c.out = enc.success(c.out, e.id, e.rows, e.cols, res, secs)
		}
		done <- c
	}
}

// ItemFailureRecord encodes the JSON Lines record of item id (of shape
// rows×cols, 0×0 if unknown) that failed with msg outside a worker of this
// package, reported as computed by lane. It is what package lanes writes for
// an item lost with a lane process.
func ItemFailureRecord(kernel, id string, rows, cols, lane int, msg string) []byte {
	enc := encoder{kernel: kernel, lane: lane}
	return enc.failure(nil, id, rows, cols, msg)
}

// FailureRecord encodes the JSON Lines record of an input that failed
// before it reached the pipeline (a path that does not exist).
func FailureRecord(spec kernels.Spec, err error) []byte {
	enc := encoder{kernel: spec.Name, field: spec.Field, lane: -1}
	return enc.failure(nil, matio.ErrorID("", err), 0, 0, err.Error())
}

// itemError is the message of a failed record: it names the input and the
// problem. Reader errors already name the file and item.
func itemError(id string, err error) string {
	var me *matio.Error
	if errors.As(err, &me) {
		return err.Error()
	}
	return id + ": " + err.Error()
}

// saveOutputs writes each output as ID.NAME.npy under dir, through a
// temporary file renamed into place so no half-written file is left.
func saveOutputs(dir, id string, outs []kernels.Output) error {
	base := filepath.Join(dir, SafeName(id))
	for _, o := range outs {
		if err := writeNpyAtomic(base+"."+o.Name+".npy", o); err != nil {
			return fmt.Errorf("--save: %w", err)
		}
	}
	return nil
}

func writeNpyAtomic(path string, o kernels.Output) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.npy")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	switch {
	case o.Imag != nil && o.Rows == 0:
		err = matio.WriteNpyComplex1D(f, o.Data, o.Imag)
	case o.Imag != nil:
		err = matio.WriteNpyComplex(f, o.Rows, o.Cols, o.Data, o.Imag, o.Fortran)
	case o.Rows == 0:
		err = matio.WriteNpy1D(f, o.Data)
	default:
		err = matio.WriteNpy(f, o.Rows, o.Cols, o.Data, o.Fortran)
	}
	if err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
