package kernels_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

// TestInputCopyOnlyWithFallback: without Options.Fallback no kernel copies
// its input: once a worker has seen a shape, another item of that shape
// allocates far less than a copy of the matrix would take — nothing at all
// through OpenBLAS, a few pivot arrays through gonum's LAPACK — for every
// kernel. With Fallback the SVD kernels (the ones with a second driver)
// keep their copy in one buffer the worker reuses.
func TestInputCopyOnlyWithFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 32
	spd := func() []float64 {
		a := kerneltest.Random(rng, n, n, n)
		g := make([]float64, n*n)
		for i := range n {
			for j := range n {
				for k := range n {
					g[i*n+j] += a[i*n+k] * a[j*n+k]
				}
			}
			g[i*n+i] += n
		}
		return g
	}
	for _, impl := range []blas.LAPACK{blas.Default(), blas.Gonum{}} {
		for _, spec := range kernels.All() {
			w := spec.NewWith(impl, kernels.Options{})
			a, b := spd(), spd()
			buf, buf2 := make([]float64, n*n), make([]float64, n*n)
			run := func() {
				copy(buf, a)
				var err error
				if pw, ok := w.(kernels.PairWorker); ok {
					copy(buf2, b)
					_, err = pw.RunPair(n, n, buf, n, n, buf2, false)
				} else {
					_, err = w.Run(n, n, buf, false)
				}
				if err != nil {
					t.Fatalf("%s: %v", spec.Name, err)
				}
			}
			run() // sizes the workspace
			// The least of three rounds: TotalAlloc is the process's,
			// and another goroutine (the runtime's, a test's left over)
			// may allocate during one; the worker's own allocations are
			// the same every round.
			perItem := uint64(math.MaxUint64)
			for range 3 {
				var m0, m1 runtime.MemStats
				runtime.ReadMemStats(&m0)
				const items = 10
				for range items {
					run()
				}
				runtime.ReadMemStats(&m1)
				perItem = min(perItem, (m1.TotalAlloc-m0.TotalAlloc)/items)
			}
			limit := uint64(8 * n * n / 4) // a quarter of a copy
			if _, gonum := impl.(blas.Gonum); !gonum {
				limit = 0
			}
			if perItem > limit {
				t.Errorf("%T %s: %d bytes allocated per item of a shape the worker knows (a copy is %d): a copy of the input or new workspace", impl, spec.Name, perItem, 8*n*n)
			}
			if c := kernels.InputCopy(w); c != nil {
				t.Errorf("%T %s: without fallback the worker copied its input (%d elements)", impl, spec.Name, len(c))
			}
		}
	}
	for _, info := range []int{0, 7} {
		f := &kerneltest.Failing{LAPACK: blas.Gonum{}, DgesddInfo: info, DgesvdInfo: info}
		for _, name := range []string{"svd", "svdvals"} {
			spec, _ := kernels.Lookup(name)
			w := spec.NewWith(f, kernels.Options{Fallback: true})
			var first *float64
			for _, sh := range [][2]int{{8, 5}, {8, 5}, {3, 4}, {8, 5}} {
				m, n := sh[0], sh[1]
				w.Run(m, n, kerneltest.Random(rng, m, n, n), true)
				c := kernels.InputCopy(w)
				if len(c) != m*n {
					t.Fatalf("%s, info=%d, %dx%d: with fallback the copy holds %d elements", spec.Name, info, m, n, len(c))
				}
				if first == nil {
					first = &c[0]
				} else if &c[0] != first {
					t.Fatalf("%s, info=%d, %dx%d: the copy was reallocated", spec.Name, info, m, n)
				}
			}
		}
	}
}

// TestFallbackJobs: svd retries dgesdd's JOBZ='S' with dgesvd's same job;
// svdvals retries dgesvd's values-only job with dgesdd computing vectors,
// since dgesdd's values-only path is the solver that just failed.
func TestFallbackJobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for name, want := range map[string][]blas.SVDJob{
		"svd":     {blas.SVDThin, blas.SVDThin},
		"svdvals": {blas.SVDNone, blas.SVDThin},
	} {
		spec, err := kernels.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		f := &kerneltest.Failing{LAPACK: blas.Gonum{}, DgesddInfo: 2, DgesvdInfo: 2}
		if _, err := spec.NewWith(f, kernels.Options{Fallback: true}).Run(6, 4, kerneltest.Random(rng, 6, 4, 4), false); err == nil {
			t.Fatalf("%s: both routines failing gave no error", name)
		}
		if !slices.Equal(f.Jobs, want) {
			t.Fatalf("%s: jobs %q (%v), want %q", name, f.Jobs, f.Calls, want)
		}
	}
}

// TestOptionsValidate: a negative Repeat is refused, naming the value and
// what 0 means; every other Options is valid.
func TestOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		opt  kernels.Options
		fail bool
	}{
		{kernels.Options{}, false},
		{kernels.Options{Repeat: 0}, false},
		{kernels.Options{Repeat: 1}, false},
		{kernels.Options{Repeat: 1 << 40, Fallback: true, Symmetrize: true}, false},
		{kernels.Options{Repeat: -1}, true},
		{kernels.Options{Repeat: math.MinInt}, true},
	} {
		err := c.opt.Validate()
		if (err != nil) != c.fail {
			t.Fatalf("%+v: Validate() = %v, want failure %v", c.opt, err, c.fail)
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, kernels.ErrBadOption) {
			t.Fatalf("%+v: %v does not match ErrBadOption", c.opt, err)
		}
		for _, s := range []string{"repeat", strconv.Itoa(c.opt.Repeat), "at least 0", "0 means"} {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("%+v: %q does not say %q", c.opt, err, s)
			}
		}
	}
}

// TestItemBytes: ItemBytes is the matrix plus Workspace, PairItemBytes both
// matrices plus PairWorkspace; shapes no kernel can run saturate instead of
// wrapping round to a small number; a user's kernel without Workspace gets
// the documented guess.
func TestItemBytes(t *testing.T) {
	for _, spec := range kernels.All() {
		for _, sh := range [][2]int{{1 << 31, 1 << 31}, {math.MaxInt32, math.MaxInt32}, {1 << 40, 3}, {math.MaxInt, math.MaxInt}} {
			m, n := sh[0], sh[1]
			if got := spec.ItemBytes(m, n); got < 1<<40 {
				t.Errorf("%s m=%d,n=%d: ItemBytes %d wrapped round", spec.Name, m, n, got)
			}
		}
		if got := spec.ItemBytes(-1, 5); got != 0 {
			t.Errorf("%s: ItemBytes(-1, 5) = %d, want 0", spec.Name, got)
		}
	}
	mm, err := kernels.Lookup("matmul")
	if err != nil {
		t.Fatal(err)
	}
	// The 100000×1 · 1×100000 product: C alone is 80 GB.
	if got := mm.PairItemBytes(100000, 1, 100000); got < 8e10 {
		t.Errorf("matmul 100000×1·1×100000: PairItemBytes %d, want at least C's 8e10", got)
	}
	if got, want := mm.ItemBytes(300, 2), mm.PairItemBytes(300, 2, 300); got != want {
		t.Errorf("matmul: ItemBytes(300, 2) = %d, want PairItemBytes(300, 2, 300) = %d", got, want)
	}
	gram, err := kernels.Lookup("gram")
	if err != nil {
		t.Fatal(err)
	}
	// The 20000×2 Gram matrix: 3.2 GB, not the item's 320 kB.
	if got := gram.ItemBytes(20000, 2); got < 8*20000*20000 {
		t.Errorf("gram 20000×2: ItemBytes %d, want at least G's %d", got, 8*20000*20000)
	}
	user := kernels.Spec{Name: "mine"}
	if got, want := user.ItemBytes(30, 20), int64(8*(4*30*20+64*30)); got != want {
		t.Errorf("a user's kernel: ItemBytes(30, 20) = %d, want the guess %d", got, want)
	}
	if got, want := user.PairItemBytes(3, 4, 5), int64(8*(3*4+4*5)+8*(2*3*5+64*5)); got != want {
		t.Errorf("a user's kernel: PairItemBytes(3, 4, 5) = %d, want %d", got, want)
	}
}

// TestCholReadsLowerTriangle: a matrix symmetric only within SymmetryTol
// is factored as the symmetric matrix of its lower triangle (as NumPy's
// cholesky reads it): its L and log_det are bit for bit those of that
// matrix, whatever its upper triangle holds, with either implementation.
func TestCholReadsLowerTriangle(t *testing.T) {
	spec, err := kernels.Lookup("chol")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, impl := range []blas.LAPACK{blas.Default(), blas.Gonum{}} {
		for _, n := range []int{2, 7, 64, 100} {
			sym := kerneltest.SPD(rng, n, n)
			for i := range n { // exactly symmetric: the lower triangle mirrored
				for j := range i {
					sym[j*n+i] = sym[i*n+j]
				}
			}
			near := slices.Clone(sym)
			for i := range n {
				for j := i + 1; j < n; j++ {
					near[i*n+j] *= 1 + 1e-12
				}
			}
			run := func(a []float64) ([]float64, float64) {
				r, err := spec.NewWith(impl, kernels.Options{}).Run(n, n, slices.Clone(a), true)
				if err != nil {
					t.Fatalf("%s n=%d: %v", impl.Name(), n, err)
				}
				return slices.Clone(r.Outputs[0].Data), r.Scalars[0].Value
			}
			l1, d1 := run(sym)
			l2, d2 := run(near)
			if !slices.Equal(l1, l2) || d1 != d2 {
				t.Errorf("%s n=%d: a matrix whose upper triangle differs by 1e-12 gets another factor", impl.Name(), n)
			}
			for i := range n {
				for j := i + 1; j < n; j++ {
					if l1[i*n+j] != 0 {
						t.Fatalf("%s n=%d: L[%d,%d] = %v above the diagonal", impl.Name(), n, i, j, l1[i*n+j])
					}
				}
			}
		}
	}
}
