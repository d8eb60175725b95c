package plan

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/blasbatch/blasbatch/threads"
)

// svdFlops is the svd kernel's nominal count (kernels.Spec.Flops): the
// planner only sees flops, so the tests use the same formula.
func svdFlops(m, n int) float64 {
	m, n = max(m, n), min(m, n)
	fm, fn := float64(m), float64(n)
	return 4*fm*fm*fn + 8*fm*fn*fn + 9*fn*fn*fn
}

func square(n, count int) ([]Shape, []Cost) {
	return []Shape{{n, n, count}}, []Cost{Estimate(svdFlops(n, n), n, n)}
}

// usable reads one of threads' fake machines.
func usable(t *testing.T, tree string) threads.Usable {
	t.Helper()
	u, err := threads.FS{Root: "../../threads/testdata/" + tree}.Usable(nil)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func machine(u threads.Usable) Machine {
	return Machine{Cores: u.Cores(), InnerThreads: true, ThreadSafe: true, ProcessLanes: true}
}

// TestPlannerChoices documents the sensible choices on the fake machines.
func TestPlannerChoices(t *testing.T) {
	smt16 := machine(usable(t, "smt16"))
	if smt16.Cores != 16 {
		t.Fatalf("smt16: %d cores, want 16 physical (32 logical CPUs)", smt16.Cores)
	}
	quota := machine(usable(t, "quota2of64"))
	slurm := machine(usable(t, "slurm4"))
	two := Machine{Cores: 2, InnerThreads: true, ThreadSafe: true, ProcessLanes: true}

	for _, c := range []struct {
		name          string
		m             Machine
		n, count      int
		outer, inner  int
		tailO, tailI  int // 0: no tail phase
		wantProcesses bool
	}{
		// Many big items: whole matrices in parallel, one core each.
		{"16-core box, 16 big items", smt16, 1000, 16, 16, 1, 0, 0, false},
		// Fewer items than cores, each big enough to share: 4 lanes of 4.
		{"16-core box, 4 big items", smt16, 1000, 4, 4, 4, 0, 0, true},
		// One huge item: all cores inside it.
		{"16-core box, 1 huge item", smt16, 4000, 1, 1, 16, 0, 0, false},
		// A 2-CPU quota on a 64-CPU host: never more than 2 busy threads.
		{"quota 2 of 64, 100 items", quota, 500, 100, 2, 1, 0, 0, false},
		{"quota 2 of 64, 1 item", quota, 2000, 1, 1, 2, 0, 0, false},
		// A Slurm cpuset of 4 cores.
		{"slurm cpuset of 4, 40 items", slurm, 300, 40, 4, 1, 0, 0, false},
		// Hundreds of tiny items: outer workers, no tail worth a phase.
		{"2 cores, 301 tiny items", two, 16, 301, 2, 1, 0, 0, false},
		// Three equal large items on two cores: two at 2 × 1, the last at 1 × 2.
		{"2 cores, 3 large items", two, 1000, 3, 2, 1, 1, 2, false},
		// Three 600×600: a second thread does not pay at that size, no tail.
		{"2 cores, 3 mid-size items", two, 600, 3, 2, 1, 0, 0, false},
		// One large item on two cores.
		{"2 cores, 1 large item", two, 1000, 1, 1, 2, 0, 0, false},
	} {
		shapes, costs := square(c.n, c.count)
		p := Choose(c.m, shapes, costs)
		if p.Outer() != c.outer || p.Inner() != c.inner {
			t.Errorf("%s: chose %v, want %d × %d; candidates %v", c.name, p, c.outer, c.inner, p.Candidates[:min(4, len(p.Candidates))])
			continue
		}
		if p.Phases[0].Process != c.wantProcesses {
			t.Errorf("%s: process lanes %v, want %v", c.name, p.Phases[0].Process, c.wantProcesses)
		}
		switch {
		case c.tailO == 0 && len(p.Phases) != 1:
			t.Errorf("%s: unexpected tail %v", c.name, p.Phases[1:])
		case c.tailO != 0 && (len(p.Phases) != 2 || p.Phases[1].Outer != c.tailO || p.Phases[1].Inner != c.tailI):
			t.Errorf("%s: phases %v, want a tail of %d × %d", c.name, p.Phases, c.tailO, c.tailI)
		}
		total := 0
		for _, ph := range p.Phases {
			total += ph.Items
			if ph.Outer*ph.Inner > c.m.Cores {
				t.Errorf("%s: phase %v uses more than %d cores", c.name, ph, c.m.Cores)
			}
		}
		if total != c.count {
			t.Errorf("%s: phases cover %d items, want %d", c.name, total, c.count)
		}
		if len(p.Reasons) == 0 || p.Seconds <= 0 {
			t.Errorf("%s: no reasons or prediction: %+v", c.name, p)
		}
	}
}

// TestPlannerRespectsTheBLAS: no inner threads without a threaded BLAS, no
// hybrids without process lanes, no shared serial library.
func TestPlannerRespectsTheBLAS(t *testing.T) {
	shapes, costs := square(1000, 4)
	m := Machine{Cores: 16, InnerThreads: true, ThreadSafe: true}
	if p := Choose(m, shapes, costs); p.Outer() > 1 && p.Inner() > 1 {
		t.Errorf("hybrid chosen without process lanes: %v", p)
	}
	m = Machine{Cores: 16, InnerThreads: false, ThreadSafe: true}
	if p := Choose(m, shapes, costs); p.Inner() != 1 || p.Outer() != 4 {
		t.Errorf("no inner threads: %v, want 4 × 1", p)
	}
	m = Machine{Cores: 16, InnerThreads: true, ThreadSafe: false}
	for _, c := range Choose(m, shapes, costs).Candidates {
		if c.Outer > 1 {
			t.Errorf("a BLAS that is not thread-safe got %d outer workers in one process", c.Outer)
		}
	}
}

// TestPlannerMixedSizes: big items first, small ones fill in — the
// prediction of a mixed batch is no worse than running the big ones alone
// plus the small ones' share, and the big item sets the makespan.
func TestPlannerMixedSizes(t *testing.T) {
	m := Machine{Cores: 4, InnerThreads: true, ThreadSafe: true, ProcessLanes: true}
	shapes := []Shape{{100, 100, 40}, {2000, 2000, 1}}
	costs := []Cost{Estimate(svdFlops(100, 100), 100, 100), Estimate(svdFlops(2000, 2000), 2000, 2000)}
	p := Choose(m, shapes, costs)
	big := costs[1].Inner(p.Inner())
	if p.Seconds < big {
		t.Fatalf("predicted %v is less than the big item alone %v", p.Seconds, big)
	}
	small := 40 * costs[0].Seconds1 / 4
	if p.Seconds > big*1.2+small {
		t.Fatalf("predicted %v: small items did not fill in beside the big one (%v + %v)", p.Seconds, big, small)
	}
}

// TestPlannerMemoryBound: a streaming kernel gets outer workers, never
// inner threads, even for one item.
func TestPlannerMemoryBound(t *testing.T) {
	m := Machine{Cores: 8, InnerThreads: true, ThreadSafe: true, ProcessLanes: true}
	for _, count := range []int{1, 3, 100} {
		p := Choose(m, []Shape{{1000, 1000, count}}, []Cost{EstimateMemoryBound(100*1000*1000, 1000*1000)})
		for _, ph := range p.Phases {
			if ph.Inner != 1 {
				t.Fatalf("%d items: %v gives a memory-bound kernel inner threads", count, p)
			}
		}
		if want := min(count, 8); p.Outer() != want {
			t.Fatalf("%d items: %v, want %d outer", count, p, want)
		}
	}
}

// TestPlannerBandwidthSaturation: a memory-bound kernel measured to take
// 2× as long per item with 16 at once as alone (bandwidth runs out at 8)
// gets no more outer workers than help: 8, not 16.
func TestPlannerBandwidthSaturation(t *testing.T) {
	m := Machine{Cores: 16, InnerThreads: true, ThreadSafe: true}
	c := EstimateMemoryBound(100*2000*2000, 2000*2000)
	c.Saturated, c.SaturatedAt = 2*c.Seconds1, 16
	p := Choose(m, []Shape{{2000, 2000, 32}}, []Cost{c})
	if p.Outer() != 8 || p.Inner() != 1 {
		t.Fatalf("%v, want 8 × 1: workers past bandwidth saturation do not help", p)
	}
	c.Saturated = 0 // not measured: every core
	if p := Choose(m, []Shape{{2000, 2000, 32}}, []Cost{c}); p.Outer() != 16 {
		t.Fatalf("unmeasured: %v, want 16 × 1", p)
	}
}

// BenchmarkChoose: the plan of 100,000 tiny items on 16 cores, which the
// run makes before computing anything.
func BenchmarkChoose(b *testing.B) {
	m := Machine{Cores: 16, InnerThreads: true, ThreadSafe: true, ProcessLanes: true}
	shapes := []Shape{{Rows: 16, Cols: 16, Count: 100000}, {Rows: 64, Cols: 64, Count: 3}}
	costs := []Cost{{Seconds1: 1e-5, Parallel: 0.1}, {Seconds1: 1e-4, Parallel: 0.5}}
	for b.Loop() {
		Choose(m, shapes, costs)
	}
}

// TestSimulateDealsLikeLPT: simulate, which deals runs of equal items a
// round at a time, gives the makespan of dealing them one by one, each to
// the lane that frees first, on random batches (and so does split).
func TestSimulateDealsLikeLPT(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	byItem := func(it items, o, i int) float64 {
		n := it.count()
		busy := min(o, n)
		free := make([]float64, o)
		for _, r := range it {
			for range r.n {
				k := 0
				for j := range free {
					if free[j] < free[k] {
						k = j
					}
				}
				free[k] += r.cost.Inner(i) * (1 + Contention*float64(busy-1))
			}
		}
		end := 0.0
		for _, f := range free {
			end = max(end, f)
		}
		return end
	}
	for trial := range 500 {
		var it items
		for range 1 + rng.IntN(4) {
			it = append(it, run{Cost{Seconds1: rng.Float64(), Parallel: rng.Float64()}, 1 + rng.IntN(40)})
		}
		sort.SliceStable(it, func(a, b int) bool { return it[a].cost.Seconds1 > it[b].cost.Seconds1 })
		o, i := 1+rng.IntN(8), 1+rng.IntN(3)
		got, want := simulate(it, o, i), byItem(it, o, i)
		if math.Abs(got-want) > 1e-9*want {
			t.Fatalf("trial %d, %d lanes × %d, runs %+v: simulate %v, item by item %v", trial, o, i, it, got, want)
		}
		k := rng.IntN(it.count() + 1)
		head, tail := it.split(k)
		if head.count() != k || tail.count() != it.count()-k {
			t.Fatalf("trial %d: split(%d) of %d items: %d + %d", trial, k, it.count(), head.count(), tail.count())
		}
		if k < it.count() && tail.at(0) != it.at(k) {
			t.Fatalf("trial %d: split(%d) starts the tail at %+v, item %d is %+v", trial, k, tail.at(0), k, it.at(k))
		}
	}
}
