package matio

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzReadRaw reads bytes as a file of their own and as stored and
// deflated .npz members twice, once with Read and once with ReadRaw: the
// two must report the same items and the same errors, ReadRaw's elements
// must decode to Read's values bit for bit, and neither may panic. Its
// seeds are FuzzReader's corpus, the hostile files that fuzzer knows, so
// that ReadRaw is held to every one of them.
func FuzzReadRaw(f *testing.F) {
	f.Add(npyFile(1, dictFor(">i8", true, 2, 3, 2), make([]byte, 96)))
	f.Add(npyFile(1, dictFor("|b1", false, 2, 2), []byte{0, 1, 2, 255}))
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReader", "*"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no FuzzReader corpus to seed from: %v", err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		data, ok := corpusBytes(string(b))
		if !ok {
			f.Fatalf("%s: not a []byte corpus entry", p)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareRaw(t, data)
		for _, deflate := range []bool{false, true} {
			compareRaw(t, zipFile(t, zipMember{name: "a.npy", body: data, deflate: deflate}, zipMember{name: "b.npy", body: data}))
		}
	})
}

// corpusBytes decodes a "go test fuzz v1" file of one []byte value.
func corpusBytes(s string) ([]byte, bool) {
	rest, ok := strings.CutPrefix(s, "go test fuzz v1\n")
	if !ok {
		return nil, false
	}
	rest = strings.TrimSpace(rest)
	rest, ok = strings.CutPrefix(rest, "[]byte(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return nil, false
	}
	v, err := strconv.Unquote(rest[:len(rest)-1])
	return []byte(v), err == nil
}

// compareRaw reads file through Read and through ReadRaw in step.
func compareRaw(t *testing.T, file []byte) {
	open := func() *Reader {
		r, err := NewReader(bytes.NewReader(file), int64(len(file)), "fuzz")
		if err != nil {
			return nil
		}
		return r
	}
	rf, rr := open(), open()
	if (rf == nil) != (rr == nil) {
		t.Fatal("NewReader fails once of two times")
	}
	if rf == nil {
		return
	}
	defer rf.Close()
	defer rr.Close()
	for calls := 0; ; calls++ {
		if calls > 2*len(file)+4 {
			t.Fatal("Next does not reach io.EOF")
		}
		itF, errF := rf.Next()
		itR, errR := rr.Next()
		if itF != itR || (errF == nil) != (errR == nil) || (errF != nil && errF.Error() != errR.Error()) {
			t.Fatalf("Next differs between the readers: %+v %v / %+v %v", itF, errF, itR, errR)
		}
		if errF == io.EOF {
			return
		}
		if errF != nil {
			continue
		}
		vals := make([]float64, itF.Rows*itF.Cols)
		raw := make([]byte, itR.Rows*itR.Cols*itR.Bits/8)
		errF, errR = rf.Read(vals), rr.ReadRaw(raw)
		if (errF == nil) != (errR == nil) || (errF != nil && errF.Error() != errR.Error()) {
			t.Fatalf("item %s: Read error %v, ReadRaw error %v", itF.ID, errF, errR)
		}
		if errF != nil {
			continue
		}
		d := rawType(itR)
		for i, v := range vals {
			if got := nativeValue(d, raw[i*d.size:]); math.Float64bits(got) != math.Float64bits(v) {
				t.Fatalf("item %s: element %d: ReadRaw's %v, Read's %v", itF.ID, i, got, v)
			}
		}
	}
}
