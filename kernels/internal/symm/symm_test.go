package symm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// plain is the definition: every a[i,j] equals a[j,i] (a NaN equals
// nothing) and is finite.
func plain(n int, a []float64) bool {
	for i := range n {
		for j := range n {
			v := a[i*n+j]
			if v != a[j*n+i] || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// TestCheck: Check says what the plain double loop says — on symmetric
// matrices of every size across the blocks of 4 and the vector code's
// threshold, with one element changed anywhere (by a little, by a
// subnormal, to ±Inf or NaN, mirrored or not), with +0 facing −0, and
// with differences that overflow.
func TestCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 9))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64, 65, 100} {
		for trial := range 60 {
			a := make([]float64, n*n)
			for i := range n {
				for j := range i + 1 {
					v := rng.NormFloat64() * math.Ldexp(1, rng.IntN(40)-20)
					a[i*n+j], a[j*n+i] = v, v
				}
			}
			if n > 0 {
				i, j := rng.IntN(n), rng.IntN(n)
				switch trial % 8 {
				case 1:
					a[i*n+j] = math.Nextafter(a[i*n+j], math.Inf(1))
				case 2:
					a[i*n+j] += 5e-324
				case 3:
					a[i*n+j], a[j*n+i] = math.Inf(1), math.Inf(1)
				case 4:
					a[i*n+j], a[j*n+i] = math.NaN(), math.NaN()
				case 5:
					a[i*n+j], a[j*n+i] = 0, math.Copysign(0, -1)
				case 6:
					a[i*n+j], a[j*n+i] = math.MaxFloat64, -math.MaxFloat64
				case 7:
					a[i*n+j], a[j*n+i] = math.Inf(-1), math.Inf(1)
				}
			}
			if got, want := Check(n, a), plain(n, a); got != want {
				t.Fatalf("n=%d trial %d: Check %v, the plain loop %v", n, trial, got, want)
			}
		}
	}
}

// TestBlocks: the vector blocks' sum is zero exactly when the portable
// one is, and otherwise agrees with it to rounding (the order of the
// additions differs).
func TestBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	for _, n := range []int{8, 9, 12, 16, 19, 64, 101} {
		for trial := range 40 {
			a := make([]float64, n*n)
			for i := range n {
				for j := range i + 1 {
					v := rng.NormFloat64()
					a[i*n+j], a[j*n+i] = v, v
				}
			}
			if trial%2 == 1 {
				a[rng.IntN(n*n)] += rng.NormFloat64()
			}
			b := n &^ 3
			got, want := blocks(a, n, b), blocksGo(a, n, b)
			if (got == 0) != (want == 0) || math.Abs(got-want) > 1e-12*math.Abs(want) {
				t.Fatalf("n=%d trial %d: blocks %v, blocksGo %v", n, trial, got, want)
			}
		}
	}
}

func BenchmarkCheck64(b *testing.B) {
	n := 64
	a := make([]float64, n*n)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		for j := range i + 1 {
			v := rng.NormFloat64()
			a[i*n+j], a[j*n+i] = v, v
		}
	}
	for b.Loop() {
		if !Check(n, a) {
			b.Fatal("not symmetric")
		}
	}
}
