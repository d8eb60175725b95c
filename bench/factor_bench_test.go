package bench

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkChol runs the chol kernel (L and log det) over batches of
// symmetric positive definite matrices.
func BenchmarkChol(b *testing.B) { benchKernelWith(b, "chol", writeSPDBatch) }

// BenchmarkInv runs the inv kernel (inverse, log|det|, sign, rcond).
func BenchmarkInv(b *testing.B) { benchKernel(b, "inv") }

// BenchmarkDet runs the det kernel (log|det| and sign).
func BenchmarkDet(b *testing.B) { benchKernel(b, "det") }

// BenchmarkQR runs the qr kernel (R's diagonal; Q is formed only with
// --save, which the benchmark does not ask for).
func BenchmarkQR(b *testing.B) { benchKernel(b, "qr") }

// writeSPDBatch writes symmetric n×n matrices with entries in [0, 1) off
// the diagonal and n + [0, 1) on it: diagonally dominant, so positive
// definite, and cheap to make at n = 1000.
func writeSPDBatch(b *testing.B, dir string, n, count int) []string {
	return writeBatchWith(b, dir, n, count, func(rng *rand.Rand, a []float64, n int) {
		for i := range n {
			for j := range i {
				v := rng.Float64()
				a[i*n+j], a[j*n+i] = v, v
			}
			a[i*n+i] = float64(n) + rng.Float64()
		}
	})
}
