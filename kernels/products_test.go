package kernels_test

import (
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

// productTol scales the textbook elementwise error bound of a product,
// (k+1)·2⁻⁵²·Σ|aᵢₗ·bₗⱼ|; blocked and vectorised sums stay well inside it.
const productTol = 4

func TestProductsGonum(t *testing.T) { kerneltest.Products(t, blas.Gonum{}, productTol) }

func TestProductsOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.Products(t, blas.Default(), productTol)
}

func TestProductKernelsGonum(t *testing.T) {
	kerneltest.ProductKernels(t, blas.Gonum{}, productTol)
}

func TestProductKernelsOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.ProductKernels(t, blas.Default(), productTol)
}
