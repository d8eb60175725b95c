//go:build !linux

package threads

// TotalMemory returns the machine's physical memory in bytes. Only Linux is
// supported; here it is unknown: 0.
func TotalMemory() int64 { return 0 }
