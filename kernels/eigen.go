package kernels

// eigenSpecs are the eigenvalue and product kernels (eigh, eig, gram,
// matmul, hadamard).
func eigenSpecs() []Spec { return nil }
