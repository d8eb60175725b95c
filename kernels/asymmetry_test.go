package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAsymmetry: the tiled pass finds what the plain double loop finds —
// max|a| and max|a[i,j] − a[j,i]| — for every size across the tile
// boundaries, with one perturbed element anywhere.
func TestAsymmetry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for n := 1; n <= 50; n++ {
		for trial := range 5 {
			a := make([]float64, n*n)
			for i := range n {
				for j := range i + 1 {
					v := rng.NormFloat64() * 10
					a[i*n+j], a[j*n+i] = v, v
				}
			}
			if trial > 0 {
				a[rng.IntN(n*n)] += rng.NormFloat64()
			}
			var scale, diff float64
			for i := range n {
				for j := range n {
					scale = math.Max(scale, math.Abs(a[i*n+j]))
					diff = math.Max(diff, math.Abs(a[i*n+j]-a[j*n+i]))
				}
			}
			gs, gd := asymmetry(n, a)
			if gs != scale || gd != diff {
				t.Fatalf("n=%d trial %d: asymmetry %v %v, plain loops %v %v", n, trial, gs, gd, scale, diff)
			}
			if (checkSymmetric(n, a) == nil) != (diff <= SymmetryTol*scale) {
				t.Fatalf("n=%d: checkSymmetric disagrees with the tolerance", n)
			}
		}
	}
}
