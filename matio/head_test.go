package matio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// headFromReader is what ParseHead must agree with: the Reader's first item
// and its count, Contiguous, for a .npy file that opens without error.
func headFromReader(path string, file []byte) (Head, bool) {
	r, err := NewReaderWith(bytes.NewReader(file), int64(len(file)), path, Options{})
	if err != nil {
		return Head{}, false
	}
	defer r.Close()
	if r.zr != nil || r.txt != nil {
		return Head{}, false
	}
	it, err := r.Next()
	if err != nil {
		return Head{}, false
	}
	h := Head{ID: it.ID, Rows: it.Rows, Cols: it.Cols, Count: 1 + r.Following(), Stack: r.a.stack}
	h.Offset, h.Contiguous = r.Contiguous()
	if !h.Contiguous {
		h.Offset = r.dataStart
	}
	return h, true
}

// checkParseHead compares ParseHead on every prefix length that matters
// (the header alone, the header and part of the data, the whole file)
// with the Reader on the whole file: when ParseHead says ok it must say
// what the Reader says, and on the whole file it must be ok whenever the
// Reader reads a .npy file without error.
func checkParseHead(t *testing.T, path string, file []byte) {
	t.Helper()
	want, wantOK := headFromReader(path, file)
	for _, n := range []int{0, 12, 64, 128, 4096, len(file)} {
		if n > len(file) {
			continue
		}
		got, ok := ParseHead(path, file[:n], int64(len(file)))
		if ok && (!wantOK || got != want) {
			t.Fatalf("%s, first %d of %d bytes: ParseHead %+v, the Reader %+v (ok %v)", path, n, len(file), got, want, wantOK)
		}
		if n == len(file) && wantOK && !ok && int64(len(file)) <= maxHeaderLen {
			t.Fatalf("%s: ParseHead refuses a whole file the Reader reads as %+v", path, want)
		}
	}
}

func TestParseHead(t *testing.T) {
	files := map[string][]byte{
		"a.npy":          npyFile(1, dictFor("<f8", false, 3, 4), make([]byte, 96)),
		"fortran.npy":    npyFile(1, dictFor("<f8", true, 3, 4), make([]byte, 96)),
		"big.npy":        npyFile(2, dictFor(">f8", false, 2, 2), make([]byte, 32)),
		"int.npy":        npyFile(1, dictFor("<i8", false, 2, 2), make([]byte, 32)),
		"int8.npy":       npyFile(3, dictFor("|i1", false, 5, 1), make([]byte, 5)),
		"stack.npy":      npyFile(1, dictFor("<f8", false, 3, 2, 2), make([]byte, 96)),
		"stack1.npy":     npyFile(1, dictFor("<f8", false, 1, 2, 2), make([]byte, 32)),
		"short.npy":      npyFile(1, dictFor("<f8", false, 3, 4), make([]byte, 95)),
		"extra.npy":      npyFile(1, dictFor("<f8", false, 1, 1), make([]byte, 100)),
		"1d.npy":         npyFile(1, dictFor("<f8", false, 4), make([]byte, 32)),
		"empty.npy":      npyFile(1, dictFor("<f8", false, 0, 4), nil),
		"complex.npy":    npyFile(1, dictFor("<c16", false, 2, 2), make([]byte, 64)),
		"name\nnl.npy":   npyFile(1, dictFor("<f8", false, 1, 1), make([]byte, 8)),
		"npy.csv":        npyFile(1, dictFor("<f8", false, 1, 1), make([]byte, 8)),
		"raw.f64":        npyFile(1, dictFor("<f8", false, 1, 1), make([]byte, 8)),
		"version9.npy":   append([]byte(npyMagic+"\x09\x00"), make([]byte, 100)...),
		"truncated.npy":  []byte(npyMagic + "\x01\x00\x76\x00{'descr'"),
		"notnumpy.npy":   []byte("hello, world"),
		"zip.npy":        []byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
		"structured.npy": npyFile(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2, 2), }", make([]byte, 32)),
	}
	for name, b := range files {
		checkParseHead(t, name, b)
	}
	// The fuzzers' corpora: every hostile file they found.
	for _, dir := range []string{"FuzzReader", "FuzzParseHeader", "FuzzReadRaw"} {
		ents, _ := os.ReadDir(filepath.Join("testdata", "fuzz", dir))
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join("testdata", "fuzz", dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if data, ok := corpusBytes(string(b)); ok {
				checkParseHead(t, e.Name()+".npy", data)
			}
		}
	}
}

// FuzzParseHead: whatever the bytes, ParseHead never disagrees with the
// Reader, and never refuses a whole .npy file the Reader reads.
func FuzzParseHead(f *testing.F) {
	f.Add(npyFile(1, dictFor("<f8", false, 2, 2), make([]byte, 32)))
	f.Add(npyFile(3, dictFor(">i2", true, 2, 2, 3), make([]byte, 24)))
	f.Add(npyFile(2, dictFor("<f8", false, 1, 3, 1), make([]byte, 24)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParseHead(t, "fuzz.npy", data)
	})
}
