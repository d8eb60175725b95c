package matio

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// fuzzFormat reads data as the file path names with opt and checks what
// every reader must do: no panic, problems as *Error naming the file,
// io.EOF reached, no item of more than bound elements, and no allocation
// beyond the buffers, a small multiple of the input and twice the caller's
// destinations. It returns the items read, or nil if data went to the .npy
// or .npz reader (which FuzzReader covers).
func fuzzFormat(t *testing.T, data []byte, path string, opt Options, bound int64) []event {
	before := heapAllocs()
	var dstBytes uint64
	r, err := NewReaderWith(bytes.NewReader(data), int64(len(data)), path, opt)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || formatOf(path) == formatRaw {
			t.Fatalf("NewReaderWith error %v", err)
		}
		return nil
	}
	defer r.Close()
	if r.txt == nil && formatOf(path) != formatRaw {
		return nil
	}
	var evs []event
	for calls := 0; ; calls++ {
		if calls > len(data)+2 {
			t.Fatal("Next does not reach io.EOF")
		}
		it, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Fatalf("Next error %v is not an *Error naming the file", err)
			}
			evs = append(evs, event{Err: err})
			continue
		}
		if it.Rows <= 0 || it.Cols <= 0 || int64(it.Rows)*int64(it.Cols) > bound {
			t.Fatalf("item %s of %d×%d from %d bytes (bound %d)", it.ID, it.Rows, it.Cols, len(data), bound)
		}
		ev := event{ID: it.ID, Rows: it.Rows, Cols: it.Cols, Vals: make([]float64, it.Rows*it.Cols)}
		dstBytes += 8 * uint64(len(ev.Vals))
		if err := r.Read(ev.Vals); err != nil {
			var e *Error
			if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), it.ID+": ") {
				t.Fatalf("Read error %v is not an *Error naming the item", err)
			}
			ev.Err = err
		}
		evs = append(evs, ev)
	}
	if got, allowed := heapAllocs()-before, 2<<20+64*uint64(len(data))+2*dstBytes; got > allowed {
		t.Fatalf("allocated %d bytes reading %d bytes (allowed %d)", got, len(data), allowed)
	}
	return evs
}

// FuzzCSV reads bytes as a .csv and as a .tsv file and compares the result
// with a plain reference reading of the same rules.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("1,2,3\n4,5,6\n"))
	f.Add([]byte("a\tb\n1\t2\r\n# c\n\n3\t4"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range []struct {
			path  string
			delim byte
		}{{"fuzz.csv", ','}, {"fuzz.tsv", '\t'}} {
			evs := fuzzFormat(t, data, c.path, Options{}, int64(len(data)+1)/2)
			if evs == nil {
				continue
			}
			rows, cols, want, ok := refCSV(string(data), c.delim)
			if len(evs) != 1 {
				t.Fatalf("%s: %d items", c.path, len(evs))
			}
			ev := evs[0]
			if (ev.Err == nil) != ok {
				t.Fatalf("%s: error %v, reference ok=%v", c.path, ev.Err, ok)
			}
			if ok && (ev.Rows != rows || ev.Cols != cols || !sameValues(ev.Vals, want)) {
				t.Fatalf("%s: %d×%d %v, reference %d×%d %v", c.path, ev.Rows, ev.Cols, ev.Vals, rows, cols, want)
			}
		}
	})
}

// refCSV reads a CSV file by the documented rules, the obvious way: a
// leading byte-order mark is dropped, and the first line that is not blank
// or a comment is a header only if none of its fields is a number.
func refCSV(s string, delim byte) (rows, cols int, vals []float64, ok bool) {
	space := func(r rune) bool { return r != rune(delim) && strings.ContainsRune(" \t\r\v\f", r) }
	s = strings.TrimPrefix(s, "\ufeff")
	first := true
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if t := strings.TrimFunc(line, func(r rune) bool { return strings.ContainsRune(" \t\r\v\f", r) }); t == "" || t[0] == '#' {
			continue
		}
		fields := strings.Split(line, string(delim))
		var row []float64
		numeric, some := true, false
		for _, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimFunc(f, space), 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				numeric = false
			} else {
				some = true
			}
			row = append(row, v)
		}
		if first {
			first = false
			if !some {
				continue
			}
		}
		if !numeric || rows > 0 && len(row) != cols {
			return 0, 0, nil, false
		}
		rows, cols = rows+1, len(row)
		vals = append(vals, row...)
	}
	return rows, cols, vals, rows > 0
}

// FuzzRaw reads bytes as a .f64 file with a shape parsed from a string.
func FuzzRaw(f *testing.F) {
	f.Add(make([]byte, 48), "2x3")
	f.Add(make([]byte, 48), "2 1 3")
	f.Add(make([]byte, 40), "(5, 1)")
	f.Fuzz(func(t *testing.T, data []byte, shapeText string) {
		shape, err := ParseShape(shapeText)
		if err == nil {
			if len(shape) != 2 && len(shape) != 3 {
				t.Fatalf("ParseShape(%q) = %v", shapeText, shape)
			}
			for _, d := range shape {
				if d < 1 {
					t.Fatalf("ParseShape(%q) = %v", shapeText, shape)
				}
			}
		}
		evs := fuzzFormat(t, data, "fuzz.f64", Options{Shape: shape}, int64(len(data))/8)
		if err != nil || len(data)%8 != 0 || int64(len(data)/8) != shapeProd(shape) {
			if len(evs) != 1 || evs[0].Err == nil || evs[0].ID != "" {
				t.Fatalf("shape %v, %d bytes: %+v", shape, len(data), evs)
			}
			return
		}
		k := 1
		if len(shape) == 3 {
			k = shape[0]
		}
		if len(evs) != k {
			t.Fatalf("%d items, want %d", len(evs), k)
		}
		want := bytesFloat64(data)
		for i, ev := range evs {
			mn := ev.Rows * ev.Cols
			if ev.Err != nil || !sameBits(ev.Vals, want[i*mn:(i+1)*mn]) {
				t.Fatalf("item %d: %v", i, ev.Err)
			}
		}
	})
}

func shapeProd(shape []int) int64 {
	p := int64(1)
	for _, d := range shape {
		if d > 0 && p > (1<<62)/int64(d) {
			return -1
		}
		p *= int64(d)
	}
	return p
}

// FuzzMTX reads bytes as a Matrix Market file, with the dense cap lowered
// to 1 MiB so that claims of large sparse matrices stay cheap to fuzz.
func FuzzMTX(f *testing.F) {
	f.Add([]byte("%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1.5\n3 2 -1\n"))
	f.Add([]byte("%%MatrixMarket matrix array real symmetric\n2 2\n1\n2\n3\n"))
	f.Add([]byte("%%MatrixMarket matrix coordinate pattern symmetric\n% c\n4 4 2\n2 1\n4 4\n"))
	saved := mtxDenseMin
	mtxDenseMin = 1 << 20
	f.Cleanup(func() { mtxDenseMin = saved })
	f.Fuzz(func(t *testing.T, data []byte) {
		bound := max(mtxDenseMin, mtxDenseRatio*int64(len(data))) / 8
		evs := fuzzFormat(t, data, "fuzz.mtx", Options{}, bound)
		if evs != nil && len(evs) != 1 {
			t.Fatalf("%d items", len(evs))
		}
	})
}
