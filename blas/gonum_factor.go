package blas

import (
	"math"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// gonum's LAPACK is row-major already: the routines below call it on the
// caller's operands as they are. Its pivots and integer workspace are []int
// (0-based pivots) where [Factor] has LAPACK's []int32 (1-based), so
// Dgetrf, Dgetri and Dgecon each allocate n ints for the conversion: 8n
// bytes per call, small beside the n² matrix and its O(n³) work, and
// counted in the kernels' Workspace. (A sync.Pool avoided that, but it was
// package state whose allocations depended on garbage collections and
// GOMAXPROCS, which no workspace estimate can follow.)

// firstBadDiag returns the 1-based index of the first diagonal element of
// the n×n a that is ≤ 0 or NaN (with zeroOnly: exactly zero), or 0 when
// there is none.
func firstBadDiag(n int, a []float64, lda int, zeroOnly bool) int {
	for i := range n {
		d := a[i*lda+i]
		if d == 0 || (!zeroOnly && (d < 0 || math.IsNaN(d))) {
			return i + 1
		}
	}
	return 0
}

// Dpotrf implements [Factor] with gonum's Dpotrf on the triangle uplo
// says. gonum reports failure without LAPACK's INFO; its Dpotf2 stops at
// the first pivot that is not positive, storing it in place, after every
// earlier pivot became a positive square root, so the first diagonal
// element that is not positive is the failing minor's order.
func (Gonum) Dpotrf(uplo gblas.Uplo, n int, a []float64, lda int) int {
	checkFactorArgs("Dpotrf", n, n, len(a), lda, 1, 0)
	if uplo != gblas.Upper && uplo != gblas.Lower {
		panic("blas: Dpotrf: bad uplo")
	}
	if (gonum.Implementation{}).Dpotrf(uplo, n, a, lda) {
		return 0
	}
	if k := firstBadDiag(n, a, lda, false); k > 0 {
		return k
	}
	return n // not reached: gonum stored the failing pivot
}

// Dgetrf implements [Factor] with gonum's Dgetrf: row-major A = P·L·U.
func (Gonum) Dgetrf(n int, a []float64, lda int, ipiv []int32) int {
	checkFactorArgs("Dgetrf", n, n, len(a), lda, 1, 0)
	checkLen("Dgetrf", "ipiv", len(ipiv), n)
	p := make([]int, n)
	ok := (gonum.Implementation{}).Dgetrf(n, n, a, lda, p)
	for i, v := range p {
		ipiv[i] = int32(v + 1)
	}
	if ok {
		return 0
	}
	return firstBadDiag(n, a, lda, true)
}

// Dgetri implements [Factor] with gonum's Dgetri.
func (Gonum) Dgetri(n int, a []float64, lda int, ipiv []int32, work []float64, lwork int) int {
	checkFactorArgs("Dgetri", n, n, len(a), lda, len(work), lwork)
	checkLen("Dgetri", "ipiv", len(ipiv), n)
	if lwork == -1 {
		(gonum.Implementation{}).Dgetri(n, a, lda, nil, work, -1)
		return 0
	}
	if k := firstBadDiag(n, a, lda, true); k > 0 {
		return k // LAPACK's check, before a is touched
	}
	p := make([]int, n)
	for i := range n {
		p[i] = int(ipiv[i]) - 1
	}
	if (gonum.Implementation{}).Dgetri(n, a, lda, p, work, max(lwork, 1)) {
		return 0
	}
	return max(1, firstBadDiag(n, a, lda, true))
}

// Dgecon implements [Factor] with gonum's Dgecon on the row-major factors.
func (Gonum) Dgecon(norm byte, n int, a []float64, lda int, anorm float64, work []float64, iwork []int32) float64 {
	lapackNorm := lapack.MaxColumnSum // the 1-norm
	if condNorm(norm, false) == 'I' {
		lapackNorm = lapack.MaxRowSum
	}
	checkFactorArgs("Dgecon", n, n, len(a), lda, 1, 0)
	checkLen("Dgecon", "work", len(work), 4*n)
	checkLen("Dgecon", "iwork", len(iwork), n)
	return (gonum.Implementation{}).Dgecon(lapackNorm, n, a, lda, anorm, work, make([]int, n))
}

// Dgeqrf implements [Factor] with gonum's Dgeqrf.
func (Gonum) Dgeqrf(m, n int, a []float64, lda int, tau, work []float64, lwork int) {
	checkFactorArgs("Dgeqrf", m, n, len(a), lda, len(work), lwork)
	k := min(m, n)
	checkLen("Dgeqrf", "tau", len(tau), k)
	(gonum.Implementation{}).Dgeqrf(m, n, a, lda, tau[:k], work, lwork)
}

// Dorgqr implements [Factor] with gonum's Dorgqr.
func (Gonum) Dorgqr(m, n, k int, a []float64, lda int, tau, work []float64, lwork int) {
	if k < 0 || k > n || n > m {
		panic("blas: Dorgqr: want m ≥ n ≥ k ≥ 0, got m=" + itoa(m) + " n=" + itoa(n) + " k=" + itoa(k))
	}
	checkFactorArgs("Dorgqr", m, n, len(a), lda, len(work), lwork)
	checkLen("Dorgqr", "tau", len(tau), k)
	(gonum.Implementation{}).Dorgqr(m, n, k, a, lda, tau[:k], work, lwork)
}
