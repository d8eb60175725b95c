//go:build !amd64 || purego

package symm

func blocks(a []float64, n, b int) float64 { return blocksGo(a, n, b) }
