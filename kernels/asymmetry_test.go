package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAsymmetry: the tiled passes find what the plain double loop finds —
// max|a| and max|a[i,j] − a[j,i]|, and whether that is 0 — for every size
// across the tile boundaries, with one perturbed element anywhere; and
// symmetricFinite is false once any element, of either triangle or the
// diagonal, is ±Inf or NaN.
func TestAsymmetry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for n := 1; n <= 50; n++ {
		for trial := range 5 + n*n/8 {
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
			if got := symmetricFinite(n, a); got != (diff == 0) {
				t.Fatalf("n=%d trial %d: symmetricFinite %v, but max|a[i,j] − a[j,i]| = %v", n, trial, got, diff)
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
	// Either side of the tolerance, where rounding could tip it.
	rng = rand.New(rand.NewPCG(4, 4))
	for n := 2; n <= 40; n++ {
		for _, f := range []float64{1 - 1e-3, 1 + 1e-3} {
			a := make([]float64, n*n)
			for i := range n {
				for j := range i + 1 {
					v := rng.NormFloat64()
					a[i*n+j], a[j*n+i] = v, v
				}
			}
			scale, _ := asymmetry(n, a)
			i, j := 1+rng.IntN(n-1), 0
			j = rng.IntN(i)
			a[i*n+j] += f * SymmetryTol * scale
			if _, d := asymmetry(n, a); (checkSymmetric(n, a) == nil) != (d <= SymmetryTol*scale) {
				t.Fatalf("n=%d: a difference of %v·tol: checkSymmetric %v, want accepted %v", n, f, checkSymmetric(n, a), d <= SymmetryTol*scale)
			}
			if (checkSymmetric(n, a) == nil) != (f < 1) {
				t.Fatalf("n=%d: a difference of %v·tol: checkSymmetric says %v", n, f, checkSymmetric(n, a))
			}
		}
	}
}

func TestSymmetricFiniteSeesEveryElement(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for k := range n * n {
			for _, bad := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
				a := make([]float64, n*n)
				for i := range a {
					a[i] = 1
				}
				i, j := k/n, k%n
				a[i*n+j], a[j*n+i] = bad, bad // symmetric, and not finite
				if symmetricFinite(n, a) {
					t.Fatalf("n=%d: a[%d,%d] = a[%d,%d] = %v passes", n, i, j, j, i, bad)
				}
			}
		}
	}
}
