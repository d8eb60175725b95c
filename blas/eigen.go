package blas

// Eigen is the LAPACK and BLAS routines the eigh, eig, gram and matmul
// kernels use, row-major like the rest of [LAPACK].
type Eigen interface{}
