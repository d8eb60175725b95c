package blas

import (
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// Gonum is the pure-Go LAPACK of gonum.org/v1/gonum/lapack/gonum. It needs no
// cgo and no native library. Its Dgesdd runs gonum's Dgesvd (QR iteration
// rather than divide and conquer), so it is also an independent check of the
// OpenBLAS results. The zero value is ready to use.
type Gonum struct{}

var _ LAPACK = Gonum{}

// Name returns "gonum".
func (Gonum) Name() string { return "gonum" }

// Dgesdd implements [LAPACK] with gonum's Dgesvd; iwork is not used, but
// its length is checked as OpenBLAS's is, so that both panic alike.
func (g Gonum) Dgesdd(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, iwork []int32) int {
	checkSVDArgs(job, m, n, len(a), lda, len(s), len(u), ldu, len(vt), ldvt, len(work), lwork, len(iwork))
	return g.Dgesvd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork)
}

// Dgesvd implements [LAPACK] with gonum's Dgesvd.
func (Gonum) Dgesvd(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int) int {
	var ju, jv lapack.SVDJob
	switch job {
	case SVDAll:
		ju, jv = lapack.SVDAll, lapack.SVDAll
	case SVDThin:
		ju, jv = lapack.SVDStore, lapack.SVDStore
	case SVDNone:
		ju, jv = lapack.SVDNone, lapack.SVDNone
	default:
		panic("blas: bad SVD job " + string(rune(job)))
	}
	// gonum requires ldu ≥ 1 and ldvt ≥ 1 even when they are not referenced.
	ldu, ldvt = max(ldu, 1), max(ldvt, 1)
	if lwork != -1 && m > 0 && len(a) < m*lda {
		// gonum v0.17.0's Dgesvd slices a[lda:] even when A has one column
		// and an unpadded last row (m=n=1, lda>1 panics). A is destroyed on
		// exit anyway, so run it on a full m×lda copy.
		full := make([]float64, m*lda)
		copy(full, a)
		a = full
	}
	if (gonum.Implementation{}).Dgesvd(ju, jv, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork) {
		return 0
	}
	return 1
}
