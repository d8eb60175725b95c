package kerneltest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
)

// WorkspaceShapes are the shapes [Workspace] measures every kernel on:
// tall, wide and square, vectors both ways, empty ones.
var WorkspaceShapes = [][2]int{
	{257, 9}, {9, 257}, {64, 64}, {1, 1}, {300, 1}, {1, 300}, {2000, 3}, {3, 2000}, {130, 129}, {0, 0}, {0, 4}, {4, 0},
}

// WorkspacePairs are the matmul pairs (A m×k, B k×n) it measures: outer
// products, inner products, and shapes on either side of gonum's parallel
// threshold.
var WorkspacePairs = [][3]int{
	{300, 1, 300}, {1, 300, 1}, {40, 50, 60}, {1, 1, 1}, {64, 64, 64}, {65, 1, 200}, {1, 2, 1000}, {2000, 3, 2}, {0, 3, 4}, {4, 0, 3},
}

// Slack of the looseness check: an estimate may exceed four times the
// worst measured allocation by this much (the size-class rounding of a
// few small buffers).
const workspaceSlack = 4 << 10

// What [Allocated] discounts for the goroutines run starts: gonum's BLAS
// runs a large product on one goroutine per 64×64 block of its result,
// whose closure (measured: about 210 bytes) and share of its call's
// WaitGroup and channel are garbage as soon as it finishes, and the runtime
// allocates a goroutine record (480 bytes) when it has no idle one to
// reuse: transient scheduling state, which Spec.Workspace does not count.
const (
	goroutineBytes   = 320
	goroutineRecords = 2 << 10
)

// Allocated returns the bytes of Go heap run allocates, from
// runtime.MemStats.TotalAlloc after a garbage collection, less
// goroutineBytes for each goroutine it starts (runtime/metrics'
// /sched/goroutines-created), and that count. It counts every other
// allocation, so the caller allocates run's inputs before.
func Allocated(run func()) (bytes, goroutines int64) {
	var before, after runtime.MemStats
	created := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	runtime.GC()
	metrics.Read(created)
	g0 := created[0].Value.Uint64()
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	metrics.Read(created)
	goroutines = int64(created[0].Value.Uint64() - g0)
	bytes = int64(after.TotalAlloc - before.TotalAlloc)
	if goroutines > 0 {
		bytes -= goroutineBytes*goroutines + goroutineRecords
	}
	return max(bytes, 0), goroutines
}

// minAllocated is [Allocated] of the cheaper of two runs, each with a
// fresh setup (a new worker and input): what the worker itself allocates,
// without one-off allocations of the runtime's own that may land in one
// measurement (starting the garbage collector's workers, for one).
func minAllocated(setup func() func()) int64 {
	first, _ := Allocated(setup())
	second, _ := Allocated(setup())
	return min(first, second)
}

// squareOnly reports whether the kernel refuses a matrix that is not
// square.
func squareOnly(name string) bool {
	switch name {
	case "chol", "inv", "det", "eigh", "eig":
		return true
	}
	return false
}

// validInput returns an m×n input the kernel accepts: symmetric positive
// definite where it is square and the kernel wants that (chol, inv, det,
// eigh), else Random.
func validInput(rng *rand.Rand, name string, m, n int) []float64 {
	if m == n && squareOnly(name) && name != "eig" {
		return SPD(rng, n, n)
	}
	return Random(rng, m, n, n)
}

// firstRoutine is the SVD routine a kernel calls first, the one a
// [Failing] makes fail to drive it down its fallback path; "" for kernels
// without one.
func firstRoutine(name string) string {
	switch name {
	case "svd":
		return "dgesdd"
	case "svdvals":
		return "dgesvd"
	}
	return ""
}

// WorkspaceRow is one measurement of [Workspace]: the most a fresh worker
// allocated for one shape over every mode, against the estimate.
type WorkspaceRow struct {
	Impl, Kernel       string
	Shape              string
	Measured, Estimate int64
}

// Workspace checks every kernel's Spec.Workspace (matmul's PairWorkspace)
// against what a fresh worker on impl really allocates for one item, on
// every shape of [WorkspaceShapes] ([WorkspacePairs]) and in every mode:
// save or not, the zero Options or Fallback and Symmetrize on and, for the
// SVD kernels, an item that falls back (its first routine failing behind a
// [Failing]). Each allocation must be at most the estimate, and the
// estimate at most four times the largest of them plus a few KiB, so that
// it stays useful. A shape a square-only kernel refuses must be refused,
// with an estimate of 0 and no more than an error's allocation. The rows
// measured are logged, and returned.
func Workspace(t *testing.T, impl blas.LAPACK) []WorkspaceRow {
	rng := rand.New(rand.NewPCG(41, 42))
	var rows []WorkspaceRow
	for _, spec := range kernels.All() {
		if spec.Workspace == nil || spec.Flops == nil {
			t.Errorf("%s: no Workspace or Flops", spec.Name)
			continue
		}
		if spec.Pairwise {
			rows = append(rows, pairWorkspace(t, impl, spec, rng)...)
			continue
		}
		for _, sh := range WorkspaceShapes {
			m, n := sh[0], sh[1]
			name := fmt.Sprintf("%s/%s/m=%d,n=%d", impl.Name(), spec.Name, m, n)
			est := spec.Workspace(m, n)
			if got, want := spec.ItemBytes(m, n), 8*int64(m*n)+est; got != want {
				t.Errorf("%s: ItemBytes %d, want 8·m·n + Workspace = %d", name, got, want)
			}
			refused := squareOnly(spec.Name) && m != n
			var worst int64
			for _, mode := range workspaceModes(spec) {
				mname := fmt.Sprintf("%s/save=%v,%+v,failing=%v", name, mode.save, mode.opt, mode.failing)
				var res kernels.Result
				var err error
				got := minAllocated(func() func() {
					var lp blas.LAPACK = impl
					if mode.failing {
						f := &Failing{LAPACK: impl, Calls: make([]string, 0, 4), Jobs: make([]blas.SVDJob, 0, 4)}
						f.fail(firstRoutine(spec.Name), 3)
						lp = f
					}
					w := spec.NewWith(lp, mode.opt)
					a := validInput(rng, spec.Name, m, n)
					return func() { res, err = w.Run(m, n, a, mode.save) }
				})
				switch {
				case refused:
					if err == nil {
						t.Errorf("%s: a %d×%d matrix was not refused", mname, m, n)
					}
					if got > 1<<10 {
						t.Errorf("%s: refusing allocated %d bytes", mname, got)
					}
					continue
				case err != nil:
					t.Errorf("%s: %v", mname, err)
					continue
				case mode.failing && res.Fallback == "" && min(m, n) > 0:
					t.Errorf("%s: the item did not fall back", mname)
				}
				if got > est {
					t.Errorf("%s: allocated %d bytes, more than Workspace = %d", mname, got, est)
				}
				worst = max(worst, got)
			}
			if refused {
				if est != 0 {
					t.Errorf("%s: Workspace %d for a shape the kernel refuses", name, est)
				}
				continue
			}
			if est > 4*worst+workspaceSlack {
				t.Errorf("%s: Workspace %d is loose: at most %d allocated", name, est, worst)
			}
			rows = append(rows, WorkspaceRow{Impl: impl.Name(), Kernel: spec.Name, Shape: fmt.Sprintf("%d×%d", m, n), Measured: worst, Estimate: est})
		}
	}
	for _, r := range rows {
		t.Logf("workspace %-8s %-8s %-14s measured %10d estimate %10d", r.Impl, r.Kernel, r.Shape, r.Measured, r.Estimate)
	}
	return rows
}

type workspaceMode struct {
	save    bool
	opt     kernels.Options
	failing bool
}

// workspaceModes are the modes a kernel is measured in.
func workspaceModes(spec kernels.Spec) []workspaceMode {
	var modes []workspaceMode
	for _, save := range []bool{false, true} {
		for _, opt := range []kernels.Options{{}, {Fallback: true, Symmetrize: true}} {
			modes = append(modes, workspaceMode{save: save, opt: opt})
			if opt.Fallback && firstRoutine(spec.Name) != "" {
				modes = append(modes, workspaceMode{save: save, opt: opt, failing: true})
			}
		}
	}
	return modes
}

// pairWorkspace is [Workspace] for a Pairwise kernel, on WorkspacePairs.
func pairWorkspace(t *testing.T, impl blas.LAPACK, spec kernels.Spec, rng *rand.Rand) []WorkspaceRow {
	if spec.PairWorkspace == nil || spec.PairFlops == nil {
		t.Errorf("%s: a pair kernel without PairWorkspace or PairFlops", spec.Name)
		return nil
	}
	var rows []WorkspaceRow
	for _, sh := range WorkspacePairs {
		m, k, n := sh[0], sh[1], sh[2]
		name := fmt.Sprintf("%s/%s/m=%d,k=%d,n=%d", impl.Name(), spec.Name, m, k, n)
		est := spec.PairWorkspace(m, k, n)
		if got, want := spec.PairItemBytes(m, k, n), 8*int64(m*k+k*n)+est; got != want {
			t.Errorf("%s: PairItemBytes %d, want 8·(m·k + k·n) + PairWorkspace = %d", name, got, want)
		}
		if got, want := spec.Workspace(m, k), spec.PairWorkspace(m, k, m); got != want {
			t.Errorf("%s: Workspace(m, k) = %d, want PairWorkspace(m, k, m) = %d", name, got, want)
		}
		var worst int64
		for _, save := range []bool{false, true} {
			var err error
			got := minAllocated(func() func() {
				w, ok := spec.NewWith(impl, kernels.Options{Fallback: true}).(kernels.PairWorker)
				if !ok {
					t.Fatalf("%s: the worker is not a kernels.PairWorker", name)
				}
				a, b := Random(rng, m, k, k), Random(rng, k, n, n)
				return func() { _, err = w.RunPair(m, k, a, k, n, b, save) }
			})
			if err != nil {
				t.Errorf("%s/save=%v: %v", name, save, err)
				continue
			}
			if got > est {
				t.Errorf("%s/save=%v: allocated %d bytes, more than PairWorkspace = %d", name, save, got, est)
			}
			worst = max(worst, got)
		}
		if est > 4*worst+workspaceSlack {
			t.Errorf("%s: PairWorkspace %d is loose: at most %d allocated", name, est, worst)
		}
		rows = append(rows, WorkspaceRow{Impl: impl.Name(), Kernel: spec.Name, Shape: fmt.Sprintf("%d×%d·%d×%d", m, k, k, n), Measured: worst, Estimate: est})
	}
	// One matrix alone is refused before anything is allocated.
	w := spec.NewWith(impl, kernels.Options{})
	a := Random(rng, 3, 3, 3)
	var err error
	if got, _ := Allocated(func() { _, err = w.Run(3, 3, a, false) }); !errors.Is(err, kernels.ErrNeedsPair) || got != 0 {
		t.Errorf("%s/%s: one matrix: error %v, %d bytes allocated", impl.Name(), spec.Name, err, got)
	}
	return rows
}
