package matio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"unsafe"
)

// describe sets it's element-type fields for d.
func (d dtype) describe(it *Item) {
	it.Bits = 8 * d.size
	switch d.kind {
	case 'i':
		it.Integer, it.Signed = true, true
	case 'u':
		it.Integer = true
	case 'b':
		it.Bool = true
	}
}

// native is d in the machine's byte order.
func (d dtype) native() dtype {
	if d.size > 1 {
		d.big = !hostLittleEndian()
	}
	return d
}

// toNative converts elements of d in b, in place, to the machine's byte
// order, and bools to 0 and 1.
func (d dtype) toNative(b []byte) {
	switch {
	case d.kind == 'b':
		for i, v := range b {
			if v != 0 {
				b[i] = 1
			}
		}
	case d.size > 1 && d.big == hostLittleEndian():
		swapBytes(b, d.size)
	}
}

// swapBytes reverses the bytes of each size-byte element of b.
func swapBytes(b []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+2 <= len(b); i += 2 {
			binary.NativeEndian.PutUint16(b[i:], bits.ReverseBytes16(binary.NativeEndian.Uint16(b[i:])))
		}
	case 4:
		for i := 0; i+4 <= len(b); i += 4 {
			binary.NativeEndian.PutUint32(b[i:], bits.ReverseBytes32(binary.NativeEndian.Uint32(b[i:])))
		}
	case 8:
		for i := 0; i+8 <= len(b); i += 8 {
			binary.NativeEndian.PutUint64(b[i:], bits.ReverseBytes64(binary.NativeEndian.Uint64(b[i:])))
		}
	}
}

// ReadRaw decodes the current item into dst as its own elements, not
// converted to float64: Rows×Cols elements of Item.Bits bits each
// (len(dst) must be Rows×Cols×Bits/8), row-major (C) order, in the
// machine's byte order — a big-endian or Fortran-ordered array is
// converted as Read converts it — with bools as the bytes 0 and 1. Items
// of text formats and raw .f64 files are float64s. It is Read for the
// caller that computes in the array's own type (integers, which float64
// cannot always hold exactly): the same item can be read once, by Read or
// by ReadRaw, and the errors are Read's, an *Error wrapping ErrTruncated
// naming the item for data that ends early (dst then holds partial data
// and Next goes on with the next .npz member, or returns io.EOF for a
// .npy).
func (r *Reader) ReadRaw(dst []byte) error {
	r.dataBuf()
	a := &r.a
	switch {
	case r.closed:
		return errClosed
	case r.txt != nil:
		return r.readTextRaw(dst)
	case !a.ok || a.cur < 0 || a.read:
		return errors.New("matio: ReadRaw without a current item")
	case int64(len(dst)) != a.itemBytes():
		return fmt.Errorf("matio: ReadRaw into %d bytes, want %d×%d elements of %d bytes = %d", len(dst), a.m, a.n, a.dt.size, a.itemBytes())
	}
	a.read = true
	var err error
	switch {
	case a.fortran && a.stack:
		if err = r.loadFortranStack(); err != nil {
			break
		}
		copy(dst, a.all[int64(a.cur)*a.itemBytes():])
		return nil
	case a.fortran:
		err = r.readFortranRaw(dst, 1, a.m, a.n)
	default:
		_, err = io.ReadFull(r.br, dst)
		a.dt.toNative(dst)
	}
	if err != nil {
		a.dead = true
		return &Error{Path: r.path, Item: a.item(a.cur), Err: dataErr(err)}
	}
	a.pos = a.cur + 1
	return nil
}

// readTextRaw is ReadRaw for the one float64 matrix of a text file.
func (r *Reader) readTextRaw(dst []byte) error {
	s := r.txt
	if s.state == 1 && !s.read && len(dst) != 8*s.rows*s.cols {
		return fmt.Errorf("matio: ReadRaw into %d bytes, want %d×%d float64s = %d", len(dst), s.rows, s.cols, 8*s.rows*s.cols)
	}
	if len(dst) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(dst)))%8 == 0 {
		return s.readItem(r.path, unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/8))
	}
	v := make([]float64, len(dst)/8)
	err := s.readItem(r.path, v)
	copy(dst, float64Bytes(v))
	return err
}

// loadFortranStack reads the whole of the current Fortran-ordered 3-D
// array into a.all, unless it is there already.
func (r *Reader) loadFortranStack() error {
	a := &r.a
	if a.all != nil {
		return nil
	}
	all := make([]byte, int64(a.k)*a.itemBytes())
	if err := r.readFortranRaw(all, a.k, a.m, a.n); err != nil {
		return err
	}
	a.all = all
	return nil
}

// readFortranRaw reads k×m×n elements stored in Fortran order into dst in
// C order (item by item, each row-major), in the machine's byte order.
func (r *Reader) readFortranRaw(dst []byte, k, m, n int) error {
	if r.scratch == nil {
		r.scratch = make([]float64, scratchLen)
	}
	dt := r.a.dt
	size := dt.size
	scratch := float64Bytes(r.scratch)
	scratch = scratch[:len(scratch)/size*size]
	mn := m * n
	s, i, j := 0, 0, 0 // the next element is element s*mn+i*n+j of dst
	base := 0          // i*n + j
	for left := k * mn; left > 0; {
		buf := scratch[:min(left*size, len(scratch))]
		if _, err := io.ReadFull(r.br, buf); err != nil {
			return err
		}
		dt.toNative(buf)
		left -= len(buf) / size
		for off := 0; off < len(buf); off += size {
			d := (s*mn + base) * size
			switch size {
			case 1:
				dst[d] = buf[off]
			case 2:
				binary.NativeEndian.PutUint16(dst[d:], binary.NativeEndian.Uint16(buf[off:]))
			case 4:
				binary.NativeEndian.PutUint32(dst[d:], binary.NativeEndian.Uint32(buf[off:]))
			default:
				binary.NativeEndian.PutUint64(dst[d:], binary.NativeEndian.Uint64(buf[off:]))
			}
			if s++; s == k {
				s = 0
				if i++; i == m {
					i = 0
					j++
				}
				base = i*n + j
			}
		}
	}
	return nil
}

// WriteNpyRaw writes a rows×cols integer array as a version 1.0 .npy file
// that numpy.load reads, of the NumPy dtype of bits bits (8, 16, 32 or 64),
// signed or not: '|i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4' or
// '<u8'. raw holds rows*cols elements in the machine's byte order (as
// ReadRaw gives them and kernels.Output.Raw holds them), two's complement
// when signed, in row-major order, or in column-major order if fortran is
// true (then the header says fortran_order True). On a little-endian
// machine raw is written as it is, without a copy.
func WriteNpyRaw(w io.Writer, rows, cols int, signed bool, bits int, raw []byte, fortran bool) error {
	if rows < 0 || cols < 0 {
		return fmt.Errorf("matio: WriteNpyRaw: negative dimensions %d×%d", rows, cols)
	}
	return writeNpyRaw(w, []int{rows, cols}, signed, bits, raw, fortran)
}

// WriteNpyRaw1D writes a 1-D integer vector of len(raw)/(bits/8) elements
// as WriteNpyRaw writes a matrix.
func WriteNpyRaw1D(w io.Writer, signed bool, bits int, raw []byte) error {
	if bits != 8 && bits != 16 && bits != 32 && bits != 64 {
		return fmt.Errorf("matio: WriteNpyRaw1D: %d-bit integers: need 8, 16, 32 or 64", bits)
	}
	return writeNpyRaw(w, []int{len(raw) / (bits / 8)}, signed, bits, raw, false)
}

func writeNpyRaw(w io.Writer, shape []int, signed bool, nbits int, raw []byte, fortran bool) error {
	if nbits != 8 && nbits != 16 && nbits != 32 && nbits != 64 {
		return fmt.Errorf("matio: WriteNpyRaw: %d-bit integers: need 8, 16, 32 or 64", nbits)
	}
	size := nbits / 8
	n, overflow := uint64(size), false
	for _, d := range shape {
		hi, lo := bits.Mul64(n, uint64(d))
		n, overflow = lo, overflow || hi != 0
	}
	if overflow || n != uint64(len(raw)) {
		return fmt.Errorf("matio: WriteNpyRaw: %d bytes for a %s array of %d-byte integers", len(raw), shapeX(shape), size)
	}
	kind := byte('u')
	if signed {
		kind = 'i'
	}
	order := byte('<')
	if size == 1 {
		order = '|'
	}
	descr := string([]byte{order, kind, byte('0' + size)})
	if err := writeNpy(w, header{descr: descr, fortran: fortran, shape: shape}, nil); err != nil {
		return err
	}
	if hostLittleEndian() || size == 1 {
		if _, err := w.Write(raw); err != nil {
			return fmt.Errorf("matio: writing .npy: %w", err)
		}
		return nil
	}
	buf := make([]byte, min(len(raw), 64<<10))
	for len(raw) > 0 {
		c := copy(buf, raw)
		swapBytes(buf[:c], size) // big-endian, the machine's, to little
		if _, err := w.Write(buf[:c]); err != nil {
			return fmt.Errorf("matio: writing .npy: %w", err)
		}
		raw = raw[c:]
	}
	return nil
}
