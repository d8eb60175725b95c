package kernels

import (
	"errors"
	"fmt"
	"math"

	"github.com/blasbatch/blasbatch/blas"
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// productSpecs are the product and elementwise kernels (gram, matmul,
// hadamard).
func productSpecs() []Spec {
	return []Spec{gramSpec(), hadamardSpec(), matmulSpec()}
}

func gramSpec() Spec {
	return Spec{
		Name: "gram",
		Doc:  "Gram matrix G = A·Aᵀ (m×m, symmetric): trace and frobenius of G; BLAS dsyrk",
		Flops: func(m, n int) float64 {
			// dsyrk computes one triangle, m(m+1)/2 dot products of length
			// n: m(m+1)n (LAPACK Working Note 41's xSYRK); ‖G‖_F adds 2m²,
			// which dominates for n < 2.
			fm, fn := float64(m), float64(n)
			return fm*(fm+1)*fn + 2*fm*fm
		},
		// G is m×m whatever n is: a 100000×2 A needs 80 GB for it.
		Workspace: workspace(gramPlan),
	}.with(func(impl blas.LAPACK, _ Options) Worker {
		return &gramWorker{impl: impl}
	})
}

// gramPlan lists what a gram worker allocates for an m×n item: G, m×m.
func gramPlan(m, n int) plan {
	var p plan
	if m >= 0 && n >= 0 {
		p.f64("G (m×m)", int64(m)*int64(m))
	}
	return p
}

func matmulSpec() Spec {
	return Spec{
		Name:     "matmul",
		Pairwise: true,
		Doc:      "matrix product C = A·B of a pair (A m×k, B k×n): frobenius of C; BLAS dgemm",
		// For one shape, the pair's A is m×k and B is taken to be its
		// transpose's shape, k×m (exact for square pairs); the pair's own
		// costs are PairFlops and PairWorkspace.
		Flops:         func(m, k int) float64 { return matmulFlops(m, k, m) },
		Workspace:     func(m, k int) int64 { return matmulWorkspace(m, k, m) },
		PairFlops:     matmulFlops,
		PairWorkspace: matmulWorkspace,
	}.with(func(impl blas.LAPACK, _ Options) Worker {
		return &matmulWorker{impl: impl}
	})
}

// matmulFlops counts C = A·B for A m×k and B k×n: dgemm's 2mkn (LAPACK
// Working Note 41's xGEMM), and ‖C‖_F's 2mn, which dominates for k < 1.
func matmulFlops(m, k, n int) float64 {
	fm, fk, fn := float64(m), float64(k), float64(n)
	return 2*fm*fk*fn + 2*fm*fn
}

// matmulWorkspace is matmul's PairWorkspace: 0 for a negative dimension,
// math.MaxInt64 for one above blas.MaxDim (refused), else C's bytes.
func matmulWorkspace(m, k, n int) int64 {
	switch {
	case m < 0 || k < 0 || n < 0:
		return 0
	case m > blas.MaxDim || k > blas.MaxDim || n > blas.MaxDim:
		return math.MaxInt64
	}
	p := matmulPlan(m, k, n)
	return p.bytes()
}

// matmulPlan lists what a matmul worker allocates for A m×k times B k×n:
// C, m×n.
func matmulPlan(m, k, n int) plan {
	var p plan
	if m >= 0 && k >= 0 && n >= 0 {
		p.f64("C (m×n)", int64(m)*int64(n))
	}
	return p
}

// productNorm returns ‖x‖₂ of the vector x: the naive sum of squares where it
// neither overflows nor underflows, else gonum's scaled Dnrm2.
func productNorm(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v * v
	}
	if s > 0x1p-900 && s < math.MaxFloat64 {
		return math.Sqrt(s)
	}
	if len(x) == 0 {
		return 0
	}
	return gonum.Implementation{}.Dnrm2(len(x), x, 1)
}

// gramWorker keeps G between items.
type gramWorker struct {
	impl blas.LAPACK
	g    []float64
	sc   [2]Scalar
	outs [1]Output
}

// Run computes G = A·Aᵀ for the m×n A with one dsyrk into G's upper
// triangle, then mirrors it, so G is whole (and, being symmetric, the same
// in row- and column-major order).
//
// Besides the errors every kernel returns, it returns a *TooLargeError when
// G, m×m, is more than one Go allocation can hold.
func (w *gramWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if err := checkItem(it, a, func() plan { return gramPlan(m, n) }); err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, n, a); err != nil {
		return Result{}, err
	}
	w.g = grow(w.g, m*m)
	g := w.g
	w.impl.Dsyrk(gblas.Upper, gblas.NoTrans, m, n, 1, a[:m*n], max(1, n), 0, g, max(1, m))
	mirrorUpper(m, g)
	var trace float64
	for i := range m {
		trace += g[i*m+i]
	}
	w.sc = [2]Scalar{{Name: "trace", Value: trace}, {Name: "frobenius", Value: productNorm(g)}}
	r := Result{Scalars: w.sc[:]}
	if save {
		w.outs[0] = Output{Name: "G", Rows: m, Cols: m, Data: g}
		r.Outputs = w.outs[:]
	}
	return r, nil
}

// mirrorUpper copies the strict upper triangle of the m×m g onto its lower
// one, in tiles so that the column-wise writes stay in cache.
func mirrorUpper(m int, g []float64) {
	const tile = 64
	for i0 := 0; i0 < m; i0 += tile {
		for j0 := i0; j0 < m; j0 += tile {
			for i := i0; i < min(i0+tile, m); i++ {
				for j := max(j0, i+1); j < min(j0+tile, m); j++ {
					g[j*m+i] = g[i*m+j]
				}
			}
		}
	}
}

// PairWorker is a Worker whose kernel takes two matrices (matmul). Its Run,
// on one matrix, fails with ErrNeedsPair.
type PairWorker interface {
	Worker
	// RunPair computes the kernel on the m×k row-major a and the k2×n
	// row-major b, which it does not modify; an item whose k2 ≠ k fails
	// with a *ShapeError. Its other errors are Run's (ErrBadShape for a
	// negative dimension or a short slice, *TooLargeError, naming a or b,
	// for one LAPACK cannot index or a C Go cannot allocate, and
	// *NotFiniteError wrapped with "a: " or "b: "), all returned before
	// anything is allocated. Result's slices are owned by the worker and
	// valid until its next call.
	RunPair(m, k int, a []float64, k2, n int, b []float64, save bool) (Result, error)
}

// ErrNeedsPair is a pair kernel's error for an item of one matrix.
var ErrNeedsPair = errors.New("matmul needs pairs: an .npz with members a and b, or --pair A B")

// ShapeError says the two matrices of a pair cannot be multiplied.
type ShapeError struct {
	M, K, K2, N int
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("inner dimensions differ: a is %d×%d, b is %d×%d (a's columns must equal b's rows)", e.M, e.K, e.K2, e.N)
}

// matmulWorker keeps C between items.
type matmulWorker struct {
	impl blas.LAPACK
	c    []float64
	sc   [1]Scalar
	outs [1]Output
}

var _ PairWorker = (*matmulWorker)(nil)

func (w *matmulWorker) Run(int, int, []float64, bool) (Result, error) {
	return Result{}, ErrNeedsPair
}

func (w *matmulWorker) RunPair(m, k int, a []float64, k2, n int, b []float64, save bool) (Result, error) {
	it := item{m: m, k: k, k2: k2, n: n, pair: true}
	if err := checkDims(it, "a", m, k); err != nil {
		return Result{}, err
	}
	if err := checkDims(it, "b", k2, n); err != nil {
		return Result{}, err
	}
	if k != k2 {
		return Result{}, &ShapeError{M: m, K: k, K2: k2, N: n}
	}
	p := matmulPlan(m, k, n)
	if err := p.check(it); err != nil {
		return Result{}, err
	}
	if err := checkLen(it, "a", m, k, a); err != nil {
		return Result{}, err
	}
	if err := checkLen(it, "b", k2, n, b); err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, k, a); err != nil {
		return Result{}, fmt.Errorf("a: %w", err)
	}
	if err := CheckFinite(k, n, b); err != nil {
		return Result{}, fmt.Errorf("b: %w", err)
	}
	w.c = grow(w.c, m*n)
	c := w.c
	w.impl.Dgemm(gblas.NoTrans, gblas.NoTrans, m, n, k, 1, a[:m*k], max(1, k), b[:k*n], max(1, n), 0, c, max(1, n))
	w.sc = [1]Scalar{{Name: "frobenius", Value: productNorm(c)}}
	r := Result{Scalars: w.sc[:]}
	if save {
		w.outs[0] = Output{Name: "C", Rows: m, Cols: n, Data: c}
		r.Outputs = w.outs[:]
	}
	return r, nil
}
