package blas

// SVDJob says which singular vectors Dgesdd computes, as LAPACK's JOBZ.
type SVDJob byte

const (
	SVDAll  SVDJob = 'A' // all m columns of U and all n rows of Vᵀ
	SVDThin SVDJob = 'S' // the first min(m,n) columns of U and rows of Vᵀ
	SVDNone SVDJob = 'N' // singular values only
)

// LAPACK is the set of LAPACK routines blasbatch's kernels use. All matrices
// are row-major (gonum's convention): element (i, j) of an m×n matrix with
// leading dimension ld is at index i*ld+j, and ld ≥ n.
//
// Every method panics on an argument error: a negative dimension, a leading
// dimension or operand too small for it, a bad job. [OpenBLAS]'s methods
// also panic, with a *[DimensionError], on an integer argument above
// [MaxDim], which the native library's 32-bit integers cannot hold.
//
// Implementations are safe for concurrent use by several goroutines on
// distinct operands, except where [Info.ThreadSafe] says otherwise.
type LAPACK interface {
	// Name says which implementation this is ("openblas" or "gonum").
	Name() string

	Factor
	Eigen
	Products

	// Dgesdd computes the singular value decomposition A = U·Σ·Vᵀ of the
	// m×n matrix A, with k = min(m,n).
	//
	// On entry a holds A; on exit its contents are destroyed. On exit s
	// (len ≥ k) holds the singular values in decreasing order. With
	// SVDAll, u is m×m (ldu ≥ m) and vt is n×n (ldvt ≥ n); with SVDThin,
	// u is m×k (ldu ≥ k) and vt is k×n (ldvt ≥ n); with SVDNone, u and vt
	// are not referenced.
	//
	// When lwork == -1, Dgesdd only computes the optimal workspace size and
	// stores it in work[0]; otherwise len(work) ≥ lwork ≥ the minimum
	// LAPACK documents. iwork has length ≥ 8·k (an implementation may not
	// use it).
	//
	// info is 0 on success and > 0 when the algorithm did not converge
	// (LAPACK's INFO); an argument error panics.
	Dgesdd(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, iwork []int32) (info int)

	// Dgesvd computes the same decomposition as Dgesdd with LAPACK's
	// QR-iteration driver, for the same job and operands (no iwork). It is
	// slower than Dgesdd when vectors are wanted, slightly faster for values
	// only, and more robust where divide and conquer fails to converge.
	Dgesvd(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int) (info int)
}
