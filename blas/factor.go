package blas

import (
	"fmt"

	gblas "gonum.org/v1/gonum/blas"
)

// Factor is the LAPACK factorisation routines the chol, inv, det and qr
// kernels use, row-major like the rest of [LAPACK].
//
// The factors an implementation leaves in a for its own later routines
// (Dgetrf's for Dgetri and Dgecon, Dgeqrf's for Dorgqr) are in that
// implementation's layout: [OpenBLAS] factors the column-major transpose
// that a row-major buffer is, [Gonum] the row-major matrix itself. What
// each method documents as readable (a diagonal, a triangle, pivots, Q) is
// the same in both.
type Factor interface {
	// Dpotrf computes the Cholesky factorisation of the n×n symmetric
	// positive definite A from the triangle uplo says: with Lower (gonum's blas.Lower) only
	// the lower triangle of a (j ≤ i) is read, and on exit it holds L with
	// A = L·Lᵀ, with Upper only the upper (j ≥ i), and on exit it
	// holds U = Lᵀ with A = Uᵀ·U. The other strict triangle is left as it
	// was. (The two run different code: OpenBLAS's Upper is the faster for
	// small n, since it is LAPACK's Lower of the column-major view.)
	//
	// info is 0 on success; info = K > 0 means the leading minor of order K
	// is not positive definite and the factorisation could not be completed
	// (LAPACK's INFO). An argument error panics.
	Dpotrf(uplo gblas.Uplo, n int, a []float64, lda int) (info int)

	// Dgetrf computes an LU factorisation with partial pivoting of the n×n
	// A, for Dgetri and Dgecon. On exit the diagonal of a holds U's
	// diagonal and ipiv (len ≥ n) LAPACK's 1-based interchanges, so that
	//
	//	det(A) = ∏ a[i,i] · (−1)^#{i : ipiv[i] ≠ i+1}.
	//
	// The rest of a holds the factors in the implementation's own layout.
	//
	// info is 0 on success; info = i > 0 means U(i,i) (1-based) is exactly
	// zero: the factorisation is complete but A is singular. An argument
	// error panics.
	Dgetrf(n int, a []float64, lda int, ipiv []int32) (info int)

	// Dgetri computes inv(A) in a from Dgetrf's factors of A and ipiv.
	// When lwork == -1 it only stores the optimal workspace size in
	// work[0]; otherwise len(work) ≥ lwork ≥ max(1, n). info > 0: U(info,
	// info) is exactly zero and A has no inverse (a is then undefined).
	Dgetri(n int, a []float64, lda int, ipiv []int32, work []float64, lwork int) (info int)

	// Dgecon estimates the reciprocal condition number 1/(‖A‖·‖A⁻¹‖) of A
	// from Dgetrf's factors, in the 1-norm (norm '1' or 'O') or the
	// ∞-norm ('I') of A; anorm is that norm of the original A. work has
	// length ≥ 4·n and iwork ≥ n.
	Dgecon(norm byte, n int, a []float64, lda int, anorm float64, work []float64, iwork []int32) (rcond float64)

	// Dgeqrf computes the QR factorisation A = Q·R of the m×n A, with
	// k = min(m,n). On exit the elements of a on and above the diagonal
	// hold the k×n upper trapezoidal R; those below, with tau (len ≥ k),
	// represent Q as Householder reflectors in the implementation's layout,
	// for its Dorgqr. When lwork == -1 it only stores the optimal workspace
	// size in work[0]; otherwise len(work) ≥ lwork ≥ max(1, n).
	Dgeqrf(m, n int, a []float64, lda int, tau, work []float64, lwork int)

	// Dorgqr generates, in the leading m×n block of a (lda ≥ the number of
	// columns of the A that Dgeqrf factored), the first n columns of Q from
	// the first k reflectors Dgeqrf left in a and tau; m ≥ n ≥ k. For the
	// thin Q of an m×n A with k = min(m,n), call Dorgqr(m, k, k, …). When
	// lwork == -1 it only stores the optimal workspace size in work[0];
	// otherwise len(work) ≥ lwork ≥ max(1, n).
	Dorgqr(m, n, k int, a []float64, lda int, tau, work []float64, lwork int)
}

// checkFactorArgs panics with a precise message when a routine of [Factor]
// gets operands that cannot hold an m×n matrix with leading dimension lda, or
// a workspace shorter than it claims; LAPACK itself cannot see slice
// lengths.
func checkFactorArgs(routine string, m, n, la, lda, lenWork, lwork int) {
	bad := func(msg string) { panic(fmt.Sprintf("blas: %s m=%d n=%d lda=%d: %s", routine, m, n, lda, msg)) }
	switch {
	case m < 0 || n < 0:
		bad("negative dimension")
	case lda < max(1, n):
		bad("lda < n")
	case m > 0 && n > 0 && la < (m-1)*lda+n:
		bad("a is too short")
	case lwork == -1 && lenWork < 1:
		bad("work is empty for a workspace query")
	case lwork != -1 && lenWork < lwork:
		bad("work is shorter than lwork")
	}
}

// checkLen panics when an auxiliary operand of routine is shorter than want.
func checkLen(routine, what string, got, want int) {
	if got < want {
		panic(fmt.Sprintf("blas: %s: %s has length %d, want ≥ %d", routine, what, got, want))
	}
}

// condNorm returns the LAPACK NORM for A's norm when LAPACK sees Aᵀ (the
// column-major view of a row-major A): Aᵀ's ∞-norm is A's 1-norm.
func condNorm(norm byte, transposed bool) byte {
	switch norm {
	case '1', 'O', 'o':
		if transposed {
			return 'I'
		}
		return '1'
	case 'I', 'i':
		if transposed {
			return '1'
		}
		return 'I'
	}
	panic("blas: Dgecon: bad norm " + string(rune(norm)))
}
