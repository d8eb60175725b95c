package kernels_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/blasbatch/blasbatch/kernels"
)

// TestCheckFinite: for every length to 40 and every position of a first
// NaN, +Inf or -Inf (with another after it), the error names that first
// element; matrices of finite extremes (±MaxFloat64, subnormals, -0) pass.
func TestCheckFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	finite := []float64{math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0, 1, -1e300}
	for n := 1; n <= 40; n++ {
		cols := 1 + rng.IntN(n)
		rows := n / cols
		a := make([]float64, rows*cols)
		for i := range a {
			a[i] = finite[rng.IntN(len(finite))]
		}
		if err := kernels.CheckFinite(rows, cols, a); err != nil {
			t.Fatalf("m=%d,n=%d finite: %v", rows, cols, err)
		}
		for p := range a {
			for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
				b := append([]float64(nil), a...)
				b[p] = bad
				if p+1 < len(b) {
					b[p+1+rng.IntN(len(b)-p-1)] = math.NaN()
				}
				var nf *kernels.NotFiniteError
				err := kernels.CheckFinite(rows, cols, b)
				if !errors.As(err, &nf) || nf.Row != p/cols || nf.Col != p%cols || math.Float64bits(nf.Value) != math.Float64bits(bad) {
					t.Fatalf("m=%d,n=%d: %v at %d: error %v", rows, cols, bad, p, err)
				}
			}
		}
	}
}
