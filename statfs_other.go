//go:build !unix

package blasbatch

// freeBytes cannot tell here.
func freeBytes(string) (int64, bool) { return 0, false }
