package kernels

// productSpecs are the product and elementwise kernels (gram, matmul,
// hadamard).
func productSpecs() []Spec { return nil }
