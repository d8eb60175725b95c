package matio

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// A raw .f64 file is little-endian float64 values in C order with no
// header. Its shape comes from Options.Shape or, failing that (only for
// OpenWith, which can read files), from the sidecar file PATH.shape, which
// holds "M N", "MxN" or "K M N" as ParseShape reads it. The file's size must
// be exactly the shape's product times 8. It is then read like a headerless
// '<f8' .npy file: straight into the caller's slice on a little-endian
// machine, and skipped by seeking.

// rawShape returns the shape of the raw file at path and where it came from
// (for messages: escaped). The sidecar is read only if sidecar is true, and
// only if it is a regular file (see openRegular); a UTF-8 byte-order mark at
// its start is ignored.
func rawShape(path string, opt Options, sidecar bool) ([]int, string, error) {
	if len(opt.Shape) > 0 {
		return opt.Shape, "the shape option", nil
	}
	sidePath := path + ".shape"
	side := EscapeID(sidePath) // in messages, which are valid UTF-8
	if !sidecar {
		return nil, "", errorf(ErrShape, "raw float64 file without a shape: give one as an option (--shape MxN)")
	}
	f, _, err := openRegular(sidePath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", errorf(ErrShape, "raw float64 file without a shape: write \"M N\" or \"K M N\" to %s or give one as an option (--shape MxN)", side)
	}
	if err != nil {
		return nil, "", causef(ErrShape, err, "cannot read the shape sidecar %s: %v", side, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxShapeText+1))
	if err != nil {
		return nil, "", causef(ErrShape, err, "cannot read the shape sidecar %s: %v", side, unwrapPath(err))
	}
	if len(b) > maxShapeText {
		return nil, "", errorf(ErrFormat, "shape sidecar %s is longer than %d bytes", side, maxShapeText)
	}
	b = bytes.TrimPrefix(b, []byte(utf8BOM)) // a sidecar written by a Windows editor
	shape, err := ParseShape(string(b))
	if err != nil {
		return nil, "", causef(ErrFormat, err, "shape sidecar %s: %v", side, err)
	}
	return shape, side, nil
}

// openRaw makes the raw float64 data of r.ra, of the given shape (which
// came from src), the current array, or sets r.pending.
func (r *Reader) openRaw(shape []int, src string, err error) {
	if err == nil {
		err = r.checkRaw(shape, src)
	}
	if err != nil {
		r.pending = &Error{Path: r.path, Err: err}
		return
	}
	r.sec = io.NewSectionReader(r.ra, 0, r.size)
	r.br = bufio.NewReaderSize(r.sec, int(min(bufSize, max(r.size, 16))))
	r.dataStart = 0
}

func (r *Reader) checkRaw(shape []int, src string) error {
	n, err := checkShape(shape)
	if err != nil {
		return fmt.Errorf("%w (from %s)", err, src)
	}
	want := int64(n) * 8
	switch {
	case want > r.size:
		return errorf(ErrTooLarge, "shape %s (from %s) needs %d bytes of float64 data but the file has %d", shapeX(shape), src, want, max(r.size, 0))
	case want < r.size:
		return errorf(ErrShape, "shape %s (from %s) needs %d bytes of float64 data but the file has %d (it must match exactly)", shapeX(shape), src, want, r.size)
	}
	dt, _ := parseDescr("<f8")
	a := array{ok: true, dt: dt, k: 1, cur: -1}
	if len(shape) == 3 {
		a.stack = true
		a.k, shape = shape[0], shape[1:]
	}
	a.m, a.n = shape[0], shape[1]
	r.a = a
	return nil
}

// shapeX formats a shape as "3×4" or "10×3×4".
func shapeX(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = fmt.Sprint(d)
	}
	return strings.Join(s, "×")
}
