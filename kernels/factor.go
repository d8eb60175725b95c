package kernels

import (
	"fmt"
	"math"

	gblas "gonum.org/v1/gonum/blas"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/internal/symm"
)

// SymmetryTol is the chol kernel's tolerance for a symmetric input:
// |a[i,j] − a[j,i]| ≤ SymmetryTol·max|a| for every i, j. Rounding in the
// product that usually makes such a matrix (B·Bᵀ, summed in a different
// order for a[i,j] and a[j,i]) stays orders of magnitude below it; a matrix
// that is not meant to be symmetric is far above it. Only the lower
// triangle reaches LAPACK.
const SymmetryTol = 1e-10

// factorSpecs are the factorisation kernels (chol, inv, det, qr). Flops
// are LAPACK Working Note 41's leading terms; a matrix a square-only kernel
// refuses costs the one look at its shape, m·n.
func factorSpecs() []Spec {
	return []Spec{
		Spec{
			Name: "chol",
			Doc:  "Cholesky factor of a symmetric positive definite matrix, and log det; LAPACK dpotrf",
			Flops: func(m, n int) float64 {
				if m != n {
					return float64(m) * float64(n)
				}
				fn := float64(n)
				return fn * fn * fn / 3 // dpotrf
			},
			Workspace: workspace(func(m, n int) plan { return cholPlan(m, n, true) }),
		}.with(func(impl blas.LAPACK, _ Options) Worker { return &cholWorker{impl: impl} }),
		Spec{
			Name: "inv",
			Doc:  "inverse of a square matrix, with log|det|, sign and the 1-norm reciprocal condition number; LAPACK dgetrf, dgecon, dgetri",
			Flops: func(m, n int) float64 {
				if m != n {
					return float64(m) * float64(n)
				}
				// dgetrf 2n³/3 + dgetri 4n³/3; dgecon's few triangular
				// solves are O(n²).
				fn := float64(n)
				return 2 * fn * fn * fn
			},
			Workspace: workspace(func(m, n int) plan { return luPlan(m, n, true, true) }),
		}.with(func(impl blas.LAPACK, _ Options) Worker { return &luWorker{impl: impl, inv: true} }),
		Spec{
			Name: "det",
			Doc:  "log|det| and sign of the determinant of a square matrix (like numpy.linalg.slogdet); LAPACK dgetrf",
			Flops: func(m, n int) float64 {
				if m != n {
					return float64(m) * float64(n)
				}
				fn := float64(n)
				return 2 * fn * fn * fn / 3 // dgetrf
			},
			Workspace: workspace(func(m, n int) plan { return luPlan(m, n, false, true) }),
		}.with(func(impl blas.LAPACK, _ Options) Worker { return &luWorker{impl: impl} }),
		Spec{
			Name:  "qr",
			Doc:   "QR factorisation (thin: Q is m×k, R is k×n, k = min(m,n)), diagonal of R; LAPACK dgeqrf, and dorgqr for Q with --save",
			Field: "r_diagonal",
			// dgeqrf alone, 2mk² − 2k³/3 with m the long side and k the
			// short one (either way round: LAPACK Working Note 41 gives
			// 2mn² − 2n³/3 for m ≥ n and 2nm² − 2m³/3 for m < n). Q is
			// only formed with --save: dorgqr then adds 2mk² − 2k³/3 for
			// the m×k Q, at most as much again.
			Flops: func(m, n int) float64 {
				big, k := float64(max(m, n)), float64(min(m, n))
				return 2*big*k*k - 2*k*k*k/3
			},
			Workspace: workspace(func(m, n int) plan { return qrPlan(m, n, true) }),
		}.with(func(impl blas.LAPACK, _ Options) Worker { return &qrWorker{impl: impl} }),
	}
}

// cholPlan lists what a chol worker allocates for an m×n item: with save
// the n×n L (dpotrf works in place).
func cholPlan(m, n int, save bool) plan {
	var p plan
	if m == n && n >= 0 && save {
		p.f64("L", int64(n)*int64(n))
	}
	return p
}

// luPlan lists what an inv (inv) or det worker allocates for an m×n item:
// the pivots and, for inv, dgecon's integer workspace, the dgetri/dgecon
// workspace and with save the inverse's copy. [blas.Gonum]'s Dgetrf,
// Dgecon and Dgetri each allocate n Go ints besides (gonum's pivots are
// []int): counted, though OpenBLAS needs none, since the estimate must
// hold for both.
func luPlan(m, n int, inv, save bool) plan {
	var p plan
	if m != n || n < 0 {
		return p
	}
	fn := int64(n)
	p.i32("the pivots", fn)
	p.f64("gonum's dgetrf pivots", fn)
	if !inv {
		return p
	}
	p.i32("dgecon's integer workspace", fn)
	p.lwork("the dgetri workspace (LWORK)", lworkGetri(fn))
	p.f64("gonum's dgecon pivots", fn)
	p.f64("gonum's dgetri pivots", fn)
	if save {
		p.f64("the inverse", fn*fn)
	}
	return p
}

// qrPlan lists what a qr worker allocates for an m×n item, k = min(m, n):
// the reflectors' scalars, R's diagonal, the dgeqrf/dorgqr workspace and,
// with save, the k×n R and the m×k Q.
func qrPlan(rows, cols int, save bool) plan {
	var p plan
	if rows < 0 || cols < 0 {
		return p
	}
	m, n := int64(rows), int64(cols)
	k := min(m, n)
	p.f64("tau", k)
	p.f64("R's diagonal", k)
	p.lwork("the dgeqrf workspace (LWORK)", lworkQR(m, n))
	if save {
		p.f64("R", k*n)
		p.f64("Q", m*k)
	}
	return p
}

// needSquare is the item error for a kernel that needs a square matrix.
func needSquare(m, n int) error {
	if m != n {
		return fmt.Errorf("needs a square matrix, got %d×%d", m, n)
	}
	return nil
}

// checkSymmetric returns an error naming the first pair of elements of the
// n×n a that breaks symmetry beyond SymmetryTol·max|a|.
func checkSymmetric(n int, a []float64) error {
	i, j, tol, bad := asymmetric(n, a, SymmetryTol)
	if !bad {
		return nil
	}
	return fmt.Errorf("needs a symmetric matrix: a[%d,%d] = %v but a[%d,%d] = %v (tolerance %.0e·max|a| = %.3g)", i, j, a[i*n+j], j, i, a[j*n+i], SymmetryTol, tol)
}

// asymmetric reports the first pair (i, j), i > j, of the finite n×n a with
// |a[i,j] − a[j,i]| > tol = rel·max|a|, and tol; bad is false when there is
// none. Callers try symmetricFinite first: it is the usual case, and cheaper.
func asymmetric(n int, a []float64, rel float64) (i, j int, tol float64, bad bool) {
	scale, diff := asymmetry(n, a)
	tol = rel * scale
	if diff <= tol {
		return 0, 0, tol, false
	}
	i, j = firstAsymmetric(n, a, tol)
	return i, j, tol, true
}

// asymmetry returns max|a| and max|a[i,j] − a[j,i]| over the n×n a, in
// one pass over tiles (each a[i,j] read beside its a[j,i] in cache).
func asymmetry(n int, a []float64) (scale, diff float64) {
	a = a[:n*n]
	const tile = 16
	for i0 := 0; i0 < n; i0 += tile {
		for j0 := 0; j0 <= i0; j0 += tile {
			for i := i0; i < min(i0+tile, n); i++ {
				row := a[i*n : i*n+n]
				col := a[i:]
				for j := j0; j < min(j0+tile, i+1); j++ {
					v, w := row[j], col[j*n]
					// Plain comparisons: max's NaN handling costs more
					// than the check (a NaN never gets here: CheckFinite).
					if x := math.Abs(v); x > scale {
						scale = x
					}
					if x := math.Abs(w); x > scale {
						scale = x
					}
					if x := math.Abs(v - w); x > diff {
						diff = x
					}
				}
			}
		}
	}
	return scale, diff
}

// symmetricFinite reports whether the n×n a is exactly symmetric
// (a[i,j] == a[j,i]) with every element finite (symm.Check: one pass, in
// vectors where the CPU has them): the usual input of chol and eigh,
// checked at a fraction of the cost of CheckFinite and asymmetry. False
// says only that one of them will find something.
func symmetricFinite(n int, a []float64) bool { return symm.Check(n, a) }

// logAbsDiag is Σ log|a[i,i]| of the n×n a: the log of the product of
// the diagonal's mantissas plus its exponents times ln 2 — one logarithm,
// not n, which cost more than a small factorisation's own arithmetic.
// Its error is a few n·ε absolute, as the sum of n logarithms' is; a zero
// on the diagonal gives −Inf, an Inf +Inf, a NaN NaN.
func logAbsDiag(n int, a []float64) float64 {
	m, e := 1.0, 0
	for i := range n {
		f, k := math.Frexp(a[i*n+i])
		m *= f
		e += k
		// |f| ≥ ½, so 256 of them stay far above the subnormals.
		if i%256 == 255 {
			f, k = math.Frexp(m)
			m, e = f, e+k
		}
	}
	return math.Log(math.Abs(m)) + float64(e)*math.Ln2
}

// firstAsymmetric is the first (i, j), i > j, in row order with
// |a[i,j] − a[j,i]| > tol, for the message of a matrix asymmetry failed.
func firstAsymmetric(n int, a []float64, tol float64) (int, int) {
	for i := range n {
		for j := range i {
			if math.Abs(a[i*n+j]-a[j*n+i]) > tol {
				return i, j
			}
		}
	}
	return 0, 0
}

// cholWorker computes the lower Cholesky factor. It needs no workspace;
// it keeps the saved L and the scalars between items.
type cholWorker struct {
	impl    blas.LAPACK
	l       []float64
	scalars [1]Scalar
	outs    [1]Output
}

// Run factors the symmetric positive definite n×n a (see [Worker]).
// Besides the errors every kernel returns, it refuses a matrix that is not
// square or not symmetric, and returns a *LAPACKError when a leading minor
// is not positive definite.
func (w *cholWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if err := checkItem(it, a, func() plan { return cholPlan(m, n, save) }); err != nil {
		return Result{}, err
	}
	// The matrix factored is the symmetric one whose lower triangle is
	// a's, as NumPy's cholesky reads it, from its upper triangle: there
	// OpenBLAS runs faster code (1.5–2× from 64×64 up). A matrix symmetric
	// only within SymmetryTol gets its lower triangle mirrored first.
	if m != n || !symmetricFinite(n, a) {
		if err := CheckFinite(m, n, a); err != nil {
			return Result{}, err
		}
		if err := needSquare(m, n); err != nil {
			return Result{}, err
		}
		if err := checkSymmetric(n, a); err != nil {
			return Result{}, err
		}
		for i := range n {
			for j := range i {
				a[j*n+i] = a[i*n+j]
			}
		}
	}
	a = a[:n*n]
	if info := w.impl.Dpotrf(gblas.Upper, n, a, max(1, n)); info > 0 {
		return Result{}, &LAPACKError{Routine: "dpotrf", Info: info,
			Reason: fmt.Sprintf("the leading minor of order %d is not positive definite", info)}
	}
	w.scalars[0] = Scalar{Name: "log_det", Value: 2 * logAbsDiag(n, a)}
	r := Result{Scalars: w.scalars[:]}
	if save {
		w.l = grow(w.l, n*n)
		for i := range n {
			row := w.l[i*n : i*n+n]
			for j := range i + 1 { // L = Uᵀ
				row[j] = a[j*n+i]
			}
			clear(row[i+1:])
		}
		w.outs[0] = Output{Name: "L", Rows: n, Cols: n, Data: w.l}
		r.Outputs = w.outs[:]
	}
	return r, nil
}

// luWorker runs the det kernel, and with inv the inv kernel. The dgetri
// workspace is sized once per n.
type luWorker struct {
	impl blas.LAPACK
	inv  bool

	n       int // the order the workspace was sized for
	ipiv    []int32
	iwork   []int32
	work    []float64 // dgetri's optimal workspace, at least dgecon's 4n
	lwork   int       // dgetri's optimal lwork
	ainv    []float64 // the saved inverse
	scalars [3]Scalar
	outs    [1]Output
	q       [1]float64 // the workspace query's result
}

func (w *luWorker) prepare(n int, a []float64) {
	if n == w.n && w.ipiv != nil {
		return
	}
	w.ipiv = grow(w.ipiv, n)
	if w.inv {
		w.iwork = grow(w.iwork, n)
		q := &w.q // a worker field: a local array would escape
		w.impl.Dgetri(n, a, max(1, n), w.ipiv, q[:], -1)
		w.lwork = max(1, n, int(q[0]))
		w.work = grow(w.work, max(w.lwork, 4*n))
	}
	w.n = n
}

// norm1 is the 1-norm (largest column sum of absolute values) of the n×n a.
func norm1(n int, a []float64, sums []float64) float64 {
	clear(sums[:n])
	for i := range n {
		for j, v := range a[i*n : i*n+n] {
			sums[j] += math.Abs(v)
		}
	}
	var m float64
	for _, s := range sums[:n] {
		m = max(m, s)
	}
	return m
}

// Run computes the determinant (and for inv the inverse) of the n×n a (see
// [Worker]). Besides the errors every kernel returns, it refuses a matrix
// that is not square; inv returns a *LAPACKError for a singular one, which
// det reports as sign 0 and log_abs_det −Inf.
func (w *luWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if err := checkItem(it, a, func() plan { return luPlan(m, n, w.inv, save) }); err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, n, a); err != nil {
		return Result{}, err
	}
	if err := needSquare(m, n); err != nil {
		return Result{}, err
	}
	a = a[:n*n]
	w.prepare(n, a)
	if err := checkLwork(it, "the dgetri workspace (LWORK)", w.lwork); err != nil {
		return Result{}, err
	}
	var anorm float64
	if w.inv {
		anorm = norm1(n, a, w.work) // before dgetrf overwrites A
	}
	info := w.impl.Dgetrf(n, a, max(1, n), w.ipiv)
	// slogdet from U's diagonal and the parity of the interchanges.
	sign, logAbs := 1.0, 0.0
	for i := range n {
		d := a[i*n+i]
		if d < 0 {
			sign = -sign
		}
		if w.ipiv[i] != int32(i+1) {
			sign = -sign
		}
	}
	logAbs = logAbsDiag(n, a)
	if info > 0 {
		if w.inv {
			return Result{}, &LAPACKError{Routine: "dgetrf", Info: info,
				Reason: fmt.Sprintf("U(%d,%d) is exactly zero: the matrix is singular and has no inverse", info, info)}
		}
		sign, logAbs = 0, math.Inf(-1)
	}
	w.scalars[0] = Scalar{Name: "log_abs_det", Value: logAbs}
	w.scalars[1] = Scalar{Name: "sign", Value: sign}
	if !w.inv {
		return Result{Scalars: w.scalars[:2]}, nil
	}
	rcond := w.impl.Dgecon('1', n, a, max(1, n), anorm, w.work, w.iwork)
	w.scalars[2] = Scalar{Name: "rcond", Value: rcond}
	if info := w.impl.Dgetri(n, a, max(1, n), w.ipiv, w.work, w.lwork); info > 0 {
		// Not reached: dgetrf already found no zero on U's diagonal.
		return Result{}, &LAPACKError{Routine: "dgetri", Info: info, Reason: "the matrix is singular"}
	}
	r := Result{Scalars: w.scalars[:3]}
	if save {
		w.ainv = grow(w.ainv, n*n)
		copy(w.ainv, a)
		w.outs[0] = Output{Name: "inv", Rows: n, Cols: n, Data: w.ainv}
		r.Outputs = w.outs[:]
	}
	return r, nil
}

// qrWorker computes R's diagonal and, with save, the thin Q and R. The
// dgeqrf and dorgqr workspaces are sized once per shape.
type qrWorker struct {
	impl blas.LAPACK

	m, n  int // the shape the workspace was sized for
	lwork int // max of dgeqrf's and dorgqr's optimal lwork
	work  []float64
	tau   []float64
	diag  []float64
	q, r  []float64
	outs  [2]Output
	query [1]float64 // the workspace queries' result
}

func (w *qrWorker) prepare(m, n int, a []float64) {
	if m == w.m && n == w.n && w.work != nil {
		return
	}
	k := min(m, n)
	w.tau = grow(w.tau, k)
	w.diag = grow(w.diag, k)
	q := &w.query // a worker field: a local array would escape
	w.impl.Dgeqrf(m, n, a, max(1, n), w.tau, q[:], -1)
	lwork := int(q[0])
	w.impl.Dorgqr(m, k, k, a, max(1, n), w.tau, q[:], -1)
	w.lwork = max(1, m, n, lwork, int(q[0]))
	w.work = grow(w.work, w.lwork)
	w.m, w.n = m, n
}

// Run factors the m×n a (see [Worker]); it returns only the errors every
// kernel returns.
func (w *qrWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if err := checkItem(it, a, func() plan { return qrPlan(m, n, save) }); err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, n, a); err != nil {
		return Result{}, err
	}
	a = a[:m*n]
	w.prepare(m, n, a)
	if err := checkLwork(it, "the dgeqrf workspace (LWORK)", w.lwork); err != nil {
		return Result{}, err
	}
	k, lda := min(m, n), max(1, n)
	w.impl.Dgeqrf(m, n, a, lda, w.tau, w.work, w.lwork)
	for i := range k {
		w.diag[i] = a[i*n+i]
	}
	r := Result{Values: w.diag}
	if !save {
		return r, nil
	}
	// R (k×n, upper) into its own buffer before dorgqr overwrites a.
	w.r = grow(w.r, k*n)
	for i := range k {
		row := w.r[i*n : i*n+n]
		clear(row[:i])
		copy(row[i:], a[i*n+i:i*n+n])
	}
	w.impl.Dorgqr(m, k, k, a, lda, w.tau, w.work, w.lwork)
	w.q = grow(w.q, m*k)
	for i := range m {
		copy(w.q[i*k:i*k+k], a[i*n:i*n+k])
	}
	w.outs[0] = Output{Name: "Q", Rows: m, Cols: k, Data: w.q}
	w.outs[1] = Output{Name: "R", Rows: k, Cols: n, Data: w.r}
	r.Outputs = w.outs[:]
	return r, nil
}
