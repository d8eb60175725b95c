//go:build cgo && !purego

package blas

/*
#cgo LDFLAGS: -lm
#include <float.h>
#include <math.h>
#include <string.h>

// LAPACK's own routines (liblapack, which LAPACKE calls): Householder
// reflector, and the singular values of a bidiagonal matrix by dqds.
extern void dlarfg_(const int *n, double *alpha, double *x, const int *incx, double *tau);
extern void dlasq1_(const int *n, double *d, double *e, double *work, int *info);
extern void dlasq2_(const int *n, double *z, int *info);

// bb_larfg is LAPACK's dlarfg — the reflector H with H·(alpha, x) =
// (beta, 0) — inline for vectors whose sum of squares is safely inside the
// double range, where dnrm2's scaling and dlarfg's rescaling of a tiny
// beta do nothing; any other vector goes to dlarfg_ itself. (A call to
// dlarfg_ costs more than its arithmetic at these sizes: dnrm2, dlapy2,
// dscal, and dlamch, which parses its argument with lsame.)
static void bb_larfg(int n, double *alpha, double *x, int incx, double *tau) {
	if (n <= 1) {
		*tau = 0;
		return;
	}
	double ss = 0;
	for (int k = 0; k < n - 1; k++) ss += x[k*incx] * x[k*incx];
	if (ss == 0) {
		*tau = 0; // H = I, as dlarfg for xnorm = 0
		return;
	}
	double a = *alpha, t = a * a + ss;
	if (!(ss > 1e-280 && t < 1e280)) {
		dlarfg_(&n, alpha, x, &incx, tau);
		return;
	}
	double beta = -copysign(sqrt(t), a);
	*tau = (beta - a) / beta;
	double scale = 1 / (a - beta);
	for (int k = 0; k < n - 1; k++) x[k*incx] *= scale;
	*alpha = beta;
}

// bb_gebd2 reduces the m×n matrix (m >= n) whose element (i, j) is
// a[i*rs + j*cs] to upper bidiagonal form, as LAPACK's unblocked dgebd2
// does (dgebrd uses it for matrices this small), leaving the diagonal in d
// and the superdiagonal in e. The reflectors are applied with plain loops
// rather than a BLAS call each: for the tiny matrices this is for, the
// calls' overhead, not their arithmetic, was the cost.
static inline __attribute__((always_inline)) void bb_gebd2(int m, int n, double *restrict a, int rs, int cs, double *restrict d, double *restrict e) {
	for (int i = 0; i < n; i++) {
		double tau;
		int len = m - i;
		double *col = &a[i*rs + i*cs];
		bb_larfg(len, col, i + 1 < m ? col + rs : col, rs, &tau);
		d[i] = *col;
		if (i < n - 1 && tau != 0) {
			// H = I - tau·v·vᵀ from the left on A(i:m, i+1:n), v = (1, col[1:]).
			*col = 1.0;
			for (int j = i + 1; j < n; j++) {
				double *c = &a[i*rs + j*cs], s = 0;
				for (int k = 0; k < len; k++) s += col[k*rs] * c[k*rs];
				s *= tau;
				for (int k = 0; k < len; k++) c[k*rs] -= s * col[k*rs];
			}
			*col = d[i];
		}
		if (i < n - 1) {
			int len2 = n - i - 1;
			double *row = &a[i*rs + (i+1)*cs];
			bb_larfg(len2, row, i + 2 < n ? row + cs : row, cs, &tau);
			e[i] = *row;
			if (tau != 0) {
				// G = I - tau·u·uᵀ from the right on A(i+1:m, i+1:n).
				*row = 1.0;
				for (int r = i + 1; r < m; r++) {
					double *ar = &a[r*rs + (i+1)*cs], s = 0;
					for (int k = 0; k < len2; k++) s += ar[k*cs] * row[k*cs];
					s *= tau;
					for (int k = 0; k < len2; k++) ar[k*cs] -= s * row[k*cs];
				}
				*row = e[i];
			}
		}
	}
}

// bb_lasq1 is LAPACK's dlasq1 — the singular values of the bidiagonal
// (d, e) by dqds, into d, descending — with its scaling done inline: for
// a largest element sigmx within [1e-140, 1e140] (all this path sees)
// dlascl's careful scaling is one multiplication by scale/sigmx and back,
// and dlamch gives DBL_EPSILON and DBL_MIN; the two dlascl and dlamch
// calls, which parse their arguments with lsame, cost more than the rest
// for a small matrix. Anything else goes to dlasq1_. work holds 4n.
static void bb_lasq1(int n, double *d, double *e, double *work, int *info) {
	double sigmx = 0;
	for (int i = 0; i < n - 1; i++) {
		d[i] = fabs(d[i]);
		if (fabs(e[i]) > sigmx) sigmx = fabs(e[i]);
	}
	if (n > 0) d[n-1] = fabs(d[n-1]);
	for (int i = 0; i < n; i++)
		if (d[i] > sigmx) sigmx = d[i];
	if (n < 3 || !(sigmx >= 1e-140 && sigmx <= 1e140)) {
		dlasq1_(&n, d, e, work, info);
		return;
	}
	const double scale = sqrt(DBL_EPSILON / DBL_MIN); // 2^485
	const double up = scale / sigmx, down = sigmx / scale;
	for (int i = 0; i < n; i++) work[2*i] = d[i] * up;
	for (int i = 0; i < n - 1; i++) work[2*i+1] = e[i] * up;
	for (int i = 0; i < 2*n - 1; i++) work[i] *= work[i];
	work[2*n-1] = 0;
	dlasq2_(&n, work, info);
	if (*info == 0) {
		for (int i = 0; i < n; i++) d[i] = sqrt(work[i]) * down;
	} else if (*info == 2) {
		for (int i = 0; i < n; i++) {
			d[i] = sqrt(work[2*i]) * down;
			e[i] = sqrt(work[2*i+1]) * down;
		}
	}
}

// bb_svdvals_small computes the singular values of the column-major m×n
// matrix a (leading dimension lda) exactly as dgesvd does with
// JOBU=JOBVT='N' on the path it takes for shapes not much taller than wide
// (dgebrd, which is dgebd2 at this size, then dbdsqr, which without vectors
// is dlasq1), into s (descending). work holds at least 5·min(m,n). It
// returns dlasq1's INFO, or -1 when dgesvd itself must be called: the
// matrix needs scaling, or is zero.
static int bb_svdvals_small(int m, int n, double *a, int lda, double *s, double *work) {
	double anrm = 0;
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			double v = fabs(a[i + j*lda]);
			if (v > anrm || v != v) anrm = v;
		}
	// dgesvd scales A into [smlnum, bignum] first: leave such matrices to it.
	const double smlnum = 1.3553e-138, bignum = 1 / 1.3553e-138;
	if (!(anrm >= smlnum && anrm <= bignum)) return -1;
	int k = m < n ? m : n, info = 0;
	double *e = work;
	// Inlined twice, each with one stride a constant 1: those loops are
	// over contiguous elements, which the compiler vectorizes.
	if (m >= n) bb_gebd2(m, n, a, 1, lda, s, e);
	else bb_gebd2(n, m, a, lda, 1, s, e); // Aᵀ: the same singular values
	bb_lasq1(k, s, e, work + k, &info);
	return info;
}
*/
import "C"

// smallSVDVals is the largest dimension for which Dgesvd's values-only
// path runs dgebd2 and dlasq1 directly (bb_svdvals_small): below it the
// cost of dgesvd is its calls — workspace and block-size queries (ilaenv),
// a BLAS call per reflector — more than its arithmetic (16×16: 12.6 µs
// through dgesvd, 9.7 µs this way, on the 2-core EPYC).
const smallSVDVals = 48

// svdValsSmall is Dgesvd(SVDNone) for the row-major m×n a when it is small
// and not much taller than wide (dgesvd's own crossover, 1.6·min), which
// is the path dgesvd would take; ok is false when it does not apply.
func svdValsSmall(m, n int, a []float64, lda int, s, work []float64) (info int, ok bool) {
	lo, hi := min(m, n), max(m, n)
	// dgesvd's MNTHR: ILAENV(6) = INT(REAL(MIN(M,N))*1.6E0), in single
	// precision; at or above it dgesvd factors A = QR first.
	mnthr := int(float32(lo) * float32(1.6))
	if lo < 1 || hi > smallSVDVals || hi >= mnthr || len(work) < 5*lo || len(s) < lo || lda < n || len(a) < (m-1)*lda+n {
		return 0, false
	}
	// Row-major A is the column-major n×m Aᵀ with the same lda.
	r := C.bb_svdvals_small(C.int(n), C.int(m), f64ptr(a), C.int(lda), f64ptr(s), f64ptr(work))
	if r < 0 {
		return 0, false
	}
	return int(r), true
}
