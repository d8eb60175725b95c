package matio

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
)

// WriteNpy writes a rows×cols float64 array as a version 1.0 .npy file that
// numpy.load reads, with dtype '<f8'. data holds rows*cols values in
// row-major order, or in column-major order if fortran is true; then the
// header says fortran_order True and the data is written as it is, without a
// copy. On a little-endian machine the data is never copied.
func WriteNpy(w io.Writer, rows, cols int, data []float64, fortran bool) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("matio: WriteNpy: negative dimensions %d×%d", rows, cols)
	}
	if hi, lo := bits.Mul64(uint64(rows), uint64(cols)); hi != 0 || lo != uint64(len(data)) {
		return fmt.Errorf("matio: WriteNpy: %d values for a %d×%d array", len(data), rows, cols)
	}
	return writeNpy(w, header{descr: "<f8", fortran: fortran, shape: []int{rows, cols}}, data)
}

// WriteNpy1D writes a 1-D float64 vector as a version 1.0 .npy file that
// numpy.load reads, with dtype '<f8'.
func WriteNpy1D(w io.Writer, data []float64) error {
	return writeNpy(w, header{descr: "<f8", shape: []int{len(data)}}, data)
}

// npyAlign is the alignment NumPy gives the start of the data.
const npyAlign = 64

func writeNpy(w io.Writer, h header, data []float64) error {
	dict := formatHeader(h)
	// Preamble, dict, space padding and '\n', padded to a multiple of 64.
	n := 10 + len(dict) + 1
	n += (npyAlign - n%npyAlign) % npyAlign
	b := make([]byte, 0, n)
	b = append(b, npyMagic...)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(n-10))
	b = append(b, dict...)
	for len(b) < n-1 {
		b = append(b, ' ')
	}
	b = append(b, '\n')
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("matio: writing .npy: %w", err)
	}
	return writeData(w, data)
}

// writeData writes data as little-endian float64 values.
func writeData(w io.Writer, data []float64) error {
	if hostLittleEndian() {
		if _, err := w.Write(float64Bytes(data)); err != nil {
			return fmt.Errorf("matio: writing .npy: %w", err)
		}
		return nil
	}
	buf := make([]byte, 8*min(len(data), 8<<10))
	for len(data) > 0 {
		c := min(len(data), len(buf)/8)
		for i, v := range data[:c] {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		if _, err := w.Write(buf[:8*c]); err != nil {
			return fmt.Errorf("matio: writing .npy: %w", err)
		}
		data = data[c:]
	}
	return nil
}
