package blasbatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/results"
)

// Run runs the job and returns what it did.
//
// It expands and scans the inputs (headers only), plans the split, and runs
// the plan's phases, in-process or on worker processes; each item's record
// goes to job.Records and job.ResultsFile as it finishes (a chunk of whole
// records at a time). Nothing is written before the plan is made: a job
// that cannot run leaves every file as it was.
//
// Cancelling ctx interrupts the run: no new item is started, the items in
// flight are finished and recorded however long they take, and Run returns
// ctx's error with a Summary that counts the rest as not started (a run
// with Resume finishes them). Closing job.Abandon, after or instead, gives
// up the items in flight: worker processes are killed, in-process workers
// are left to finish their C call with their records dropped (their
// goroutines end when it returns), and Run returns at once.
//
// Errors: a job that cannot run as given wraps ErrJob (see there), and is
// found before anything is written; a failure while running (writing the
// results, no worker process left) is returned with the Summary of what
// was done. A bad item is never an error: it is a failed record, counted in
// Summary.Failed, and never stops the others. Whatever happens, every item
// of the run is counted once in the Summary.
func Run(ctx context.Context, job Job) (Summary, error) {
	r, err := prepare(ctx, job, true)
	if err != nil {
		if r != nil {
			r.abort()
			r.sum.NotStarted = r.sum.Items - r.sum.Skipped
			r.sum.Elapsed = time.Since(r.start)
			return r.sum, err
		}
		return Summary{}, err
	}
	return r.execute(ctx)
}

// run is one Run's state.
type run struct {
	job Job
	// explain: no run follows (Explain), so measuring may take as long
	// as it needs.
	explain bool
	spec    kernels.Spec
	host    host
	start   time.Time
	set     inputs.Set
	ids     map[safefile.ID]bool
	journal *results.Journal
	saveDir *os.File // held under its lock for the run
	budget  int64
	sum     Summary

	mu  sync.Mutex // serialises out
	out io.Writer
}

func (r *run) warn(s string) {
	if r.job.Warn != nil {
		r.job.Warn(s)
	}
}

func (r *run) info(s string) {
	if r.job.Info != nil {
		r.job.Info(s)
	}
}

func (r *run) debug(s string) {
	if r.job.Debug != nil {
		r.job.Debug(s)
	}
}

// prepare does everything that can fail before the first record. With
// readAhead, the files not in memory are read ahead while they are scanned,
// for the run that reads them next (Explain reads only their headers).
func prepare(ctx context.Context, job Job, readAhead bool) (*run, error) {
	r := &run{job: job, start: time.Now(), spec: job.Kernel}
	switch {
	case job.Command != nil:
		r.spec = kernels.Spec{Name: "exec"}
	case r.spec.Name == "":
		r.spec, _ = kernels.Lookup("svd")
	}
	if err := checkJob(job, r.spec); err != nil {
		return nil, err
	}
	// The machine (sysfs, cgroups, the BLAS loaded: a millisecond or two of
	// small reads) is read while the inputs are listed.
	type probed struct {
		h   host
		err error
	}
	hostc := make(chan probed, 1)
	go func() {
		h, err := probeHost()
		hostc <- probed{h, err}
	}()

	// The inputs, by identity.
	opt := inputs.Options{Read: job.Read, AnyFile: job.Command != nil, Recursive: job.Recursive, KeepOpen: true}
	// The listing opens small matrix files for the scan (and the scan
	// keeps them open for the readers): what neither took is closed here.
	listing := inputs.List(job.Inputs, opt)
	defer listing.Close()
	p := <-hostc
	if p.err != nil {
		return nil, p.err
	}
	r.host = p.h
	r.budget = job.MaxMemory
	switch {
	case r.budget == 0:
		r.budget = defaultMemoryBudget(r.host.usable.Cgroup.MemoryLimit)
	case r.budget < 0:
		r.budget = 0
	}
	for _, w := range listing.Warnings {
		r.warn(w)
	}
	r.ids = map[safefile.ID]bool{}
	for _, id := range listing.IDs {
		if id != (safefile.ID{}) {
			r.ids[id] = true
		}
	}
	for _, p := range job.Pairs {
		for _, q := range p {
			if id, err := safefile.Identity(q); err == nil {
				r.ids[id] = true
			}
		}
	}

	// The results file: locked and checked now, changed only once the
	// plan is made.
	if path := job.ResultsFile; path != "" {
		if job.Shard.Active() {
			if _, fi, err := safefile.Resolve(path); err == nil && fi != nil && !fi.Mode().IsRegular() {
				return nil, jobErrf("a sharded run writes FILE.shard-I-of-N.jsonl beside its results file, so it needs a regular file, not %s", inputs.Quote(path))
			}
			path = results.ShardPath(path, job.Shard.Index, job.Shard.Count)
		}
		if id, err := safefile.Identity(path); err == nil && r.ids[id] {
			return nil, jobErrf("the results file %s is one of the inputs: give another -jsonl FILE", inputs.Quote(path))
		}
		j, err := results.OpenJournal(path, results.JournalOptions{Resume: job.Resume, Kernel: r.spec.Name, Sync: job.Sync})
		if err != nil {
			return nil, jobErr(err)
		}
		r.journal = j
		r.sum.ResultsFile = path
	} else if job.Resume {
		return nil, jobErrf("resuming needs a results file: it reads what the file already holds")
	}
	if job.SaveDir != "" {
		if err := r.lockSaveDir(); err != nil {
			return r, err
		}
	}

	// The items, from the headers.
	if err := ctx.Err(); err != nil {
		return r, err
	}
	var err error
	if readAhead && job.Command == nil && !job.Resume && !job.Shard.Active() {
		// Files that are not in memory are read ahead while the scan goes
		// on (inputs.Listing.Prefetch), up to an eighth of the memory
		// budget and at most 1 GiB: what is read ahead waits in the page
		// cache until the readers come to it. Only when every file scanned
		// is read: not for a shard (the others' files are scanned too), nor
		// when resuming (the files done are scanned too); and a command
		// reads its files itself, when it likes.
		listing.Prefetch = 1 << 30 // also with no memory budget (0)
		if r.budget > 0 {
			listing.Prefetch = min(r.budget/8, 1<<30)
		}
	}
	if r.set, err = listing.Scan(ctx, r.spec.Pairwise); err != nil {
		return r, err
	}
	r.set.Append(inputs.ScanPairs(job.Pairs, opt))
	if r.set.Items() == 0 {
		what := "matrix files (.npy, .npz, .mtx, .csv, .tsv, .f64)"
		if job.Command != nil {
			what = "files"
		}
		return r, jobErrf("no items: %s hold%s no %s", quoteList(job.Inputs), map[bool]string{true: "s", false: ""}[len(job.Inputs) == 1], what)
	}
	if job.SaveDir != "" {
		if err := r.checkSaveDir(); err != nil {
			return r, err
		}
	}
	if job.Shard.Active() {
		r.applyShard()
		where := ""
		if r.sum.ResultsFile != "" {
			where = ", results in " + inputs.Quote(r.sum.ResultsFile)
		}
		r.info(fmt.Sprintf("shard %d of %d: %d of %d item(s)%s", job.Shard.Index, job.Shard.Count, r.set.Todo(), r.set.Items(), where))
	}
	r.sum.Items = r.set.Todo()
	if job.Resume && r.journal != nil {
		r.sum.Skipped, r.sum.Retried = r.skipDone()
		msg := fmt.Sprintf("resuming %s: %d item(s) already ok, %d earlier failure(s) to retry, %d not yet run (of %d)",
			inputs.Quote(r.sum.ResultsFile), r.sum.Skipped, r.sum.Retried, r.sum.Items-r.sum.Skipped-r.sum.Retried, r.sum.Items)
		if n := r.journal.Torn(); n > 0 {
			msg += fmt.Sprintf("; cut a torn last line of %d bytes", n)
		}
		r.info(msg)
	}
	return r, nil
}

// checkJob refuses what cannot run as asked.
func checkJob(job Job, spec kernels.Spec) error {
	if c := job.Command; c != nil {
		switch {
		case c.Python == "" && len(c.Args) == 0:
			return jobErrf("no command: give the command to run on each file, or a Python function MODULE:FUNC")
		case c.Python != "" && !validFunction(c.Python):
			return jobErrf("-py %q: want MODULE:FUNC, such as mylib.analysis:analyze", c.Python)
		case c.Timeout < 0 || c.Retries < 0 || c.MaxResult < 0:
			return jobErrf("-timeout, -retries and -max-result cannot be negative")
		case len(job.Pairs) > 0:
			return jobErrf("-pair is for pair kernels, not commands")
		}
		if job.Outer < 0 || job.Inner < 0 {
			return jobErrf("-outer and -inner cannot be negative")
		}
		if len(job.Inputs) == 0 {
			return jobErrf("no inputs: give files or directories after :::, or -inputs-from FILE")
		}
		return nil
	}
	if spec.NewWith == nil {
		return jobErrf("kernel %q has no NewWith: nothing to compute with", spec.Name)
	}
	if err := job.Options.Validate(); err != nil {
		return jobErr(err)
	}
	if job.Outer < 0 || job.Inner < 0 {
		return jobErrf("-outer and -inner cannot be negative")
	}
	if len(job.Inputs) == 0 && len(job.Pairs) == 0 {
		return jobErrf("no inputs: give .npy/.npz files or directories")
	}
	if len(job.Pairs) > 0 && !spec.Pairwise {
		return jobErrf("-pair is for pair kernels (matmul); -kernel %s takes one matrix per item", spec.Name)
	}
	if spec.Pairwise && (job.Isolate || job.Outer > 1 && job.Inner > 1) {
		return jobErrf("-kernel %s runs in-process only: worker processes do not take pairs yet", spec.Name)
	}
	if job.Shard.Active() && (job.Shard.Index < 0 || job.Shard.Index >= job.Shard.Count) {
		return jobErrf("shard %d of %d: want 0 ≤ index < count", job.Shard.Index, job.Shard.Count)
	}
	return nil
}

// lockSaveDir creates the save directory if needed, takes its lock (no
// other run may write into it meanwhile), removes what a killed run left
// there, and checks that it can be written.
func (r *run) lockSaveDir() error {
	dir := r.job.SaveDir
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return jobErrf("--save %s: %v", inputs.Quote(dir), unwrapPath(err))
	}
	d, err := os.Open(dir)
	if err != nil {
		return jobErrf("--save %s: %v", inputs.Quote(dir), unwrapPath(err))
	}
	if err := safefile.TryLock(d); err != nil {
		d.Close()
		if errors.Is(err, safefile.ErrLocked) {
			return jobErrf("--save %s: another blasbatch run is writing into it", inputs.Quote(dir))
		}
		return jobErrf("--save %s: %v", inputs.Quote(dir), err)
	}
	r.saveDir = d
	if n, err := safefile.CleanTemps(dir); err == nil && n > 0 {
		r.warn(fmt.Sprintf("--save %s: removed %d temporary file(s) a killed run left", inputs.Quote(dir), n))
	}
	probe, err := os.CreateTemp(dir, safefile.TempPrefix+"probe-")
	if err != nil {
		return jobErrf("--save %s cannot be written: %v", inputs.Quote(dir), unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	if free, ok := freeBytes(dir); ok && free < 1<<20 {
		return jobErrf("--save %s: its file system is full (%s free)", inputs.Quote(dir), plan.FormatBytes(free))
	}
	return nil
}

// checkSaveDir refuses, before anything is computed, a save directory
// holding an input under the name of one of this run's save files (a link
// or hard link to it): writing the save file would replace the input.
func (r *run) checkSaveDir() error {
	entries, err := os.ReadDir(r.job.SaveDir)
	if err != nil {
		return nil // lockSaveDir said what was wrong, if anything
	}
	var clash []string
	for _, e := range entries {
		if id, err := safefile.Identity(filepath.Join(r.job.SaveDir, e.Name())); err == nil && r.ids[id] {
			clash = append(clash, e.Name())
		}
	}
	if len(clash) == 0 {
		return nil
	}
	// Only names this run writes matter: SafeName(id).NAME.npy.
	ours := map[string]bool{}
	for _, f := range r.set.Files {
		for _, run := range f.Runs {
			for i := range run.Count {
				ours[lanes.SafeName(run.ID(i))] = true
			}
		}
	}
	for _, name := range clash {
		stem := strings.TrimSuffix(name, ".npy")
		if i := strings.LastIndexByte(stem, '.'); i > 0 && ours[stem[:i]] {
			return jobErrf("--save %s: %s is one of the inputs (a link or hard link to it), and this run would write its save file over it: remove it, or give another DIR",
				inputs.Quote(r.job.SaveDir), inputs.Quote(name))
		}
	}
	return nil
}

// abort gives up a run that never started: nothing it opened is changed.
func (r *run) abort() {
	r.set.Close()
	if r.journal != nil {
		r.journal.Abort()
	}
	r.unlockSave()
}

func (r *run) unlockSave() {
	if r.saveDir != nil {
		safefile.Unlock(r.saveDir)
		r.saveDir.Close()
		r.saveDir = nil
	}
}

// applyShard keeps this shard's items: all items of the set, dealt by
// estimated cost (plan.Deal) from the headers alone.
func (r *run) applyShard() {
	var costs []float64
	for fi := range r.set.Files {
		for _, run := range r.set.Files[fi].Runs {
			c := 1.0 // an unreadable item costs little but must be dealt too
			if run.Err == nil && run.Rows > 0 {
				c = r.flops(run) + 1
			}
			for range run.Count {
				costs = append(costs, c)
			}
		}
	}
	deal := plan.Deal(costs, r.job.Shard.Count)
	k := 0
	for fi := range r.set.Files {
		f := &r.set.Files[fi]
		keep := make([]bool, f.Items)
		for i := range keep {
			keep[i] = deal[k] == r.job.Shard.Index
			k++
		}
		f.Todo = select_(f.Todo, func(i int) bool { return keep[i] })
	}
}

// skipDone drops the items the results file records as ok; it returns how
// many it dropped and how many of the rest it records as failed.
func (r *run) skipDone() (skipped, retried int) {
	for fi := range r.set.Files {
		f := &r.set.Files[fi]
		f.Todo = select_(f.Todo, func(i int) bool {
			run, k, _ := f.Item(i)
			id := run.ID(k)
			switch {
			case r.journal.Done(id):
				skipped++
				return false
			case r.journal.Failed(id):
				retried++
			}
			return true
		})
	}
	return skipped, retried
}

// select_ keeps the items of spans that keep says to.
func select_(spans []inputs.Span, keep func(i int) bool) []inputs.Span {
	var out []inputs.Span
	for _, s := range spans {
		for i := s.First; i < s.First+s.Count; i++ {
			if !keep(i) {
				continue
			}
			if n := len(out); n > 0 && out[n-1].First+out[n-1].Count == i {
				out[n-1].Count++
				continue
			}
			out = append(out, inputs.Span{First: i, Count: 1})
		}
	}
	return out
}

// flops is the estimated cost of one item of run.
func (r *run) flops(run inputs.Run) float64 {
	if run.Rows2 > 0 && r.spec.PairFlops != nil {
		return r.spec.PairFlops(run.Rows, run.Cols, run.Cols2)
	}
	return r.specFlops(run.Rows, run.Cols)
}

// itemBytes is the memory one item of run needs.
func (r *run) itemBytes(run inputs.Run) int64 {
	if run.Rows2 > 0 {
		return r.spec.PairItemBytes(run.Rows, run.Cols, run.Cols2)
	}
	return r.spec.ItemBytes(run.Rows, run.Cols)
}

// specFlops is the kernel's operation count for an m×n item with the
// job's options (Spec.FlopsWith, else Flops), or for a kernel without one
// the cost of a dense factorisation, 2mn·min(m,n).
func (r *run) specFlops(m, n int) float64 {
	switch {
	case r.spec.FlopsWith != nil:
		return r.spec.FlopsWith(m, n, r.job.Options)
	case r.spec.Flops != nil:
		return r.spec.Flops(m, n)
	}
	return 2 * float64(m) * float64(n) * float64(min(m, n))
}

// execute plans and runs the phases.
func (r *run) execute(ctx context.Context) (Summary, error) {
	defer r.unlockSave()
	defer r.set.Close()
	fail := func(err error) (Summary, error) {
		r.abort()
		r.sum.NotStarted = r.sum.Items - r.sum.Skipped
		r.sum.Elapsed = time.Since(r.start)
		return r.sum, err
	}
	tasks, bad := r.tasks()
	var c lanes.Counts
	var phases []Phase
	measure := r.job.Plan == PlanMeasure && r.job.Outer == 0 && r.job.Inner == 0
	if !measure {
		var err error
		if phases, r.sum.Decision, err = r.decide(ctx, &tasks, &c); err != nil {
			return fail(err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}

	// From here on the results file changes.
	var sinks []io.Writer
	if r.journal != nil {
		if err := r.journal.Begin(); err != nil {
			return fail(err)
		}
		sinks = append(sinks, r.journal)
	}
	if r.job.Records != nil {
		sinks = append(sinks, r.job.Records)
	}
	r.out = io.MultiWriter(sinks...)

	var runErr error
	progress := func(d lanes.Counts) {
		if r.job.Progress != nil {
			t := c
			t.Add(d)
			r.job.Progress(Progress{Items: r.sum.Items - r.sum.Skipped, Done: t.Items(), Failed: t.Failed, Elapsed: time.Since(r.start)})
		}
	}
	// Items the scan already knows are bad: their records first.
	if len(bad) > 0 {
		enc := results.NewEncoder(r.spec, -1)
		var b []byte
		for _, e := range bad {
			msg := lanes.ItemError(e.id, e.err)
			b = enc.AppendFailure(b, e.id, e.rows, e.cols, msg)
			c.Failed++
			if c.FirstError == "" {
				c.FirstError = msg
			}
		}
		if _, err := r.write(b); err != nil {
			runErr = err
		}
		progress(lanes.Counts{})
	}
	if measure && runErr == nil {
		var err error
		phases, r.sum.Decision, err = r.decide(ctx, &tasks, &c)
		if err != nil {
			runErr = err
		}
	}

	rest := tasks
	for i, ph := range phases {
		if runErr != nil || ctx.Err() != nil {
			break
		}
		var part []lanes.Task
		if i == len(phases)-1 {
			part, rest = rest, nil
		} else {
			part, rest = takeItems(rest, ph.Items)
		}
		if len(part) == 0 {
			continue
		}
		ran, d, err := r.runPhase(ctx, ph, part, func(d lanes.Counts) { progress(d) })
		r.sum.Phases = append(r.sum.Phases, ran)
		c.Add(d)
		runErr = err
	}
	if r.journal != nil {
		if err := r.journal.Close(); err != nil && runErr == nil {
			runErr = err
		}
	}
	r.sum.OK, r.sum.Failed, r.sum.Abandoned, r.sum.FirstError = c.OK, c.Failed, c.Abandoned, c.FirstError
	r.sum.NotStarted = r.sum.Items - r.sum.Skipped - r.sum.OK - r.sum.Failed - r.sum.Abandoned
	r.sum.Elapsed = time.Since(r.start)
	if errors.Is(runErr, lanes.ErrAbandoned) || runErr == nil && ctx.Err() != nil {
		runErr = ctx.Err()
		if runErr == nil {
			runErr = lanes.ErrAbandoned
		}
	}
	return r.sum, runErr
}

// write sends whole records to the outputs, one writer at a time.
func (r *run) write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.Write(b)
}

// badItem is an item the scan found unreadable.
type badItem struct {
	id         string
	rows, cols int
	err        error
}

// tasks turns the items still to compute into lane tasks — one per run of
// same-shaped readable items of a file, largest items first — and lists
// the items the scan found bad.
func (r *run) tasks() ([]lanes.Task, []badItem) {
	tasks := make([]lanes.Task, 0, len(r.set.Files))
	costs := make([]float64, 0, len(r.set.Files))
	var bad []badItem
	for fi := range r.set.Files {
		f := &r.set.Files[fi]
		for _, s := range f.Todo {
			start := 0
			for ri, run := range f.Runs {
				lo, hi := max(s.First, start), min(s.First+s.Count, start+run.Count)
				if lo < hi {
					if run.Err != nil {
						bad = append(bad, badItem{id: run.ID(lo - start), rows: run.Rows, cols: run.Cols, err: run.Err})
					} else {
						// Runs shares the file's (read only): 100,000 small
						// files make 100,000 tasks.
						t := lanes.Task{Path: f.Path, PairWith: f.PairWith, First: lo, Count: hi - lo, Start: start, Runs: f.Runs[ri : ri+1 : ri+1], Bytes: r.itemBytes(run), Head: f.Head, Kept: f.Kept}
						costs = append(costs, r.flops(run))
						tasks = append(tasks, t)
					}
				}
				start += run.Count
			}
		}
	}
	// Costliest items first, ties in input order; usually the files are alike
	// and nothing moves.
	sort.Stable(byCost{tasks, costs})
	return tasks, bad
}

// byCost sorts tasks by the cost of one of their items, costliest first.
type byCost struct {
	tasks []lanes.Task
	costs []float64
}

func (b byCost) Len() int           { return len(b.tasks) }
func (b byCost) Less(i, j int) bool { return b.costs[i] > b.costs[j] }
func (b byCost) Swap(i, j int) {
	b.tasks[i], b.tasks[j] = b.tasks[j], b.tasks[i]
	b.costs[i], b.costs[j] = b.costs[j], b.costs[i]
}

// takeItems splits tasks after n items.
func takeItems(tasks []lanes.Task, n int) (head, tail []lanes.Task) {
	for i, t := range tasks {
		if n <= 0 {
			return head, append(tail, tasks[i:]...)
		}
		if t.Count <= n {
			head = append(head, t)
			n -= t.Count
			continue
		}
		h, rest := t, t
		h.Count = n
		rest.First, rest.Count = t.First+n, t.Count-n
		head = append(head, h)
		tail = append(append(tail, rest), tasks[i+1:]...)
		return head, tail
	}
	return head, nil
}

// splitTasks cuts tasks small enough to balance lanes (worker processes,
// or in-process lanes that read their own tasks): about four per lane, at
// most 1024 items each.
func splitTasks(tasks []lanes.Task, n int) []lanes.Task {
	total := 0
	for _, t := range tasks {
		total += t.Count
	}
	size := min(1024, max(1, total/(4*max(n, 1))))
	if !slices.ContainsFunc(tasks, func(t lanes.Task) bool { return t.Count > size }) {
		return tasks // 100,000 small files: no second copy of their tasks
	}
	out := make([]lanes.Task, 0, len(tasks))
	for _, t := range tasks {
		for first, left := t.First, t.Count; left > 0; {
			n := min(size, left)
			p := t
			p.First, p.Count = first, n
			out = append(out, p)
			first += n
			left -= n
		}
	}
	return out
}

// runPhase runs one phase's tasks, with the split the memory budget
// allows, and returns the phase as it ran.
func (r *run) runPhase(ctx context.Context, ph Phase, tasks []lanes.Task, progress func(lanes.Counts)) (Phase, lanes.Counts, error) {
	cores := r.host.cores()
	var maxItem int64
	items := 0
	for _, t := range tasks {
		items += t.Count
		if t.Bytes > maxItem && (r.budget <= 0 || t.Bytes <= r.budget) {
			maxItem = t.Bytes
		}
	}
	opt := lanes.Options{
		Kernel: r.spec, KernelOptions: r.job.Options, Read: r.job.Read,
		Save: r.job.SaveDir, Inputs: r.ids, Budget: r.budget, ReadAhead: r.job.ReadAhead,
		Out: writerFunc(r.write), Progress: progress, Warn: r.warn, Debug: r.debug,
		MemoryLimit: r.host.usable.Cgroup.MemoryLimit, OOMKills: r.host.oomKills,
	}
	ran := ph
	ran.Items = items
	if r.job.Command != nil {
		ph.Process = true
		opt.Exec = r.execConfig()
	}
	if ph.Process && r.job.Command == nil {
		// The budget holds fewer items than lanes: fewer lanes, each with
		// the cores the others would have had.
		fit := plan.FitMemory(r.budget, maxItem, ph.Outer, ph.Inner, 0, cores, r.host.blas.Threading != blas.Serial, r.spec.MemoryBound)
		if fit.Outer < ph.Outer {
			r.warn(fit.Warning)
			ph.Outer, ph.Inner = fit.Outer, fit.Inner
			ran.Outer, ran.Inner = fit.Outer, fit.Inner
		}
	}
	if ph.Process {
		exe := r.job.LaneExe
		if exe == "" {
			var err error
			if exe, err = os.Executable(); err != nil {
				return ran, lanes.Counts{}, fmt.Errorf("worker processes need this program's path: %w", err)
			}
		}
		opt.Process, opt.Exe = true, exe
		for _, t := range tasks {
			t.Kept.Close() // worker processes open the files themselves
		}
		opt.Outer, opt.Inner = ph.Outer, ph.Inner
		opt.CPUs = laneCPUs(r.host.usable, ph.Outer, ph.Inner)
		c, err := lanes.Run(ctx, r.job.Abandon, opt, splitTasks(tasks, ph.Outer))
		return ran, c, err
	}
	readAhead := r.job.ReadAhead
	if readAhead == 0 {
		readAhead = 1
	}
	fit := plan.FitMemory(r.budget, maxItem, ph.Outer, ph.Inner, max(readAhead, 0), cores, r.host.blas.Threading != blas.Serial, r.spec.MemoryBound)
	if fit.Warning != "" {
		r.warn(fit.Warning)
	}
	ran.Outer, ran.Inner = fit.Outer, fit.Inner
	if fit.Outer > 1 && fit.Inner > 1 {
		if lanesAvailable() {
			ran.Process = true
			return r.runPhase(ctx, ran, tasks, progress)
		}
		ran.Inner = 1
	}
	opt.Outer, opt.Inner, opt.ReadAhead = ran.Outer, ran.Inner, fit.ReadAhead
	if !r.job.NoPin && ran.Inner == 1 && ran.Outer > 1 && ran.Outer <= len(r.host.usable.Preferred) {
		for _, c := range r.host.usable.Preferred[:ran.Outer] {
			opt.CPUs = append(opt.CPUs, []int{c})
		}
	}
	if err := r.host.blas.Check(ran.Outer); err != nil {
		return ran, lanes.Counts{}, err
	}
	if ran.Outer > 1 {
		tasks = splitTasks(tasks, ran.Outer)
	}
	c, err := lanes.Run(ctx, r.job.Abandon, opt, tasks)
	return ran, c, err
}

// writerFunc is a func as an io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

// quoteList writes arguments for a message.
func quoteList(args []string) string {
	if len(args) == 1 {
		return inputs.Quote(args[0])
	}
	s := ""
	for i, a := range args {
		if i == 3 {
			return s + fmt.Sprintf(" and %d more", len(args)-3)
		}
		if i > 0 {
			s += ", "
		}
		s += inputs.Quote(a)
	}
	return s
}
