package blas

import (
	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Dsyrk implements [Products] with gonum's pure-Go Dsyrk.
func (Gonum) Dsyrk(uplo gblas.Uplo, trans gblas.Transpose, n, k int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int) {
	t := checkSyrkArgs(uplo, trans, n, k, a, lda, c, ldc)
	// gonum v0.17.0 asks an empty A (k = 0) for (n-1)·lda elements, and
	// with Trans, Lower and β = 0 it multiplies C by 0, so NaN there
	// survives: set C = β·C here, and let gonum add to it.
	if k == 0 || (t && beta == 0) {
		for i := range n {
			lo, hi := i, n
			if uplo == gblas.Lower {
				lo, hi = 0, i+1
			}
			prodScale(beta, c[i*ldc+lo:i*ldc+hi])
		}
		if k == 0 {
			return
		}
		beta = 1
	}
	gonum.Implementation{}.Dsyrk(uplo, trans, n, k, alpha, a, lda, beta, c, ldc)
}

// Dgemm implements [Products] with gonum's pure-Go Dgemm, which splits a
// product whose C has at least four 64×64 blocks over goroutines of its
// own, one per block, at most GOMAXPROCS at a time: about 200 bytes of
// heap each (its closure), garbage once it finishes. gonum's LAPACK runs
// its blocked updates through the same Dgemm.
func (Gonum) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	checkGemmArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 {
		// As in Dsyrk: gonum asks empty operands for elements.
		for i := range m {
			prodScale(beta, c[i*ldc:i*ldc+n])
		}
		return
	}
	gonum.Implementation{}.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// prodScale sets x = β·x, with β = 0 writing zeros (so NaN does not survive),
// as BLAS does.
func prodScale(beta float64, x []float64) {
	if beta == 0 {
		clear(x)
		return
	}
	for i := range x {
		x[i] *= beta
	}
}
