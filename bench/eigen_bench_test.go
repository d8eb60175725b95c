package bench

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkEigh runs the eigh kernel (dsyevd, values only: the JSON Lines
// path) over whole batches of symmetric matrices.
func BenchmarkEigh(b *testing.B) { benchKernelWith(b, "eigh", writeSymmetricBatch) }

// BenchmarkEig runs the eig kernel (dgeev, values only) over whole batches
// of general matrices, the ones BenchmarkSVD uses.
func BenchmarkEig(b *testing.B) { benchKernelWith(b, "eig", writeBatch) }

// writeSymmetricBatch writes symmetric matrices with entries in [1, 2):
// eigh refuses anything else.
func writeSymmetricBatch(b *testing.B, dir string, n, count int) []string {
	return writeBatchWith(b, dir, n, count, func(rng *rand.Rand, a []float64, n int) {
		for r := range n {
			for c := range r + 1 {
				v := 1 + rng.Float64()
				a[r*n+c], a[c*n+r] = v, v
			}
		}
	})
}
