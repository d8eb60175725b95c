//go:build cgo && !purego

package blas

/*
#include <lapacke.h>

// dgecon's RCOND comes back by value: the address of a Go variable handed
// to C would make it escape to the heap, one allocation per call.
typedef struct { double rcond; lapack_int info; } bb_gecon;

static bb_gecon bb_dgecon_work(char norm, lapack_int n, const double *a,
		lapack_int lda, double anorm, double *work, lapack_int *iwork) {
	bb_gecon r;
	r.rcond = 0;
	r.info = LAPACKE_dgecon_work(LAPACK_COL_MAJOR, norm, n, a, lda, anorm,
		&r.rcond, work, iwork);
	return r;
}
*/
import "C"

import (
	"unsafe"

	gblas "gonum.org/v1/gonum/blas"
)

// The row-major operands of [Factor] are handed to LAPACKE in column-major
// layout, where a row-major m×n A with leading dimension lda is the n×m Aᵀ
// with the same lda: each routine below factors Aᵀ and reads its result
// back as the row-major factor of A, so no operand is copied.

func i32ptr(x []int32) *C.lapack_int {
	if len(x) == 0 {
		return nil
	}
	return (*C.lapack_int)(unsafe.Pointer(&x[0]))
}

// Dpotrf implements [Factor]. A symmetric A equals Aᵀ, so the column-major
// view is A itself, with the row-major lower triangle its upper one: the
// row-major Lower is LAPACK's UPLO='U', giving A = UᵀU in the column-major
// upper triangle, which read row-major is the lower triangle holding
// Uᵀ = L; the row-major Upper is UPLO='L', giving L column-major, which
// read row-major is Lᵀ = U in the upper triangle. The other triangle is
// not referenced.
func (OpenBLAS) Dpotrf(uplo gblas.Uplo, n int, a []float64, lda int) int {
	mustFit("Dpotrf", dim{"n", n}, dim{"lda", lda})
	checkFactorArgs("Dpotrf", n, n, len(a), lda, 1, 0)
	ul := C.char('U')
	switch uplo {
	case gblas.Lower:
	case gblas.Upper:
		ul = 'L'
	default:
		panic("blas: Dpotrf: bad uplo")
	}
	info := C.LAPACKE_dpotrf_work(C.LAPACK_COL_MAJOR, ul, C.lapack_int(n), f64ptr(a), C.lapack_int(lda))
	if info < 0 {
		panic("blas: LAPACKE_dpotrf_work rejected argument " + itoa(int(-info)))
	}
	return int(info)
}

// Dgetrf implements [Factor] by factoring the column-major Aᵀ = P·L·U:
// det(Aᵀ) = det(A), U's diagonal is on a's diagonal either way, and ipiv
// holds Aᵀ's row interchanges (A's column interchanges), with the same
// parity.
func (OpenBLAS) Dgetrf(n int, a []float64, lda int, ipiv []int32) int {
	mustFit("Dgetrf", dim{"n", n}, dim{"lda", lda})
	checkFactorArgs("Dgetrf", n, n, len(a), lda, 1, 0)
	checkLen("Dgetrf", "ipiv", len(ipiv), n)
	info := C.LAPACKE_dgetrf_work(C.LAPACK_COL_MAJOR, C.lapack_int(n), C.lapack_int(n), f64ptr(a), C.lapack_int(lda), i32ptr(ipiv))
	if info < 0 {
		panic("blas: LAPACKE_dgetrf_work rejected argument " + itoa(int(-info)))
	}
	return int(info)
}

// Dgetri implements [Factor]: from Dgetrf's factors of Aᵀ, dgetri writes
// inv(Aᵀ) = inv(A)ᵀ in column-major, which read row-major is inv(A).
func (OpenBLAS) Dgetri(n int, a []float64, lda int, ipiv []int32, work []float64, lwork int) int {
	mustFit("Dgetri", dim{"n", n}, dim{"lda", lda}, dim{"lwork", lwork})
	checkFactorArgs("Dgetri", n, n, len(a), lda, len(work), lwork)
	checkLen("Dgetri", "ipiv", len(ipiv), n)
	info := C.LAPACKE_dgetri_work(C.LAPACK_COL_MAJOR, C.lapack_int(n), f64ptr(a), C.lapack_int(lda), i32ptr(ipiv), f64ptr(work), C.lapack_int(lwork))
	if info < 0 {
		panic("blas: LAPACKE_dgetri_work rejected argument " + itoa(int(-info)))
	}
	return int(info)
}

// Dgecon implements [Factor]: the factors are Aᵀ's, and Aᵀ's ∞-norm is A's
// 1-norm (and the other way round), so NORM is swapped: A's 1-norm
// condition is dgecon's NORM='I' on Aᵀ.
func (OpenBLAS) Dgecon(norm byte, n int, a []float64, lda int, anorm float64, work []float64, iwork []int32) float64 {
	lapackNorm := condNorm(norm, true)
	mustFit("Dgecon", dim{"n", n}, dim{"lda", lda})
	checkFactorArgs("Dgecon", n, n, len(a), lda, 1, 0)
	checkLen("Dgecon", "work", len(work), 4*n)
	checkLen("Dgecon", "iwork", len(iwork), n)
	if anorm < 0 {
		panic("blas: Dgecon: negative anorm")
	}
	r := C.bb_dgecon_work(C.char(lapackNorm), C.lapack_int(n), f64ptr(a), C.lapack_int(lda), C.double(anorm), f64ptr(work), i32ptr(iwork))
	info, rcond := r.info, r.rcond
	if info < 0 {
		panic("blas: LAPACKE_dgecon_work rejected argument " + itoa(int(-info)))
	}
	return float64(rcond)
}

// Dgeqrf implements [Factor] with an LQ factorisation of the column-major
// n×m Aᵀ = L·Q′ (dgelqf): then A = Q′ᵀ·Lᵀ, so R = Lᵀ, and L's column-major
// lower triangle read row-major is R's upper triangle. The reflectors lie in
// the column-major strict upper triangle, the row-major strict lower one.
func (OpenBLAS) Dgeqrf(m, n int, a []float64, lda int, tau, work []float64, lwork int) {
	mustFit("Dgeqrf", dim{"m", m}, dim{"n", n}, dim{"lda", lda}, dim{"lwork", lwork})
	checkFactorArgs("Dgeqrf", m, n, len(a), lda, len(work), lwork)
	checkLen("Dgeqrf", "tau", len(tau), min(m, n))
	if lwork != -1 && lwork < max(1, n) {
		panic("blas: Dgeqrf: lwork < max(1, n)")
	}
	if m == 0 || n == 0 { // LAPACK's quick return; tau may be empty
		if lwork == -1 {
			work[0] = 1
		}
		return
	}
	info := C.LAPACKE_dgelqf_work(C.LAPACK_COL_MAJOR, C.lapack_int(n), C.lapack_int(m), f64ptr(a), C.lapack_int(lda), f64ptr(tau), f64ptr(work), C.lapack_int(lwork))
	if info < 0 {
		panic("blas: LAPACKE_dgelqf_work rejected argument " + itoa(int(-info)))
	}
}

// Dorgqr implements [Factor] with dorglq, which generates from Dgeqrf's
// (dgelqf's) reflectors the column-major n×m Q′ with orthonormal rows: read
// row-major, that is the m×n Q = Q′ᵀ with orthonormal columns.
func (OpenBLAS) Dorgqr(m, n, k int, a []float64, lda int, tau, work []float64, lwork int) {
	if k < 0 || k > n || n > m {
		panic("blas: Dorgqr: want m ≥ n ≥ k ≥ 0, got m=" + itoa(m) + " n=" + itoa(n) + " k=" + itoa(k))
	}
	mustFit("Dorgqr", dim{"m", m}, dim{"n", n}, dim{"k", k}, dim{"lda", lda}, dim{"lwork", lwork})
	checkFactorArgs("Dorgqr", m, n, len(a), lda, len(work), lwork)
	checkLen("Dorgqr", "tau", len(tau), k)
	if lwork != -1 && lwork < max(1, n) {
		panic("blas: Dorgqr: lwork < max(1, n)")
	}
	if n == 0 {
		if lwork == -1 {
			work[0] = 1
		}
		return
	}
	info := C.LAPACKE_dorglq_work(C.LAPACK_COL_MAJOR, C.lapack_int(n), C.lapack_int(m), C.lapack_int(k), f64ptr(a), C.lapack_int(lda), f64ptr(tau), f64ptr(work), C.lapack_int(lwork))
	if info < 0 {
		panic("blas: LAPACKE_dorglq_work rejected argument " + itoa(int(-info)))
	}
}
