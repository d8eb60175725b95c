package kerneltest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	gblas "gonum.org/v1/gonum/blas"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
)

// SquareSizes are the orders the factorisation suites try: tiny, around
// gonum's and OpenBLAS's block sizes, and one that needs several blocks.
var SquareSizes = []int{1, 2, 3, 4, 5, 16, 33, 64, 65, 130}

// SPD returns an n×n symmetric positive definite matrix B·Bᵀ + n·I with
// leading dimension ld, B from Random, the padding filled with +Inf. Its
// upper and lower triangles are exactly equal.
func SPD(rng *rand.Rand, n, ld int) []float64 {
	b := Random(rng, n, n, n)
	for i := range b {
		b[i] -= 5 // centre it, for a matrix that is not dominated by one direction
	}
	a := make([]float64, max(0, (n-1)*ld+n))
	for i := range a {
		a[i] = math.Inf(1)
	}
	for i := range n {
		for j := 0; j <= i; j++ {
			var s float64
			for l := range n {
				s += b[i*n+l] * b[j*n+l]
			}
			if i == j {
				s += float64(n)
			}
			a[i*ld+j], a[j*ld+i] = s, s
		}
	}
	return a
}

// copyDense returns the n×c matrix held in a with leading dimension ld,
// unpadded.
func copyDense(r, c, ld int, a []float64) []float64 {
	out := make([]float64, r*c)
	for i := range r {
		copy(out[i*c:i*c+c], a[i*ld:i*ld+c])
	}
	return out
}

// mul returns the r×c product of the r×k x and the k×c y, all unpadded.
func mul(r, k, c int, x, y []float64) []float64 {
	out := make([]float64, r*c)
	for i := range r {
		for l := range k {
			v := x[i*k+l]
			for j := range c {
				out[i*c+j] += v * y[l*c+j]
			}
		}
	}
	return out
}

// relDiff is ‖x − y‖_F / ‖y‖_F (or ‖x − y‖_F when y is zero).
func relDiff(x, y []float64) float64 {
	var d, n float64
	for i := range y {
		d += (x[i] - y[i]) * (x[i] - y[i])
		n += y[i] * y[i]
	}
	if n == 0 {
		return math.Sqrt(d)
	}
	return math.Sqrt(d / n)
}

// RefSlogdet is an independent sign and log|det| of the n×n row-major a:
// cofactor expansion for n ≤ 4, Gaussian elimination with partial pivoting
// written here in plain Go above that. A singular matrix gives sign 0 and
// −Inf.
func RefSlogdet(n int, a []float64) (sign, logAbs float64) {
	if n <= 4 {
		d := cofactorDet(n, a)
		switch {
		case d == 0:
			return 0, math.Inf(-1)
		case d < 0:
			return -1, math.Log(-d)
		}
		return 1, math.Log(d)
	}
	x := append([]float64(nil), a[:n*n]...)
	sign = 1
	for j := range n {
		p := j
		for i := j + 1; i < n; i++ {
			if math.Abs(x[i*n+j]) > math.Abs(x[p*n+j]) {
				p = i
			}
		}
		if x[p*n+j] == 0 {
			return 0, math.Inf(-1)
		}
		if p != j {
			for l := range n {
				x[j*n+l], x[p*n+l] = x[p*n+l], x[j*n+l]
			}
			sign = -sign
		}
		piv := x[j*n+j]
		if piv < 0 {
			sign = -sign
		}
		logAbs += math.Log(math.Abs(piv))
		for i := j + 1; i < n; i++ {
			f := x[i*n+j] / piv
			for l := j; l < n; l++ {
				x[i*n+l] -= f * x[j*n+l]
			}
		}
	}
	return sign, logAbs
}

// cofactorDet is the determinant by expansion along the first row.
func cofactorDet(n int, a []float64) float64 {
	if n == 1 {
		return a[0]
	}
	var d float64
	minor := make([]float64, (n-1)*(n-1))
	for c := range n {
		k := 0
		for i := 1; i < n; i++ {
			for j := range n {
				if j != c {
					minor[k] = a[i*n+j]
					k++
				}
			}
		}
		s := 1.0
		if c%2 == 1 {
			s = -1
		}
		d += s * a[c] * cofactorDet(n-1, minor)
	}
	return d
}

// Factor tests impl's [blas.Factor] routines on every size (and every
// shape for QR), with tight and padded leading dimensions, outputs
// pre-filled with NaN and padding with +Inf. tol is the relative tolerance
// of reconstructions (about 1e-13).
func Factor(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, n := range SquareSizes {
		for _, pad := range []int{0, 3} {
			lda := n + pad
			name := fmt.Sprintf("%s/m=%d,n=%d,pad=%d", impl.Name(), n, n, pad)
			testDpotrf(t, name, impl, rng, n, lda, tol)
			testLU(t, name, impl, rng, n, lda, tol)
		}
	}
	for _, sh := range Shapes {
		for _, pad := range []int{0, 3} {
			testQR(t, fmt.Sprintf("%s/m=%d,n=%d,pad=%d", impl.Name(), sh[0], sh[1], pad), impl, rng, sh[0], sh[1], sh[1]+pad, tol)
		}
	}

	// Not positive definite: the failing minor is LAPACK's INFO, in every
	// position, in and beyond the first block.
	for _, n := range []int{1, 5, 64, 130} {
		for _, k := range []int{1, (n + 1) / 2, n} {
			for _, uplo := range []gblas.Uplo{gblas.Lower, gblas.Upper} {
				a := SPD(rng, n, n)
				a[(k-1)*n+(k-1)] = -1 // minors 1…k−1 untouched, minor k indefinite
				if info := impl.Dpotrf(uplo, n, a, n); info != k {
					t.Fatalf("%s/dpotrf %c m=%d,n=%d: minor %d made indefinite, info=%d", impl.Name(), uplo, n, n, k, info)
				}
			}
		}
	}
	// Singular: a zero column stays exactly zero through elimination.
	for _, n := range []int{2, 5, 64} {
		a := Random(rng, n, n, n)
		for i := range n {
			a[i*n+n/2] = 0
		}
		ipiv := make([]int32, n)
		if info := impl.Dgetrf(n, a, n, ipiv); info < 1 || info > n {
			t.Fatalf("%s/dgetrf m=%d,n=%d: zero column, info=%d", impl.Name(), n, n, info)
		}
	}
}

func testDpotrf(t *testing.T, name string, impl blas.LAPACK, rng *rand.Rand, n, lda int, tol float64) {
	t.Helper()
	for _, uplo := range []gblas.Uplo{gblas.Lower, gblas.Upper} {
		a := SPD(rng, n, lda)
		orig := copyDense(n, n, lda, a)
		// The other strict triangle is not referenced.
		other := func(i, j int) bool { return uplo == gblas.Lower && j > i || uplo == gblas.Upper && j < i }
		for i := range n {
			for j := range n {
				if other(i, j) {
					a[i*lda+j] = math.NaN()
				}
			}
		}
		if info := impl.Dpotrf(uplo, n, a, lda); info != 0 {
			t.Fatalf("%s dpotrf %c: info=%d on an SPD matrix", name, uplo, info)
		}
		checkPadding(t, name+" dpotrf", n, n, lda, a)
		l := make([]float64, n*n) // L, from a's lower triangle or Uᵀ from its upper
		for i := range n {
			for j := range n {
				switch {
				case other(i, j):
					if !math.IsNaN(a[i*lda+j]) {
						t.Fatalf("%s dpotrf %c: wrote the other triangle at [%d,%d]", name, uplo, i, j)
					}
				case j == i && !(a[i*lda+j] > 0):
					t.Fatalf("%s dpotrf %c: L[%d,%d] = %v, want > 0", name, uplo, i, j, a[i*lda+j])
				case uplo == gblas.Lower:
					l[i*n+j] = a[i*lda+j]
				default:
					l[j*n+i] = a[i*lda+j]
				}
			}
		}
		if d := relDiff(mul(n, n, n, l, transpose(n, n, n, l)), orig); d > tol*float64(n) {
			t.Fatalf("%s dpotrf %c: ‖L·Lᵀ − A‖/‖A‖ = %v", name, uplo, d)
		}
	}
}

func testLU(t *testing.T, name string, impl blas.LAPACK, rng *rand.Rand, n, lda int, tol float64) {
	t.Helper()
	a := Random(rng, n, n, lda)
	for i := range n { // centre it, for a better-conditioned matrix
		for j := range n {
			a[i*lda+j] -= 5
		}
	}
	orig := copyDense(n, n, lda, a)
	var norm1, normInf float64
	for j := range n {
		var c, r float64
		for i := range n {
			c += math.Abs(orig[i*n+j])
			r += math.Abs(orig[j*n+i])
		}
		norm1, normInf = max(norm1, c), max(normInf, r)
	}
	ipiv := make([]int32, n)
	for i := range ipiv {
		ipiv[i] = -7
	}
	if info := impl.Dgetrf(n, a, lda, ipiv); info != 0 {
		t.Fatalf("%s dgetrf: info=%d", name, info)
	}
	checkPadding(t, name+" dgetrf", n, n, lda, a)
	sign, logAbs := 1.0, 0.0
	for i := range n {
		if ipiv[i] < int32(i+1) || ipiv[i] > int32(n) {
			t.Fatalf("%s dgetrf: ipiv[%d] = %d", name, i, ipiv[i])
		}
		if ipiv[i] != int32(i+1) {
			sign = -sign
		}
		d := a[i*lda+i]
		if d < 0 {
			sign = -sign
		}
		logAbs += math.Log(math.Abs(d))
	}
	wantSign, wantLog := RefSlogdet(n, orig)
	if sign != wantSign || math.Abs(logAbs-wantLog) > tol*float64(n)*max(1, math.Abs(wantLog)) {
		t.Fatalf("%s dgetrf: slogdet (%v, %v), reference (%v, %v)", name, sign, logAbs, wantSign, wantLog)
	}

	work := nans(4 * n)
	iwork := make([]int32, n)
	rc1 := impl.Dgecon('1', n, a, lda, norm1, work, iwork)
	rcInf := impl.Dgecon('I', n, a, lda, normInf, nans(4*n), iwork)

	var q [1]float64
	impl.Dgetri(n, a, lda, ipiv, q[:], -1)
	lwork := int(q[0])
	if lwork < max(1, n) {
		t.Fatalf("%s dgetri: workspace query returned %v", name, q[0])
	}
	if info := impl.Dgetri(n, a, lda, ipiv, nans(lwork), lwork); info != 0 {
		t.Fatalf("%s dgetri: info=%d", name, info)
	}
	checkPadding(t, name+" dgetri", n, n, lda, a)
	inv := copyDense(n, n, lda, a)
	eye := make([]float64, n*n)
	for i := range n {
		eye[i*n+i] = 1
	}
	// ‖A·A⁻¹ − I‖ is bounded by the condition number times the rounding.
	if d := relDiff(mul(n, n, n, orig, inv), eye); d > tol*float64(n)/rc1 {
		t.Fatalf("%s dgetri: ‖A·A⁻¹ − I‖/‖I‖ = %v (rcond %v)", name, d, rc1)
	}
	// Dgecon estimates ‖A⁻¹‖ from below: rcond is at least the true one,
	// and within a small factor of it.
	var inv1, invInf float64
	for j := range n {
		var c, r float64
		for i := range n {
			c += math.Abs(inv[i*n+j])
			r += math.Abs(inv[j*n+i])
		}
		inv1, invInf = max(inv1, c), max(invInf, r)
	}
	for _, c := range []struct {
		norm      string
		got, want float64
	}{{"1", rc1, 1 / (norm1 * inv1)}, {"I", rcInf, 1 / (normInf * invInf)}} {
		if !(c.got >= c.want*(1-1e-8) && c.got <= 10*c.want) {
			t.Fatalf("%s dgecon norm %s: rcond %v, true %v", name, c.norm, c.got, c.want)
		}
	}
}

func testQR(t *testing.T, name string, impl blas.LAPACK, rng *rand.Rand, m, n, lda int, tol float64) {
	t.Helper()
	k := min(m, n)
	a := Random(rng, m, n, lda)
	orig := copyDense(m, n, lda, a)
	tau := nans(k)
	var q [1]float64
	impl.Dgeqrf(m, n, a, lda, tau, q[:], -1)
	lwork := int(q[0])
	if lwork < max(1, n) {
		t.Fatalf("%s dgeqrf: workspace query returned %v", name, q[0])
	}
	impl.Dgeqrf(m, n, a, lda, tau, nans(lwork), lwork)
	checkPadding(t, name+" dgeqrf", m, n, lda, a)
	r := make([]float64, k*n)
	for i := range k {
		copy(r[i*n+i:i*n+n], a[i*lda+i:i*lda+n])
	}
	impl.Dorgqr(m, k, k, a, lda, tau, q[:], -1)
	lwork = int(q[0])
	if lwork < max(1, k) {
		t.Fatalf("%s dorgqr: workspace query returned %v", name, q[0])
	}
	impl.Dorgqr(m, k, k, a, lda, tau, nans(lwork), lwork)
	checkPadding(t, name+" dorgqr", m, n, lda, a)
	qm := copyDense(m, k, lda, a)
	for _, v := range qm {
		if math.IsNaN(v) {
			t.Fatalf("%s dorgqr: Q holds NaN", name)
		}
	}
	checkOrthonormalRows(t, name+" Qᵀ", transpose(m, k, k, qm), k, m, m, tol)
	if d := relDiff(mul(m, k, n, qm, r), orig); d > tol*float64(max(m, n)) {
		t.Fatalf("%s: ‖Q·R − A‖/‖A‖ = %v", name, d)
	}
}

// FactorKernels runs the chol, inv, det and qr kernels through impl on every
// size (every shape for qr), one worker per kernel across sizes and
// repeats, with and without save, and checks the documented item errors:
// not positive definite (naming the leading minor), singular, non-square,
// non-symmetric, not finite.
func FactorKernels(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(23, 24))
	spec := func(name string) kernels.Worker {
		s, err := kernels.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return s.NewWith(impl, kernels.Options{})
	}
	chol, inv, det, qr := spec("chol"), spec("inv"), spec("det"), spec("qr")
	for rep := range 2 {
		for _, n := range SquareSizes {
			save := rep == 0
			name := fmt.Sprintf("%s/m=%d,n=%d,save=%v", impl.Name(), n, n, save)

			// chol: L·Lᵀ = A, L lower with a positive diagonal, log_det.
			a := SPD(rng, n, n)
			orig := append([]float64(nil), a...)
			res, err := chol.Run(n, n, a, save)
			if err != nil {
				t.Fatalf("%s chol: %v", name, err)
			}
			_, wantLog := RefSlogdet(n, orig)
			checkScalar(t, name+" chol", res, "log_det", wantLog, tol*float64(n)*max(1, math.Abs(wantLog)))
			if save {
				l := output(t, name+" chol", res, "L", n, n)
				for i := range n {
					for j := range n {
						if (j > i && l[i*n+j] != 0) || (j == i && !(l[i*n+j] > 0)) {
							t.Fatalf("%s chol: L[%d,%d] = %v", name, i, j, l[i*n+j])
						}
					}
				}
				if d := relDiff(mul(n, n, n, l, transpose(n, n, n, l)), orig); d > tol*float64(n) {
					t.Fatalf("%s chol: ‖L·Lᵀ − A‖/‖A‖ = %v", name, d)
				}
			} else if res.Outputs != nil {
				t.Fatalf("%s chol: outputs without save", name)
			}

			// det and inv on the same general matrix.
			g := Random(rng, n, n, n)
			for i := range g {
				g[i] -= 5
			}
			wantSign, wantLog := RefSlogdet(n, g)
			ltol := tol * float64(n) * max(1, math.Abs(wantLog))
			res, err = det.Run(n, n, append([]float64(nil), g...), save)
			if err != nil {
				t.Fatalf("%s det: %v", name, err)
			}
			checkScalar(t, name+" det", res, "sign", wantSign, 0)
			checkScalar(t, name+" det", res, "log_abs_det", wantLog, ltol)
			if res.Outputs != nil || res.Values != nil {
				t.Fatalf("%s det: outputs or values %v %v", name, res.Outputs, res.Values)
			}
			res, err = inv.Run(n, n, append([]float64(nil), g...), save)
			if err != nil {
				t.Fatalf("%s inv: %v", name, err)
			}
			checkScalar(t, name+" inv", res, "sign", wantSign, 0)
			checkScalar(t, name+" inv", res, "log_abs_det", wantLog, ltol)
			rcond := scalar(t, name+" inv", res, "rcond")
			if !(rcond > 0 && rcond <= 1+1e-12) {
				t.Fatalf("%s inv: rcond %v", name, rcond)
			}
			if save {
				x := output(t, name+" inv", res, "inv", n, n)
				eye := make([]float64, n*n)
				for i := range n {
					eye[i*n+i] = 1
				}
				if d := relDiff(mul(n, n, n, g, x), eye); d > tol*float64(n)/rcond {
					t.Fatalf("%s inv: ‖A·A⁻¹ − I‖/‖I‖ = %v (rcond %v)", name, d, rcond)
				}
			}
		}
		for _, sh := range Shapes {
			m, n := sh[0], sh[1]
			k := min(m, n)
			save := rep == 1
			name := fmt.Sprintf("%s/m=%d,n=%d,save=%v", impl.Name(), m, n, save)
			a := Random(rng, m, n, n)
			orig := append([]float64(nil), a...)
			res, err := qr.Run(m, n, a, save)
			if err != nil {
				t.Fatalf("%s qr: %v", name, err)
			}
			if len(res.Values) != k {
				t.Fatalf("%s qr: %d values, want %d", name, len(res.Values), k)
			}
			// ∏|r_ii| is the volume the columns (rows, when wide) span:
			// for a square A it is |det(A)|.
			if m == n {
				var logAbs float64
				for _, v := range res.Values {
					logAbs += math.Log(math.Abs(v))
				}
				_, wantLog := RefSlogdet(n, orig)
				if math.Abs(logAbs-wantLog) > tol*float64(n)*max(1, math.Abs(wantLog)) {
					t.Fatalf("%s qr: Σ log|r_ii| = %v, log|det| = %v", name, logAbs, wantLog)
				}
			}
			if !save {
				if res.Outputs != nil {
					t.Fatalf("%s qr: outputs without save", name)
				}
				continue
			}
			q := output(t, name+" qr", res, "Q", m, k)
			r := output(t, name+" qr", res, "R", k, n)
			for i := range k {
				for j := range i {
					if r[i*n+j] != 0 {
						t.Fatalf("%s qr: R[%d,%d] = %v below the diagonal", name, i, j, r[i*n+j])
					}
				}
				if r[i*n+i] != res.Values[i] {
					t.Fatalf("%s qr: r_diagonal[%d] = %v, R[%d,%d] = %v", name, i, res.Values[i], i, i, r[i*n+i])
				}
			}
			checkOrthonormalRows(t, name+" qr Qᵀ", transpose(m, k, k, q), k, m, m, tol)
			if d := relDiff(mul(m, k, n, q, r), orig); d > tol*float64(max(m, n)) {
				t.Fatalf("%s qr: ‖Q·R − A‖/‖A‖ = %v", name, d)
			}
		}
	}
	factorErrors(t, impl, rng, chol, inv, det, qr)
}

func factorErrors(t *testing.T, impl blas.LAPACK, rng *rand.Rand, chol, inv, det, qr kernels.Worker) {
	t.Helper()
	p := impl.Name()
	wantErr := func(name string, err error, parts ...string) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s/%s: no error", p, name)
		}
		for _, s := range parts {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("%s/%s: error %q does not mention %q", p, name, err, s)
			}
		}
	}
	// Not positive definite: the error names the leading minor.
	a := SPD(rng, 6, 6)
	a[3*6+3] = -2
	_, err := chol.Run(6, 6, a, true)
	wantErr("chol m=6,n=6 not SPD", err, "dpotrf", "info=4", "leading minor of order 4 is not positive definite")
	var le *kernels.LAPACKError
	if !errors.As(err, &le) || le.Routine != "dpotrf" || le.Info != 4 {
		t.Fatalf("%s/chol: not a LAPACKError: %#v", p, err)
	}
	// Non-symmetric beyond the tolerance, and symmetric within it.
	a = SPD(rng, 5, 5)
	a[1*5+3] += 1e-6 * a[1*5+3]
	_, err = chol.Run(5, 5, a, false)
	wantErr("chol m=5,n=5 non-symmetric", err, "symmetric", "a[3,1]")
	a = SPD(rng, 5, 5)
	a[1*5+3] *= 1 + 1e-14
	if _, err := chol.Run(5, 5, a, false); err != nil {
		t.Fatalf("%s/chol m=5,n=5: symmetric to rounding: %v", p, err)
	}
	// Non-square.
	for name, w := range map[string]kernels.Worker{"chol": chol, "inv": inv, "det": det} {
		_, err := w.Run(3, 4, Random(rng, 3, 4, 4), true)
		wantErr(name+" m=3,n=4", err, "needs a square matrix, got 3×4")
	}
	// Singular: inv fails naming U's zero; det gives sign 0 and −Inf.
	s := Random(rng, 5, 5, 5)
	for i := range 5 {
		s[i*5+2] = 0
	}
	_, err = inv.Run(5, 5, append([]float64(nil), s...), true)
	wantErr("inv m=5,n=5 singular", err, "dgetrf", "singular")
	res, err := det.Run(5, 5, s, false)
	if err != nil {
		t.Fatalf("%s/det m=5,n=5 singular: %v", p, err)
	}
	checkScalar(t, p+"/det singular", res, "sign", 0, 0)
	if v := scalar(t, p+"/det singular", res, "log_abs_det"); !math.IsInf(v, -1) {
		t.Fatalf("%s/det m=5,n=5 singular: log_abs_det %v", p, v)
	}
	// The worker goes on after errors.
	g := Random(rng, 4, 4, 4)
	if _, err := inv.Run(4, 4, g, false); err != nil {
		t.Fatalf("%s/inv m=4,n=4 after errors: %v", p, err)
	}
	// Non-finite input never reaches LAPACK and names the element.
	for name, w := range map[string]kernels.Worker{"chol": chol, "inv": inv, "det": det, "qr": qr} {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			a := SPD(rng, 5, 5)
			a[2*5+3] = bad
			_, err := w.Run(5, 5, a, true)
			nf, ok := err.(*kernels.NotFiniteError)
			if !ok || nf.Row != 2 || nf.Col != 3 {
				t.Fatalf("%s/%s m=5,n=5: %v in [2,3]: got error %v", p, name, bad, err)
			}
		}
	}
}

func scalar(t *testing.T, name string, res kernels.Result, field string) float64 {
	t.Helper()
	for _, s := range res.Scalars {
		if s.Name == field {
			return s.Value
		}
	}
	t.Fatalf("%s: no scalar %q in %v", name, field, res.Scalars)
	return 0
}

func checkScalar(t *testing.T, name string, res kernels.Result, field string, want, atol float64) {
	t.Helper()
	if got := scalar(t, name, res, field); math.Abs(got-want) > atol && got != want {
		t.Fatalf("%s: %s = %v, want %v (±%v)", name, field, got, want, atol)
	}
}

func output(t *testing.T, name string, res kernels.Result, out string, rows, cols int) []float64 {
	t.Helper()
	for _, o := range res.Outputs {
		if o.Name == out {
			if o.Rows != rows || o.Cols != cols || len(o.Data) != rows*cols {
				t.Fatalf("%s: %s is %d×%d (%d elements), want %d×%d", name, out, o.Rows, o.Cols, len(o.Data), rows, cols)
			}
			return o.Data
		}
	}
	t.Fatalf("%s: no output %q", name, out)
	return nil
}

// FactorAgree checks that two implementations give the same results for
// chol, inv, det and qr on the same inputs, to rtol: log determinants
// absolutely (relative to n), L, inv(A), Q, R and R's diagonal relative to
// their norms (both use LAPACK's Householder sign convention); rcond estimates to a factor of 3 (the estimator works on different
// factorisations: A's and Aᵀ's).
func FactorAgree(t *testing.T, a, b blas.LAPACK, rtol float64) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, kname := range []string{"chol", "inv", "det", "qr"} {
		spec, err := kernels.Lookup(kname)
		if err != nil {
			t.Fatal(err)
		}
		wa, wb := spec.NewWith(a, kernels.Options{}), spec.NewWith(b, kernels.Options{})
		shapes := Shapes
		if kname != "qr" {
			shapes = nil
			for _, n := range SquareSizes {
				shapes = append(shapes, [2]int{n, n})
			}
		}
		for _, sh := range shapes {
			m, n := sh[0], sh[1]
			name := fmt.Sprintf("%s m=%d,n=%d", kname, m, n)
			var x []float64
			if kname == "chol" {
				x = SPD(rng, n, n)
			} else {
				x = Random(rng, m, n, n)
				for i := range x {
					x[i] -= 5
				}
			}
			y := append([]float64(nil), x...)
			ra, err := wa.Run(m, n, x, true)
			if err != nil {
				t.Fatalf("%s %s: %v", name, a.Name(), err)
			}
			rb, err := wb.Run(m, n, y, true)
			if err != nil {
				t.Fatalf("%s %s: %v", name, b.Name(), err)
			}
			for i, sa := range ra.Scalars {
				sb := rb.Scalars[i]
				ok := math.Abs(sa.Value-sb.Value) <= rtol*float64(n)*max(1, math.Abs(sa.Value))
				if sa.Name == "rcond" {
					ok = sa.Value <= 3*sb.Value && sb.Value <= 3*sa.Value
				}
				if sa.Name != sb.Name || !ok {
					t.Fatalf("%s: %s %s=%v, %s %s=%v", name, a.Name(), sa.Name, sa.Value, b.Name(), sb.Name, sb.Value)
				}
			}
			if d := relDiff(ra.Values, rb.Values); d > rtol*float64(max(m, n)) {
				t.Fatalf("%s: %s %v, %s %v", name, a.Name(), ra.Values, b.Name(), rb.Values)
			}
			for i, oa := range ra.Outputs {
				if d := relDiff(oa.Data, rb.Outputs[i].Data); d > rtol*float64(max(m, n)) {
					t.Fatalf("%s: %s differs by %v between %s and %s", name, oa.Name, d, a.Name(), b.Name())
				}
			}
		}
	}
}
