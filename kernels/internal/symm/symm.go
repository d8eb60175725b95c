// Package symm tells whether a square matrix is exactly symmetric and
// finite, the test kernels make before handing one triangle to LAPACK.
package symm

import "math"

// Check reports whether the row-major n×n a (len(a) ≥ n·n) equals its
// transpose element for element and holds no ±Inf or NaN.
//
// It sums |a[i,j] − a[j,i]| over the lower triangle: the sum is 0 exactly
// when every pair is equal and finite, since with gradual underflow x − y
// is 0 only when x = y (and 0 − (−0) is 0), ±Inf − ±Inf and NaN give NaN
// and an overflowing difference +Inf, and a sum of terms ≥ 0 is 0 only
// when each is. The diagonal adds a[i,i] − a[i,i], 0 when finite. The
// blocks of 4×4 below the diagonal are compared with their mirror above it
// four rows at a time — with AVX where the CPU has it (symm_amd64.s) —,
// the diagonal's blocks and the rows past the last block one by one.
func Check(n int, a []float64) bool {
	if n <= 0 {
		return true
	}
	a = a[:n*n]
	b := n &^ 3
	z := blocks(a, n, b)
	for i := range n {
		row := a[i*n : i*n+i+1]
		for j := i &^ 3; j < len(row); j++ {
			z += math.Abs(row[j] - a[j*n+i])
		}
		if i >= b {
			for j := range b {
				z += math.Abs(row[j] - a[j*n+i])
			}
		}
	}
	return z == 0
}

// blocksGo is Σ|a[i,j] − a[j,i]| over the 4×4 blocks strictly below the
// diagonal of the leading b×b part of the n×n a (b a multiple of 4).
func blocksGo(a []float64, n, b int) float64 {
	var z0, z1, z2, z3 float64
	d := func(x, y float64) float64 { return math.Abs(x - y) }
	for i := 4; i < b; i += 4 {
		for j := 0; j < i; j += 4 {
			l0, l1, l2, l3 := a[i*n+j:][:4], a[(i+1)*n+j:][:4], a[(i+2)*n+j:][:4], a[(i+3)*n+j:][:4]
			u0, u1, u2, u3 := a[j*n+i:][:4], a[(j+1)*n+i:][:4], a[(j+2)*n+i:][:4], a[(j+3)*n+i:][:4]
			z0 += d(l0[0], u0[0]) + d(l1[0], u0[1]) + d(l2[0], u0[2]) + d(l3[0], u0[3])
			z1 += d(l0[1], u1[0]) + d(l1[1], u1[1]) + d(l2[1], u1[2]) + d(l3[1], u1[3])
			z2 += d(l0[2], u2[0]) + d(l1[2], u2[1]) + d(l2[2], u2[2]) + d(l3[2], u2[3])
			z3 += d(l0[3], u3[0]) + d(l1[3], u3[1]) + d(l2[3], u3[2]) + d(l3[3], u3[3])
		}
	}
	return z0 + z1 + z2 + z3
}
