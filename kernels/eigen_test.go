package kernels_test

import (
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

// eigenTol is the relative tolerance of the eigen suites' residuals and
// orthonormality checks (times n).
const eigenTol = 1e-13

// eigenImpls are the implementations the eigen suites run on: gonum always,
// OpenBLAS when linked.
func eigenImpls(t *testing.T) []blas.LAPACK {
	impls := []blas.LAPACK{blas.Gonum{}}
	if blas.Linked {
		impls = append(impls, blas.Default())
	} else {
		t.Log("pure-Go build: OpenBLAS is not linked; gonum only")
	}
	return impls
}

func TestDsyevd(t *testing.T) {
	for _, impl := range eigenImpls(t) {
		t.Run(impl.Name(), func(t *testing.T) { kerneltest.Dsyevd(t, impl, eigenTol) })
	}
}

func TestDgeev(t *testing.T) {
	for _, impl := range eigenImpls(t) {
		t.Run(impl.Name(), func(t *testing.T) { kerneltest.Dgeev(t, impl, eigenTol) })
	}
}

func TestEigenKernels(t *testing.T) {
	for _, impl := range eigenImpls(t) {
		t.Run(impl.Name(), func(t *testing.T) { kerneltest.EigenKernels(t, impl, eigenTol) })
	}
}

func TestEighSymmetrize(t *testing.T) {
	for _, impl := range eigenImpls(t) {
		t.Run(impl.Name(), func(t *testing.T) { kerneltest.EighSymmetrize(t, impl, eigenTol) })
	}
}

// TestEigenAgree compares OpenBLAS's dsyevd (divide and conquer) and dgeev
// with gonum's dsyev (QR iteration) and dgeev, eigenvalues sorted.
func TestEigenAgree(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.EigenAgree(t, blas.Default(), blas.Gonum{}, 1e-11)
}
