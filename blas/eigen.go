package blas

// Eigen is the LAPACK routines the eigh and eig kernels use, row-major like the rest of [LAPACK].
type Eigen interface{}
