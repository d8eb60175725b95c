package kernels_test

import (
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

const tol = 1e-13

func TestDgesddGonum(t *testing.T) { kerneltest.Dgesdd(t, blas.Gonum{}, tol) }

func TestDgesddOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.Dgesdd(t, blas.Default(), tol)
}

func TestDgesvdGonum(t *testing.T) { kerneltest.Dgesvd(t, blas.Gonum{}, tol) }

func TestDgesvdOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.Dgesvd(t, blas.Default(), tol)
}

func TestKernelsGonum(t *testing.T) { kerneltest.Kernels(t, blas.Gonum{}, tol) }

func TestKernelsOpenBLAS(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.Kernels(t, blas.Default(), tol)
}

// TestAgree compares OpenBLAS's divide and conquer with gonum's QR iteration.
func TestAgree(t *testing.T) {
	if !blas.Linked {
		t.Skip("pure-Go build: OpenBLAS is not linked")
	}
	kerneltest.Agree(t, blas.Default(), blas.Gonum{}, 1e-12)
}
