package matio

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// npyFile returns a .npy file of the given format version with the header
// dictionary dict (padded as NumPy pads it) and data.
func npyFile(version byte, dict string, data []byte) []byte {
	pre := 10
	if version > 1 {
		pre = 12
	}
	n := pre + len(dict) + 1
	n += (64 - n%64) % 64
	b := append([]byte(npyMagic), version, 0)
	if version > 1 {
		b = binary.LittleEndian.AppendUint32(b, uint32(n-pre))
	} else {
		b = binary.LittleEndian.AppendUint16(b, uint16(n-pre))
	}
	b = append(b, dict...)
	for len(b) < n-1 {
		b = append(b, ' ')
	}
	b = append(b, '\n')
	return append(b, data...)
}

// dictFor returns the header dictionary NumPy writes for an array.
func dictFor(descr string, fortran bool, shape ...int) string {
	return string(formatHeader(header{descr: descr, fortran: fortran, shape: shape}))
}

// randomArray returns random element bytes for an array of the given dtype
// and shape, laid out in C order or Fortran order, and the array's values in
// C order as a reference decoder computes them.
func randomArray(rng *rand.Rand, descr string, fortran bool, shape []int) (data []byte, want []float64) {
	d, err := parseDescr(descr)
	if err != nil {
		panic(err)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if d.big {
		bo = binary.BigEndian
	}
	n := 1
	for _, s := range shape {
		n *= s
	}
	raw := make([]byte, n*d.size) // element bytes in C order
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	if d.kind == 'f' && n > 4 { // specials, which are passed through
		for i, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)} {
			put(raw[i*d.size:], d.size, bo, v)
		}
	}
	want = make([]float64, n)
	for i := range want {
		want[i] = refValue(d.kind, d.size, bo, raw[i*d.size:])
	}
	if !fortran {
		return raw, want
	}
	data = make([]byte, 0, len(raw))
	for _, c := range fortranOrder(shape) {
		data = append(data, raw[c*d.size:(c+1)*d.size]...)
	}
	return data, want
}

func put(b []byte, size int, bo binary.ByteOrder, v float64) {
	if size == 4 {
		bo.PutUint32(b, math.Float32bits(float32(v)))
	} else {
		bo.PutUint64(b, math.Float64bits(v))
	}
}

// refValue decodes one element the slow, obvious way.
func refValue(kind byte, size int, bo binary.ByteOrder, b []byte) float64 {
	var u uint64
	switch size {
	case 1:
		u = uint64(b[0])
	case 2:
		u = uint64(bo.Uint16(b))
	case 4:
		u = uint64(bo.Uint32(b))
	case 8:
		u = bo.Uint64(b)
	}
	switch kind {
	case 'f':
		if size == 4 {
			return float64(math.Float32frombits(uint32(u)))
		}
		return math.Float64frombits(u)
	case 'u':
		return float64(u)
	case 'i':
		s := 64 - 8*size
		return float64(int64(u<<s) >> s)
	default: // 'b'
		if u != 0 {
			return 1
		}
		return 0
	}
}

// fortranOrder returns, for each position in Fortran order, the C-order
// index of the element stored there.
func fortranOrder(shape []int) []int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	out := make([]int, 0, n)
	idx := make([]int, len(shape))
	for range n {
		c := 0
		for a := range shape {
			c = c*shape[a] + idx[a]
		}
		out = append(out, c)
		for a := range idx { // first axis fastest
			if idx[a]++; idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out
}

// sameBits reports whether a and b hold the same float64s bit for bit.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// event is what one call of Next (and Read) produced.
type event struct {
	ID         string
	Rows, Cols int
	Vals       []float64
	Err        error
}

// readAll reads every item of the file at path, calling Read for items
// where read(i) is true (all if read is nil). A Next error becomes an event.
func readAll(t testing.TB, path string, read func(int) bool) []event {
	t.Helper()
	return readAllWith(t, path, Options{}, read)
}

// readAllWith is readAll with options. Every error must be an *Error naming
// the file or item, and Following must be 0 for an item that is not part of
// a stack.
func readAllWith(t testing.TB, path string, opt Options, read func(int) bool) []event {
	t.Helper()
	r, err := OpenWith(path, opt)
	if err != nil {
		t.Fatalf("OpenWith: %v", err)
	}
	defer r.Close()
	var evs []event
	for i := 0; ; i++ {
		if i > 1000 {
			t.Fatal("Next never returns io.EOF")
		}
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			checkError(t, err, EscapeID(path))
			evs = append(evs, event{Err: err})
			continue
		}
		if f := r.Following(); f != 0 && !strings.HasSuffix(it.ID, "]") {
			t.Errorf("%s: Following = %d for a single item", it.ID, f)
		}
		ev := event{ID: it.ID, Rows: it.Rows, Cols: it.Cols}
		if read == nil || read(len(evs)) {
			ev.Vals = make([]float64, it.Rows*it.Cols)
			if err := r.Read(ev.Vals); err != nil {
				checkError(t, err, it.ID)
				ev.Err = err
			}
		}
		evs = append(evs, ev)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after io.EOF = %v, want io.EOF", err)
	}
	return evs
}

// checkError checks that err is an *Error whose message starts with prefix.
func checkError(t testing.TB, err error, prefix string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %v (%T) is not an *Error", err, err)
		return
	}
	if msg := err.Error(); len(msg) < len(prefix) || msg[:len(prefix)] != prefix {
		t.Errorf("error %q does not start with %q", msg, prefix)
	}
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// zipMember is a member of a test archive. If raw is set, body is written
// as is with the header's sizes, CRC and method (see zip.Writer.CreateRaw).
type zipMember struct {
	name    string
	body    []byte
	deflate bool
	raw     *zip.FileHeader
}

func zipFile(t testing.TB, members ...zipMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		var (
			w   io.Writer
			err error
		)
		switch {
		case m.raw != nil:
			h := *m.raw
			h.Name = m.name
			w, err = zw.CreateRaw(&h)
		case m.deflate:
			w, err = zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate})
		default:
			w, err = zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(m.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
