// Package kerneltest is the one test suite every LAPACK implementation and
// every kernel runs: blasbatch's OpenBLAS path and gonum's pure-Go LAPACK are
// both checked against mathematical properties, never against pasted numbers.
//
// Inputs come from a seeded RNG; outputs are pre-filled with NaN so a value
// the routine forgot to write is caught; padded leading dimensions check that
// the routine respects them; failures name m, n and the case. Beyond the
// numbers, [Workspace] holds every kernel's Spec.Workspace to what its
// worker really allocates, and [Limits] feeds every kernel the shapes it
// must refuse with an error rather than a panic.
package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Shapes are the matrix shapes the suite tries: square, tall, wide, tiny,
// and sizes on either side of blocking thresholds.
var Shapes = [][2]int{
	{1, 1}, {1, 5}, {5, 1}, {2, 2}, {3, 7}, {7, 3}, {16, 16}, {33, 17}, {17, 33}, {64, 64}, {100, 40}, {130, 129},
}

// Random returns an m×n matrix with leading dimension ld ≥ n, entries
// offset + stretch·uniform as in the question's workload, and the padding
// filled with a sentinel the routines must not read into results.
func Random(rng *rand.Rand, m, n, ld int) []float64 {
	a := make([]float64, max(0, (m-1)*ld+n))
	for i := range a {
		a[i] = math.Inf(1) // padding: poison if read as data
	}
	offset := float64(1 + rng.IntN(9))
	stretch := 2*rng.Float64() + 0.1
	for i := range m {
		for j := range n {
			a[i*ld+j] = offset + stretch*rng.Float64()
		}
	}
	return a
}

func nans(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.NaN()
	}
	return x
}

// Dgesdd tests impl's Dgesdd for every job on every shape, with tight and
// padded leading dimensions. tol is the relative tolerance for
// reconstruction and orthonormality (about 1e-12 for float64).
func Dgesdd(t *testing.T, impl blas.LAPACK, tol float64) {
	svdDriver(t, impl.Name()+"/dgesdd", func(job blas.SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, iwork []int32) int {
		return impl.Dgesdd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork)
	}, tol)
}

// Dgesvd is Dgesdd's suite for impl's Dgesvd.
func Dgesvd(t *testing.T, impl blas.LAPACK, tol float64) {
	svdDriver(t, impl.Name()+"/dgesvd", func(job blas.SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, _ []int32) int {
		return impl.Dgesvd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork)
	}, tol)
}

type svdFunc func(job blas.SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, iwork []int32) int

func svdDriver(t *testing.T, impl string, svd svdFunc, tol float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range Shapes {
		m, n := sh[0], sh[1]
		k := min(m, n)
		for _, job := range []blas.SVDJob{blas.SVDAll, blas.SVDThin, blas.SVDNone} {
			for _, pad := range []int{0, 3} {
				name := fmt.Sprintf("%s/m=%d,n=%d,job=%c,pad=%d", impl, m, n, job, pad)
				lda := n + pad
				a := Random(rng, m, n, lda)
				orig := append([]float64(nil), a...)

				var ur, uc, vr int
				switch job {
				case blas.SVDAll:
					ur, uc, vr = m, m, n
				case blas.SVDThin:
					ur, uc, vr = m, k, k
				}
				ldu, ldvt := uc+pad, n+pad
				var u, vt []float64
				if job != blas.SVDNone {
					u = nans(max(0, (ur-1)*ldu+uc))
					vt = nans(max(0, (vr-1)*ldvt+n))
				} else {
					ldu, ldvt = 1, 1
				}
				s := nans(k)
				iwork := make([]int32, 8*k)
				var q [1]float64
				svd(job, m, n, a, lda, s, u, ldu, vt, ldvt, q[:], -1, iwork)
				lwork := int(q[0])
				if lwork < 1 {
					t.Fatalf("%s: workspace query returned %v", name, q[0])
				}
				work := nans(lwork)
				if info := svd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork); info != 0 {
					t.Fatalf("%s: info=%d", name, info)
				}
				checkPadding(t, name, m, n, lda, a)
				checkSingularValues(t, name, s, orig, m, n, lda)
				if job == blas.SVDNone {
					continue
				}
				checkOrthonormalRows(t, name+" Uᵀ", transpose(ur, uc, ldu, u), uc, ur, ur, tol)
				checkOrthonormalRows(t, name+" Vᵀ", vt, vr, n, ldvt, tol)
				checkReconstruction(t, name, orig, m, n, lda, u, ldu, s, vt, ldvt, tol)
			}
		}
	}
}

// checkPadding: elements between the rows of a must be untouched.
func checkPadding(t *testing.T, name string, m, n, lda int, a []float64) {
	t.Helper()
	for i := range max(0, m-1) {
		for j := n; j < lda; j++ {
			if !math.IsInf(a[i*lda+j], 1) {
				t.Fatalf("%s: padding a[%d,%d] was written: %v", name, i, j, a[i*lda+j])
			}
		}
	}
}

// checkSingularValues: σ finite, non-negative, non-increasing, and Σσ² equals
// ‖A‖²_F (the Frobenius norm is invariant under orthogonal transforms).
func checkSingularValues(t *testing.T, name string, s, a []float64, m, n, lda int) {
	t.Helper()
	var sum2 float64
	for i, v := range s {
		if math.IsNaN(v) || v < 0 {
			t.Fatalf("%s: σ[%d] = %v", name, i, v)
		}
		if i > 0 && v > s[i-1] {
			t.Fatalf("%s: σ not sorted: σ[%d]=%v > σ[%d]=%v", name, i, v, i-1, s[i-1])
		}
		sum2 += v * v
	}
	var fro2 float64
	for i := range m {
		for j := range n {
			fro2 += a[i*lda+j] * a[i*lda+j]
		}
	}
	if math.Abs(sum2-fro2) > 1e-12*fro2*float64(max(m, n)) {
		t.Fatalf("%s: Σσ² = %v, ‖A‖²_F = %v", name, sum2, fro2)
	}
}

func transpose(r, c, ld int, x []float64) []float64 {
	y := make([]float64, r*c)
	for i := range r {
		for j := range c {
			y[j*r+i] = x[i*ld+j]
		}
	}
	return y
}

// checkOrthonormalRows checks Q·Qᵀ = I for the r×c matrix q (r ≤ c).
func checkOrthonormalRows(t *testing.T, name string, q []float64, r, c, ld int, tol float64) {
	t.Helper()
	for i := range r {
		for j := range r {
			var d float64
			for l := range c {
				d += q[i*ld+l] * q[j*ld+l]
			}
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(d-want) > tol*float64(c) {
				t.Fatalf("%s: not orthonormal: row %d · row %d = %v", name, i, j, d)
			}
		}
	}
}

// checkReconstruction: ‖U·Σ·Vᵀ − A‖_F ≤ tol·max(m,n)·‖A‖_F, with U's first k
// columns and Vᵀ's first k rows.
func checkReconstruction(t *testing.T, name string, a []float64, m, n, lda int, u []float64, ldu int, s, vt []float64, ldvt int, tol float64) {
	t.Helper()
	k := min(m, n)
	us := make([]float64, m*k) // U[:, :k]·Σ
	for i := range m {
		for j := range k {
			us[i*k+j] = u[i*ldu+j] * s[j]
		}
	}
	got := make([]float64, m*n)
	gonum.Implementation{}.Dgemm(gblas.NoTrans, gblas.NoTrans, m, n, k, 1, us, max(1, k), vt, ldvt, 0, got, max(1, n))
	var diff, norm float64
	for i := range m {
		for j := range n {
			d := got[i*n+j] - a[i*lda+j]
			diff += d * d
			norm += a[i*lda+j] * a[i*lda+j]
		}
	}
	if math.Sqrt(diff) > tol*float64(max(m, n))*math.Sqrt(norm) {
		t.Fatalf("%s: ‖UΣVᵀ − A‖ = %v, ‖A‖ = %v", name, math.Sqrt(diff), math.Sqrt(norm))
	}
}

// Kernels runs every kernel through impl on every shape, with the default
// Options and with Fallback on (which must not change a result that needs
// no fallback): results match the LAPACK-level properties, the worker reuses
// its buffers across shapes, and bad input gives the documented errors.
func Kernels(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spec := range svdKernels() {
		for _, opt := range []kernels.Options{{}, {Fallback: true}} {
			w := spec.NewWith(impl, kernels.Options{})
			if opt.Fallback {
				w = spec.NewWith(impl, opt)
			}
			// Same worker across shapes and repeats: the workspace cache
			// must follow shape changes.
			for rep := range 2 {
				for _, sh := range Shapes {
					m, n := sh[0], sh[1]
					name := fmt.Sprintf("%s/%s/%+v/m=%d,n=%d,rep=%d", impl.Name(), spec.Name, opt, m, n, rep)
					a := Random(rng, m, n, n)
					orig := append([]float64(nil), a...)
					res, err := w.Run(m, n, a, true)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if res.Fallback != "" {
						t.Fatalf("%s: Fallback = %q with nothing failing", name, res.Fallback)
					}
					checkResult(t, name, spec, res, orig, m, n, tol)
				}
			}
			// Non-finite input never reaches LAPACK and names the element.
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				a := Random(rng, 4, 5, 5)
				a[2*5+3] = bad
				_, err := w.Run(4, 5, a, false)
				nf, ok := err.(*kernels.NotFiniteError)
				if !ok || nf.Row != 2 || nf.Col != 3 {
					t.Fatalf("%s/%s: %v in [2,3]: got error %v", impl.Name(), spec.Name, bad, err)
				}
			}
		}
	}
}

// checkResult checks a kernel's Result for the m×n matrix orig, run with
// save: k singular values with the SVD's properties and, for svd, U and Vᵀ
// orthonormal and U·Σ·Vᵀ = orig.
func checkResult(t *testing.T, name string, spec kernels.Spec, res kernels.Result, orig []float64, m, n int, tol float64) {
	t.Helper()
	k := min(m, n)
	if len(res.Values) != k {
		t.Fatalf("%s: %d values, want %d", name, len(res.Values), k)
	}
	checkSingularValues(t, name, res.Values, orig, m, n, n)
	outs := map[string]kernels.Output{}
	for _, o := range res.Outputs {
		outs[o.Name] = o
	}
	if _, ok := outs["S"]; !ok {
		t.Fatalf("%s: no S output", name)
	}
	if spec.Name == "svd" {
		u, vt := outs["U"], outs["Vt"]
		if u.Rows != m || u.Cols != k || vt.Rows != k || vt.Cols != n {
			t.Fatalf("%s: U %d×%d, Vt %d×%d", name, u.Rows, u.Cols, vt.Rows, vt.Cols)
		}
		checkOrthonormalRows(t, name+" Uᵀ", transpose(m, k, k, u.Data), k, m, m, tol)
		checkOrthonormalRows(t, name+" Vᵀ", vt.Data, k, n, n, tol)
		checkReconstruction(t, name, orig, m, n, n, u.Data, k, res.Values, vt.Data, n, tol)
	} else if len(outs) != 1 {
		t.Fatalf("%s: outputs %v, want S alone", name, res.Outputs)
	}
}

// Agree checks that two implementations give the same singular values, to
// rtol relative to σ₁, on the same random inputs.
func Agree(t *testing.T, a, b blas.LAPACK, rtol float64) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, spec := range svdKernels() {
		wa, wb := spec.NewWith(a, kernels.Options{}), spec.NewWith(b, kernels.Options{})
		for _, sh := range Shapes {
			m, n := sh[0], sh[1]
			x := Random(rng, m, n, n)
			y := append([]float64(nil), x...)
			ra, err := wa.Run(m, n, x, false)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := wb.Run(m, n, y, false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range ra.Values {
				if math.Abs(ra.Values[i]-rb.Values[i]) > rtol*ra.Values[0] {
					t.Fatalf("%s m=%d,n=%d: σ[%d] %s=%v %s=%v", spec.Name, m, n, i, a.Name(), ra.Values[i], b.Name(), rb.Values[i])
				}
			}
		}
	}
}

// svdKernels are the kernels whose results are singular values, which the
// SVD properties here apply to; other kernels have suites of their own.
func svdKernels() []kernels.Spec {
	var out []kernels.Spec
	for _, s := range kernels.All() {
		if s.Field == "singular_values" {
			out = append(out, s)
		}
	}
	return out
}
