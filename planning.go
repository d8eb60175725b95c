package blasbatch

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/results"
)

// shapeClass is the items of one shape still to compute.
type shapeClass struct {
	rows, cols, cols2 int // cols2 > 0: pairs (rows×cols by cols×cols2)
	count             int
	bytes             int64
}

// shapes merges the tasks' items into one class per distinct shape.
func (r *run) shapes(tasks []lanes.Task) []shapeClass {
	idx := map[[3]int]int{}
	var out []shapeClass
	for _, t := range tasks {
		run := t.Runs[0]
		k := [3]int{run.Rows, run.Cols, run.Cols2}
		if i, ok := idx[k]; ok {
			out[i].count += t.Count
			continue
		}
		idx[k] = len(out)
		out = append(out, shapeClass{rows: run.Rows, cols: run.Cols, cols2: run.Cols2, count: t.Count, bytes: t.Bytes})
	}
	return out
}

func (r *run) classFlops(s shapeClass) float64 {
	if s.cols2 > 0 && r.spec.PairFlops != nil {
		return r.spec.PairFlops(s.rows, s.cols, s.cols2)
	}
	return r.specFlops(s.rows, s.cols)
}

// machine is what the planner may use.
func (r *run) machine() plan.Machine {
	return plan.Machine{
		Cores:        r.host.cores(),
		InnerThreads: r.host.blas.Threading != blas.Serial && !r.spec.MemoryBound,
		ThreadSafe:   r.host.blas.ThreadSafe(),
		ProcessLanes: lanesAvailable() && !r.spec.Pairwise,
	}
}

func (r *run) wisdomKey(s shapeClass) string {
	return plan.WisdomKey(r.host.usable.Topology.Model, r.host.cores(), r.host.blas.Config, r.spec.Name, s.rows, s.cols)
}

// wisdomPath is the wisdom file the job uses, "" for none.
func (r *run) wisdomPath() (string, string) {
	switch r.job.Wisdom {
	case "-":
		return "", ""
	case "":
		p, err := plan.DefaultWisdomPath()
		if err != nil {
			return "", fmt.Sprintf("no wisdom file: %v", err)
		}
		return p, ""
	}
	return r.job.Wisdom, ""
}

// costs returns each class's cost: measured wisdom where there is some for
// its shape class, else the flop-count estimate.
func (r *run) costs(shapes []shapeClass, w plan.Wisdom) ([]plan.Cost, string) {
	costs := make([]plan.Cost, len(shapes))
	var measured int
	for i, sh := range shapes {
		if e, ok := w.Lookup(r.wisdomKey(sh)); ok {
			// Scale the measured item's time to this shape by flops.
			c := e.Cost
			if f := r.specFlops(e.Rows, e.Cols); f > 0 {
				scale := r.classFlops(sh) / f
				c.Seconds1 *= scale
				c.Saturated *= scale
			}
			costs[i] = c
			measured++
			continue
		}
		if r.spec.MemoryBound {
			costs[i] = plan.EstimateMemoryBound(r.classFlops(sh), float64(sh.rows)*float64(sh.cols))
		} else {
			costs[i] = plan.Estimate(r.classFlops(sh), sh.rows, sh.cols)
		}
	}
	if measured > 0 {
		return costs, fmt.Sprintf("costs of %d shape(s) from wisdom (measured), %d estimated from flop counts", measured, len(shapes)-measured)
	}
	return costs, "costs estimated from flop counts (-plan measure times them)"
}

// decide chooses the phases: the planner's, or the split the job forces.
// With PlanMeasure it first runs trials on real items of tasks (their
// records are written: they are results) and removes them from tasks; trial
// counts are added to c.
func (r *run) decide(ctx context.Context, tasks *[]lanes.Task, c *lanes.Counts) ([]Phase, Decision, error) {
	if r.job.Command != nil {
		return r.decideExec(ctx, tasks, c)
	}
	m := r.machine()
	dec := Decision{Cores: m.Cores, Usable: r.host.usable}
	for _, t := range *tasks {
		dec.Items += t.Count
	}
	if r.job.Outer != 0 || r.job.Inner != 0 {
		split, err := plan.Complete(r.job.Outer, r.job.Inner, dec.Items, m.Cores, r.host.blas, m.ProcessLanes)
		if err != nil {
			return nil, dec, jobErr(err)
		}
		for _, w := range split.Warnings {
			r.warn(w)
		}
		ph := Phase{Outer: split.Outer, Inner: split.Inner, Items: dec.Items, Process: split.Outer > 1 && split.Inner > 1 || r.job.Isolate}
		dec.Phases = []Phase{ph}
		dec.Reasons = []string{fmt.Sprintf("forced: %d outer × %d inner", split.Outer, split.Inner)}
		dec.LaneCPUs = [][][]int{laneCPUs(r.host.usable, ph.Outer, ph.Inner)}
		return dec.Phases, dec, nil
	}

	path, w := r.loadWisdom(&dec)
	if r.job.Plan == PlanMeasure && len(*tasks) > 0 {
		learned, notes, err := r.measure(ctx, tasks, c, w)
		dec.Notes = append(dec.Notes, notes...)
		if err != nil {
			return nil, dec, err
		}
		for k, e := range learned {
			w.Learn(k, e)
		}
		if path != "" && len(learned) > 0 {
			err := plan.UpdateWisdom(path, func(on *plan.Wisdom) {
				for k, e := range learned {
					on.Learn(k, e)
				}
			})
			if err != nil {
				r.warn(fmt.Sprintf("could not save wisdom: %v", err))
				dec.Notes = append(dec.Notes, fmt.Sprintf("could not save wisdom: %v", err))
			} else {
				dec.Notes = append(dec.Notes, "wisdom saved to "+path)
			}
		}
		dec.Items = 0
		for _, t := range *tasks {
			dec.Items += t.Count
		}
	}
	shapes := r.shapes(*tasks)
	costs, note := r.costs(shapes, w)
	dec.Notes = append(dec.Notes, note)
	var pshapes []plan.Shape
	for _, s := range shapes {
		pshapes = append(pshapes, plan.Shape{Rows: s.rows, Cols: s.cols, Count: s.count})
	}
	if len(pshapes) == 0 {
		// Nothing readable left to compute: any split will do.
		pshapes = []plan.Shape{{Rows: 1, Cols: 1, Count: 1}}
		costs = []plan.Cost{{}}
	}
	p := plan.Choose(m, pshapes, costs)
	for i := range p.Phases {
		p.Phases[i].Process = p.Phases[i].Process || r.job.Isolate
	}
	dec.Phases, dec.Seconds, dec.Reasons, dec.Candidates = p.Phases, p.Seconds, p.Reasons, p.Candidates
	for _, ph := range p.Phases {
		dec.LaneCPUs = append(dec.LaneCPUs, laneCPUs(r.host.usable, ph.Outer, ph.Inner))
	}
	if r.spec.Pairwise && !m.ProcessLanes {
		for i := range dec.Phases {
			dec.Phases[i].Process = false
		}
	}
	return dec.Phases, dec, nil
}

// trialShare is the most of the predicted run that measuring may take.
const trialShare = 0.10

// trialMin is how long a trial at one split runs at least, so that tiny
// items are timed over several of them.
const trialMin = 20 * time.Millisecond

// measure times trials of the largest shape classes (at most three) on
// real items: at 1 inner thread, at every core, and for a memory-bound
// kernel every core an item at once. Trial items are real work: their
// records are written like any other and they are taken out of tasks.
// Measuring never times an item over the memory budget, and takes at most
// trialShare of the run it predicts from flop counts; what it skips it says
// in notes. It returns what it learned, by wisdom key.
func (r *run) measure(ctx context.Context, tasks *[]lanes.Task, c *lanes.Counts, w plan.Wisdom) (map[string]plan.WisdomEntry, []string, error) {
	m := r.machine()
	cores := m.Cores
	shapes := r.shapes(*tasks)
	if r.spec.Pairwise {
		return nil, []string{"-plan measure does not time pair kernels yet: estimating"}, nil
	}
	est, _ := r.costs(shapes, plan.Wisdom{})
	total := 0.0
	for i, s := range shapes {
		total += est[i].Seconds1 * float64(s.count)
	}
	allowance := trialShare * total / float64(cores) // of wall time
	order := make([]int, len(shapes))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool {
		return est[order[a]].Seconds1*float64(shapes[order[a]].count) > est[order[b]].Seconds1*float64(shapes[order[b]].count)
	})
	learned := map[string]plan.WisdomEntry{}
	var notes []string
	spent := 0.0
	for _, i := range order[:min(3, len(order))] {
		s := shapes[i]
		name := fmt.Sprintf("%d×%d", s.rows, s.cols)
		if r.budget > 0 && s.bytes > r.budget {
			notes = append(notes, fmt.Sprintf("%s not timed: one item needs %s, over the memory budget of %s", name, plan.FormatBytes(s.bytes), plan.FormatBytes(r.budget)))
			continue
		}
		// Items per trial: enough for trialMin, within the allowance.
		per := max(1, int(trialMin.Seconds()/max(est[i].Seconds1, 1e-9)))
		k := 1
		if m.InnerThreads && cores > 1 {
			k = cores
		}
		trials := 1 + btoi(k > 1) + btoi(r.spec.MemoryBound && cores > 1)
		need := float64(per) * est[i].Seconds1 * float64(trials)
		if !r.explain && (spent+need > allowance || per*trials > s.count/2) {
			notes = append(notes, fmt.Sprintf("%s not timed: %d item(s), too few to measure without slowing the run (-plan measure pays on larger batches)", name, s.count))
			continue
		}
		t1, err := r.trial(ctx, r.takeTrial(tasks, s, per), c, 1, 1)
		if err != nil {
			return learned, notes, err
		}
		if t1 <= 0 {
			notes = append(notes, name+" not timed: its trial items failed")
			continue
		}
		tk := t1
		if k > 1 {
			if tk, err = r.trial(ctx, r.takeTrial(tasks, s, per), c, 1, k); err != nil {
				return learned, notes, err
			}
		}
		cost := plan.FitCost(t1, tk, k)
		if r.spec.MemoryBound && cores > 1 {
			sat, err := r.trial(ctx, r.takeTrial(tasks, s, cores), c, cores, 1)
			if err != nil {
				return learned, notes, err
			}
			if sat > 0 {
				cost.Saturated, cost.SaturatedAt = sat, cores
				notes = append(notes, fmt.Sprintf("measured %s with %d at once: %.4gs each (%.4gs alone)", name, cores, sat, t1))
			}
		}
		spent += need
		learned[r.wisdomKey(s)] = plan.WisdomEntry{Cost: cost, Rows: s.rows, Cols: s.cols, Measured: time.Now().UTC()}
		kept := fmt.Sprintf("; the %d trial items are kept as results", per*trials)
		if r.explain {
			kept = ""
		}
		notes = append(notes, fmt.Sprintf("measured %s: %.4gs on 1 thread, %.4gs on %d (parallel fraction %.2f)%s", name, t1, tk, k, cost.Parallel, kept))
	}
	return learned, notes, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// takeTrial takes n items of shape s out of tasks for a trial. When no
// run follows (Explain) it leaves tasks as they are and repeats the first
// item of that shape n times instead: there are no results to keep.
func (r *run) takeTrial(tasks *[]lanes.Task, s shapeClass, n int) []lanes.Task {
	var part, rest []lanes.Task
	for _, t := range *tasks {
		run := t.Runs[0]
		if n <= 0 || run.Rows != s.rows || run.Cols != s.cols || run.Cols2 != s.cols2 {
			rest = append(rest, t)
			continue
		}
		if r.explain {
			one := t
			one.Count = 1
			for range n {
				part = append(part, one)
			}
			return part
		}
		take := min(n, t.Count)
		h := t
		h.Count = take
		part = append(part, h)
		n -= take
		if take < t.Count {
			t.First, t.Count = t.First+take, t.Count-take
			rest = append(rest, t)
		}
	}
	*tasks = rest
	return part
}

// trial computes the items of part on outer lanes of inner threads,
// writing their records, and returns the median per-item compute time of
// those that succeeded (0 when none did).
func (r *run) trial(ctx context.Context, part []lanes.Task, c *lanes.Counts, outer, inner int) (float64, error) {
	var mu sync.Mutex
	var secs []float64
	out := writerFunc(func(b []byte) (int, error) {
		d := results.NewDecoder(bytes.NewReader(b))
		mu.Lock()
		for {
			_, rec, err := d.Next()
			if err != nil {
				break
			}
			if rec.OK {
				secs = append(secs, rec.Seconds)
			}
		}
		mu.Unlock()
		return r.write(b)
	})
	opt := lanes.Options{
		Kernel: r.spec, KernelOptions: r.job.Options, Read: r.job.Read, Save: r.job.SaveDir, Inputs: r.ids,
		Budget: r.budget, Outer: outer, Inner: inner, Out: out, Warn: r.warn, Debug: r.debug, ReadAhead: -1,
		// One item a chunk, so that outer lanes each take their own.
		ChunkItems: 1, SlabBytes: 8,
	}
	if outer > 1 && !r.job.NoPin && outer <= len(r.host.usable.Preferred) {
		for _, cpu := range r.host.usable.Preferred[:outer] {
			opt.CPUs = append(opt.CPUs, []int{cpu})
		}
	}
	d, err := lanes.Run(ctx, r.job.Abandon, opt, part)
	c.Add(d)
	if err != nil {
		return 0, err
	}
	if len(secs) == 0 {
		return 0, nil
	}
	sort.Float64s(secs)
	return secs[len(secs)/2], nil
}

// loadWisdom reads the job's wisdom file, noting in dec why there is none
// to read or to save to (warning when -plan measure would learn for
// nothing) and ignoring, with a note, one that cannot be read. path is ""
// when nothing can be saved.
func (r *run) loadWisdom(dec *Decision) (path string, w plan.Wisdom) {
	path, note := r.wisdomPath()
	if note != "" {
		dec.Notes = append(dec.Notes, note)
		if r.job.Plan == PlanMeasure {
			r.warn("what -plan measure learns will not be saved: " + note + " (give -wisdom FILE)")
		}
	}
	if path != "" {
		var err error
		if w, err = plan.LoadWisdom(path); err != nil {
			dec.Notes = append(dec.Notes, fmt.Sprintf("ignoring wisdom: %v", err))
			w = plan.Wisdom{}
		}
	}
	return path, w
}
