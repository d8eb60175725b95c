//go:build cgo && !purego

package blas

// dim is one named integer argument of a native routine.
type dim struct {
	name string
	v    int
}

// mustFit panics with a *DimensionError for the first of dims that does not
// fit the native library's 32-bit integers. The OpenBLAS methods call it
// before anything else, so no truncated value ever reaches C.
func mustFit(routine string, dims ...dim) {
	for _, d := range dims {
		if err := CheckDim(routine, d.name, d.v); err != nil {
			panic(err)
		}
	}
}
