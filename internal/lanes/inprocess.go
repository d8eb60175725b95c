package lanes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
	"github.com/blasbatch/blasbatch/threads"
)

// The in-process pipeline: items are decoded into reusable slabs — by
// each lane itself when there are two or more lanes, else by a reader
// ahead of the one lane —, lanes (goroutines, each locked to its OS thread
// and pinned to its CPU when it has one) run the kernel, and the caller's
// goroutine writes each chunk's records. Memory stays bounded: slabs are
// filled only once the writer has given them back, and there are
// Outer+ReadAhead of them, each about SlabBytes or one item, whichever is
// larger. Items travel in chunks (many small matrices share one slab and
// one channel send), so per-item overhead does not dominate batches of
// tiny matrices.

// entry is one item within a chunk: its identity, where its data sits in
// the slab, and why it cannot be computed if it cannot.
type entry struct {
	id         string
	rows, cols int
	off        int
	err        error
	// An integer item of a kernel that takes integers (Spec.Integers):
	// its own elements, in the chunk's raw arena.
	raw    []byte
	signed bool
	bits   int
	// The second matrix of a pair (rows2 > 0), after the first in the slab.
	rows2, cols2, off2 int
}

// chunk is the unit that moves between the stages.
type chunk struct {
	slab    []float64
	raw     []uint64 // the arena of integer items (8-byte aligned)
	rawUsed int      // bytes of raw handed out
	entries []entry
	out     []byte // encoded records, filled by the lane
	ok, bad int
	first   string
}

func (c *chunk) used() int {
	if len(c.entries) == 0 {
		return 0
	}
	e := c.entries[len(c.entries)-1]
	switch {
	case e.raw != nil:
		return e.off // in the raw arena, not the slab
	case e.rows2 > 0:
		return e.off2 + e.rows2*e.cols2
	}
	return e.off + e.rows*e.cols
}

// runInProcess runs tasks on opt.Outer goroutine lanes. See Run.
func runInProcess(ctx context.Context, abandon <-chan struct{}, opt Options, tasks []Task) (Counts, error) {
	impl := opt.LAPACK
	if impl == nil {
		impl = blas.Default()
	}
	outer := max(opt.Outer, 1)
	readAhead := opt.ReadAhead
	switch {
	case readAhead == 0:
		readAhead = 1
	case readAhead < 0:
		readAhead = 0
	}
	slabBytes := opt.SlabBytes
	if slabBytes <= 0 {
		slabBytes = 512 << 10
	}
	chunkItems := opt.ChunkItems
	if chunkItems <= 0 {
		chunkItems = 1024
	}
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	if opt.Inner > 0 {
		// The split is the phase's, not the process's: set it for the
		// phase and put back what was there.
		// With one thread per lane, OpenBLAS's idle helper threads
		// are stopped for the phase: they would spin beside the lanes.
		defer blas.BeginPhase(opt.Inner)()
	}
	stop, cancel := context.WithCancel(ctx)
	defer cancel()

	n := outer + readAhead
	free := make(chan *chunk, n)
	for range n {
		free <- &chunk{}
	}
	todo := make(chan *chunk, n)
	// done is buffered for every chunk, so lanes abandoned mid-chunk never
	// block on it once nobody reads.
	done := make(chan *chunk, n)

	// With two or more lanes each lane reads its own chunks, taking the
	// tasks in turn: reading files from the page cache is CPU work, and a
	// reader beside each lane would hand every chunk across threads (a
	// futex wake and a context switch each way) for nothing, since the
	// lanes' reads already overlap one another's computing. The spare
	// chunks (readAhead) let a lane read on while its last chunk waits to
	// be written. One lane has a reader that fills the spares ahead of it.
	own := outer > 1
	readerDone := make(chan struct{})
	var next atomic.Int64
	read := func(emit func(*chunk)) {
		r := reader{ctx: stop, free: free, emit: emit, slabFloats: max(1, slabBytes/8), chunkItems: chunkItems,
			budget: opt.Budget, spec: opt.Kernel, read: opt.Read}
		r.runShared(tasks, &next)
	}
	if own {
		close(readerDone)
	} else {
		go func() {
			defer close(readerDone)
			defer close(todo)
			read(func(c *chunk) {
				select {
				case todo <- c:
				case <-stop.Done():
				}
			})
		}()
	}

	busy := make([]atomic.Int64, outer) // items of the chunk each lane holds
	var wg sync.WaitGroup
	for l := range outer {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cpu []int
			if l < len(opt.CPUs) && len(opt.CPUs[l]) > 0 && opt.Inner <= 1 {
				cpu = opt.CPUs[l][:1]
			}
			w := worker{lane: opt.FirstLane + l, spec: opt.Kernel, impl: impl, opt: opt, cpus: cpu, busy: &busy[l]}
			chunks := read
			if !own {
				chunks = func(each func(*chunk)) {
					for c := range todo {
						each(c)
					}
				}
			}
			w.run(stop, chunks, done)
		}()
	}
	allDone := make(chan struct{})
	go func() { wg.Wait(); close(allDone) }()

	var c Counts
	var werr error
	handle := func(ch *chunk) {
		// Only records Out took are counted: after a failed write the
		// chunk's items (and every later chunk's) were computed but are
		// written nowhere, so they count as not started, as -resume will
		// see them.
		if werr != nil {
			free <- ch
			return
		}
		ok, bad := ch.ok, ch.bad
		if len(ch.out) > 0 {
			if n, err := out.Write(ch.out); err != nil {
				werr = fmt.Errorf("writing results: %w", err)
				cancel()
				ok, bad = wholeRecords(ch.out[:n])
			}
		}
		c.OK += ok
		c.Failed += bad
		if c.FirstError == "" && bad > 0 {
			c.FirstError = ch.first
		}
		if opt.Progress != nil {
			opt.Progress(c)
		}
		free <- ch // never blocks: free holds every chunk there is
	}
	drain := func() {
		for {
			select {
			case ch := <-done:
				handle(ch)
			default:
				return
			}
		}
	}
	for {
		select {
		case ch := <-done:
			handle(ch)
			continue
		case <-allDone:
			drain()
		case <-abandon:
			// Lanes in the middle of a C call cannot be stopped: what they
			// hold is abandoned (they exit once the call returns, and
			// their chunks are dropped); what is finished is written.
			cancel()
			drain()
			for l := range busy {
				c.Abandoned += int(busy[l].Load())
			}
			return c, errAbandoned(ctx)
		}
		break
	}
	<-readerDone
	if werr == nil {
		werr = ctx.Err()
	}
	return c, werr
}

// errAbandoned is the error of an abandoned phase.
func errAbandoned(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrAbandoned
}

// ErrAbandoned means the caller abandoned the items in flight.
var ErrAbandoned = errors.New("abandoned")

// reader decodes items into chunks taken from free and hands each, once
// full, to emit, on the reader's goroutine.
type reader struct {
	ctx        context.Context
	free       chan *chunk
	emit       func(*chunk)
	slabFloats int
	chunkItems int
	cur        *chunk
	budget     int64
	spec       kernels.Spec
	read       matio.Options
	head       []byte // for direct reads
}

// runShared reads the tasks that next hands out (one each, in order)
// until there are none left.
func (r *reader) runShared(tasks []Task, next *atomic.Int64) {
	for {
		i := int(next.Add(1) - 1)
		if i >= len(tasks) || r.ctx.Err() != nil {
			break
		}
		if r.spec.Pairwise {
			r.pairTask(&tasks[i])
		} else {
			r.task(&tasks[i])
		}
	}
	r.flush()
}

// take returns the current chunk if it has room for n more floats, else
// sends it and takes a fresh one sized for n; nil once ctx is done.
func (r *reader) take(n int) *chunk { return r.takeFor(n, 1) }

// takeFor is take for k items of n floats in all.
func (r *reader) takeFor(n, k int) *chunk {
	c := r.cur
	if c != nil && (len(c.entries)+k > r.chunkItems || (n > 0 && c.used()+n > cap(c.slab))) {
		r.flush()
		c = nil
	}
	if c == nil {
		select {
		case c = <-r.free:
		case <-r.ctx.Done():
			return nil
		}
		c.entries = c.entries[:0]
		c.rawUsed = 0
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
		r.emit(r.cur)
		r.cur = nil
	}
}

// fail adds a failed item; false once ctx is done.
func (r *reader) fail(id string, rows, cols int, err error) bool {
	c := r.take(0)
	if c == nil {
		return false
	}
	c.entries = append(c.entries, entry{id: id, rows: rows, cols: cols, off: c.used(), err: err})
	return true
}

// failRest fails items n… of t, which the file no longer holds.
func (r *reader) failRest(t *Task, n int, cause error) {
	for ; n < t.Count; n++ {
		exp, i := t.expect(n)
		if !r.fail(exp.ID(i), exp.Rows, exp.Cols, cause) {
			return
		}
	}
}

// tooBig reports whether an item of this shape is over the budget, and
// fails it if so.
func (r *reader) tooBig(id string, rows, cols int, need int64) bool {
	if r.budget <= 0 || need <= r.budget {
		return false
	}
	r.fail(id, rows, cols, fmt.Errorf("%w: %d×%d needs about %s with the kernel's workspace and outputs, over the memory budget of %s (-max-memory)",
		ErrTooBig, rows, cols, plan.FormatBytes(need), plan.FormatBytes(r.budget)))
	return true
}

func (r *reader) task(t *Task) {
	done := r.direct(t)
	if done == t.Count {
		return
	}
	if done > 0 {
		rest := *t
		rest.First, rest.Count = t.First+done, t.Count-done
		t = &rest
	}
	t.Kept.Close() // read by name from here on
	f, err := matio.OpenWith(t.Path, r.read)
	if err != nil {
		r.failRest(t, 0, err)
		return
	}
	defer f.Close()
	if err := f.Skip(t.First); err != nil {
		r.failRest(t, 0, changed(t.Path, "it holds fewer items than it did", err))
		return
	}
	for n := 0; n < t.Count && r.ctx.Err() == nil; n++ {
		exp, i := t.expect(n)
		id := exp.ID(i)
		it, err := f.Next()
		switch {
		case err == io.EOF:
			r.failRest(t, n, changed(t.Path, "it no longer holds this item (truncated?)", nil))
			return
		case err != nil:
			// The scan read this item's header: the file changed since.
			r.fail(id, exp.Rows, exp.Cols, changed(t.Path, "it can no longer be read", err))
			continue
		case it.ID != id || it.Rows != exp.Rows || it.Cols != exp.Cols:
			r.fail(id, exp.Rows, exp.Cols, changed(t.Path, fmt.Sprintf("item %d is now %s, %d×%d", t.First+n, it.ID, it.Rows, it.Cols), nil))
			continue
		}
		if r.tooBig(id, it.Rows, it.Cols, r.spec.ItemBytes(it.Rows, it.Cols)) {
			continue
		}
		if r.spec.Integers && it.Integer {
			if !r.readInts(f, t, id, it) {
				return
			}
			continue
		}
		size := it.Rows * it.Cols
		c := r.take(size)
		if c == nil {
			return
		}
		off := c.used()
		if err := f.Read(c.slab[off : off+size]); err != nil {
			if errors.Is(err, matio.ErrTruncated) {
				err = changed(t.Path, "its data ends early", err)
			}
			c.entries = append(c.entries, entry{id: id, rows: it.Rows, cols: it.Cols, off: off, err: err})
			continue
		}
		c.entries = append(c.entries, entry{id: id, rows: it.Rows, cols: it.Cols, off: off})
	}
}

// readInts reads an integer item as its own elements (ReadRaw) into the
// current chunk's raw arena, for a kernel that computes in the array's own
// type; false once ctx is done.
func (r *reader) readInts(f *matio.Reader, t *Task, id string, it matio.Item) bool {
	n := it.Rows * it.Cols * it.Bits / 8
	c := r.take(0)
	if c == nil {
		return false
	}
	if c.rawUsed+n > 8*cap(c.raw) {
		if c.rawUsed > 0 {
			r.flush()
			if c = r.take(0); c == nil {
				return false
			}
		}
		if 8*cap(c.raw) < n {
			c.raw = make([]uint64, (n+7)/8)
		}
	}
	arena := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.raw[:cap(c.raw)]))), 8*cap(c.raw))
	buf := arena[c.rawUsed : c.rawUsed+n : c.rawUsed+n]
	c.rawUsed += (n + 7) &^ 7 // the next item 8-byte aligned too
	e := entry{id: id, rows: it.Rows, cols: it.Cols, off: c.used(), raw: buf, signed: it.Signed, bits: it.Bits}
	if err := f.ReadRaw(buf); err != nil {
		if errors.Is(err, matio.ErrTruncated) {
			err = changed(t.Path, "its data ends early", err)
		}
		e.err = err
	}
	c.entries = append(c.entries, e)
	return true
}

// changed is the error of an item the file no longer holds as scanned.
func changed(path, what string, cause error) error {
	err := fmt.Errorf("%w: %s", ErrChanged, what)
	if cause != nil {
		err = fmt.Errorf("%w: %s: %v", ErrChanged, what, cause)
	}
	return &matio.Error{Path: path, Err: err}
}

// pairTask reads the pairs of t into chunks: item i of each side makes one
// entry holding both matrices.
func (r *reader) pairTask(t *Task) {
	ra, rb, ia, ib, err := inputs.OpenPair(t.Path, t.PairWith, r.read)
	if err != nil {
		r.failRest(t, 0, err)
		return
	}
	defer ra.Close()
	defer rb.Close()
	for i := 0; i < t.First+t.Count && r.ctx.Err() == nil; i++ {
		var errA, errB error
		if i > 0 {
			ia, errA = ra.Next()
			ib, errB = rb.Next()
		}
		if i < t.First {
			continue
		}
		n := i - t.First
		exp, k := t.expect(n)
		id := exp.ID(k)
		switch {
		case errA == io.EOF || errB == io.EOF:
			r.failRest(t, n, changed(t.Path, "it no longer holds this pair", nil))
			return
		case errA != nil:
			r.fail(id, exp.Rows, exp.Cols, changed(t.Path, "it can no longer be read", errA))
			continue
		case errB != nil:
			r.fail(id, exp.Rows, exp.Cols, changed(t.PairWith, "it can no longer be read", errB))
			continue
		case ia.Rows != exp.Rows || ia.Cols != exp.Cols || ib.Rows != exp.Rows2 || ib.Cols != exp.Cols2:
			r.fail(id, exp.Rows, exp.Cols, changed(t.Path, "the pair's shapes changed", nil))
			continue
		}
		if r.tooBig(id, ia.Rows, ia.Cols, r.spec.PairItemBytes(ia.Rows, ia.Cols, ib.Cols)) {
			continue
		}
		na, nb := ia.Rows*ia.Cols, ib.Rows*ib.Cols
		c := r.take(na + nb)
		if c == nil {
			return
		}
		off := c.used()
		if err := ra.Read(c.slab[off : off+na]); err != nil {
			c.entries = append(c.entries, entry{id: id, rows: ia.Rows, cols: ia.Cols, off: off, err: err})
			continue
		}
		if err := rb.Read(c.slab[off+na : off+na+nb]); err != nil {
			c.entries = append(c.entries, entry{id: id, rows: ia.Rows, cols: ia.Cols, off: off, err: err})
			continue
		}
		c.entries = append(c.entries, entry{id: id, rows: ia.Rows, cols: ia.Cols, off: off, rows2: ib.Rows, cols2: ib.Cols, off2: off + na})
	}
}

// worker is one in-process lane: it runs the kernel on the items of each
// chunk and encodes their records.
type worker struct {
	lane int
	spec kernels.Spec
	impl blas.LAPACK
	opt  Options
	cpus []int
	busy *atomic.Int64 // items of the chunk in hand, for abandoning
}

// run computes the chunks chunks hands it (to each, one at a time, on
// run's goroutine) and sends each on done: chunks either receives them from
// a reader or reads them itself. Once ctx is done it computes no new chunk
// (the one in hand is finished): later chunks are sent back uncomputed and
// without records, and the caller counts their items as not started.
func (w *worker) run(ctx context.Context, chunks func(each func(*chunk)), done chan<- *chunk) {
	if len(w.cpus) > 0 {
		// The goroutine keeps its OS thread to the end, so the pinned
		// thread exits with it instead of returning to Go's pool.
		runtime.LockOSThread()
		if err := threads.Pin(w.cpus); err != nil && w.opt.Warn != nil {
			w.opt.Warn(fmt.Sprintf("lane %d runs unpinned: pinning to CPU %v: %v", w.lane, w.cpus, err))
		}
	}
	kw := w.spec.NewWith(w.impl, w.opt.KernelOptions)
	enc := results.NewEncoder(w.spec, w.lane)
	chunks(func(c *chunk) {
		kw = w.process(ctx, kw, &enc, c)
		done <- c
	})
}

// process computes c's items and encodes their records into c.out, and
// returns the kernel worker to go on with (a new one after a panic).
func (w *worker) process(ctx context.Context, kw kernels.Worker, enc *results.Encoder, c *chunk) kernels.Worker {
	save := w.opt.Save != ""
	c.out = c.out[:0]
	c.ok, c.bad, c.first = 0, 0, ""
	if ctx.Err() != nil {
		c.entries = c.entries[:0]
		return kw
	}
	w.busy.Store(int64(len(c.entries)))
	for i := range c.entries {
		e := &c.entries[i]
		var res kernels.Result
		err := e.err
		var secs float64
		if err == nil {
			t0 := time.Now()
			res, err = w.compute(kw, c, e, save)
			secs = time.Since(t0).Seconds()
			var pe *PanicError
			if errors.As(err, &pe) {
				// The worker's state is unknown after a panic: a new one.
				kw = w.spec.NewWith(w.impl, w.opt.KernelOptions)
				if w.opt.Debug != nil {
					w.opt.Debug(fmt.Sprintf("%s: %v\n%s", e.id, pe.Value, pe.Stack))
				}
			}
		}
		if err == nil && save {
			err = saveOutputs(w.opt.Save, e.id, res.Outputs, w.opt.Inputs)
		}
		if err != nil {
			c.bad++
			msg := ItemError(e.id, err)
			if c.first == "" {
				c.first = msg
			}
			c.out = enc.AppendFailure(c.out, e.id, e.rows, e.cols, msg)
			continue
		}
		c.ok++
		c.out = enc.AppendOK(c.out, e.id, e.rows, e.cols, res, secs)
	}
	w.busy.Store(0)
	return kw
}

// compute runs the kernel on one entry, turning a panic into an error.
func (w *worker) compute(kw kernels.Worker, c *chunk, e *entry, save bool) (res kernels.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	if e.raw != nil {
		iw, ok := kw.(kernels.IntWorker)
		if !ok {
			return res, fmt.Errorf("the kernel says it takes integers but its worker is no IntWorker")
		}
		return iw.RunInts(e.rows, e.cols, e.signed, e.bits, e.raw, save)
	}
	a := c.slab[e.off : e.off+e.rows*e.cols]
	if e.rows2 > 0 {
		pw, ok := kw.(kernels.PairWorker)
		if !ok {
			return res, fmt.Errorf("%w: the kernel takes one matrix", inputs.ErrPair)
		}
		return pw.RunPair(e.rows, e.cols, a, e.rows2, e.cols2, c.slab[e.off2:e.off2+e.rows2*e.cols2], save)
	}
	return kw.Run(e.rows, e.cols, a, save)
}

// PanicError is a panic inside a kernel, recovered into its item's error.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("the kernel panicked: %v (the stack is in the debug log: -v)", e.Value)
}

// ItemError is the message of a failed record: it names the item and the
// problem. Reader errors (*matio.Error) already name the file and item.
func ItemError(id string, err error) string {
	var me *matio.Error
	if errors.As(err, &me) {
		return err.Error()
	}
	return id + ": " + err.Error()
}

// wholeRecords counts the whole record lines at the start of b (what a
// short write left in the file), ok and failed.
func wholeRecords(b []byte) (ok, bad int) {
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return ok, bad
		}
		if bytes.Contains(b[:i], []byte(`,"ok":false,`)) {
			bad++
		} else {
			ok++
		}
		b = b[i+1:]
	}
}
