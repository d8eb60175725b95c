//go:build !amd64 || purego

package square

import "unsafe"

// Without amd64 assembly there are no vector kernels: Supported reports
// false for AVX2 and AVX512, and vector panics before run is reached.
const (
	hasAVX2   = false
	hasAVX512 = false
)

func run(Impl, kernel, unsafe.Pointer, int, int) {
	panic("square: no vector kernels in this build")
}
