package matio

import (
	"bytes"
	"errors"
	"io"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	f.Add([]byte("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }          \n"))
	f.Add([]byte("{'descr': [('a', '<f8')], 'fortran_order': True, 'shape': (1,), }"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrHeader) && !errors.Is(err, ErrShape) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("parseHeader error %v wraps no sentinel", err)
			}
			return
		}
		if len(h.shape) > maxDims {
			t.Fatalf("%d dimensions", len(h.shape))
		}
		for _, d := range h.shape {
			if d < 0 {
				t.Fatalf("negative dimension in %v", h.shape)
			}
		}
		if h.structured || strings.ContainsAny(h.descr, "'\\\n") {
			return
		}
		// What parses, formats and parses back the same.
		h2, err := parseHeader(formatHeader(h))
		if err != nil || h2.descr != h.descr || h2.fortran != h.fortran || !slices.Equal(h2.shape, h.shape) {
			t.Fatalf("round trip of %+v: %+v, %v", h, h2, err)
		}
	})
}

// FuzzReader feeds bytes to the reader as a file of its own (a .npy, or a
// .npz if they form a zip archive) and as a stored and a deflated member of
// a .npz archive. The reader must not panic, must report problems as *Error,
// must reach io.EOF, and must never claim more elements than the input can
// hold (so that neither it nor a caller allocating Rows×Cols can be made to
// allocate much more than the input's size).
func FuzzReader(f *testing.F) {
	f.Add(npyFile(1, dictFor("<f8", false, 2, 2), make([]byte, 32)))
	f.Add(npyFile(3, dictFor(">i2", true, 2, 2, 3), make([]byte, 24)))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, data, int64(len(data)), maxDeflateRatio*int64(len(data)))
		for _, deflate := range []bool{false, true} {
			z := zipFile(t, zipMember{name: "a.npy", body: data, deflate: deflate}, zipMember{name: "b.npy", body: data})
			fuzzRead(t, z, -1, int64(len(data)))
		}
	})
}

// fuzzRead reads file, checking that no item claims more than npyBound
// elements if it is a .npy file or npzBound if it is a .npz archive. A
// negative npyBound means that file is an archive whose directory tells the
// truth, so that, as for a .npy file, every item Next returns must be
// readable: an item whose data is missing has a claimed size that was not
// checked.
func fuzzRead(t *testing.T, file []byte, npyBound, npzBound int64) {
	before := heapAllocs()
	var dstBytes uint64
	r, err := NewReader(bytes.NewReader(file), int64(len(file)), "fuzz")
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("NewReader error %v is not an *Error", err)
		}
		return
	}
	defer r.Close()
	bound, honest := npyBound, true
	if r.zr != nil {
		bound, honest = npzBound, npyBound < 0
	}
	for calls := int64(0); ; calls++ {
		if calls > bound+int64(len(file))+2 {
			t.Fatal("Next does not reach io.EOF")
		}
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "fuzz") {
				t.Fatalf("Next error %v is not an *Error naming the file", err)
			}
			continue
		}
		if it.Rows <= 0 || it.Cols <= 0 || int64(it.Rows)*int64(it.Cols) > bound {
			t.Fatalf("item %s of %d×%d from %d bytes (bound %d)", it.ID, it.Rows, it.Cols, len(file), bound)
		}
		dst := make([]float64, it.Rows*it.Cols)
		dstBytes += 8 * uint64(len(dst))
		if err := r.Read(dst); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Read error %v is not an *Error", err)
			}
			if honest {
				t.Fatalf("Read of an item whose size was checked: %v", err)
			}
		}
	}
	// Besides the caller's destinations: buffers (256 KiB, flate's state),
	// the zip directory and a Fortran stack (8 bytes an element).
	if got, allowed := heapAllocs()-before, 2<<20+64*uint64(len(file))+2*dstBytes; got > allowed {
		t.Fatalf("allocated %d bytes reading %d bytes (allowed %d)", got, len(file), allowed)
	}
}

// heapAllocs returns the bytes allocated so far. Unlike runtime.ReadMemStats
// it does not stop the world; it may miss recent small allocations, but not
// large ones.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
