package kernels

// factorSpecs are the factorisation kernels (chol, inv, det, qr).
func factorSpecs() []Spec { return nil }
