//go:build amd64 && !purego

package symm

import "golang.org/x/sys/cpu"

// hasAVX is the CPU's, constant for the process's lifetime.
var hasAVX = cpu.X86.HasAVX

// blocksAVX is blocksGo with 256-bit vectors: each 4×4 block above the
// diagonal is transposed in registers and subtracted from its mirror
// below it.
//
//go:noescape
func blocksAVX(a *float64, n, b int) float64

func blocks(a []float64, n, b int) float64 {
	if !hasAVX || b < 8 {
		return blocksGo(a, n, b)
	}
	_ = a[(b-1)*n+b-1] // the last element a block reads
	return blocksAVX(&a[0], n, b)
}
