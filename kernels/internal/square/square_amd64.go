//go:build amd64 && !purego

package square

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:generate sh -c "go run gen.go > square_amd64.s"

// The CPU's features do not change while the process runs: these are
// constants for its lifetime, not state.
var (
	hasAVX2   = cpu.X86.HasAVX2
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512BW
)

// The vector kernels (square_amd64.s, from gen.go) square groups×G vectors
// from p in place r times, G being 8 (AVX2) or 16 (AVX512).

//go:noescape
func f64AVX2(p unsafe.Pointer, groups, r int)

//go:noescape
func u64AVX2(p unsafe.Pointer, groups, r int)

//go:noescape
func u32AVX2(p unsafe.Pointer, groups, r int)

//go:noescape
func u16AVX2(p unsafe.Pointer, groups, r int)

//go:noescape
func u8AVX2(p unsafe.Pointer, groups, r int)

//go:noescape
func f64AVX512(p unsafe.Pointer, groups, r int)

//go:noescape
func u64AVX512(p unsafe.Pointer, groups, r int)

//go:noescape
func u32AVX512(p unsafe.Pointer, groups, r int)

//go:noescape
func u16AVX512(p unsafe.Pointer, groups, r int)

//go:noescape
func u8AVX512(p unsafe.Pointer, groups, r int)

func run(impl Impl, k kernel, p unsafe.Pointer, groups, r int) {
	if impl == AVX512 {
		switch k {
		case vecF64:
			f64AVX512(p, groups, r)
		case vecU64:
			u64AVX512(p, groups, r)
		case vecU32:
			u32AVX512(p, groups, r)
		case vecU16:
			u16AVX512(p, groups, r)
		default:
			u8AVX512(p, groups, r)
		}
		return
	}
	switch k {
	case vecF64:
		f64AVX2(p, groups, r)
	case vecU64:
		u64AVX2(p, groups, r)
	case vecU32:
		u32AVX2(p, groups, r)
	case vecU16:
		u16AVX2(p, groups, r)
	default:
		u8AVX2(p, groups, r)
	}
}
