package kernels

// The optimal workspace sizes (LWORK, LIWORK, in elements) that the LAPACK
// routines' workspace queries return, by formula: Spec.Workspace must not
// call LAPACK, and Run checks them against lapack_int before any query.
// Each is the larger of what reference LAPACK 3.11 (the LAPACK inside
// Debian's OpenBLAS 0.3.21, called on the column-major transpose) and
// gonum v0.17.0 (row-major) return; TestLworkBounds holds both
// implementations' queries to them over a sweep of shapes. All arguments
// are ≥ 0 and at most blas.MaxDim, so that no product of two overflows
// int64; the larger ones saturate.

// ILAENV's block sizes, the same in reference LAPACK and gonum.
const (
	nb      = 32 // DGEQRF, DGELQF, DORGQR, DGEBRD, DORMBR, DORGBR, DSYTRD, DGEHRD
	nbGetri = 64 // DGETRI
	nbTrevc = 64 // DTREVC3, dgeev's eigenvectors
)

// dhseqrWork bounds the workspace dhseqr's query asks for beyond n, for
// n > NTINY = 15 (smaller matrices go to dlahqr, which needs n): the
// deflation window of dlaqr0/dlaqr3. Measured, not derived: over
// 16 ≤ n ≤ 4000 OpenBLAS's LAPACK never returned more than n + 4523 and
// gonum n + 4325; above n ≈ 130 dgehrd's 34n is larger anyway.
const dhseqrWork = 4523

// gesddTall is dgesdd's choice of path: with M ≥ MNTHR = INT(MINMN·11/6)
// it reduces the long side by a QR (or LQ) factorisation first.
func gesddTall(big, small int64) bool { return big >= small*11/6 }

// gesvdTall is dgesvd's: MNTHR = ILAENV(6, 'DGESVD') = INT(MINMN·1.6) (in
// single precision, exact for MINMN < 2²⁰, and so in gonum's double).
func gesvdTall(big, small int64) bool { return big >= small*8/5 }

// lworkGesvd is dgesvd's optimal LWORK for JOBU = JOBVT = 'N' (vectors
// false) or 'S' (true) on an m×n matrix, with M ≥ N its long and short
// sides: the QR path (M ≥ MNTHR) needs dgebrd's 3N + 2N·NB on the N×N R, and
// with vectors R's copy, N²; the direct path dgebrd's 3N + (M+N)·NB. Both
// implementations also return at least LAPACK's documented minimum
// max(3N + M, 5N) (gonum always; LAPACK on the paths that use it).
func lworkGesvd(m, n int64, vectors bool) int64 {
	M, N := max(m, n), min(m, n)
	if N == 0 {
		return 1
	}
	var opt int64
	if gesvdTall(M, N) {
		opt = 3*N + 2*nb*N
		if vectors {
			opt += N * N
		}
	} else {
		opt = 3*N + nb*(M+N)
	}
	return max(opt, 3*N+M, 5*N)
}

// lworkGesdd is dgesdd's optimal LWORK for JOBZ = 'S' on an m×n matrix.
// LAPACK's dbdsdc needs BDSPAC = 3N² + 4N; on the QR path (path 3) with
// WRKBL = max(N + N·NB, 3N + 2N·NB, 3N + BDSPAC) and R in the workspace,
// WRKBL + N²; on the direct path (path 5), max(3N + (M+N)·NB, 3N + BDSPAC).
// [blas.Gonum]'s Dgesdd is its Dgesvd, whose workspace is lworkGesvd's.
func lworkGesdd(m, n int64) int64 {
	M, N := max(m, n), min(m, n)
	if N == 0 {
		return 1
	}
	bdspac := satAdd(satMul(3, N*N), 4*N)
	var lapack int64
	if gesddTall(M, N) {
		lapack = satAdd(N*N, max(N+nb*N, 3*N+2*nb*N, satAdd(3*N, bdspac)))
	} else {
		lapack = max(3*N+nb*(M+N), satAdd(3*N, bdspac))
	}
	return max(lapack, lworkGesvd(m, n, true))
}

// lworkSyevd is dsyevd's optimal LWORK: LOPT = max(LWMIN, 2N + N·NB), with
// LWMIN = 1 + 6N + 2N² for eigenvectors (N > 1), else 2N + 1. gonum's Dsyev
// (QR iteration) asks for (NB + 2)·N either way.
func lworkSyevd(n int64, vectors bool) int64 {
	lwmin := 2*n + 1
	if vectors {
		lwmin = satAdd(1+6*n, satMul(2, n*n))
	}
	if n <= 1 {
		lwmin = 1
	}
	return max(lwmin, (nb+2)*n)
}

// liworkSyevd is dsyevd's LIWORK: 3 + 5N for eigenvectors (N > 1), else 1
// (gonum's Dsyev takes none and the kernel passes 1).
func liworkSyevd(n int64, vectors bool) int64 {
	if vectors && n > 1 {
		return 3 + 5*n
	}
	return 1
}

// lworkGeev is dgeev's optimal LWORK for one set of eigenvectors (vectors)
// or none: max(2N + N·NB for dgehrd, N + dhseqr's workspace, and with
// vectors N + dtrevc3's N + 2N·NB_TREVC, i.e. (2·NB_TREVC + 2)·N).
func lworkGeev(n int64, vectors bool) int64 {
	if n == 0 {
		return 1
	}
	opt := (nb + 2) * n
	if n > 15 {
		opt = max(opt, n+dhseqrWork)
	}
	if vectors {
		opt = max(opt, (2*nbTrevc+2)*n)
	}
	return opt
}

// lworkGetri is the inv kernel's dgetri workspace: dgetri's optimal N·NB,
// and at least dgecon's 4N, which shares it.
func lworkGetri(n int64) int64 { return max(1, nbGetri*n, 4*n) }

// lworkQR is the qr kernel's workspace for an m×n A, k = min(m, n): the
// larger of dgeqrf's N·NB and dorgqr's K·NB optimal sizes (dgelqf's and
// dorglq's on OpenBLAS's transpose, the same; both 1 for an empty A), and
// at least max(m, n).
func lworkQR(m, n int64) int64 {
	if min(m, n) == 0 {
		return max(1, m, n)
	}
	return max(m, nb*n)
}
