//go:build cgo && !purego && !(linux && amd64 && !openblas_shared)

package blas

// Everywhere but Debian's amd64, and there with -tags openblas_shared,
// OpenBLAS and LAPACKE are the shared libraries pkg-config names.

/*
#cgo pkg-config: lapacke openblas
*/
import "C"

// linkedLibraries returns none: the libraries are shared, and
// /proc/self/maps shows them (see [Runtime]).
func linkedLibraries() []string { return nil }
