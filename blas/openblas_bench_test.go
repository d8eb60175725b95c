//go:build cgo && !purego

package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/netlib/lapack/lapacke"
)

// BenchmarkDgesddLayout compares the column-major call blasbatch makes with
// gonum.org/v1/netlib's lapacke.Dgesdd, which asks LAPACKE for row-major
// layout and so allocates and transposes A, U and Vᵀ on every call.
func BenchmarkDgesddLayout(b *testing.B) {
	SetThreads(1)
	for _, n := range []int{16, 256, 1000} {
		rng := rand.New(rand.NewPCG(1, 2))
		src := make([]float64, n*n)
		for i := range src {
			src[i] = rng.Float64()
		}
		a := make([]float64, n*n)
		s := make([]float64, n)
		u := make([]float64, n*n)
		vt := make([]float64, n*n)
		iw := make([]int32, 8*n)
		var q [1]float64
		OpenBLAS{}.Dgesdd(SVDThin, n, n, a, n, s, u, n, vt, n, q[:], -1, iw)
		work := make([]float64, int(q[0]))
		b.Run(fmt.Sprintf("n=%d/layout=col-major", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, src)
				OpenBLAS{}.Dgesdd(SVDThin, n, n, a, n, s, u, n, vt, n, work, len(work), iw)
			}
		})
		b.Run(fmt.Sprintf("n=%d/layout=netlib-row-major", n), func(b *testing.B) {
			for b.Loop() {
				copy(a, src)
				lapacke.Dgesdd('S', n, n, a, n, s, u, n, vt, n, work, len(work), iw)
			}
		})
	}
}

// BenchmarkSVDValsSmall: Dgesvd's values-only path for the small shapes
// it takes directly (bb_svdvals_small), per matrix, square and tall.
func BenchmarkSVDValsSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sh := range [][2]int{{4, 4}, {16, 16}, {24, 16}, {48, 48}} {
		m, n := sh[0], sh[1]
		a := make([]float64, m*n)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		c := make([]float64, len(a))
		k := min(m, n)
		s := make([]float64, k)
		work := make([]float64, 5*max(m, n)+5*k)
		b.Run(fmt.Sprintf("%dx%d", m, n), func(b *testing.B) {
			for range b.N {
				copy(c, a)
				if _, ok := svdValsSmall(m, n, c, n, s, work); !ok {
					b.Fatal("declined")
				}
			}
		})
	}
}
