package blas

// Factor is the LAPACK factorisation routines the chol, inv, det and qr
// kernels use, row-major like the rest of [LAPACK].
type Factor interface{}
