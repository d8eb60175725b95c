package blas

// Products is the BLAS routines the gram and matmul kernels use, row-major
// like the rest of [LAPACK].
type Products interface{}
