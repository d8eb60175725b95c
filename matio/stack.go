package matio

import (
	"fmt"
	"io"
)

// WriteNpyHeader writes the header of a version 1.0 '<f8' .npy array of the
// given shape; the caller then writes the prod(shape) values in order with
// [WriteFloat64s]. It lets a large stack be written one matrix at a time.
func WriteNpyHeader(w io.Writer, shape []int, fortran bool) error {
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("matio: WriteNpyHeader: negative dimension in %v", shape)
		}
	}
	return writeNpy(w, header{descr: "<f8", fortran: fortran, shape: shape}, nil)
}

// WriteFloat64s writes data as little-endian float64 values, the body of a
// '<f8' .npy file.
func WriteFloat64s(w io.Writer, data []float64) error {
	return writeData(w, data)
}
