package kerneltest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	gblas "gonum.org/v1/gonum/blas"
)

// Poisoning is a [blas.LAPACK] whose Dsyrk and Dgemm fill the whole of
// their output operand C (both triangles, and the padding between rows)
// with NaN before the LAPACK it wraps computes it with β = 0, so a kernel
// that reads an element its routine did not write — the triangle dsyrk
// leaves alone, a stale buffer — is caught.
type Poisoning struct {
	blas.LAPACK
}

// Dsyrk implements [blas.Products].
func (p Poisoning) Dsyrk(uplo gblas.Uplo, trans gblas.Transpose, n, k int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int) {
	if beta == 0 && n > 0 {
		prodFillNaN(c[:(n-1)*ldc+n])
	}
	p.LAPACK.Dsyrk(uplo, trans, n, k, alpha, a, lda, beta, c, ldc)
}

// Dgemm implements [blas.Products].
func (p Poisoning) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if beta == 0 && m > 0 && n > 0 {
		prodFillNaN(c[:(m-1)*ldc+n])
	}
	p.LAPACK.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func prodFillNaN(x []float64) {
	for i := range x {
		x[i] = math.NaN()
	}
}

// prodSigned returns an r×c matrix with leading dimension ld ≥ c, entries
// uniform in [-1, 1), and the padding set to +Inf (poison if read).
func prodSigned(rng *rand.Rand, r, c, ld int) []float64 {
	x := make([]float64, max(0, (r-1)*ld+c))
	for i := range x {
		x[i] = math.Inf(1)
	}
	for i := range r {
		for j := range c {
			x[i*ld+j] = 2*rng.Float64() - 1
		}
	}
	return x
}

// naiveProduct returns op(A)·op(B) (m×n, tight) by the triple loop, and the
// error bound of each element: k·2⁻⁵² times Σ_l |op(A)_il|·|op(B)_lj|.
func naiveProduct(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int) (c, bound []float64) {
	at := func(i, l int) float64 {
		if ta {
			return a[l*lda+i]
		}
		return a[i*lda+l]
	}
	bt := func(l, j int) float64 {
		if tb {
			return b[j*ldb+l]
		}
		return b[l*ldb+j]
	}
	c, bound = make([]float64, m*n), make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, abs float64
			for l := range k {
				s += at(i, l) * bt(l, j)
				abs += math.Abs(at(i, l) * bt(l, j))
			}
			c[i*n+j], bound[i*n+j] = s, float64(k+1)*0x1p-52*abs
		}
	}
	return c, bound
}

// productShapes are (m, k, n) triples: tiny, vectors both ways, and sizes
// on either side of OpenBLAS's blocking and gonum's parallel thresholds.
var productShapes = [][3]int{
	{1, 1, 1}, {1, 7, 1}, {7, 1, 5}, {1, 9, 4}, {4, 9, 1}, {2, 3, 4}, {16, 16, 16},
	{33, 17, 9}, {9, 17, 33}, {64, 64, 64}, {100, 3, 40}, {130, 129, 65}, {5, 0, 3},
}

func prodTrans(t bool) gblas.Transpose {
	if t {
		return gblas.Trans
	}
	return gblas.NoTrans
}

// Products tests impl's Dsyrk and Dgemm (blas.Products) against the triple
// loop on every shape, with both triangles and transposes, tight and padded
// leading dimensions, β = 0 over a NaN-filled C (which must not leak) and
// β ≠ 0 updates; Dsyrk must leave C's other triangle and all padding alone,
// and short operands must panic. tol scales the elementwise bound
// k·2⁻⁵²·Σ|aᵢₗ·bₗⱼ| (1 is the textbook bound; 4 leaves room for blocking).
func Products(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(21, 22))
	const sentinel = -12345.5
	for _, sh := range productShapes {
		n, k := sh[0], sh[1]
		for _, uplo := range []gblas.Uplo{gblas.Upper, gblas.Lower} {
			for _, tr := range []bool{false, true} {
				for _, pad := range []int{0, 3} {
					for _, beta := range []float64{0, 0.5} {
						name := fmt.Sprintf("%s/Dsyrk/uplo=%c,trans=%v,n=%d,k=%d,pad=%d,beta=%v", impl.Name(), uplo, tr, n, k, pad, beta)
						ar, ac := n, k
						if tr {
							ar, ac = k, n
						}
						lda, ldc := max(1, ac)+pad, max(1, n)+pad
						a := prodSigned(rng, ar, ac, lda)
						orig := append([]float64(nil), a...)
						c := make([]float64, max(0, (n-1)*ldc+n))
						for i := range c {
							c[i] = sentinel
						}
						c0 := prodSigned(rng, n, n, n)
						for i := range n {
							for j := range n {
								if prodInTriangle(uplo, i, j) {
									if beta == 0 {
										c[i*ldc+j] = math.NaN()
									} else {
										c[i*ldc+j] = c0[i*n+j]
									}
								}
							}
						}
						const alpha = 1.5
						impl.Dsyrk(uplo, prodTrans(tr), n, k, alpha, a, lda, beta, c, ldc)
						want, bound := naiveProduct(tr, !tr, n, n, k, a, lda, a, lda)
						for i := range n {
							for j := range n {
								got := c[i*ldc+j]
								if !prodInTriangle(uplo, i, j) {
									if got != sentinel {
										t.Fatalf("%s: other triangle c[%d,%d] written: %v", name, i, j, got)
									}
									continue
								}
								w := alpha*want[i*n+j] + beta*c0[i*n+j]
								if math.IsNaN(got) || math.Abs(got-w) > tol*(alpha*bound[i*n+j]+0x1p-52*math.Abs(w)) {
									t.Fatalf("%s: c[%d,%d] = %v, want %v", name, i, j, got, w)
								}
							}
							for j := n; j < ldc && i < n-1; j++ {
								if c[i*ldc+j] != sentinel {
									t.Fatalf("%s: padding c[%d,%d] written", name, i, j)
								}
							}
						}
						if !prodEqualBits(a, orig) {
							t.Fatalf("%s: A was modified", name)
						}
					}
				}
			}
		}
	}
	for _, sh := range productShapes {
		m, k, n := sh[0], sh[1], sh[2]
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				for _, pad := range []int{0, 2} {
					for _, beta := range []float64{0, -0.25} {
						name := fmt.Sprintf("%s/Dgemm/tA=%v,tB=%v,m=%d,k=%d,n=%d,pad=%d,beta=%v", impl.Name(), ta, tb, m, k, n, pad, beta)
						ar, ac, br, bc := m, k, k, n
						if ta {
							ar, ac = k, m
						}
						if tb {
							br, bc = n, k
						}
						lda, ldb, ldc := max(1, ac)+pad, max(1, bc)+pad, max(1, n)+pad
						a, b := prodSigned(rng, ar, ac, lda), prodSigned(rng, br, bc, ldb)
						origA, origB := append([]float64(nil), a...), append([]float64(nil), b...)
						c0 := prodSigned(rng, m, n, n)
						c := make([]float64, max(0, (m-1)*ldc+n))
						for i := range c {
							c[i] = sentinel
						}
						for i := range m {
							for j := range n {
								c[i*ldc+j] = math.NaN()
								if beta != 0 {
									c[i*ldc+j] = c0[i*n+j]
								}
							}
						}
						const alpha = -2
						impl.Dgemm(prodTrans(ta), prodTrans(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
						want, bound := naiveProduct(ta, tb, m, n, k, a, lda, b, ldb)
						for i := range m {
							for j := range n {
								got := c[i*ldc+j]
								w := alpha*want[i*n+j] + beta*c0[i*n+j]
								if math.IsNaN(got) || math.Abs(got-w) > tol*(2*bound[i*n+j]+0x1p-52*math.Abs(w)) {
									t.Fatalf("%s: c[%d,%d] = %v, want %v", name, i, j, got, w)
								}
							}
							for j := n; j < ldc && i < m-1; j++ {
								if c[i*ldc+j] != sentinel {
									t.Fatalf("%s: padding c[%d,%d] written", name, i, j)
								}
							}
						}
						if !prodEqualBits(a, origA) || !prodEqualBits(b, origB) {
							t.Fatalf("%s: an input was modified", name)
						}
					}
				}
			}
		}
	}
	// Operands too short for their shapes panic before any native code
	// could read or write past them.
	for _, c := range []struct {
		name string
		call func()
	}{
		{"Dsyrk short a", func() {
			impl.Dsyrk(gblas.Upper, gblas.NoTrans, 3, 4, 1, make([]float64, 11), 4, 0, make([]float64, 9), 3)
		}},
		{"Dsyrk short c", func() {
			impl.Dsyrk(gblas.Upper, gblas.NoTrans, 3, 4, 1, make([]float64, 12), 4, 0, make([]float64, 8), 3)
		}},
		{"Dsyrk lda < k", func() {
			impl.Dsyrk(gblas.Lower, gblas.NoTrans, 3, 4, 1, make([]float64, 12), 3, 0, make([]float64, 9), 3)
		}},
		{"Dsyrk bad uplo", func() { impl.Dsyrk('X', gblas.NoTrans, 1, 1, 1, make([]float64, 1), 1, 0, make([]float64, 1), 1) }},
		{"Dgemm short b", func() {
			impl.Dgemm(gblas.NoTrans, gblas.NoTrans, 2, 3, 4, 1, make([]float64, 8), 4, make([]float64, 11), 3, 0, make([]float64, 6), 3)
		}},
		{"Dgemm short c", func() {
			impl.Dgemm(gblas.NoTrans, gblas.Trans, 2, 3, 4, 1, make([]float64, 8), 4, make([]float64, 12), 4, 0, make([]float64, 5), 3)
		}},
		{"Dgemm ldc < n", func() {
			impl.Dgemm(gblas.NoTrans, gblas.NoTrans, 2, 3, 4, 1, make([]float64, 8), 4, make([]float64, 12), 3, 0, make([]float64, 6), 2)
		}},
		{"Dgemm bad trans", func() {
			impl.Dgemm('X', gblas.NoTrans, 1, 1, 1, 1, make([]float64, 1), 1, make([]float64, 1), 1, 0, make([]float64, 1), 1)
		}},
	} {
		if !prodPanics(c.call) {
			t.Errorf("%s/%s: no panic", impl.Name(), c.name)
		}
	}
}

// prodInTriangle reports whether element (i, j) is in the uplo triangle.
func prodInTriangle(uplo gblas.Uplo, i, j int) bool {
	if uplo == gblas.Upper {
		return j >= i
	}
	return j <= i
}

func prodPanics(f func()) (p bool) {
	defer func() { p = recover() != nil }()
	f()
	return false
}

func prodEqualBits(x, y []float64) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			return false
		}
	}
	return true
}

func prodLookup(t *testing.T, name string) kernels.Spec {
	t.Helper()
	s, err := kernels.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func prodScalars(res kernels.Result) map[string]float64 {
	m := map[string]float64{}
	for _, s := range res.Scalars {
		m[s.Name] = s.Value
	}
	return m
}

// prodCheckRefused: NaN and ±Inf anywhere give a *kernels.NotFiniteError that
// names the element.
func prodCheckRefused(t *testing.T, name string, run func(a []float64) error, rows, cols int, rng *rand.Rand) {
	t.Helper()
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		a := Random(rng, rows, cols, cols)
		a[(rows-1)*cols+cols/2] = bad
		var nf *kernels.NotFiniteError
		if err := run(a); !errors.As(err, &nf) || nf.Row != rows-1 || nf.Col != cols/2 || !errors.Is(err, kernels.ErrNotFinite) {
			t.Fatalf("%s: %v at [%d,%d]: error %v", name, bad, rows-1, cols/2, err)
		}
	}
}

// ProductKernels runs gram, matmul and hadamard through impl (behind
// [Poisoning], so every output element must be written by the kernel):
//
//   - gram: G = A·Aᵀ equals the triple loop to tol's bound, is exactly
//     symmetric, trace(G) = ‖A‖²_F and frobenius = ‖G‖_F, --save gives G;
//   - matmul: C = A·B equals the triple loop on every shape (1×k·k×1,
//     k×1·1×n …), b and a untouched, frobenius = ‖C‖_F; k ≠ k2 is a
//     *kernels.ShapeError, one matrix alone is kernels.ErrNeedsPair;
//   - hadamard: see [Hadamard], which needs no LAPACK and runs once;
//   - every kernel refuses NaN and ±Inf, naming the element,
//
// on one worker per kernel across all shapes, so buffers follow shape
// changes. tol scales the textbook elementwise bound, as in [Products].
func ProductKernels(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(23, 24))
	p := Poisoning{LAPACK: impl}
	gram := prodLookup(t, "gram").NewWith(p, kernels.Options{})
	for rep := range 2 {
		for _, sh := range append(Shapes, [2]int{200, 3}, [2]int{3, 200}) {
			m, n := sh[0], sh[1]
			name := fmt.Sprintf("%s/gram/m=%d,n=%d,rep=%d", impl.Name(), m, n, rep)
			a := prodSigned(rng, m, n, n)
			orig := append([]float64(nil), a...)
			res, err := gram.Run(m, n, a, true)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(res.Outputs) != 1 || res.Outputs[0].Name != "G" || res.Outputs[0].Rows != m || res.Outputs[0].Cols != m || len(res.Outputs[0].Data) != m*m {
				t.Fatalf("%s: outputs %+v", name, res.Outputs)
			}
			g := res.Outputs[0].Data
			want, bound := naiveProduct(false, true, m, m, n, orig, n, orig, n)
			var fro2, norm2 float64
			for i := range m {
				for j := range m {
					if g[i*m+j] != g[j*m+i] {
						t.Fatalf("%s: not symmetric: G[%d,%d] = %v, G[%d,%d] = %v", name, i, j, g[i*m+j], j, i, g[j*m+i])
					}
					if d := math.Abs(g[i*m+j] - want[i*m+j]); !(d <= tol*bound[i*m+j]) {
						t.Fatalf("%s: G[%d,%d] = %v, want %v", name, i, j, g[i*m+j], want[i*m+j])
					}
					fro2 += g[i*m+j] * g[i*m+j]
				}
			}
			for _, v := range orig {
				norm2 += v * v
			}
			sc := prodScalars(res)
			if len(res.Scalars) != 2 || math.Abs(sc["trace"]-norm2) > 4*float64(m*n)*0x1p-52*norm2 {
				t.Fatalf("%s: prodScalars %v, want trace = ‖A‖²_F = %v", name, res.Scalars, norm2)
			}
			if math.Abs(sc["frobenius"]-math.Sqrt(fro2)) > 1e-14*math.Sqrt(fro2) {
				t.Fatalf("%s: frobenius %v, want %v", name, sc["frobenius"], math.Sqrt(fro2))
			}
			if res2, err := gram.Run(m, n, append([]float64(nil), orig...), false); err != nil || res2.Outputs != nil {
				t.Fatalf("%s: without save: outputs %v, error %v", name, res2.Outputs, err)
			}
		}
	}
	prodCheckRefused(t, impl.Name()+"/gram", func(a []float64) error { _, err := gram.Run(4, 5, a, false); return err }, 4, 5, rng)

	// matmul on pairs.
	mm, ok := prodLookup(t, "matmul").NewWith(p, kernels.Options{}).(kernels.PairWorker)
	if !ok {
		t.Fatalf("matmul's worker is not a kernels.PairWorker")
	}
	for rep := range 2 {
		for _, sh := range append(productShapes, [3]int{1, 300, 1}, [3]int{300, 1, 200}) {
			m, k, n := sh[0], sh[1], sh[2]
			name := fmt.Sprintf("%s/matmul/m=%d,k=%d,n=%d,rep=%d", impl.Name(), m, k, n, rep)
			a, b := prodSigned(rng, m, k, k), prodSigned(rng, k, n, n)
			origA, origB := append([]float64(nil), a...), append([]float64(nil), b...)
			res, err := mm.RunPair(m, k, a, k, n, b, true)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(res.Outputs) != 1 || res.Outputs[0].Name != "C" || res.Outputs[0].Rows != m || res.Outputs[0].Cols != n || len(res.Outputs[0].Data) != m*n {
				t.Fatalf("%s: outputs %+v", name, res.Outputs)
			}
			c := res.Outputs[0].Data
			want, bound := naiveProduct(false, false, m, n, k, origA, k, origB, n)
			var fro2 float64
			for i := range c {
				if d := math.Abs(c[i] - want[i]); !(d <= tol*bound[i]) {
					t.Fatalf("%s: C[%d,%d] = %v, want %v", name, i/n, i%n, c[i], want[i])
				}
				fro2 += c[i] * c[i]
			}
			if sc := prodScalars(res); len(res.Scalars) != 1 || math.Abs(sc["frobenius"]-math.Sqrt(fro2)) > 1e-14*math.Sqrt(fro2) {
				t.Fatalf("%s: prodScalars %v, want frobenius %v", name, res.Scalars, math.Sqrt(fro2))
			}
			if !prodEqualBits(a, origA) || !prodEqualBits(b, origB) {
				t.Fatalf("%s: an input was modified", name)
			}
		}
	}
	for _, sh := range [][4]int{{3, 4, 5, 2}, {1, 1, 2, 1}, {4, 1, 4, 1}} {
		m, k, k2, n := sh[0], sh[1], sh[2], sh[3]
		_, err := mm.RunPair(m, k, Random(rng, m, k, k), k2, n, Random(rng, k2, n, n), false)
		var se *kernels.ShapeError
		if !errors.As(err, &se) || se.K != k || se.K2 != k2 || !strings.Contains(err.Error(), fmt.Sprintf("%d×%d", m, k)) {
			t.Fatalf("%s/matmul: %d×%d · %d×%d: error %v, want a *kernels.ShapeError", impl.Name(), m, k, k2, n, err)
		}
	}
	if _, err := mm.Run(3, 3, Random(rng, 3, 3, 3), false); !errors.Is(err, kernels.ErrNeedsPair) {
		t.Fatalf("%s/matmul: Run on one matrix: %v, want kernels.ErrNeedsPair", impl.Name(), err)
	}
	b := Random(rng, 5, 2, 2)
	prodCheckRefused(t, impl.Name()+"/matmul a", func(a []float64) error { _, err := mm.RunPair(4, 5, a, 5, 2, b, false); return err }, 4, 5, rng)
	a := Random(rng, 2, 4, 4)
	prodCheckRefused(t, impl.Name()+"/matmul b", func(b []float64) error { _, err := mm.RunPair(2, 4, a, 4, 5, b, false); return err }, 4, 5, rng)
}
