package kernels_test

import (
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

func TestFactorGonum(t *testing.T) { kerneltest.Factor(t, blas.Gonum{}, tol) }

func TestFactorOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.Factor(t, blas.Default(), tol)
}

func TestFactorKernelsGonum(t *testing.T) { kerneltest.FactorKernels(t, blas.Gonum{}, tol) }

func TestFactorKernelsOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.FactorKernels(t, blas.Default(), tol)
}

// TestFactorAgree compares OpenBLAS, which factors the column-major
// transpose, with gonum, which factors the row-major matrix.
func TestFactorAgree(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.FactorAgree(t, blas.Default(), blas.Gonum{}, 1e-12)
}
