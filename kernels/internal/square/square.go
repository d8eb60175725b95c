// Package square squares every element of a slice in place r times over —
// x = x*x, r times, the question's first example — with the result of r
// plain passes bit for bit, and sums the result as NumPy does.
//
// [Plain] makes the r passes one after the other, as the question's loop
// does: each pass streams the whole slice through the caches or memory.
// The fused implementations take the slice a group of elements at a time
// (8 in [Portable], 8 or 16 vectors in [AVX2] and [AVX512]), square the
// group r times in registers and store it before they touch the next
// group, so the slice is read and written once whatever r is. Squaring is
// elementwise, so the order of the squarings across elements changes no
// bit of the result.
//
// A fused group stops early at a fixed point: once a squaring leaves every
// element of the group bit for bit as it was (0, 1, +Inf, a quiet NaN, an
// integer that wrapped to 0 or 1, which repeated squaring reaches within
// 64 squarings from any float64 and any integer), every further squaring
// would give the same bits, so the group is stored as it is. The check is
// made on the last squaring of every eight.
//
// Floats are IEEE float64 multiplied with the rounding Go uses everywhere
// (to nearest even), without fused operations and without flushing
// subnormals to zero (Go never sets the MXCSR's FTZ or DAZ bits): NaN,
// ±Inf, subnormals and -0 come out as the plain loop gives them. Integers
// are squared modulo 2^bits, which for signed integers in two's complement
// is NumPy's wrapping x*x in the array's own dtype (and Go's): the
// functions take the unsigned type of the width, which has the same bits.
package square

import (
	"fmt"
	"unsafe"
)

// Impl selects an implementation.
type Impl int

const (
	// Plain is r passes over the whole slice: the reference.
	Plain Impl = iota
	// Portable is the fused loop in Go: eight elements at a time in
	// registers.
	Portable
	// AVX2 is the fused loop with 256-bit vectors (amd64 with AVX2).
	AVX2
	// AVX512 is the fused loop with 512-bit vectors (amd64 with
	// AVX-512 F, DQ and BW).
	AVX512
)

var implNames = [...]string{Plain: "plain", Portable: "portable", AVX2: "avx2", AVX512: "avx512"}

// String returns the implementation's name: "plain", "portable", "avx2" or
// "avx512".
func (i Impl) String() string {
	if i >= 0 && int(i) < len(implNames) {
		return implNames[i]
	}
	return fmt.Sprintf("Impl(%d)", int(i))
}

// Parse returns the implementation named name (as String writes it).
func Parse(name string) (Impl, bool) {
	for i, n := range implNames {
		if n == name {
			return Impl(i), true
		}
	}
	return 0, false
}

// Available returns the implementations this CPU can run, in the order of
// the constants: Plain and Portable always, then the vector ones the CPU
// (and the operating system) support.
func Available() []Impl {
	impls := []Impl{Plain, Portable}
	if hasAVX2 {
		impls = append(impls, AVX2)
	}
	if hasAVX512 {
		impls = append(impls, AVX512)
	}
	return impls
}

// Supported reports whether this CPU can run impl.
func Supported(impl Impl) bool {
	switch impl {
	case Plain, Portable:
		return true
	case AVX2:
		return hasAVX2
	case AVX512:
		return hasAVX512
	}
	return false
}

// Best returns the fastest implementation this CPU can run: AVX512 where
// it has AVX-512, else AVX2, else Portable.
func Best() Impl {
	switch {
	case hasAVX512:
		return AVX512
	case hasAVX2:
		return AVX2
	}
	return Portable
}

// Uint is the element types of the integer functions.
type Uint interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// number is every element type.
type number interface {
	~float64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// Float64 squares every element of x in place r times with impl. r < 1
// leaves x as it is. It panics if impl is not Supported.
func Float64(x []float64, r int, impl Impl) {
	if r < 1 || len(x) == 0 {
		return
	}
	switch impl {
	case Plain:
		plain(x, r)
	case Portable:
		fused(x, r)
	default:
		vector(x, r, impl, vecF64)
	}
}

// Ints squares every element of x in place r times modulo 2^bits with
// impl (for a signed integer type, pass the unsigned type of its width:
// the bits are the same). r < 1 leaves x as it is. It panics if impl is
// not Supported.
func Ints[T Uint](x []T, r int, impl Impl) {
	if r < 1 || len(x) == 0 {
		return
	}
	switch impl {
	case Plain:
		plain(x, r)
	case Portable:
		fused(x, r)
	default:
		var k kernel
		switch unsafe.Sizeof(x[0]) {
		case 1:
			k = vecU8
		case 2:
			k = vecU16
		case 4:
			k = vecU32
		default:
			k = vecU64
		}
		vector(x, r, impl, k)
	}
}

// plain is the question's loop: r passes over x.
func plain[T number](x []T, r int) {
	for range r {
		for i, v := range x {
			x[i] = v * v
		}
	}
}

// width is the elements fused squares at once: enough independent
// multiplications to cover their latency on two pipes.
const width = 8

// chunk is how many squarings pass between two checks for a fixed point
// (the vector kernels' too: see gen.go).
const chunk = 8

// fused squares x r times, width elements at a time. The last
// len(x) % width elements are padded with zeros (a fixed point) to a whole
// group.
func fused[T number](x []T, r int) {
	i := 0
	for ; i+width <= len(x); i += width {
		fusedGroup((*[width]T)(x[i:i+width]), r)
	}
	if i < len(x) {
		var g [width]T
		n := copy(g[:], x[i:])
		fusedGroup(&g, r)
		copy(x[i:], g[:n])
	}
}

// same reports whether squaring v, the square of p, gives v again — a
// fixed point, whose further squares are v bit for bit: p == v (for
// floats, −0 squared is +0, equal and then fixed), or a NaN, which stays
// the same NaN (it was quieted by earlier squarings).
func same[T number](p, v T) bool { return p == v || p != p }

func fusedGroup[T number](g *[width]T, r int) {
	v0, v1, v2, v3, v4, v5, v6, v7 := g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	k := r
	for k >= chunk {
		for range chunk - 1 {
			v0, v1, v2, v3 = v0*v0, v1*v1, v2*v2, v3*v3
			v4, v5, v6, v7 = v4*v4, v5*v5, v6*v6, v7*v7
		}
		p0, p1, p2, p3, p4, p5, p6, p7 := v0, v1, v2, v3, v4, v5, v6, v7
		v0, v1, v2, v3 = v0*v0, v1*v1, v2*v2, v3*v3
		v4, v5, v6, v7 = v4*v4, v5*v5, v6*v6, v7*v7
		k -= chunk
		if same(p0, v0) && same(p1, v1) && same(p2, v2) && same(p3, v3) &&
			same(p4, v4) && same(p5, v5) && same(p6, v6) && same(p7, v7) {
			k = 0
		}
	}
	for ; k > 0; k-- {
		v0, v1, v2, v3 = v0*v0, v1*v1, v2*v2, v3*v3
		v4, v5, v6, v7 = v4*v4, v5*v5, v6*v6, v7*v7
	}
	g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7] = v0, v1, v2, v3, v4, v5, v6, v7
}

// kernel identifies a vector kernel's element type.
type kernel int

const (
	vecF64 kernel = iota
	vecU64
	vecU32
	vecU16
	vecU8
)

// groupBytes is the bytes one group of impl's vector kernels squares.
func groupBytes(impl Impl) int {
	if impl == AVX512 {
		return 16 * 64
	}
	return 8 * 32
}

// vector squares x r times with impl's vector kernel k: the whole groups
// in place, and the rest padded with zeros to a group in a buffer.
func vector[T number](x []T, r int, impl Impl, k kernel) {
	if !Supported(impl) || impl < AVX2 {
		panic(fmt.Sprintf("square: implementation %v is not supported on this CPU", impl))
	}
	size := int(unsafe.Sizeof(x[0]))
	per := groupBytes(impl) / size // elements a group
	groups := len(x) / per
	if groups > 0 {
		run(impl, k, unsafe.Pointer(unsafe.SliceData(x)), groups, r)
	}
	if rest := x[groups*per:]; len(rest) > 0 {
		var buf [16 * 64 / 8]uint64 // a group of either ISA, 8-byte aligned
		g := unsafe.Slice((*T)(unsafe.Pointer(&buf[0])), per)
		n := copy(g, rest)
		run(impl, k, unsafe.Pointer(&buf[0]), 1, r)
		copy(rest, g[:n])
	}
}
