package square

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// repeats are the squaring counts every test covers: every count to 70
// (every position of a fixed-point check, and past the 64 squarings that
// bring every input to a fixed point) and the question's 100.
func repeats() []int {
	var r []int
	for i := range 71 {
		r = append(r, i)
	}
	return append(r, 100)
}

// lengths are slice lengths around the widths of every implementation:
// Portable's 8, a vector of each ISA (32 and 64 bytes) and a vector group
// (AVX2: 256 bytes, AVX512: 1024), for elements of size bytes.
func lengths(size int) []int {
	ls := []int{1, 2, 3, 5, width - 1, width, width + 1, 2*width + 3}
	for _, v := range []int{32, 64} { // a vector of each ISA
		ls = append(ls, v/size-1, v/size, v/size+1)
	}
	for _, g := range []int{256, 1024} {
		per := g / size
		ls = append(ls, per-1, per, per+1, 2*per-1, 2*per+1, 3*per+width+1)
	}
	slices.Sort(ls)
	return slices.Compact(ls)
}

// fusedImpls are the fused implementations this CPU runs.
func fusedImpls(t *testing.T) []Impl {
	var impls []Impl
	for _, i := range Available() {
		if i != Plain {
			impls = append(impls, i)
		}
	}
	t.Logf("fused implementations tested on this CPU: %v", impls)
	return impls
}

// float64 inputs: every kind of value, and values whose squarings reach a
// fixed point (0, +Inf, 1) after any number of squarings from 1 to 64, so
// that groups stop at every check.
func randomFloats(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		var v float64
		switch rng.IntN(14) {
		case 0:
			v = rng.Float64()
		case 1: // 1 + k ulp: overflows after about 62 - log2(k) squarings
			v = 1 + float64(rng.IntN(1<<rng.IntN(40)))*0x1p-52
		case 2: // 1 - k ulp: to 0 after about 63 - log2(k)
			v = 1 - float64(1+rng.IntN(1<<rng.IntN(40)))*0x1p-53
		case 3:
			v = -rng.ExpFloat64() * math.Pow(2, float64(rng.IntN(200)-100))
		case 4: // subnormal
			v = math.Float64frombits(rng.Uint64() & (1<<52 - 1))
			if rng.IntN(2) == 0 {
				v = -v
			}
		case 5: // smallest normals, whose squares are subnormal or 0
			v = 0x1p-1022 * (1 + rng.Float64()) * math.Pow(2, float64(rng.IntN(520)))
		case 6:
			v = math.Copysign(0, -1)
		case 7:
			v = []float64{0, 1, -1, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64}[rng.IntN(7)]
		case 8: // NaN: quiet or signalling, any payload and sign
			v = math.Float64frombits(0x7ff0000000000000 | rng.Uint64()&(1<<52-1) | 1 | rng.Uint64()&(1<<63))
		case 9: // random bits
			v = math.Float64frombits(rng.Uint64())
		default:
			v = math.Sqrt(math.Sqrt(rng.Float64() + 0.5))
		}
		x[i] = v
	}
	return x
}

// randomUints gives random bits, small values (0, 1, 2, 3: fixed points
// and their neighbours), -1, the top bit and odd numbers.
func randomUints[T Uint](rng *rand.Rand, n int) []T {
	x := make([]T, n)
	bits := 8 * int(unsafe.Sizeof(x[0]))
	for i := range x {
		u := rng.Uint64()
		switch rng.IntN(6) {
		case 0:
			u %= 4
		case 1:
			u = ^uint64(0)
		case 2:
			u = 1 << (bits - 1)
		case 3:
			u |= 1
		}
		x[i] = T(u)
	}
	return x
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// naiveFloat is the plain loop written out again: r passes, in order.
func naiveFloat(x []float64, r int) []float64 {
	y := slices.Clone(x)
	for range r {
		for i := range y {
			y[i] *= y[i]
		}
	}
	return y
}

// TestFloat64 checks every implementation against the plain loop bit for
// bit: random values of every kind, every length around the group and
// vector widths, every repeat count 0..70 and 100; Plain itself against
// the loop written here.
func TestFloat64(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	impls := append([]Impl{Plain}, fusedImpls(t)...)
	for _, n := range lengths(8) {
		for _, r := range repeats() {
			x := randomFloats(rng, n)
			want := naiveFloat(x, r)
			for _, impl := range impls {
				got := slices.Clone(x)
				Float64(got, r, impl)
				if !equalBits(got, want) {
					i := firstDiff(got, want)
					t.Fatalf("%v/n=%d/r=%d: element %d of %v (%#x) is %v (%#x), want %v (%#x)", impl, n, r, i,
						x[i], math.Float64bits(x[i]), got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
				}
			}
		}
	}
}

func firstDiff(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}

// TestFloat64Specials: groups made of a single kind of special value (so
// that no other value keeps the group from its fixed point), in every
// position of a group, against the plain loop.
func TestFloat64Specials(t *testing.T) {
	specials := []float64{
		math.NaN(), math.Float64frombits(0x7ff0000000000001), math.Float64frombits(0xfff8000000000abc),
		math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0, 1, -1,
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0x1p-1022, 0x1p-511, 0x1p-537,
		1 + 0x1p-52, 1 - 0x1p-53, math.MaxFloat64, math.Sqrt(math.MaxFloat64),
	}
	for _, impl := range fusedImpls(t) {
		for _, s := range specials {
			for _, n := range []int{1, 7, 8, 9, 31, 32, 33, 127, 128, 129} {
				for _, r := range []int{1, 2, 7, 8, 9, 16, 17, 64, 100} {
					x := make([]float64, n)
					for i := range x {
						x[i] = s
					}
					x[n/2] = 0.75 // one ordinary value among them
					want := naiveFloat(x, r)
					Float64(x, r, impl)
					if !equalBits(x, want) {
						i := firstDiff(x, want)
						t.Fatalf("%v/special=%v/n=%d/r=%d: element %d is %#x, want %#x", impl, s, n, r, i, math.Float64bits(x[i]), math.Float64bits(want[i]))
					}
				}
			}
		}
	}
}

// TestInts checks every implementation against the plain loop written
// here in the signed type of the width (Go's signed multiplication wraps,
// as NumPy's does) and in the unsigned one, for every width.
func TestInts(t *testing.T) {
	impls := append([]Impl{Plain}, fusedImpls(t)...)
	t.Run("uint8", func(t *testing.T) { testInts[uint8, int8](t, impls) })
	t.Run("uint16", func(t *testing.T) { testInts[uint16, int16](t, impls) })
	t.Run("uint32", func(t *testing.T) { testInts[uint32, int32](t, impls) })
	t.Run("uint64", func(t *testing.T) { testInts[uint64, int64](t, impls) })
}

func testInts[U Uint, S Signed](t *testing.T, impls []Impl) {
	rng := rand.New(rand.NewPCG(3, uint64(unsafe.Sizeof(U(0)))))
	for _, n := range lengths(int(unsafe.Sizeof(U(0)))) {
		for _, r := range repeats() {
			x := randomUints[U](rng, n)
			want := slices.Clone(x)
			signed := make([]S, n)
			for i, v := range x {
				signed[i] = S(v)
			}
			for range r {
				for i := range want {
					want[i] *= want[i]
					signed[i] *= signed[i]
				}
			}
			for i := range want {
				if U(signed[i]) != want[i] {
					t.Fatalf("n=%d/r=%d: signed and unsigned squares differ at %d", n, r, i)
				}
			}
			for _, impl := range impls {
				got := slices.Clone(x)
				Ints(got, r, impl)
				if i := slices.Compare(got, want); i != 0 {
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%v/n=%d/r=%d: element %d of %#x is %#x, want %#x", impl, n, r, i, x[i], got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestVectorInPlace: a vector kernel given a subslice writes only its own
// elements, whatever the alignment, and never the ones around it.
func TestVectorInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, impl := range fusedImpls(t) {
		for _, off := range []int{0, 1, 3, 7} {
			for _, n := range []int{1, 255, 256, 257, 1025, 3000} {
				buf := randomUints[uint8](rng, off+n+9)
				orig := slices.Clone(buf)
				x := buf[off : off+n]
				Ints(x, 9, impl)
				want := slices.Clone(orig[off : off+n])
				Ints(want, 9, Plain)
				if !slices.Equal(x, want) || !slices.Equal(buf[:off], orig[:off]) || !slices.Equal(buf[off+n:], orig[off+n:]) {
					t.Fatalf("%v/offset=%d/n=%d: wrong result or an element outside the slice written", impl, off, n)
				}
				// float64 at every 8-byte offset
				f := randomFloats(rng, off+n+3)
				fo := slices.Clone(f)
				Float64(f[off:off+n], 9, impl)
				if !equalBits(f[off:off+n], naiveFloat(fo[off:off+n], 9)) || !equalBits(f[:off], fo[:off]) || !equalBits(f[off+n:], fo[off+n:]) {
					t.Fatalf("%v/float64/offset=%d/n=%d: wrong result or an element outside the slice written", impl, off, n)
				}
			}
		}
	}
}

// TestUnsupported: an implementation the CPU lacks panics rather than
// computing something else; names round-trip.
func TestUnsupported(t *testing.T) {
	for _, impl := range []Impl{Plain, Portable, AVX2, AVX512} {
		if got, ok := Parse(impl.String()); !ok || got != impl {
			t.Fatalf("Parse(%q) = %v, %v", impl.String(), got, ok)
		}
		if Supported(impl) != slices.Contains(Available(), impl) {
			t.Fatalf("Supported(%v) = %v, Available() = %v", impl, Supported(impl), Available())
		}
		if Supported(impl) {
			continue
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Float64 with unsupported %v did not panic", impl)
				}
			}()
			Float64(make([]float64, 3), 2, impl)
		}()
	}
	if _, ok := Parse("sse"); ok {
		t.Fatal(`Parse("sse") succeeded`)
	}
	if !Supported(Best()) || Best() == Plain {
		t.Fatalf("Best() = %v", Best())
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Float64 with Impl(9) did not panic")
			}
		}()
		Float64(make([]float64, 3), 2, Impl(9))
	}()
}

// TestSums: the integer sums wrap exactly as sums of big integers modulo
// 2⁶⁴ do (signed ones sign-extended); the float64 sum adds integer-valued
// floats exactly and equals a transcription of NumPy's recursion written
// with explicit indices.
func TestSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	mod := new(big.Int).Lsh(big.NewInt(1), 64)
	for _, n := range []int{0, 1, 3, 4, 5, 1000, 100003} {
		u := randomUints[uint64](rng, n)
		s := make([]int64, n)
		b8 := make([]int8, n)
		bs, bu, b8s := new(big.Int), new(big.Int), new(big.Int)
		for i, v := range u {
			s[i] = int64(v)
			b8[i] = int8(v)
			bs.Add(bs, big.NewInt(s[i]))
			bu.Add(bu, new(big.Int).SetUint64(v))
			b8s.Add(b8s, big.NewInt(int64(b8[i])))
		}
		wantU := new(big.Int).Mod(bu, mod).Uint64()
		wantS := int64(new(big.Int).Mod(bs, mod).Uint64())
		if got := SumUnsigned(u); got != wantU {
			t.Fatalf("n=%d: SumUnsigned = %d, want %d", n, got, wantU)
		}
		if got := SumSigned(s); got != wantS {
			t.Fatalf("n=%d: SumSigned = %d, want %d", n, got, wantS)
		}
		if got := SumSigned(b8); got != b8s.Int64() {
			t.Fatalf("n=%d: SumSigned(int8) = %d, want %d", n, got, b8s.Int64())
		}
	}
	for _, n := range []int{0, 1, 7, 8, 9, 127, 128, 129, 1000, 8191, 8192, 8193, 20000, 1000000} {
		x := make([]float64, n)
		var exact int64
		for i := range x {
			v := rng.Int64N(1<<20) - 1<<19
			x[i], exact = float64(v), exact+v
		}
		if got := SumFloat64(x); got != float64(exact) {
			t.Fatalf("n=%d: SumFloat64 of integers = %v, want %d", n, got, exact)
		}
		y := randomFloats(rng, n)
		for i := range y {
			if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
				y[i] = 1.5
			}
		}
		want := 0.0
		for lo := 0; lo < n; lo += numpyBuffer {
			want += refPairwise(y, lo, min(n-lo, numpyBuffer))
		}
		if got := SumFloat64(y); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("n=%d: SumFloat64 = %v, want %v", n, got, want)
		}
	}
}

// refPairwise is NumPy's pairwise sum over a[lo:lo+n], with indices as in
// the C source.
func refPairwise(a []float64, lo, n int) float64 {
	if n < 8 {
		res := 0.0
		for i := range n {
			res += a[lo+i]
		}
		return res
	}
	if n <= 128 {
		var r [8]float64
		copy(r[:], a[lo:lo+8])
		i := 8
		for ; i < n-(n%8); i += 8 {
			for j := range 8 {
				r[j] += a[lo+i+j]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[lo+i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return refPairwise(a, lo, n2) + refPairwise(a, lo+n2, n-n2)
}

func ExampleFloat64() {
	x := []float64{0.5, 2, -1, 1e-200}
	Float64(x, 3, Best())
	fmt.Println(x)
	// Output: [0.00390625 256 1 0]
}
