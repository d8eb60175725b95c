package kerneltest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
)

// EigenSizes are the orders of the square matrices the eigen suites try:
// tiny, and on either side of blocking and divide-and-conquer thresholds
// (dsyevd switches to divide and conquer above 25).
var EigenSizes = []int{1, 2, 3, 7, 16, 26, 33, 64, 130}

// RandomSymmetric returns a symmetric n×n matrix with leading dimension
// ld ≥ n, entries like [Random]'s, and Random's poisoned padding.
func RandomSymmetric(rng *rand.Rand, n, ld int) []float64 {
	a := Random(rng, n, n, ld)
	for i := range n {
		for j := range i {
			a[j*ld+i] = a[i*ld+j]
		}
	}
	return a
}

// Dsyevd tests impl's Dsyevd for both jobs on every size, with tight and
// padded leading dimensions and the upper triangle set to NaN (only the
// lower one may be read): eigenvalues ascending with Σλ = trace(A), the
// eigenvectors (rows of a) orthonormal with A·v = λ·v, and the values-only
// job giving the same eigenvalues. tol is about 1e-13 for float64.
func Dsyevd(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, n := range EigenSizes {
		for _, pad := range []int{0, 3} {
			lda := n + pad
			orig := RandomSymmetric(rng, n, lda)
			var vals []float64
			for _, job := range []blas.EigJob{blas.EigVectors, blas.EigValues} {
				name := fmt.Sprintf("%s/dsyevd/n=%d,job=%c,pad=%d", impl.Name(), n, job, pad)
				a := slices.Clone(orig)
				for i := range n {
					for j := i + 1; j < n; j++ {
						a[i*lda+j] = math.NaN()
					}
				}
				w := nans(n)
				var q [1]float64
				var iq [1]int32
				impl.Dsyevd(job, n, a, lda, w, q[:], -1, iq[:], -1)
				lwork, liwork := int(q[0]), int(iq[0])
				if lwork < 1 || liwork < 1 {
					t.Fatalf("%s: workspace query returned lwork=%v liwork=%d", name, q[0], iq[0])
				}
				if info := impl.Dsyevd(job, n, a, lda, w, nans(lwork), lwork, make([]int32, liwork), liwork); info != 0 {
					t.Fatalf("%s: info=%d", name, info)
				}
				checkPadding(t, name, n, n, lda, a)
				checkSymEigenvalues(t, name, w, orig, n, lda, tol)
				if job == blas.EigVectors {
					vals = w
					checkOrthonormalRows(t, name+" V", a, n, n, lda, tol)
					for j := range n {
						checkEigenpair(t, name, orig, n, lda, w[j], 0, a[j*lda:j*lda+n], nil, j, tol)
					}
					continue
				}
				for j := range n {
					if math.Abs(w[j]-vals[j]) > tol*float64(n)*maxAbs(vals) {
						t.Fatalf("%s: λ[%d] = %v without vectors, %v with", name, j, w[j], vals[j])
					}
				}
			}
		}
	}
}

// Dgeev tests impl's Dgeev for both jobs on every size, with tight and
// padded leading dimensions: complex pairs adjacent and conjugate (positive
// imaginary part first), Σλ = trace(A), unit eigenvectors with A·v = λ·v in
// complex arithmetic, the values-only job giving the same eigenvalues, and
// the eigenvalues of matrices known in closed form.
func Dgeev(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(33, 34))
	for _, n := range EigenSizes {
		for _, pad := range []int{0, 3} {
			lda := n + pad
			orig := Random(rng, n, n, lda)
			var first []complex128
			for _, job := range []blas.EigJob{blas.EigVectors, blas.EigValues} {
				name := fmt.Sprintf("%s/dgeev/n=%d,job=%c,pad=%d", impl.Name(), n, job, pad)
				a := slices.Clone(orig)
				lam, v := runDgeev(t, name, impl, job, n, a, lda, n+pad)
				if job == blas.EigVectors {
					checkPadding(t, name+" v", n, n, n+pad, v)
				}
				checkGeneralEigenvalues(t, name, lam, orig, n, lda, tol)
				if job == blas.EigVectors {
					first = lam
					checkGeneralVectors(t, name, orig, n, lda, lam, v, n+pad, tol)
					continue
				}
				checkSameSpectrum(t, name, lam, first, tol*float64(n)*maxModulus(first))
			}
		}
	}
	// Known spectra. Row-major [[0, −1], [1, 0]] rotates by 90°: ±i.
	c, s := math.Cos(0.3), math.Sin(0.3)
	for _, k := range []struct {
		name string
		n    int
		a    []float64
		want []complex128
	}{
		{"rotation", 2, []float64{0, -1, 1, 0}, []complex128{1i, -1i}},
		{"rotation-0.3", 3, []float64{2, 0, 0, 0, c, -s, 0, s, c}, []complex128{2, complex(c, s), complex(c, -s)}},
		// Upper triangular in row-major (lower triangular as LAPACK sees
		// the buffer): the diagonal.
		{"triangular", 4, []float64{4, 1, 2, 3, 0, -2, 5, 6, 0, 0, 0.5, 7, 0, 0, 0, 9}, []complex128{4, -2, 0.5, 9}},
		{"jordan-free-shear", 2, []float64{1, 5, 0, 3}, []complex128{1, 3}},
	} {
		name := fmt.Sprintf("%s/dgeev/%s,n=%d", impl.Name(), k.name, k.n)
		lam, v := runDgeev(t, name, impl, blas.EigVectors, k.n, slices.Clone(k.a), k.n, k.n)
		checkSameSpectrum(t, name, lam, k.want, 1e-14*float64(k.n)*maxModulus(k.want))
		checkGeneralVectors(t, name, k.a, k.n, k.n, lam, v, k.n, tol)
	}
}

// runDgeev runs impl's Dgeev with NaN-filled outputs and padded v and
// returns the eigenvalues and v.
func runDgeev(t *testing.T, name string, impl blas.LAPACK, job blas.EigJob, n int, a []float64, lda, ldv int) ([]complex128, []float64) {
	t.Helper()
	wr, wi := nans(n), nans(n)
	var v []float64
	if job == blas.EigVectors {
		v = nans(max(0, (n-1)*ldv+n))
		for i := range max(0, n-1) {
			for j := n; j < ldv; j++ {
				v[i*ldv+j] = math.Inf(1)
			}
		}
	}
	var q [1]float64
	impl.Dgeev(job, n, a, lda, wr, wi, v, ldv, q[:], -1)
	lwork := int(q[0])
	if lwork < 1 {
		t.Fatalf("%s: workspace query returned %v", name, q[0])
	}
	if info := impl.Dgeev(job, n, a, lda, wr, wi, v, ldv, nans(lwork), lwork); info != 0 {
		t.Fatalf("%s: info=%d", name, info)
	}
	lam := make([]complex128, n)
	for j := range n {
		lam[j] = complex(wr[j], wi[j])
	}
	return lam, v
}

// checkSymEigenvalues: λ finite and ascending, Σλ = trace(A).
func checkSymEigenvalues(t *testing.T, name string, w, a []float64, n, lda int, tol float64) {
	t.Helper()
	var sum, trace float64
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s: λ[%d] = %v", name, i, v)
		}
		if i > 0 && v < w[i-1] {
			t.Fatalf("%s: eigenvalues not ascending: λ[%d]=%v < λ[%d]=%v", name, i, v, i-1, w[i-1])
		}
		sum += v
		trace += a[i*lda+i]
	}
	if math.Abs(sum-trace) > tol*float64(n)*maxAbs(w) {
		t.Fatalf("%s: Σλ = %v, trace = %v", name, sum, trace)
	}
}

// checkGeneralEigenvalues: finite; complex pairs adjacent, conjugate, the
// positive imaginary part first; Σλ = trace(A).
func checkGeneralEigenvalues(t *testing.T, name string, lam []complex128, a []float64, n, lda int, tol float64) {
	t.Helper()
	var sum complex128
	var trace float64
	for j := 0; j < n; j++ {
		l := lam[j]
		if cmplxBad(l) {
			t.Fatalf("%s: λ[%d] = %v", name, j, l)
		}
		sum += l
		trace += a[j*lda+j]
		if imag(l) == 0 {
			continue
		}
		if imag(l) < 0 || j+1 == n || lam[j+1] != complex(real(l), -imag(l)) {
			t.Fatalf("%s: λ[%d] = %v is not followed by its conjugate (λ[%d..] = %v)", name, j, l, j+1, lam[j+1:])
		}
		sum += lam[j+1]
		trace += a[(j+1)*lda+j+1]
		j++
	}
	scale := float64(n) * maxModulus(lam)
	if math.Abs(real(sum)-trace) > tol*scale || math.Abs(imag(sum)) > tol*scale {
		t.Fatalf("%s: Σλ = %v, trace = %v", name, sum, trace)
	}
}

// checkGeneralVectors checks A·v = λ·v for every eigenpair, with v in
// [blas.Eigen]'s row layout (ldv), and that each v has unit norm.
func checkGeneralVectors(t *testing.T, name string, a []float64, n, lda int, lam []complex128, v []float64, ldv int, tol float64) {
	t.Helper()
	for j := 0; j < n; j++ {
		x := v[j*ldv : j*ldv+n]
		if imag(lam[j]) == 0 {
			checkEigenpair(t, name, a, n, lda, real(lam[j]), 0, x, nil, j, tol)
			continue
		}
		y := v[(j+1)*ldv : (j+1)*ldv+n]
		neg := make([]float64, n)
		for i := range y {
			neg[i] = -y[i]
		}
		checkEigenpair(t, name, a, n, lda, real(lam[j]), imag(lam[j]), x, y, j, tol)
		checkEigenpair(t, name, a, n, lda, real(lam[j+1]), imag(lam[j+1]), x, neg, j+1, tol)
		j++
	}
}

// checkEigenpair checks ‖A·v − λ·v‖ ≤ tol·n·‖A‖_F for λ = lr + i·li and
// v = x + i·y (y nil: real), and ‖v‖ = 1.
func checkEigenpair(t *testing.T, name string, a []float64, n, lda int, lr, li float64, x, y []float64, j int, tol float64) {
	t.Helper()
	var res2, norm2, fro2 float64
	for r := range n {
		var ax, ay float64
		for c := range n {
			ax += a[r*lda+c] * x[c]
			if y != nil {
				ay += a[r*lda+c] * y[c]
			}
			fro2 += a[r*lda+c] * a[r*lda+c]
		}
		var yr float64
		if y != nil {
			yr = y[r]
		}
		// (lr + i·li)(x + i·y) = (lr·x − li·y) + i(li·x + lr·y)
		dr := ax - (lr*x[r] - li*yr)
		di := ay - (li*x[r] + lr*yr)
		res2 += dr*dr + di*di
		norm2 += x[r]*x[r] + yr*yr
	}
	if math.IsNaN(res2) || math.Sqrt(res2) > tol*float64(n)*math.Sqrt(fro2) {
		t.Fatalf("%s: ‖A·v − λ·v‖ = %v for λ[%d] = %g%+gi (‖A‖_F = %v)", name, math.Sqrt(res2), j, lr, li, math.Sqrt(fro2))
	}
	if math.Abs(norm2-1) > tol*float64(n) {
		t.Fatalf("%s: ‖v[%d]‖² = %v", name, j, norm2)
	}
}

// checkSameSpectrum compares two lists of eigenvalues as multisets, to
// within atol: sorted by (re, im), which a perturbation below atol leaves
// in place for the well separated eigenvalues of the test matrices.
func checkSameSpectrum(t *testing.T, name string, got, want []complex128, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d eigenvalues, want %d", name, len(got), len(want))
	}
	g, w := SortedSpectrum(got, atol), SortedSpectrum(want, atol)
	for i := range g {
		if d := g[i] - w[i]; math.Hypot(real(d), imag(d)) > atol {
			t.Fatalf("%s: sorted λ[%d] = %v, want %v (tolerance %.3g)\ngot  %v\nwant %v", name, i, g[i], w[i], atol, g, w)
		}
	}
}

// SortedSpectrum returns lam sorted by real part, then imaginary part, with
// real parts closer than tol taken as equal (so that a conjugate pair, or
// two eigenvalues whose real parts differ by rounding, sort by imaginary
// part).
func SortedSpectrum(lam []complex128, tol float64) []complex128 {
	s := slices.Clone(lam)
	slices.SortFunc(s, func(a, b complex128) int {
		if math.Abs(real(a)-real(b)) > tol {
			if real(a) < real(b) {
				return -1
			}
			return 1
		}
		switch {
		case imag(a) < imag(b):
			return -1
		case imag(a) > imag(b):
			return 1
		}
		return 0
	})
	return s
}

func cmplxBad(z complex128) bool {
	return math.IsNaN(real(z)) || math.IsNaN(imag(z)) || math.IsInf(real(z), 0) || math.IsInf(imag(z), 0)
}

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return max(m, 1e-300)
}

func maxModulus(x []complex128) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Hypot(real(v), imag(v)))
	}
	return max(m, 1e-300)
}

// outputMatrix returns an Output's elements in row-major order, real and
// imaginary parts (im is nil for a real array). It honours the fields
// Output.Fortran and Output.Imag where the kernels package has them.
func outputMatrix(o kernels.Output) (re, im []float64) {
	rows, cols := o.Rows, o.Cols
	if rows == 0 {
		rows = 1
	}
	ov := reflect.ValueOf(o)
	fortran := false
	if f := ov.FieldByName("Fortran"); f.IsValid() {
		fortran = f.Bool()
	}
	var imag []float64
	if f := ov.FieldByName("Imag"); f.IsValid() {
		imag = f.Interface().([]float64)
	}
	at := func(x []float64) []float64 {
		if x == nil {
			return nil
		}
		y := make([]float64, rows*cols)
		for i := range rows {
			for j := range cols {
				if fortran {
					y[i*cols+j] = x[j*rows+i]
				} else {
					y[i*cols+j] = x[i*cols+j]
				}
			}
		}
		return y
	}
	return at(o.Data), at(imag)
}

// outputHas reports whether kernels.Output has the field name.
func outputHas(name string) bool {
	_, ok := reflect.TypeFor[kernels.Output]().FieldByName(name)
	return ok
}

// EigenKernels runs the eigh and eig kernels through impl on every size,
// with and without --save, with one worker across sizes and repeats (the
// workspace cache must follow shape and job changes): the values are those
// of the LAPACK-level suites, the saved vectors (columns, as NumPy's) satisfy
// A·v = λ·v, and bad input gives the documented errors.
func EigenKernels(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(35, 36))
	eigh, err := kernels.Lookup("eigh")
	if err != nil {
		t.Fatal(err)
	}
	eig, err := kernels.Lookup("eig")
	if err != nil {
		t.Fatal(err)
	}
	if eigh.Field != "eigenvalues" || eigh.Pairs || eig.Field != "eigenvalues" || !eig.Pairs {
		t.Fatalf("fields: eigh %q pairs=%v, eig %q pairs=%v", eigh.Field, eigh.Pairs, eig.Field, eig.Pairs)
	}
	we, wg := eigh.NewWith(impl, kernels.Options{}), eig.NewWith(impl, kernels.Options{})
	complexSave := outputHas("Imag") && outputHas("Fortran")
	for rep := range 2 {
		for _, n := range EigenSizes {
			for _, save := range []bool{false, true} {
				name := fmt.Sprintf("%s/eigh/n=%d,save=%v,rep=%d", impl.Name(), n, save, rep)
				orig := RandomSymmetric(rng, n, n)
				res, err := we.Run(n, n, slices.Clone(orig), save)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(res.Values) != n {
					t.Fatalf("%s: %d values", name, len(res.Values))
				}
				checkSymEigenvalues(t, name, res.Values, orig, n, n, tol)
				if !save {
					if res.Outputs != nil {
						t.Fatalf("%s: outputs without save", name)
					}
				} else {
					outs := outputsByName(t, name, res.Outputs, "values", "vectors")
					if vals, _ := outputMatrix(outs["values"]); !slices.Equal(vals, res.Values) {
						t.Fatalf("%s: saved values %v, record %v", name, vals, res.Values)
					}
					vec := outs["vectors"]
					if vec.Rows != n || vec.Cols != n {
						t.Fatalf("%s: vectors %d×%d", name, vec.Rows, vec.Cols)
					}
					v, _ := outputMatrix(vec)
					vt := transpose(n, n, n, v) // eigenvectors as rows
					checkOrthonormalRows(t, name+" V", vt, n, n, n, tol)
					for j := range n {
						checkEigenpair(t, name, orig, n, n, res.Values[j], 0, vt[j*n:j*n+n], nil, j, tol)
					}
				}

				name = fmt.Sprintf("%s/eig/n=%d,save=%v,rep=%d", impl.Name(), n, save, rep)
				orig = Random(rng, n, n, n)
				res, err = wg.Run(n, n, slices.Clone(orig), save)
				if save && !complexSave {
					if err == nil || !strings.Contains(err.Error(), "--save") {
						t.Fatalf("%s: without Output.Imag, --save gave %v", name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(res.Values) != 2*n {
					t.Fatalf("%s: %d values, want %d (re, im pairs)", name, len(res.Values), 2*n)
				}
				lam := make([]complex128, n)
				for j := range n {
					lam[j] = complex(res.Values[2*j], res.Values[2*j+1])
				}
				checkGeneralEigenvalues(t, name, lam, orig, n, n, tol)
				if !save {
					continue
				}
				outs := outputsByName(t, name, res.Outputs, "values", "vectors")
				vr, vi := outputMatrix(outs["values"])
				for j := range n {
					if vr[j] != real(lam[j]) || vi[j] != imag(lam[j]) {
						t.Fatalf("%s: saved λ[%d] = %g%+gi, record %v", name, j, vr[j], vi[j], lam[j])
					}
				}
				re, im := outputMatrix(outs["vectors"])
				// Column j is λ_j's eigenvector: check each in the row layout.
				rt, it := transpose(n, n, n, re), transpose(n, n, n, im)
				for j := range n {
					checkEigenpair(t, name, orig, n, n, real(lam[j]), imag(lam[j]), rt[j*n:j*n+n], it[j*n:j*n+n], j, tol)
				}
			}
		}
	}

	// Bad input: one error each, naming the problem, and the worker goes on.
	for _, w := range []struct {
		kernel string
		w      kernels.Worker
	}{{"eigh", we}, {"eig", wg}} {
		name := impl.Name() + "/" + w.kernel
		if _, err := w.w.Run(2, 3, Random(rng, 2, 3, 3), false); err == nil || !strings.Contains(err.Error(), "square") || !strings.Contains(err.Error(), "2×3") {
			t.Fatalf("%s: 2×3 input: %v", name, err)
		}
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			a := RandomSymmetric(rng, 4, 4)
			a[2*4+3] = bad
			_, err := w.w.Run(4, 4, a, true)
			nf, ok := err.(*kernels.NotFiniteError)
			if !ok || nf.Row != 2 || nf.Col != 3 {
				t.Fatalf("%s: %v in [2,3]: got error %v", name, bad, err)
			}
		}
		if _, err := w.w.Run(5, 5, RandomSymmetric(rng, 5, 5), false); err != nil {
			t.Fatalf("%s: good item after bad ones: %v", name, err)
		}
	}
	// eigh: a non-symmetric matrix is an error suggesting --symmetrize; one
	// symmetric to rounding (1e-14 relative) is accepted.
	a := RandomSymmetric(rng, 6, 6)
	a[4*6+1] += 1e-3
	if _, err := we.Run(6, 6, a, false); err == nil || !strings.Contains(err.Error(), "not symmetric") || !strings.Contains(err.Error(), "symmetrize") || !strings.Contains(err.Error(), "a[4,1]") {
		t.Fatalf("%s/eigh: non-symmetric input: %v", impl.Name(), err)
	}
	a = RandomSymmetric(rng, 6, 6)
	a[4*6+1] *= 1 + 1e-14
	if _, err := we.Run(6, 6, a, false); err != nil {
		t.Fatalf("%s/eigh: symmetric to rounding: %v", impl.Name(), err)
	}
}

// EighSymmetrize checks eigh with kernels.Options' Symmetrize field set, if
// it exists: a non-symmetric A gives the eigenvalues of (A + Aᵀ)/2.
func EighSymmetrize(t *testing.T, impl blas.LAPACK, tol float64) {
	var opt kernels.Options
	f := reflect.ValueOf(&opt).Elem().FieldByName("Symmetrize")
	if !f.IsValid() {
		t.Skip("kernels.Options has no Symmetrize field yet")
	}
	f.SetBool(true)
	spec, err := kernels.Lookup("eigh")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(37, 38))
	w, ref := spec.NewWith(impl, opt), spec.NewWith(impl, kernels.Options{})
	for _, n := range EigenSizes {
		a := Random(rng, n, n, n)
		sym := make([]float64, n*n)
		for i := range n {
			for j := range n {
				sym[i*n+j] = 0.5 * (a[i*n+j] + a[j*n+i])
			}
		}
		got, err := w.Run(n, n, a, false)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		got.Values = slices.Clone(got.Values)
		want, err := ref.Run(n, n, sym, false)
		if err != nil {
			t.Fatalf("n=%d: (A+Aᵀ)/2: %v", n, err)
		}
		for j := range n {
			if math.Abs(got.Values[j]-want.Values[j]) > tol*float64(n)*maxAbs(want.Values) {
				t.Fatalf("n=%d: λ[%d] = %v, of (A+Aᵀ)/2 %v", n, j, got.Values[j], want.Values[j])
			}
		}
	}
}

func outputsByName(t *testing.T, name string, outs []kernels.Output, want ...string) map[string]kernels.Output {
	t.Helper()
	m := map[string]kernels.Output{}
	var names []string
	for _, o := range outs {
		m[o.Name] = o
		names = append(names, o.Name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("%s: outputs %v, want %v", name, names, want)
	}
	return m
}

// EigenAgree checks that two implementations give the same eigenvalues (as
// sorted multisets for eig), to rtol relative to the largest |λ|, on the
// same random inputs.
func EigenAgree(t *testing.T, a, b blas.LAPACK, rtol float64) {
	rng := rand.New(rand.NewPCG(39, 40))
	for _, kname := range []string{"eigh", "eig"} {
		spec, err := kernels.Lookup(kname)
		if err != nil {
			t.Fatal(err)
		}
		wa, wb := spec.NewWith(a, kernels.Options{}), spec.NewWith(b, kernels.Options{})
		for _, n := range EigenSizes {
			var x []float64
			if kname == "eigh" {
				x = RandomSymmetric(rng, n, n)
			} else {
				x = Random(rng, n, n, n)
			}
			y := slices.Clone(x)
			ra, err := wa.Run(n, n, x, false)
			if err != nil {
				t.Fatalf("%s/%s n=%d: %v", a.Name(), kname, n, err)
			}
			va := slices.Clone(ra.Values)
			rb, err := wb.Run(n, n, y, false)
			if err != nil {
				t.Fatalf("%s/%s n=%d: %v", b.Name(), kname, n, err)
			}
			name := fmt.Sprintf("%s n=%d: %s vs %s", kname, n, a.Name(), b.Name())
			if !spec.Pairs {
				for i := range va {
					if math.Abs(va[i]-rb.Values[i]) > rtol*maxAbs(va) {
						t.Fatalf("%s: λ[%d] %v vs %v", name, i, va[i], rb.Values[i])
					}
				}
				continue
			}
			la, lb := pairsToComplex(va), pairsToComplex(rb.Values)
			checkSameSpectrum(t, name, la, lb, rtol*maxModulus(la))
		}
	}
}

func pairsToComplex(v []float64) []complex128 {
	z := make([]complex128, len(v)/2)
	for j := range z {
		z[j] = complex(v[2*j], v[2*j+1])
	}
	return z
}
