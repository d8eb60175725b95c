package blas

import (
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/gonum"
)

// Dsyevd implements [Eigen] with gonum's Dsyev (QR iteration: gonum has no
// divide and conquer driver); iwork is not used. gonum is row-major and
// returns the eigenvectors as columns, so they are transposed in place into
// the rows [Eigen] promises.
func (Gonum) Dsyevd(job EigJob, n int, a []float64, lda int, w, work []float64, lwork int, iwork []int32, liwork int) int {
	checkEigArgs("Dsyevd", job, n, len(a), lda, len(w), -1, 0, len(work), lwork, len(iwork), liwork)
	jobz := lapack.EVNone
	if job == EigVectors {
		jobz = lapack.EVCompute
	}
	if lwork == -1 || liwork == -1 {
		iwork[0] = 1
		(gonum.Implementation{}).Dsyev(jobz, gblas.Lower, n, a, max(lda, 1), w, work, -1)
		return 0
	}
	if n == 0 {
		return 0
	}
	if !(gonum.Implementation{}).Dsyev(jobz, gblas.Lower, n, a, lda, w, work, lwork) {
		return 1
	}
	if job == EigVectors {
		transposeSquare(n, a, lda)
	}
	return 0
}

// Dgeev implements [Eigen] with gonum's Dgeev, asked for right eigenvectors
// as the columns of v, then transposed in place into the rows [Eigen]
// promises (gonum's pair convention is LAPACK's).
func (Gonum) Dgeev(job EigJob, n int, a []float64, lda int, wr, wi, v []float64, ldv int, work []float64, lwork int) int {
	checkEigArgs("Dgeev", job, n, len(a), lda, min(len(wr), len(wi)), len(v), ldv, len(work), lwork, 0, -2)
	jobvr := lapack.RightEVNone
	if job == EigVectors {
		jobvr = lapack.RightEVCompute
	} else {
		v, ldv = nil, 1
	}
	if lwork != -1 && n == 0 {
		return 0
	}
	first := (gonum.Implementation{}).Dgeev(lapack.LeftEVNone, jobvr, n, a, max(lda, 1), wr[:n], wi[:n], nil, 1, v, max(ldv, 1), work, lwork)
	if lwork == -1 || first > 0 {
		return first
	}
	if job == EigVectors {
		transposeSquare(n, v, ldv)
	}
	return 0
}
