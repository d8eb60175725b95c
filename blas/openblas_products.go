//go:build cgo && !purego

package blas

/*

// Declared here rather than through <cblas.h>: the header's location depends
// on which OpenBLAS variant is installed; these symbols do not. The CBLAS
// enums are passed as int (their ABI), blasint is int in Debian's LP64
// OpenBLAS (the ILP64 one is libopenblas64, which is never linked: see
// openblas_static.go).
enum { bbColMajor = 102, bbNoTrans = 111, bbTrans = 112, bbUpper = 121, bbLower = 122 };
extern void cblas_dsyrk(int order, int uplo, int trans, int n, int k,
	double alpha, const double *a, int lda, double beta, double *c, int ldc);
extern void cblas_dgemm(int order, int transa, int transb, int m, int n, int k,
	double alpha, const double *a, int lda, const double *b, int ldb,
	double beta, double *c, int ldc);
*/
import "C"

import (
	gblas "gonum.org/v1/gonum/blas"
)

func prodCblasTrans(t bool) C.int {
	if t {
		return C.bbTrans
	}
	return C.bbNoTrans
}

// Dsyrk implements [Products] with OpenBLAS's dsyrk in column-major layout:
// the row-major A is the column-major Aᵀ, so A·Aᵀ is (Aᵀ)ᵀ·(Aᵀ) — TRANS
// flips — and C's upper triangle in row-major storage is the lower one in
// column-major storage — UPLO flips. Nothing is copied (this is also what
// CBLAS's own row-major path does).
func (OpenBLAS) Dsyrk(uplo gblas.Uplo, trans gblas.Transpose, n, k int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int) {
	mustFit("Dsyrk", dim{"n", n}, dim{"k", k}, dim{"lda", lda}, dim{"ldc", ldc})
	t := checkSyrkArgs(uplo, trans, n, k, a, lda, c, ldc)
	if n == 0 {
		return
	}
	ul := C.int(C.bbLower) // row-major Upper
	if uplo == gblas.Lower {
		ul = C.bbUpper
	}
	C.cblas_dsyrk(C.bbColMajor, ul, prodCblasTrans(!t), C.int(n), C.int(k),
		C.double(alpha), f64ptr(a), C.int(lda), C.double(beta), f64ptr(c), C.int(ldc))
}

// Dgemm implements [Products] with OpenBLAS's dgemm in column-major layout:
// the row-major C = op(A)·op(B) is the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, so
// the operands swap (B first, n×m result) and nothing is copied.
func (OpenBLAS) Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	mustFit("Dgemm", dim{"m", m}, dim{"n", n}, dim{"k", k}, dim{"lda", lda}, dim{"ldb", ldb}, dim{"ldc", ldc})
	ta, tb := checkGemmArgs(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	C.cblas_dgemm(C.bbColMajor, prodCblasTrans(tb), prodCblasTrans(ta), C.int(n), C.int(m), C.int(k),
		C.double(alpha), f64ptr(b), C.int(ldb), f64ptr(a), C.int(lda),
		C.double(beta), f64ptr(c), C.int(ldc))
}
