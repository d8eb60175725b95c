//go:build cgo && !purego

package blas

/*
#include <lapacke.h>
*/
import "C"

import "unsafe"

// Dsyevd implements [Eigen]. A row-major symmetric matrix read column-major
// is the same matrix, its row-major lower triangle being the column-major
// upper one (UPLO='U'). With JOBZ='V', LAPACK overwrites A with the
// eigenvectors as column-major columns, which row-major are the rows
// [Eigen] promises: nothing is copied.
func (OpenBLAS) Dsyevd(job EigJob, n int, a []float64, lda int, w, work []float64, lwork int, iwork []int32, liwork int) int {
	mustFit("Dsyevd", dim{"n", n}, dim{"lda", lda}, dim{"lwork", lwork}, dim{"liwork", liwork})
	checkEigArgs("Dsyevd", job, n, len(a), lda, len(w), -1, 0, len(work), lwork, len(iwork), liwork)
	if lwork == -1 || liwork == -1 {
		lwork, liwork = -1, -1
	}
	info := C.LAPACKE_dsyevd_work(C.LAPACK_COL_MAJOR, C.char(job), 'U',
		C.lapack_int(n), f64ptr(a), C.lapack_int(max(lda, 1)), f64ptr(w),
		f64ptr(work), C.lapack_int(lwork),
		(*C.lapack_int)(unsafe.Pointer(&iwork[0])), C.lapack_int(liwork))
	if info < 0 {
		panic("blas: LAPACKE_dsyevd_work rejected argument " + itoa(int(-info)))
	}
	return int(info)
}

// Dgeev implements [Eigen]. The row-major A is the column-major Aᵀ, whose
// eigenvalues are A's. If u is a left eigenvector of Aᵀ (uᴴ·Aᵀ = λ·uᴴ),
// transposing gives A·conj(u) = λ·conj(u): A's right eigenvectors are the
// conjugates of Aᵀ's left ones. So LAPACK is asked for left vectors only
// (JOBVL='V', JOBVR='N') into the caller's v, where its column-major
// columns are the row-major rows; for a complex pair only the sign of the
// imaginary row changes, which one pass over those rows fixes in place.
func (OpenBLAS) Dgeev(job EigJob, n int, a []float64, lda int, wr, wi, v []float64, ldv int, work []float64, lwork int) int {
	mustFit("Dgeev", dim{"n", n}, dim{"lda", lda}, dim{"ldv", ldv}, dim{"lwork", lwork})
	checkEigArgs("Dgeev", job, n, len(a), lda, min(len(wr), len(wi)), len(v), ldv, len(work), lwork, 0, -2)
	if job == EigValues {
		ldv = 1 // not referenced, but LAPACK requires ≥ 1
	}
	info := C.LAPACKE_dgeev_work(C.LAPACK_COL_MAJOR, C.char(job), 'N',
		C.lapack_int(n), f64ptr(a), C.lapack_int(max(lda, 1)),
		f64ptr(wr), f64ptr(wi),
		f64ptr(v), C.lapack_int(ldv),
		nil, 1,
		f64ptr(work), C.lapack_int(lwork))
	if info < 0 {
		panic("blas: LAPACKE_dgeev_work rejected argument " + itoa(int(-info)))
	}
	if info == 0 && lwork != -1 && job == EigVectors {
		conjugatePairs(n, wi, v, ldv)
	}
	return int(info)
}

// conjugatePairs negates the imaginary row j+1 of each complex pair.
func conjugatePairs(n int, wi, v []float64, ldv int) {
	for j := 0; j < n; j++ {
		if wi[j] != 0 && j+1 < n {
			row := v[(j+1)*ldv : (j+1)*ldv+n]
			for k := range row {
				row[k] = -row[k]
			}
			j++
		}
	}
}
