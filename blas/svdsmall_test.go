//go:build cgo && !purego

package blas

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSVDValsSmall: the direct dgebd2 + dlasq1 path gives dgesvd's
// singular values (to rounding: the reflectors are applied in another
// order) for every small shape it takes, tall and wide; it declines the
// shapes dgesvd computes another way (much taller than wide, too large)
// and matrices dgesvd would scale first, which Dgesvd then computes through
// LAPACKE as before.
func TestSVDValsSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var taken, declined int
	// Scale 0 stands for columns of very different sizes (1 and 1e-145,
	// and a row of 1e135): reflectors whose squares leave the double
	// range, which bb_larfg hands to dlarfg_.
	for _, scale := range []float64{1, 0, 1e-150, 1e150, 1e-300} {
		for m := 1; m <= smallSVDVals+2; m += 1 + m/6 {
			for n := 1; n <= smallSVDVals+2; n += 1 + n/5 {
				a := make([]float64, m*n)
				for i := range a {
					a[i] = scale * rng.NormFloat64()
					if scale == 0 {
						a[i] = rng.NormFloat64() * []float64{1, 1e-145}[i%n%2]
						if i/n == m/2 && m > 2 {
							a[i] *= 1e135
						}
					}
				}
				k := min(m, n)
				lwork := 5*max(m, n) + 5*k
				want, got := make([]float64, k), make([]float64, k)
				ref := append([]float64(nil), a...)
				if info := dgesvdLAPACKE(SVDNone, m, n, ref, n, want, nil, 1, nil, 1, make([]float64, lwork), lwork); info != 0 {
					t.Fatalf("m=%d,n=%d: dgesvd info %d", m, n, info)
				}
				b := append([]float64(nil), a...)
				info, ok := svdValsSmall(m, n, b, n, got, make([]float64, lwork))
				lo, hi := min(m, n), max(m, n)
				shouldTake := hi <= smallSVDVals && hi < int(float32(lo)*1.6) && (scale == 0 || scale >= 1e-137 && scale <= 1e137)
				if ok != shouldTake {
					t.Fatalf("m=%d,n=%d, scale %g: taken %v, want %v", m, n, scale, ok, shouldTake)
				}
				if !ok {
					declined++
					continue
				}
				taken++
				if info != 0 {
					t.Fatalf("m=%d,n=%d: info %d", m, n, info)
				}
				for i := range k {
					if i > 0 && got[i] > got[i-1] {
						t.Fatalf("m=%d,n=%d: σ not descending: %v", m, n, got)
					}
					if d := math.Abs(got[i] - want[i]); d > 1e-13*want[0] {
						t.Fatalf("m=%d,n=%d: σ[%d] = %v, dgesvd %v", m, n, i, got[i], want[i])
					}
				}
				// And through Dgesvd, which takes the path for these shapes:
				// every σ the path's bits (LAPACK's own may differ in the last
				// bits, within the tolerance above).
				c := append([]float64(nil), a...)
				via := make([]float64, k)
				if OpenBLAS.Dgesvd(OpenBLAS{}, SVDNone, m, n, c, n, via, nil, 1, nil, 1, make([]float64, lwork), lwork) != 0 || !slices.Equal(via, got[:k]) {
					t.Fatalf("m=%d,n=%d: Dgesvd gives %v, not the direct path's %v", m, n, via, got[:k])
				}
			}
		}
	}
	if taken == 0 || declined == 0 {
		t.Fatalf("taken %d, declined %d: the test covers one side only", taken, declined)
	}
}
