package kernels_test

import (
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

// Tolerances of the shared suites.
const (
	tol      = 1e-13 // SVD and factorisations: reconstruction, orthonormality
	eigenTol = 1e-13 // eigen residuals and orthonormality (times n)
	// productTol scales the textbook elementwise error bound of a product,
	// (k+1)·2⁻⁵²·Σ|aᵢₗ·bₗⱼ|; blocked and vectorised sums stay well inside it.
	productTol = 4
)

// implementations are what the suites run on: gonum's pure-Go LAPACK
// always, OpenBLAS when this build links it.
func implementations(t *testing.T) []blas.LAPACK {
	impls := []blas.LAPACK{blas.Gonum{}}
	if blas.Linked {
		impls = append(impls, blas.Default())
	} else {
		t.Log("pure-Go build: OpenBLAS is not linked; gonum only")
	}
	return impls
}

// TestSuites runs every shared suite on every implementation.
func TestSuites(t *testing.T) {
	for _, s := range []struct {
		name string
		run  func(*testing.T, blas.LAPACK, float64)
		tol  float64
	}{
		{"Dgesdd", kerneltest.Dgesdd, tol},
		{"Dgesvd", kerneltest.Dgesvd, tol},
		{"Kernels", kerneltest.Kernels, tol},
		{"Fallback", kerneltest.Fallback, tol},
		{"Factor", kerneltest.Factor, tol},
		{"FactorKernels", kerneltest.FactorKernels, tol},
		{"Dsyevd", kerneltest.Dsyevd, eigenTol},
		{"Dgeev", kerneltest.Dgeev, eigenTol},
		{"EigenKernels", kerneltest.EigenKernels, eigenTol},
		{"EighSymmetrize", kerneltest.EighSymmetrize, eigenTol},
		{"Products", kerneltest.Products, productTol},
		{"ProductKernels", kerneltest.ProductKernels, productTol},
		{"Workspace", func(t *testing.T, impl blas.LAPACK, _ float64) { kerneltest.Workspace(t, impl) }, 0},
		{"Limits", func(t *testing.T, impl blas.LAPACK, _ float64) { kerneltest.Limits(t, impl) }, 0},
	} {
		for _, impl := range implementations(t) {
			t.Run(s.name+"/"+impl.Name(), func(t *testing.T) { s.run(t, impl, s.tol) })
		}
	}
}

// TestAgree compares OpenBLAS with gonum's independent algorithms: divide
// and conquer against QR iteration for the SVD and dsyevd, factorisations
// of the column-major transpose against the row-major matrix; eigenvalues
// sorted.
func TestAgree(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	for _, a := range []struct {
		name string
		run  func(*testing.T, blas.LAPACK, blas.LAPACK, float64)
		tol  float64
	}{
		{"SVD", kerneltest.Agree, 1e-12},
		{"Factor", kerneltest.FactorAgree, 1e-12},
		{"Eigen", kerneltest.EigenAgree, 1e-11},
	} {
		t.Run(a.name, func(t *testing.T) { a.run(t, blas.Default(), blas.Gonum{}, a.tol) })
	}
}

// TestHadamard checks the elementwise kernel, which uses no LAPACK.
func TestHadamard(t *testing.T) { kerneltest.Hadamard(t) }
