package plan

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Shape is a class of items of one size in a batch.
type Shape struct {
	Rows, Cols, Count int
}

// Cost models how long one item takes. The zero value is the built-in
// estimate; measured values (see the wisdom file) replace it per shape.
type Cost struct {
	// Seconds1 is the time of one item on one thread, alone on the machine.
	Seconds1 float64
	// Parallel is the fraction p of that work that inner BLAS threads
	// share (Amdahl's law): on k threads an item takes
	// Seconds1·((1−p) + p/k), before contention.
	Parallel float64
	// Saturated, when positive, is the time of one item while SaturatedAt
	// items run at once (measured): for a memory-bound kernel that is
	// what the shared memory bandwidth allows. With o items at once an
	// item then takes at least o/SaturatedAt × Saturated, so outer workers
	// past the point where bandwidth runs out stop helping.
	Saturated   float64 `json:",omitempty"`
	SaturatedAt int     `json:",omitempty"`
}

// Inner returns the time of one item on k inner threads, alone.
func (c Cost) Inner(k int) float64 {
	return c.Seconds1 * ((1 - c.Parallel) + c.Parallel/float64(max(k, 1)))
}

// Estimate is the model used when nothing was measured: a rate of flop/s
// on one thread that falls off for small matrices, plus a fixed cost per
// call; and an Amdahl fraction that grows with the matrix, since dense LAPACK
// factorisations spend a large share of their time in memory-bound BLAS-2
// steps that extra threads barely speed up, and small matrices give threads
// nothing to share. The constants were fitted to OpenBLAS 0.3.21 on a 2-core
// EPYC with the kernels' flop counts (Spec.Flops) — svd of 1000×1000 in
// 0.31 s and 600×600 in 0.077 s, svdvals of 16×16 in 12.6 µs: a whole run
// at 1 × 1 (reading included) of 4 items of 1000×1000, 40 of 256×256 or
// 2000 of 64×64 then takes 0.5–2.5× the model's time for every kernel
// (svd, qr, inv, det within 0.7–1.2×; eigh and svdvals about 2×, eig up to
// 2.5×, gram at 64×64 0.5×) — and to its inner scaling, which switches on
// sharply: a second thread made a 600×600 SVD 13% slower, but 800×800
// 1.43× and 1000×1000 1.48× faster there, and 1×16 threads gave 2.2× on
// 1000×1000 on a 16-core Xeon (p ≈ 0.55–0.6). Ratios between candidate
// splits decide the plan; the absolute times are a guide (a faster or
// slower machine scales them all), which -plan measure replaces with its
// own.
func Estimate(flops float64, rows, cols int) Cost {
	n := float64(min(rows, cols))
	const (
		rate     = 49e9  // flop/s of the kernel's nominal count, one core, large n
		nHalf    = 600   // the size at which the rate is half
		perCall  = 11e-6 // seconds of fixed cost per item
		pMax     = 0.7
		nPar0    = 650 // below this, inner threads do not help
		nParHalf = 60  // how quickly they start to above it
	)
	m := max(0, n-nPar0)
	return Cost{
		Seconds1: flops/(rate*n/(n+nHalf)) + perCall,
		Parallel: pMax * m / (m + nParHalf),
	}
}

// EstimateMemoryBound is the model of a kernel that streams memory
// (hadamard's x = x*x, fused: all ops/elements squarings of an element
// done in cache before the next block): one pass over the elements,
// reading and writing 8 bytes each, at the single-core bandwidth measured
// on a 2-core EPYC (25–28 GB/s over 8 MB, and 52–55 GB/s with two workers:
// no saturation at two cores), or the ops at a vectorised rate (1e11
// squarings/s with AVX-512 there, half that with AVX2), whichever is
// slower. Inner BLAS threads do nothing for it.
func EstimateMemoryBound(ops, elements float64) Cost {
	const (
		bandwidth = 26e9 // bytes/s, one core
		opRate    = 5e10 // squarings/s, one core
	)
	return Cost{Seconds1: max(16*elements/bandwidth, ops/opRate)}
}

// Contention is the slow-down of each item per additional item computed at
// the same time (each brings its own working set to the shared caches and
// memory bandwidth): 1.6% on a 2-core EPYC (1000×1000 SVD, 2 × 1 against
// 1 × 1), about 2.5% per extra item on a 16-core Xeon VM (16 × 1: 0.72 s per
// item against 0.49–0.68 s alone). Inner threads of one item share its
// working set and are charged by Cost.Parallel instead.
const Contention = 0.02

// Machine is what the planner may use.
type Machine struct {
	// Cores is how many threads may be busy: physical cores among the
	// usable CPUs, capped by the CPU quota (see [Usable.Cores]).
	Cores int
	// InnerThreads says the BLAS can run one call on several threads.
	InnerThreads bool
	// ThreadSafe says several threads of one process may call the BLAS at
	// once; when false, outer > 1 needs process lanes.
	ThreadSafe bool
	// ProcessLanes says hybrid splits (outer > 1 and inner > 1) may run as
	// worker processes. Without it, only N × 1 and 1 × K are candidates.
	ProcessLanes bool
}

// Phase is one stage of a plan: Items items run as Outer lanes of Inner
// threads each.
type Phase struct {
	Outer int `json:"outer"`
	Inner int `json:"inner"`
	Items int `json:"items"`
	// Process is true when the lanes are worker processes (a hybrid split,
	// or a BLAS that is not thread-safe).
	Process bool `json:"process_lanes"`
}

func (p Phase) String() string {
	kind := "in-process"
	if p.Process {
		kind = "process lanes"
	}
	return fmt.Sprintf("%d outer × %d inner (%s) for %d items", p.Outer, p.Inner, kind, p.Items)
}

// Candidate is one split the planner considered, with its predicted time.
type Candidate struct {
	Outer   int     `json:"outer"`
	Inner   int     `json:"inner"`
	Seconds float64 `json:"predicted_seconds"`
	Phases  []Phase `json:"phases"`
}

// Plan is the planner's decision.
type Plan struct {
	// Phases run one after the other over the items in cost order
	// (largest first); the last phase, when there are two, is the tail.
	Phases []Phase
	// Seconds is the predicted wall time.
	Seconds float64
	// Candidates are every split considered, best first.
	Candidates []Candidate
	// Reasons say why, in a user's words.
	Reasons []string
}

// Outer and Inner are the main phase's split. They panic on a Plan with
// no phase (the zero Plan); Choose never returns one.
func (p Plan) Outer() int { return p.Phases[0].Outer }
func (p Plan) Inner() int { return p.Phases[0].Inner }

// Choose picks the split of m's cores for a batch. costs[i] is the model of
// one item of shapes[i]. It considers every outer × inner ≤ Cores that m
// allows, with outer ≤ items, predicts each by simulating the schedule
// (largest items first, each to the lane that frees first), and keeps the
// fastest. A tail phase is added when the last items would leave lanes
// idle: the r items left after the full waves of equal items run as r lanes
// sharing all cores (three equal matrices on two cores: two at 2 × 1, the
// last at 1 × 2). Ties go to the split with fewer lanes per process kind:
// in-process before process lanes.
func Choose(m Machine, shapes []Shape, costs []Cost) Plan {
	cores := max(m.Cores, 1)
	items := expand(shapes, costs)
	n := items.count()
	if n == 0 {
		return Plan{Phases: []Phase{{Outer: 1, Inner: 1}}, Reasons: []string{"no items"}}
	}
	var cands []Candidate
	for o := 1; o <= min(cores, n); o++ {
		for i := 1; o*i <= cores; i++ {
			if i > 1 && !m.InnerThreads {
				break
			}
			hybrid := o > 1 && i > 1
			process := hybrid || (o > 1 && !m.ThreadSafe)
			if process && !m.ProcessLanes {
				continue
			}
			c := Candidate{Outer: o, Inner: i}
			main := Phase{Outer: o, Inner: i, Items: n, Process: process}
			c.Seconds = simulate(items, o, i)
			c.Phases = []Phase{main}
			// The tail: r items left after the full waves.
			if r := n % o; r > 0 && n > o && m.InnerThreads {
				ti := cores / r
				tailProcess := r > 1 && ti > 1 || r > 1 && !m.ThreadSafe
				// Only when more threads really speed the tail items up
				// (at least 5%): otherwise a tail phase buys nothing.
				last := items.at(n - r)
				gain := last.Inner(ti) < 0.95*last.Inner(i)
				if ti > i && gain && (!tailProcess || m.ProcessLanes) {
					first, rest := items.split(n - r)
					head := simulate(first, o, i)
					tail := simulate(rest, r, ti)
					// Only a tail that saves more than 0.5% is worth a
					// second phase (tiny items gain nothing from threads).
					if head+tail < 0.995*c.Seconds {
						c.Seconds = head + tail
						main.Items = n - r
						c.Phases = []Phase{main, {Outer: r, Inner: ti, Items: r, Process: tailProcess}}
					}
				}
			}
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		// Within 0.5% the simpler split wins: fewer processes, then fewer
		// inner threads (less synchronisation).
		sa, sb := cands[a].Seconds, cands[b].Seconds
		if math.Abs(sa-sb) > 0.005*math.Min(sa, sb) {
			return sa < sb
		}
		pa, pb := cands[a].Phases[0].Process, cands[b].Phases[0].Process
		if pa != pb {
			return !pa
		}
		return cands[a].Inner < cands[b].Inner
	})
	best := cands[0]
	p := Plan{Phases: best.Phases, Seconds: best.Seconds, Candidates: cands}
	p.Reasons = reasons(m, n, best, cands)
	return p
}

// items is a batch's items, largest single-thread time first, as runs of
// equal items (one per shape): 100,000 tiny matrices are one run, so that
// planning them costs no more than planning one.
type items []run

type run struct {
	cost Cost
	n    int
}

// expand lists the items, largest single-thread time first (ties in the
// shapes' order).
func expand(shapes []Shape, costs []Cost) items {
	out := make(items, 0, len(shapes))
	for s, sh := range shapes {
		if sh.Count > 0 {
			out = append(out, run{costs[s], sh.Count})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].cost.Seconds1 > out[b].cost.Seconds1 })
	return out
}

// count is how many items there are.
func (it items) count() int {
	n := 0
	for _, r := range it {
		n += r.n
	}
	return n
}

// at is the cost of item k.
func (it items) at(k int) Cost {
	for _, r := range it {
		if k < r.n {
			return r.cost
		}
		k -= r.n
	}
	panic("plan: item index out of range")
}

// split cuts the items after the first k.
func (it items) split(k int) (head, tail items) {
	for j, r := range it {
		if k <= 0 {
			return head, append(tail, it[j:]...)
		}
		if r.n <= k {
			head = append(head, r)
			k -= r.n
			continue
		}
		head = append(head, run{r.cost, k})
		tail = append(append(tail, run{r.cost, r.n - k}), it[j+1:]...)
		return head, tail
	}
	return head, tail
}

// simulate returns the makespan of items on o lanes of i threads: each
// item, largest first, goes to the lane that frees first (LPT), and every
// item is slowed by contention with the other lanes' items. Equal items
// are dealt a round at a time once every lane is within one item of the
// others (each round then gives each lane one item, in the same order),
// which is the same schedule item by item would give.
func simulate(it items, o, i int) float64 {
	n := it.count()
	if n == 0 {
		return 0
	}
	busy := min(o, n)
	slow := 1 + Contention*float64(busy-1)
	free := make([]float64, o)
	for _, r := range it {
		t := r.cost.Inner(i) * slow
		if c := r.cost; c.Saturated > 0 && c.SaturatedAt > 0 {
			// Measured: the shared bandwidth, not the generic contention.
			t = max(r.cost.Inner(i), float64(busy)/float64(c.SaturatedAt)*c.Saturated)
		}
		for left := r.n; left > 0; {
			lo, hi := 0, 0
			for j := range free {
				if free[j] < free[lo] {
					lo = j
				}
				if free[j] > free[hi] {
					hi = j
				}
			}
			if rounds := left / o; rounds > 0 && free[hi]-free[lo] <= t {
				for j := range free {
					free[j] += float64(rounds) * t
				}
				left -= rounds * o
				continue
			}
			free[lo] += t
			left--
		}
	}
	end := 0.0
	for _, f := range free {
		end = max(end, f)
	}
	return end
}

func reasons(m Machine, n int, best Candidate, cands []Candidate) []string {
	var r []string
	r = append(r, fmt.Sprintf("%d items on %d cores", n, m.Cores))
	switch {
	case best.Outer == 1 && best.Inner > 1:
		r = append(r, "fewer items than cores or items large enough that inner BLAS threads pay: one item at a time on every core")
	case best.Inner == 1 && best.Outer > 1:
		r = append(r, "whole items in parallel waste nothing on synchronisation: every core an outer worker")
	case best.Outer > 1 && best.Inner > 1:
		r = append(r, fmt.Sprintf("%d lanes of %d threads: too few items for one core each, each item large enough to share", best.Outer, best.Inner))
	}
	if len(best.Phases) > 1 {
		r = append(r, "tail: "+best.Phases[1].String()+", so no core idles while the last items finish")
	}
	if !m.InnerThreads {
		r = append(r, "the BLAS has no threads of its own: inner is 1")
	}
	if !m.ProcessLanes {
		r = append(r, "hybrid splits (outer and inner both above 1) were not considered: they need process lanes")
	}
	if len(cands) > 1 {
		r = append(r, fmt.Sprintf("next best: %d × %d, predicted %.3gs (%.0f%% slower)", cands[1].Outer, cands[1].Inner, cands[1].Seconds, 100*(cands[1].Seconds/best.Seconds-1)))
	}
	return r
}

// String renders the plan's main facts on one line.
func (p Plan) String() string {
	var s []string
	for _, ph := range p.Phases {
		s = append(s, ph.String())
	}
	return strings.Join(s, ", then ") + fmt.Sprintf("; predicted %.3gs", p.Seconds)
}
