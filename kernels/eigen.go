package kernels

// eigenSpecs are the eigenvalue kernels (eigh, eig).
func eigenSpecs() []Spec { return nil }
