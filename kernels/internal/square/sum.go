package square

// NumPy's sums, as NumPy 1.24 computes x.sum() (and so int(x.sum())) for a
// C-contiguous array x.

// numpyBuffer is the elements NumPy's reduction hands its inner loop at a
// time (np.getbufsize(), 8192 by default): a float64 sum is the sum, in
// order, of the pairwise sums of consecutive blocks of this many elements.
const numpyBuffer = 8192

// pairwiseBlock is NumPy's PW_BLOCKSIZE: below it the pairwise sum adds
// eight interleaved partial sums.
const pairwiseBlock = 128

// SumFloat64 returns the sum of x in NumPy's order: 0 plus the pairwise
// sum (numpy/core/src/umath/loops_utils.h.src) of each block of 8192
// elements in turn, which is what x.sum() gives, bit for bit, for a
// C-contiguous float64 array with NumPy's default buffer size.
func SumFloat64(x []float64) float64 {
	s := 0.0
	for len(x) > 0 {
		n := min(len(x), numpyBuffer)
		s += pairwise(x[:n])
		x = x[n:]
	}
	return s
}

// pairwise is NumPy's DOUBLE_pairwise_sum, the same additions in the same
// order.
func pairwise(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range a {
			s += v
		}
		return s
	case n <= pairwiseBlock:
		r0, r1, r2, r3, r4, r5, r6, r7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
		i := 8
		for ; i < n-n%8; i += 8 {
			b := a[i : i+8 : i+8]
			r0 += b[0]
			r1 += b[1]
			r2 += b[2]
			r3 += b[3]
			r4 += b[4]
			r5 += b[5]
			r6 += b[6]
			r7 += b[7]
		}
		s := ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwise(a[:n2]) + pairwise(a[n2:])
}

// Signed is the signed integer types.
type Signed interface {
	~int8 | ~int16 | ~int32 | ~int64
}

// SumSigned returns the sum of x in int64, wrapping around: NumPy's x.sum()
// of a signed integer array, which accumulates in int64 (np.int_) whatever
// the array's width.
func SumSigned[T Signed](x []T) int64 { return int64(sum(x)) }

// SumUnsigned returns the sum of x in uint64, wrapping around: NumPy's
// x.sum() of an unsigned integer array, which accumulates in uint64
// (np.uint) whatever the array's width.
func SumUnsigned[T Uint](x []T) uint64 { return sum(x) }

// sum adds x in 64 bits, wrapping around: each element widened as its type
// says (sign-extended for a signed one), so the bits are int64's sum for a
// signed type and uint64's for an unsigned one.
func sum[T Signed | Uint](x []T) uint64 {
	var s0, s1, s2, s3 uint64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		b := x[i : i+4 : i+4]
		s0 += uint64(b[0])
		s1 += uint64(b[1])
		s2 += uint64(b[2])
		s3 += uint64(b[3])
	}
	for ; i < len(x); i++ {
		s0 += uint64(x[i])
	}
	return s0 + s1 + s2 + s3
}
