package blas

import (
	"fmt"

	gblas "gonum.org/v1/gonum/blas"
)

// Products is the BLAS routines the gram and matmul kernels use, row-major
// like the rest of [LAPACK]. The signatures are those of gonum's
// blas.Float64Level3 (with gonum's [gblas.Uplo] and [gblas.Transpose]), so
// gonum's pure-Go BLAS serves as the [Gonum] implementation; the shared
// tests (kerneltest.Products) hold both to the triple loop. ConjTrans means
// Trans (real matrices).
//
// With β = 0 the output need not be set on entry: NaN or Inf there is
// overwritten, never propagated. Operands too short for their dimensions
// and leading dimensions panic (the native library cannot see slice
// lengths).
type Products interface {
	// Dsyrk computes the symmetric rank-k update C = α·A·Aᵀ + β·C (trans
	// NoTrans: A is n×k) or C = α·Aᵀ·A + β·C (Trans: A is k×n) of the n×n
	// C, in its uplo triangle only: the other triangle is not referenced.
	Dsyrk(uplo gblas.Uplo, trans gblas.Transpose, n, k int, alpha float64, a []float64, lda int, beta float64, c []float64, ldc int)

	// Dgemm computes C = α·op(A)·op(B) + β·C, where op(X) is X or Xᵀ as tA
	// and tB say, op(A) is m×k, op(B) is k×n and C is m×n.
	Dgemm(tA, tB gblas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
}

// prodTransposed reports whether t transposes its operand; it panics on a value
// that is not a gonum Transpose.
func prodTransposed(routine string, t gblas.Transpose) bool {
	switch t {
	case gblas.NoTrans:
		return false
	case gblas.Trans, gblas.ConjTrans:
		return true
	}
	panic(fmt.Sprintf("blas: %s: bad transpose %q", routine, byte(t)))
}

// prodCheckOperand panics unless the r×c row-major operand x with leading
// dimension ld is addressable: ld ≥ max(1, c) and x long enough.
func prodCheckOperand(routine, name string, r, c int, x []float64, ld int) {
	if ld < max(1, c) {
		panic(fmt.Sprintf("blas: %s: ld%s = %d < max(1, %d)", routine, name, ld, c))
	}
	if r > 0 && c > 0 && len(x) < (r-1)*ld+c {
		panic(fmt.Sprintf("blas: %s: %s (%d×%d, ld %d) has %d elements, needs %d", routine, name, r, c, ld, len(x), (r-1)*ld+c))
	}
}

// checkSyrkArgs validates Dsyrk's operands; it returns whether A is
// transposed.
func checkSyrkArgs(uplo gblas.Uplo, trans gblas.Transpose, n, k int, a []float64, lda int, c []float64, ldc int) bool {
	if uplo != gblas.Upper && uplo != gblas.Lower {
		panic(fmt.Sprintf("blas: Dsyrk: bad uplo %q", byte(uplo)))
	}
	t := prodTransposed("Dsyrk", trans)
	if n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: Dsyrk: negative dimension n=%d k=%d", n, k))
	}
	if t {
		prodCheckOperand("Dsyrk", "a", k, n, a, lda)
	} else {
		prodCheckOperand("Dsyrk", "a", n, k, a, lda)
	}
	prodCheckOperand("Dsyrk", "c", n, n, c, ldc)
	return t
}

// checkGemmArgs validates Dgemm's operands; it returns whether A and B are
// transposed.
func checkGemmArgs(tA, tB gblas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) (bool, bool) {
	ta, tb := prodTransposed("Dgemm", tA), prodTransposed("Dgemm", tB)
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: Dgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	if ta {
		prodCheckOperand("Dgemm", "a", k, m, a, lda)
	} else {
		prodCheckOperand("Dgemm", "a", m, k, a, lda)
	}
	if tb {
		prodCheckOperand("Dgemm", "b", n, k, b, ldb)
	} else {
		prodCheckOperand("Dgemm", "b", k, n, b, ldb)
	}
	prodCheckOperand("Dgemm", "c", m, n, c, ldc)
	return ta, tb
}
