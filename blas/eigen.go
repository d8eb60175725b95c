package blas

import "fmt"

// EigJob says whether an eigenvalue routine also computes eigenvectors, as
// LAPACK's JOBZ.
type EigJob byte

const (
	EigVectors EigJob = 'V' // eigenvalues and eigenvectors
	EigValues  EigJob = 'N' // eigenvalues only (the cheaper path)
)

// Eigen is the LAPACK routines the eigh and eig kernels use, row-major like
// the rest of [LAPACK].
//
// Eigenvectors come back as the ROWS of a row-major n×n buffer: row j is
// the eigenvector of the j-th eigenvalue. Read column-major (a .npy file
// with fortran_order True), that buffer is the matrix whose columns are the
// eigenvectors, NumPy's layout. This is the layout that LAPACK, called
// column-major on the row-major operands, produces in place; the pure-Go
// implementation transposes its result in place to match.
type Eigen interface {
	// Dsyevd computes the eigenvalues, and with EigVectors the orthonormal
	// eigenvectors, of the symmetric n×n matrix A (LAPACK's divide and
	// conquer driver). Only the lower triangle of A (elements (i, j) with
	// i ≥ j, at a[i*lda+j]) is read.
	//
	// On exit w (len ≥ n) holds the eigenvalues in ascending order. With
	// EigVectors, row j of a (a[j*lda : j*lda+n]) holds the unit
	// eigenvector for w[j]; with EigValues, a is destroyed.
	//
	// When lwork == -1 or liwork == -1, Dsyevd only computes the optimal
	// workspace sizes and stores them in work[0] and iwork[0] (len ≥ 1
	// each). Otherwise len(work) ≥ lwork and len(iwork) ≥ liwork, at least
	// what the query returned (an implementation may not use iwork; its
	// query then returns 1).
	//
	// info is 0 on success and > 0 when the algorithm did not converge
	// (LAPACK's INFO); an argument error panics.
	Dsyevd(job EigJob, n int, a []float64, lda int, w, work []float64, lwork int, iwork []int32, liwork int) (info int)

	// Dgeev computes the eigenvalues, and with EigVectors the right
	// eigenvectors (A·v = λ·v), of the general n×n matrix A. On exit a is
	// destroyed.
	//
	// wr and wi (len ≥ n) hold the real and imaginary parts of the
	// eigenvalues. Complex conjugate pairs are adjacent, the one with the
	// positive imaginary part first.
	//
	// With EigVectors, v is n×n (ldv ≥ n) and holds the eigenvectors as
	// rows, normalised to unit Euclidean norm with the largest component
	// real: for a real λ_j, row j is its (real) eigenvector; for a pair
	// λ_j, λ_{j+1} = conj(λ_j), the eigenvector of λ_j is
	// v[j,:] + i·v[j+1,:] and that of λ_{j+1} its conjugate v[j,:] −
	// i·v[j+1,:] (LAPACK's convention, transposed). With EigValues, v is not
	// referenced.
	//
	// When lwork == -1, Dgeev only computes the optimal workspace size and
	// stores it in work[0]; otherwise len(work) ≥ lwork ≥ the size the query
	// returned.
	//
	// info is 0 on success and > 0 when the QR algorithm failed to compute
	// all eigenvalues (LAPACK's INFO); an argument error panics.
	Dgeev(job EigJob, n int, a []float64, lda int, wr, wi, v []float64, ldv int, work []float64, lwork int) (info int)
}

// checkEigArgs panics with a precise message when the operands cannot hold
// what Dsyevd or Dgeev is asked to write; LAPACK itself cannot see slice
// lengths. lv < 0 means the routine has no v operand (Dsyevd); liwork < -1
// means it takes no iwork (Dgeev).
func checkEigArgs(routine string, job EigJob, n, la, lda, lw, lv, ldv, lenWork, lwork, lenIwork, liwork int) {
	bad := func(msg string) { panic(fmt.Sprintf("blas: %s n=%d job=%c: %s", routine, n, job, msg)) }
	query := lwork == -1 || liwork == -1
	switch {
	case job != EigVectors && job != EigValues:
		bad("bad job")
	case n < 0:
		bad("negative dimension")
	case lda < max(1, n):
		bad("lda < n")
	case n > 0 && la < (n-1)*lda+n:
		bad("a is too short")
	case lw < n:
		bad("w is too short")
	case query && lenWork < 1:
		bad("work is empty for a workspace query")
	case !query && (lwork < 1 || lenWork < lwork):
		bad("work is shorter than lwork")
	case liwork >= -1 && query && lenIwork < 1:
		bad("iwork is empty for a workspace query")
	case liwork >= -1 && !query && (liwork < 1 || lenIwork < liwork):
		bad("iwork is shorter than liwork")
	}
	if lv >= 0 && job == EigVectors {
		switch {
		case ldv < max(1, n):
			bad("ldv < n")
		case n > 0 && lv < (n-1)*ldv+n:
			bad("v is too short")
		}
	}
}

// transposeSquare transposes the n×n matrix a (leading dimension lda) in
// place.
func transposeSquare(n int, a []float64, lda int) {
	for i := range n {
		for j := range i {
			a[i*lda+j], a[j*lda+i] = a[j*lda+i], a[i*lda+j]
		}
	}
}
