package matio

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var allDescrs = []string{
	"<f8", ">f8", "=f8", "<f4", ">f4",
	"|i1", "|u1", "<i1", "|b1",
	"<i2", ">i2", "<u2", ">u2", "<i4", ">i4", "<u4", ">u4",
	"<i8", ">i8", "<u8", ">u8",
}

// TestReadDtypes reads arrays of every supported dtype, order and rank, as
// .npy files of each format version and as stored and deflated .npz members,
// and compares them bit for bit with a reference decoding.
func TestReadDtypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	shapes := [][]int{{3, 5}, {1, 1}, {4, 3, 5}, {2, 1, 7}, {300, 200}}
	for di, descr := range allDescrs {
		for _, fortran := range []bool{false, true} {
			for si, shape := range shapes {
				version := byte(1 + (di+si)%3)
				data, want := randomArray(rng, descr, fortran, shape)
				file := npyFile(version, dictFor(descr, fortran, shape...), data)
				name := fmt.Sprintf("%s-%v-%d-v%d", strings.Trim(descr, "<>=|"), fortran, si, version)
				npy := writeFile(t, dir, name+".npy", file)
				npz := writeFile(t, dir, name+".npz", zipFile(t,
					zipMember{name: "s.npy", body: file},
					zipMember{name: "d.npy", body: file, deflate: true}))
				for _, c := range []struct{ path, id string }{{npy, npy}, {npz, npz + ":s"}, {npz, npz + ":d"}} {
					evs := readAll(t, c.path, nil)
					if c.path == npz {
						half := len(evs) / 2
						if c.id == npz+":s" {
							evs = evs[:half]
						} else {
							evs = evs[half:]
						}
					}
					checkItems(t, c.id, evs, shape, want)
				}
			}
		}
	}
}

// checkItems checks that evs are the items of an array of the given shape
// with values want (C order), identified by id.
func checkItems(t *testing.T, id string, evs []event, shape []int, want []float64) {
	t.Helper()
	k, m, n := 1, shape[0], shape[1]
	if len(shape) == 3 {
		k, m, n = shape[0], shape[1], shape[2]
	}
	if len(evs) != k {
		t.Errorf("%s: %d items, want %d", id, len(evs), k)
		return
	}
	for s, ev := range evs {
		wantID := id
		if len(shape) == 3 {
			wantID = fmt.Sprintf("%s[%d]", id, s)
		}
		if ev.Err != nil || ev.ID != wantID || ev.Rows != m || ev.Cols != n {
			t.Errorf("item %d: got %s %d×%d %v, want %s %d×%d", s, ev.ID, ev.Rows, ev.Cols, ev.Err, wantID, m, n)
			continue
		}
		if !sameBits(ev.Vals, want[s*m*n:(s+1)*m*n]) {
			t.Errorf("%s: values differ from the reference decoding", ev.ID)
		}
	}
}

// TestSkip checks that items for which Read is not called are skipped
// correctly, with data larger and smaller than the reader's buffer, in .npy
// files (which seek) and deflated .npz members (which read through).
func TestSkip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	for _, c := range []struct {
		descr   string
		fortran bool
		shape   []int
	}{
		{"<f8", false, []int{7, 200, 300}}, // 480 kB items > buffer
		{"<f8", false, []int{9, 4, 3}},
		{">i2", false, []int{7, 200, 300}},
		{"<f4", true, []int{5, 30, 20}},
	} {
		data, want := randomArray(rng, c.descr, c.fortran, c.shape)
		file := npyFile(1, dictFor(c.descr, c.fortran, c.shape...), data)
		npy := writeFile(t, dir, "skip.npy", file)
		npz := writeFile(t, dir, "skip.npz", zipFile(t,
			zipMember{name: "a.npy", body: file, deflate: true},
			zipMember{name: "b.npy", body: file}))
		k, mn := c.shape[0], c.shape[1]*c.shape[2]
		for _, odd := range []bool{false, true} {
			pick := func(i int) bool { return i%2 == 1 == odd }
			for _, path := range []string{npy, npz} {
				evs := readAll(t, path, pick)
				if path == npz && len(evs) != 2*k || path == npy && len(evs) != k {
					t.Fatalf("%s: %d items", path, len(evs))
				}
				for i, ev := range evs {
					s := i % k
					if !pick(i) {
						if ev.Vals != nil {
							t.Errorf("%s: item %d was read", path, i)
						}
						continue
					}
					if ev.Err != nil || !sameBits(ev.Vals, want[s*mn:(s+1)*mn]) {
						t.Errorf("%s %v %v: item %d wrong after skipping (%v)", path, c.descr, c.shape, i, ev.Err)
					}
				}
			}
		}
	}
}

func TestWriteNpyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	for _, sz := range [][2]int{{1, 1}, {3, 4}, {4, 3}, {50, 70}} {
		rows, cols := sz[0], sz[1]
		want := make([]float64, rows*cols)
		for i := range want {
			want[i] = rng.NormFloat64()
		}
		colMajor := make([]float64, len(want))
		for i := range rows {
			for j := range cols {
				colMajor[j*rows+i] = want[i*cols+j]
			}
		}
		for _, fortran := range []bool{false, true} {
			data := want
			if fortran {
				data = colMajor
			}
			var buf bytes.Buffer
			if err := WriteNpy(&buf, rows, cols, data, fortran); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			p, err := parsePreamble(b)
			if err != nil || p.major != 1 || (int64(p.size)+p.headerLen)%64 != 0 || b[int64(p.size)+p.headerLen-1] != '\n' {
				t.Fatalf("WriteNpy preamble %+v, %v: want version 1.0, data aligned to 64 after '\\n'", p, err)
			}
			if int64(len(b)) != int64(p.size)+p.headerLen+int64(8*rows*cols) {
				t.Fatalf("WriteNpy wrote %d bytes", len(b))
			}
			path := writeFile(t, dir, "w.npy", b)
			evs := readAll(t, path, nil)
			if len(evs) != 1 || evs[0].Rows != rows || evs[0].Cols != cols || !sameBits(evs[0].Vals, want) {
				t.Errorf("%d×%d fortran=%v: WriteNpy then Read differs", rows, cols, fortran)
			}
		}
	}

	var buf bytes.Buffer
	vec := []float64{3, 2, 1}
	if err := WriteNpy1D(&buf, vec); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	p, err := parsePreamble(b)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseHeader(b[p.size : int64(p.size)+p.headerLen])
	if err != nil || h.descr != "<f8" || !slices.Equal(h.shape, []int{3}) || (int64(p.size)+p.headerLen)%64 != 0 {
		t.Fatalf("WriteNpy1D header %+v, %v", h, err)
	}
	if got := b[int64(p.size)+p.headerLen:]; !sameBits(bytesFloat64(got), vec) {
		t.Errorf("WriteNpy1D data differ")
	}

	for _, c := range []struct {
		rows, cols, n int
	}{{2, 2, 3}, {-1, -1, 1}, {1 << 40, 1 << 40, 0}} {
		if err := WriteNpy(io.Discard, c.rows, c.cols, make([]float64, c.n), false); err == nil {
			t.Errorf("WriteNpy(%d×%d, %d values) succeeded", c.rows, c.cols, c.n)
		}
	}
	if err := WriteNpy(failWriter{}, 1, 1, []float64{1}, false); err == nil {
		t.Error("WriteNpy to a failing writer succeeded")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func bytesFloat64(b []byte) []float64 {
	f := make([]float64, len(b)/8)
	parsed, _ := parseDescr("<f8")
	parsed.decode(f, b)
	return f
}

func TestNotNumPy(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"empty.npy":     {},
		"text.npy":      []byte("hello, world\n1 2 3\n"),
		"random.npy":    {0x12, 0x9a, 0xff, 0x00, 0x31, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05},
		"magic.npy":     []byte("\x93NUM"),
		"one.npy":       {0x93},
		"wrongcase.npy": []byte("\x93numpy\x01\x00\x00\x00"),
		"corrupt.npz":   append([]byte("PK\x03\x04"), bytes.Repeat([]byte{7}, 100)...),
		"cut.npz":       zipFile(t, zipMember{name: "a.npy", body: npyFile(1, dictFor("<f8", false, 1, 1), make([]byte, 8))})[:40],
	}
	for name, b := range cases {
		path := writeFile(t, dir, name, b)
		r, err := Open(path)
		if err == nil {
			r.Close()
			t.Errorf("Open(%s) succeeded", name)
			continue
		}
		if !errors.Is(err, ErrNotNumPy) {
			t.Errorf("Open(%s) = %v, want ErrNotNumPy", name, err)
		}
		checkError(t, err, path+": ")
	}
	for _, path := range []string{dir, filepath.Join(dir, "missing.npy")} {
		if _, err := Open(path); err == nil {
			t.Errorf("Open(%s) succeeded", path)
		} else {
			checkError(t, err, path+": ")
		}
	}
}

func TestEmptyArchive(t *testing.T) {
	path := writeFile(t, t.TempDir(), "e.npz", zipFile(t))
	if evs := readAll(t, path, nil); len(evs) != 0 {
		t.Errorf("empty archive gave %d items", len(evs))
	}
}

// TestBadNpy checks that each bad .npy is reported by the first Next with
// the right sentinel and a message naming the file and the problem, and that
// the next Next returns io.EOF.
func TestBadNpy(t *testing.T) {
	dir := t.TempDir()
	f8 := func(shape ...int) []byte {
		return npyFile(1, dictFor("<f8", false, shape...), make([]byte, 8*prod(shape)))
	}
	withDescr := func(descr string, size int) []byte {
		return npyFile(1, dictFor(descr, false, 2, 2), make([]byte, 4*size))
	}
	v3bad := npyFile(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), 'x\xff': 1}", make([]byte, 8))
	cases := []struct {
		name string
		file []byte
		want error
		msg  string
	}{
		{"hdrcut", []byte("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_o"), ErrTruncated, "header truncated"},
		{"precut", []byte("\x93NUMPY\x02\x00\x76\x00"), ErrTruncated, "preamble"},
		{"hdrhuge", append([]byte("\x93NUMPY\x02\x00\x00\x00\x00\x40"), make([]byte, 100)...), ErrTooLarge, "header length 1073741824 exceeds"},
		{"version", []byte("\x93NUMPY\x04\x00\x10\x00{}              \n"), ErrHeader, "version 4.0"},
		{"syntax", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1)", make([]byte, 8)), ErrHeader, "malformed"},
		{"v3utf8", v3bad, ErrHeader, "UTF-8"},
		{"datacut", f8(3, 4)[:200], ErrTooLarge, "header claims 96 bytes of data (shape (3, 4), dtype <f8) but only"},
		{"overflow", npyFile(1, dictFor("<f8", false, 1<<40, 1<<40), nil), ErrTooLarge, "too large"},
		{"overflow3", npyFile(1, dictFor("<u1", false, 1<<30, 1<<30, 1<<30), nil), ErrTooLarge, "too large"},
		{"object", withDescr("|O", 8), ErrObject, "object arrays are refused (pickle is never loaded)"},
		{"string", withDescr("<U3", 12), ErrDtype, "string arrays are not supported"},
		{"bytes", withDescr("|S3", 3), ErrDtype, "string arrays are not supported"},
		{"complex", withDescr("<c16", 16), ErrDtype, "complex arrays are not supported yet"},
		{"half", withDescr("<f2", 2), ErrDtype, "float16"},
		{"datetime", withDescr("<M8[ns]", 8), ErrDtype, "datetime"},
		{"structured", npyFile(1, "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (2, 2), }", make([]byte, 32)), ErrDtype, "structured"},
		{"1d", f8(5), ErrShape, "1-D array of shape (5,): need a 2-D matrix or a 3-D stack"},
		{"0d", f8(), ErrShape, "0-D array of shape ()"},
		{"4d", f8(1, 2, 3, 4), ErrShape, "4-D array of shape (1, 2, 3, 4)"},
		{"empty", f8(0, 5), ErrShape, "shape (0, 5) has an empty dimension"},
		{"empty3", f8(0, 5, 5), ErrShape, "empty dimension"},
		{"empty3b", f8(2, 5, 0), ErrShape, "empty dimension"},
	}
	for _, c := range cases {
		path := writeFile(t, dir, c.name+".npy", c.file)
		r, err := Open(path)
		if err != nil {
			t.Errorf("%s: Open: %v", c.name, err)
			continue
		}
		_, err = r.Next()
		if !errors.Is(err, c.want) || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: Next = %v, want %v containing %q", c.name, err, c.want, c.msg)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%s: second Next = %v, want io.EOF", c.name, err)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
}

func prod(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// deflate compresses b.
func deflate(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// TestNpz checks that bad members of an archive are reported by Next with
// their names and that the members after them are read.
func TestNpz(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	goodData, goodWant := randomArray(rng, "<f8", false, []int{2, 3})
	good := npyFile(1, dictFor("<f8", false, 2, 3), goodData)
	stackData, stackWant := randomArray(rng, ">i4", true, []int{3, 2, 2})
	stack := npyFile(2, dictFor(">i4", true, 3, 2, 2), stackData)

	// A deflated member whose directory entry claims a huge size, and whose
	// header claims a huge array.
	hugeHdr := npyFile(1, dictFor("<f8", false, 1<<20, 1<<10), make([]byte, 100000))
	hugeZ := deflate(t, hugeHdr)
	huge := &zip.FileHeader{Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(hugeHdr),
		CompressedSize64: uint64(len(hugeZ)), UncompressedSize64: 1 << 40}
	// A deflated member whose stream ends early.
	cutFile := npyFile(1, dictFor("<f8", false, 200, 200), make([]byte, 8*200*200))
	cutZ := deflate(t, cutFile[:len(cutFile)-100])
	cut := &zip.FileHeader{Method: zip.Deflate, CRC32: 1,
		CompressedSize64: uint64(len(cutZ)), UncompressedSize64: uint64(len(cutFile))}
	// A stored member whose directory claims more than it holds.
	lie := &zip.FileHeader{Method: zip.Store, CRC32: crc32.ChecksumIEEE(good),
		CompressedSize64: uint64(len(good) - 8), UncompressedSize64: uint64(len(good))}
	bzip := &zip.FileHeader{Method: 12, CompressedSize64: 10, UncompressedSize64: 10}
	// A deflated member whose stream ends inside the header.
	hdrCutZ := deflate(t, good[:50])
	hdrCut := &zip.FileHeader{Method: zip.Deflate, CRC32: 1,
		CompressedSize64: uint64(len(hdrCutZ)), UncompressedSize64: uint64(len(good))}

	path := writeFile(t, dir, "s.npz", zipFile(t,
		zipMember{name: "a.npy", body: good},
		zipMember{name: "readme.txt", body: []byte("hello")},
		zipMember{name: "b.npy", body: stack, deflate: true},
		zipMember{name: "c.npy", body: npyFile(1, dictFor("<f8", false, 4), make([]byte, 32))},
		zipMember{name: "d.npy", body: npyFile(1, dictFor("|O", false, 2, 2), []byte("\x80\x02pickle")), deflate: true},
		zipMember{name: "e.npy", body: []byte("not numpy at all")},
		zipMember{name: "f.npy", body: hugeZ, raw: huge},
		zipMember{name: "g.npy", body: cutZ, raw: cut},
		zipMember{name: "h.npy", body: good[:len(good)-8], raw: lie},
		zipMember{name: "i.npy", body: make([]byte, 10), raw: bzip},
		zipMember{name: "j.npy", body: hdrCutZ, raw: hdrCut},
		zipMember{name: "dir/z.npy", body: good, deflate: true},
	))
	evs := readAll(t, path, nil)
	want := []struct {
		id  string
		err error
		msg string
	}{
		{id: path + ":a"},
		{id: path + ":readme.txt", err: ErrNotNumPy, msg: `archive member "readme.txt" is not a .npy file`},
		{id: path + ":b[0]"}, {id: path + ":b[1]"}, {id: path + ":b[2]"},
		{id: path + ":c", err: ErrShape, msg: "1-D array of shape (4,)"},
		{id: path + ":d", err: ErrObject, msg: "object arrays are refused (pickle is never loaded)"},
		{id: path + ":e", err: ErrNotNumPy, msg: "magic"},
		{id: path + ":f", err: ErrTooLarge, msg: fmt.Sprintf("header claims 8589934592 bytes of data (shape (1048576, 1024), dtype <f8) but only %d are available (bounded by 1100× the member's compressed size of %d)", 1100*len(hugeZ)-128, len(hugeZ))},
		{id: path + ":g", err: ErrTruncated, msg: "data truncated"}, // from Read
		{id: path + ":h", err: ErrTooLarge, msg: "stored member's compressed size"},
		{id: path + ":i", err: zip.ErrAlgorithm, msg: "compression method 12"},
		{id: path + ":j", err: ErrTruncated, msg: "header truncated"},
		{id: path + ":dir/z"},
	}
	if len(evs) != len(want) {
		t.Fatalf("got %d events, want %d: %v", len(evs), len(want), evs)
	}
	for i, w := range want {
		ev := evs[i]
		if w.err == nil {
			if ev.Err != nil || ev.ID != w.id {
				t.Errorf("event %d: %s %v, want %s", i, ev.ID, ev.Err, w.id)
			}
			continue
		}
		if !errors.Is(ev.Err, w.err) || !strings.HasPrefix(ev.Err.Error(), w.id+": ") || !strings.Contains(ev.Err.Error(), w.msg) {
			t.Errorf("event %d: %v, want %v %q naming %s", i, ev.Err, w.err, w.msg, w.id)
		}
	}
	if !sameBits(evs[0].Vals, goodWant) || !sameBits(evs[len(evs)-1].Vals, goodWant) {
		t.Error("2-D members' values differ")
	}
	for s := range 3 {
		if !sameBits(evs[2+s].Vals, stackWant[4*s:4*s+4]) {
			t.Errorf("stack item %d differs", s)
		}
	}
}

// TestFortranStackPartial reads only the last item of a Fortran stack and
// then moves on, in a .npz so that the next member must still be found.
func TestFortranStackPartial(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	data, want := randomArray(rng, "<f8", true, []int{4, 3, 2})
	file := npyFile(1, dictFor("<f8", true, 4, 3, 2), data)
	path := writeFile(t, t.TempDir(), "f.npz", zipFile(t,
		zipMember{name: "f.npy", body: file, deflate: true},
		zipMember{name: "g.npy", body: file}))
	evs := readAll(t, path, func(i int) bool { return i == 3 || i == 4 })
	if len(evs) != 8 || !sameBits(evs[3].Vals, want[18:24]) || !sameBits(evs[4].Vals, want[:6]) {
		t.Errorf("partial reads of Fortran stacks: %v", evs)
	}
}

func TestReadMisuse(t *testing.T) {
	path := writeFile(t, t.TempDir(), "m.npy", npyFile(1, dictFor("<f8", false, 2, 2), make([]byte, 32)))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Read(make([]float64, 4)); err == nil {
		t.Error("Read before Next succeeded")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := r.Read(make([]float64, 3)); err == nil {
		t.Error("Read into a short slice succeeded")
	}
	if err := r.Read(make([]float64, 4)); err != nil {
		t.Fatal(err)
	}
	if err := r.Read(make([]float64, 4)); err == nil {
		t.Error("second Read succeeded")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close = %v", err)
	}
}

func TestErrorMessage(t *testing.T) {
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{Path: "data/x.npy", Err: ErrObject}, "data/x.npy: object arrays are refused"},
		{Error{Path: "data/x.npy", Item: "[3]", Err: ErrShape}, "data/x.npy[3]: unsupported shape"},
		{Error{Path: "data/s.npz", Item: "b", Err: ErrDtype}, "data/s.npz:b: unsupported dtype"},
		{Error{Path: "data/s.npz", Item: "b[3]", Err: ErrTruncated}, "data/s.npz:b[3]: truncated"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
		if !errors.Is(&c.e, c.e.Err) {
			t.Errorf("%v does not unwrap", &c.e)
		}
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.npy", "a.npz", "c.txt", ".hidden.npy", "c.npy.bak"} {
		writeFile(t, dir, name, nil)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.npy"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub.npy"), "deep.npy", nil)
	if err := os.Symlink("b.npy", filepath.Join(dir, "link.npy")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nowhere", filepath.Join(dir, "dangling.npy")); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.npy")
	txt := filepath.Join(dir, "c.txt")
	files, errs := Expand([]string{txt, dir, missing})
	want := []string{txt, filepath.Join(dir, "a.npz"), filepath.Join(dir, "b.npy"), filepath.Join(dir, "link.npy")}
	if !slices.Equal(files, want) {
		t.Errorf("Expand files = %q, want %q", files, want)
	}
	if len(errs) != 2 {
		t.Fatalf("Expand errs = %v, want 2", errs)
	}
	for i, p := range []string{filepath.Join(dir, "dangling.npy"), missing} {
		var e *Error
		if !errors.As(errs[i], &e) || e.Path != p || !errors.Is(errs[i], fs.ErrNotExist) {
			t.Errorf("Expand errs[%d] = %v, want *Error for %s wrapping fs.ErrNotExist", i, errs[i], p)
		}
	}
}
