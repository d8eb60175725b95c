package matio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// WriteNpyComplex writes a rows×cols complex128 array as a version 1.0 .npy
// file that numpy.load reads, with dtype '<c16'. Element k (row-major order,
// or column-major if fortran is true, when the header says fortran_order
// True) is re[k] + i·im[k]; im == nil means every imaginary part is zero.
// The real and imaginary parts are interleaved as they are written, through
// a bounded buffer: nothing of the array's size is allocated.
func WriteNpyComplex(w io.Writer, rows, cols int, re, im []float64, fortran bool) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("matio: WriteNpyComplex: negative dimensions %d×%d", rows, cols)
	}
	if hi, lo := bits.Mul64(uint64(rows), uint64(cols)); hi != 0 || lo != uint64(len(re)) {
		return fmt.Errorf("matio: WriteNpyComplex: %d real parts for a %d×%d array", len(re), rows, cols)
	}
	return writeNpyComplex(w, header{descr: "<c16", fortran: fortran, shape: []int{rows, cols}}, re, im)
}

// WriteNpyComplex1D writes a 1-D complex128 vector re + i·im as a version
// 1.0 .npy file, with dtype '<c16'; im == nil means zero imaginary parts.
func WriteNpyComplex1D(w io.Writer, re, im []float64) error {
	return writeNpyComplex(w, header{descr: "<c16", shape: []int{len(re)}}, re, im)
}

func writeNpyComplex(w io.Writer, h header, re, im []float64) error {
	if im != nil && len(im) != len(re) {
		return fmt.Errorf("matio: writing complex .npy: %d real parts but %d imaginary", len(re), len(im))
	}
	// The header is writeNpy's, with no data after it.
	if err := writeNpy(w, h, nil); err != nil {
		return err
	}
	buf := make([]byte, 16*min(len(re), 4<<10))
	for len(re) > 0 {
		c := min(len(re), len(buf)/16)
		for i, v := range re[:c] {
			binary.LittleEndian.PutUint64(buf[16*i:], math.Float64bits(v))
			var x float64
			if im != nil {
				x = im[i]
			}
			binary.LittleEndian.PutUint64(buf[16*i+8:], math.Float64bits(x))
		}
		if _, err := w.Write(buf[:16*c]); err != nil {
			return fmt.Errorf("matio: writing .npy: %w", err)
		}
		re = re[c:]
		if im != nil {
			im = im[c:]
		}
	}
	return nil
}
