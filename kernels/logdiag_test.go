package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLogAbsDiag: the one-logarithm sum equals the sum of n logarithms to
// a few n·ε (absolute, times the terms' size), over diagonals whose
// magnitudes span the whole exponent range, subnormals included, of
// either sign and past the renormalisation every 256; zeros, infinities
// and NaNs give what the plain sum gives.
func TestLogAbsDiag(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	plain := func(n int, a []float64) (s, size float64) {
		for i := range n {
			l := exactLog(math.Abs(a[i*n+i]))
			s += l
			size += math.Abs(l)
		}
		return s, size
	}
	for _, n := range []int{0, 1, 2, 3, 7, 64, 255, 256, 257, 600, 1000} {
		for trial := range 20 {
			a := make([]float64, n*n)
			for i := range n {
				var v float64
				switch trial % 4 {
				case 0: // around 1
					v = 0.5 + rng.Float64()
				case 1: // every exponent, some subnormal
					v = math.Ldexp(0.5+rng.Float64()/2, rng.IntN(2098)-1074)
				case 2: // all tiny: the product would underflow unscaled
					v = math.Ldexp(0.5+rng.Float64()/2, -1000-rng.IntN(70))
				default: // all huge
					v = math.Ldexp(0.5+rng.Float64()/2, 900+rng.IntN(120))
				}
				if rng.IntN(2) == 0 {
					v = -v
				}
				a[i*n+i] = v
			}
			want, size := plain(n, a)
			got := logAbsDiag(n, a)
			if tol := 4 * float64(n+1) * 0x1p-52 * max(size, 1); math.Abs(got-want) > tol {
				t.Fatalf("n=%d trial %d: %v, the sum of logarithms %v (tolerance %v)", n, trial, got, want, tol)
			}
		}
	}
	for _, c := range []struct {
		diag []float64
		want float64
	}{
		{[]float64{2, 0, 3}, math.Inf(-1)},
		{[]float64{2, math.Inf(-1), 3}, math.Inf(1)},
		{[]float64{2, math.NaN(), 3}, math.NaN()},
		{[]float64{0, math.Inf(1)}, math.NaN()},       // −Inf + Inf, as the plain sum
		{[]float64{5e-324, 5e-324}, -2148 * math.Ln2}, // 2·log(2⁻¹⁰⁷⁴)
	} {
		n := len(c.diag)
		a := make([]float64, n*n)
		for i, v := range c.diag {
			a[i*n+i] = v
		}
		want, _ := plain(n, a)
		got := logAbsDiag(n, a)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) || !(got == want || math.IsNaN(got) && math.IsNaN(want)) && math.Abs(got-want) > 1e-12 {
			t.Errorf("diagonal %v: %v, want %v (the plain sum: %v)", c.diag, got, c.want, want)
		}
	}
}

// exactLog is math.Log, but right for subnormals too: Go's amd64 Log is
// not (math.Log(6.071e-320) is −709.09, not −735.02), so a subnormal is
// scaled into the normals by 2⁶⁰⁰ first, which is exact.
func exactLog(v float64) float64 {
	if v != 0 && v < 0x1p-1022 {
		return math.Log(v*0x1p600) - 600*math.Ln2
	}
	return math.Log(v)
}

func BenchmarkLogAbsDiag64(b *testing.B) {
	n := 64
	a := make([]float64, n*n)
	for i := range n {
		a[i*n+i] = 0.5 + float64(i)/10
	}
	var s float64
	for b.Loop() {
		s += logAbsDiag(n, a)
	}
	_ = s
}
