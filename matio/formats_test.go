package matio

import (
	"errors"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// formatCase is a file of one of the text or raw formats and what reading it
// must give: either items with values (want, in order), or an error
// wrapping err whose message contains msg, from Next (atRead false) or
// from Read (atRead true).
type formatCase struct {
	name   string // file name; its extension selects the format
	body   string
	shape  string // a .shape sidecar, if not empty
	opt    Options
	rows   int
	cols   int
	want   [][]float64 // each item's values, row-major
	err    error
	msg    string
	atRead bool
}

func runFormatCases(t *testing.T, cases []formatCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			name := c.name
			if i := strings.IndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
			path := writeFile(t, dir, name, []byte(c.body))
			if c.shape != "" {
				writeFile(t, dir, name+".shape", []byte(c.shape))
			}
			evs := readAllWith(t, path, c.opt, nil)
			if c.err != nil {
				if len(evs) != 1 {
					t.Fatalf("%d events, want 1 error: %+v", len(evs), evs)
				}
				ev := evs[0]
				if (ev.ID != "") != c.atRead {
					t.Errorf("error at Read = %v, want %v (%+v)", ev.ID != "", c.atRead, ev)
				}
				if !errors.Is(ev.Err, c.err) {
					t.Errorf("error %v, want %v", ev.Err, c.err)
				}
				if ev.Err != nil {
					checkError(t, ev.Err, path+": ")
					if !strings.Contains(ev.Err.Error(), c.msg) {
						t.Errorf("error %q does not contain %q", ev.Err, c.msg)
					}
				}
				return
			}
			if len(evs) != len(c.want) {
				t.Fatalf("%d items, want %d: %+v", len(evs), len(c.want), evs)
			}
			for i, ev := range evs {
				id := path
				if len(c.want) > 1 || strings.Count(c.shape+formatShape(c.opt.Shape), " ") == 2 || strings.Count(c.shape, "x") == 2 {
					id = path + "[" + string(rune('0'+i)) + "]"
				}
				if ev.Err != nil || ev.ID != id || ev.Rows != c.rows || ev.Cols != c.cols {
					t.Errorf("item %d: %s %d×%d %v, want %s %d×%d", i, ev.ID, ev.Rows, ev.Cols, ev.Err, id, c.rows, c.cols)
					continue
				}
				if !sameBits(ev.Vals, c.want[i]) {
					t.Errorf("item %d: %v, want %v", i, ev.Vals, c.want[i])
				}
			}
		})
	}
}

var (
	inf = math.Inf(1)
	nan = math.NaN()
)

func TestCSV(t *testing.T) {
	runFormatCases(t, []formatCase{
		{name: "plain.csv", body: "1,2,3\n4,5,6\n", rows: 2, cols: 3, want: [][]float64{{1, 2, 3, 4, 5, 6}}},
		{name: "noeol.csv", body: "1,2\n3,4", rows: 2, cols: 2, want: [][]float64{{1, 2, 3, 4}}},
		{name: "crlf.csv", body: "1,2\r\n3,4\r\n", rows: 2, cols: 2, want: [][]float64{{1, 2, 3, 4}}},
		{name: "header.csv", body: "a,b\n1,2\n3,4\n", rows: 2, cols: 2, want: [][]float64{{1, 2, 3, 4}}},
		{name: "header_ragged.csv", body: "idx,a,b\n1,2\n", rows: 1, cols: 2, want: [][]float64{{1, 2}}},
		{name: "pandas.csv", body: ",a,b\n0,1.5,2.5\n", rows: 1, cols: 3, want: [][]float64{{0, 1.5, 2.5}}},
		{name: "comments.csv", body: "# a,b\n\n1,2\n  \n# mid\n3,4\n# end\n", rows: 2, cols: 2, want: [][]float64{{1, 2, 3, 4}}},
		{name: "spaces.csv", body: " 1 , 2\t\n3,  4 \n", rows: 2, cols: 2, want: [][]float64{{1, 2, 3, 4}}},
		{name: "column.csv", body: "1\n2\n3\n", rows: 3, cols: 1, want: [][]float64{{1, 2, 3}}},
		{name: "specials.csv", body: "nan,inf,-inf,-0\n1e400,-1e400,1e-400,0x1p-2\n+1.5,1E3,NaN,Infinity\n",
			rows: 3, cols: 4, want: [][]float64{{nan, inf, -inf, math.Copysign(0, -1), inf, -inf, 0, 0.25, 1.5, 1000, nan, inf}}},
		{name: "upper.CSV", body: "1,2\n", rows: 1, cols: 2, want: [][]float64{{1, 2}}},
		{name: "tabs.tsv", body: "x\ty\n1\t2\n3.5\t-4\n", rows: 2, cols: 2, want: [][]float64{{1, 2, 3.5, -4}}},
		{name: "tsv_spaces.tsv", body: " 1 \t 2 \n", rows: 1, cols: 2, want: [][]float64{{1, 2}}},

		{name: "empty.csv", body: "", err: ErrShape, msg: "empty CSV file"},
		{name: "empty.tsv", body: "", err: ErrShape, msg: "empty TSV file"},
		{name: "blank.csv", body: "\n \n\r\n", err: ErrShape, msg: "no data rows"},
		{name: "onlyheader.csv", body: "a,b,c\n", err: ErrShape, msg: "no data rows"},
		{name: "onlycomments.csv", body: "# 1,2\n", err: ErrShape, msg: "no data rows"},
		{name: "ragged.csv", body: "1,2,3\n4,5,6\n7,8\n", err: ErrFormat, msg: "line 3 has 2 fields but line 1 has 3"},
		{name: "ragged_header.csv", body: "a,b\n\n1,2\n3,4,5\n", err: ErrFormat, msg: "line 4 has 3 fields but line 3 has 2"},
		{name: "trailing_comma.csv", body: "1,2\n3,4,\n", err: ErrFormat, msg: "line 2, field 3 is empty"},
		{name: "trailing_commas.csv", body: "1,2,\n3,4,\n", err: ErrFormat, msg: "line 1, field 3 is empty" + firstDataHint},
		{name: "text_cell.csv", body: "1,2\n3,four\n", err: ErrFormat, msg: `line 2, field 2: "four" is not a number`, atRead: true},
		{name: "empty_cell.csv", body: "1,2\n3,4\n,5\n", err: ErrFormat, msg: "line 3, field 1 is empty"},
		{name: "blank_cell.tsv", body: "1\t2\n3\t \n", err: ErrFormat, msg: "line 2, field 2 is empty"},
		{name: "second_header.csv", body: "a,b\nc,d\n1,2\n", err: ErrFormat, msg: `line 2, field 1: "c" is not a number`, atRead: true},
		{name: "semicolon.csv", body: "1;2\n3;4\n", err: ErrFormat, msg: `line 2, field 1: "3;4" is not a number`, atRead: true},
		{name: "comma.tsv", body: "1,2\n", err: ErrShape, msg: "no data rows"},
		{name: "long_cell.csv", body: "1\n" + strings.Repeat("z", 100) + "\n", err: ErrFormat, msg: `"zzzzzzzzzz`, atRead: true},
	})
}

// TestCSVLongLines reads lines longer than the reader's buffer.
func TestCSVLongLines(t *testing.T) {
	const cols = 40000 // about 600 kB a line
	var b strings.Builder
	want := make([]float64, 0, 2*cols)
	for i := range 2 {
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			v := float64(i*cols+j) + 0.125
			b.WriteString(formatG(v))
			want = append(want, v)
		}
		b.WriteByte('\n')
	}
	path := writeFile(t, t.TempDir(), "long.csv", []byte(b.String()))
	evs := readAll(t, path, nil)
	if len(evs) != 1 || evs[0].Err != nil || evs[0].Rows != 2 || evs[0].Cols != cols || !sameBits(evs[0].Vals, want) {
		t.Fatalf("long lines: %d events, first %v %d×%d", len(evs), evs[0].Err, evs[0].Rows, evs[0].Cols)
	}
}

func formatG(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestSingleItemProtocol checks Next, Skip, Following, Read and Close on
// the one-item formats as the .npy reader behaves for a 2-D array.
func TestSingleItemProtocol(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		writeFile(t, dir, "a.csv", []byte("1,2\n3,4\n")),
		writeFile(t, dir, "a.tsv", []byte("1\t2\n3\t4\n")),
		writeFile(t, dir, "a.mtx", []byte("%%MatrixMarket matrix array real general\n2 2\n1\n3\n2\n4\n")),
		writeFile(t, dir, "a.f64", float64Bytes([]float64{1, 2, 3, 4})),
		writeFile(t, dir, "a.npy", npyFile(1, dictFor("<f8", false, 2, 2), float64Bytes([]float64{1, 2, 3, 4}))),
	}
	writeFile(t, dir, "a.f64.shape", []byte("2x2\n"))
	for _, path := range files {
		open := func() *Reader {
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		}
		// Misuse.
		r := open()
		if err := r.Read(make([]float64, 4)); err == nil {
			t.Errorf("%s: Read before Next succeeded", path)
		}
		if r.Following() != 0 {
			t.Errorf("%s: Following before Next", path)
		}
		it, err := r.Next()
		if err != nil || it.ID != path || it.Rows != 2 || it.Cols != 2 {
			t.Fatalf("%s: Next = %+v, %v", path, it, err)
		}
		if r.Following() != 0 {
			t.Errorf("%s: Following = %d", path, r.Following())
		}
		if err := r.Read(make([]float64, 3)); err == nil {
			t.Errorf("%s: Read into a short slice succeeded", path)
		}
		dst := make([]float64, 4)
		if err := r.Read(dst); err != nil || !slices.Equal(dst, []float64{1, 2, 3, 4}) {
			t.Errorf("%s: Read = %v, %v", path, dst, err)
		}
		if err := r.Read(dst); err == nil {
			t.Errorf("%s: second Read succeeded", path)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%s: second Next = %v", path, err)
		}
		r.Close()
		if _, err := r.Next(); err == nil || err == io.EOF {
			t.Errorf("%s: Next after Close = %v", path, err)
		}
		if err := r.Read(dst); err == nil {
			t.Errorf("%s: Read after Close succeeded", path)
		}
		if err := r.Skip(1); err == nil {
			t.Errorf("%s: Skip after Close succeeded", path)
		}
		// Skip.
		for n, want := range []error{nil, nil, io.EOF} {
			r := open()
			if err := r.Skip(n); err != want {
				t.Errorf("%s: Skip(%d) = %v, want %v", path, n, err, want)
			}
			_, err := r.Next()
			if (n == 0) != (err == nil) {
				t.Errorf("%s: Next after Skip(%d) = %v", path, n, err)
			}
		}
		r = open()
		if err := r.Skip(-1); err == nil {
			t.Errorf("%s: Skip(-1) succeeded", path)
		}
		r = open()
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if err := r.Skip(0); err != nil {
			t.Errorf("%s: Skip(0) at the item = %v", path, err)
		}
		if err := r.Read(dst); err == nil {
			t.Errorf("%s: Read after Skip(0) succeeded", path)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%s: Next after Skip(0) = %v", path, err)
		}
		r = open()
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		if err := r.Skip(1); err != io.EOF {
			t.Errorf("%s: Skip(1) at the last item = %v", path, err)
		}
	}
	// A bad file counts as one item for Skip, as a bad .npy header does.
	for _, name := range []string{"bad.csv", "bad.mtx", "bad.f64"} {
		path := writeFile(t, dir, name, []byte("1,2\n3\n"))
		r, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := r.Skip(1); err != nil {
			t.Errorf("%s: Skip(1) = %v", name, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%s: Next after Skip(1) = %v", name, err)
		}
		r.Close()
	}
}

// TestHugeClaims checks that files claiming huge matrices fail at once,
// without allocating for the claim.
func TestHugeClaims(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"coord.mtx":    "%%MatrixMarket matrix coordinate real general\n1000000000 1000000000 1\n1 1 1\n",
		"overflow.mtx": "%%MatrixMarket matrix coordinate real general\n9223372036854775807 9223372036854775807 1\n1 1 1\n",
		"array.mtx":    "%%MatrixMarket matrix array real general\n100000 100000\n1\n",
		"nnz.mtx":      "%%MatrixMarket matrix coordinate real general\n10 10 90\n1 1 1\n",
		"big.f64":      "12345678",
	}
	opts := map[string]Options{"big.f64": {Shape: []int{1 << 30, 1 << 30}}}
	for name, body := range cases {
		path := writeFile(t, dir, name, []byte(body))
		before := heapAllocs()
		start := time.Now()
		evs := readAllWith(t, path, opts[name], nil)
		if len(evs) != 1 || !errors.Is(evs[0].Err, ErrTooLarge) {
			t.Errorf("%s: %+v, want one ErrTooLarge", name, evs)
			continue
		}
		checkError(t, evs[0].Err, path+": ")
		t.Logf("%s: %v", name, evs[0].Err)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: took %v", name, d)
		}
		if got := heapAllocs() - before; got > 4<<20 {
			t.Errorf("%s: allocated %d bytes", name, got)
		}
	}
}

func TestExpandFormats(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"e.f64", "e.f64.shape", "d.mtx", "c.tsv", "b.CSV", "a.npy", "f.txt", "g.mtx.gz", ".h.csv", "i.Npz"} {
		writeFile(t, dir, name, nil)
	}
	files, errs := Expand([]string{dir})
	var want []string
	for _, n := range []string{"a.npy", "b.CSV", "c.tsv", "d.mtx", "e.f64", "i.Npz"} {
		want = append(want, filepath.Join(dir, n))
	}
	if len(errs) != 0 || !slices.Equal(files, want) {
		t.Errorf("Expand = %q, %v; want %q", files, errs, want)
	}
}

func TestUnrecognised(t *testing.T) {
	path := writeFile(t, t.TempDir(), "x.txt", []byte("1,2\n3,4\n"))
	_, err := Open(path)
	if !errors.Is(err, ErrNotNumPy) || !strings.Contains(err.Error(), "not a recognised matrix file") {
		t.Errorf("Open(.txt) = %v", err)
	}
	// A .npy renamed .csv is still read as a .npy (magic wins), but a .f64
	// is raw whatever its first bytes.
	dir := t.TempDir()
	npy := npyFile(1, dictFor("<f8", false, 1, 1), float64Bytes([]float64{7}))
	p := writeFile(t, dir, "n.csv", npy)
	if evs := readAll(t, p, nil); len(evs) != 1 || evs[0].Err != nil || evs[0].Vals[0] != 7 {
		t.Errorf(".npy named .csv: %+v", evs)
	}
	raw := append([]byte("PK\x03\x04\x00\x00\x00\x00"), npy[:8]...)
	p = writeFile(t, dir, "z.f64", raw)
	evs := readAllWith(t, p, Options{Shape: []int{2, 1}}, nil)
	if len(evs) != 1 || evs[0].Err != nil || !sameBits(evs[0].Vals, bytesFloat64(raw)) {
		t.Errorf(".f64 starting with a zip signature: %+v", evs)
	}
}

func TestParseShape(t *testing.T) {
	for in, want := range map[string][]int{
		"3 4": {3, 4}, "3x4": {3, 4}, "3X4\n": {3, 4}, "(3, 4)": {3, 4}, "[2,3,4]": {2, 3, 4},
		"2 3 4": {2, 3, 4}, "2x3x4": {2, 3, 4}, "3×4": {3, 4}, " 10\t20 \n": {10, 20},
	} {
		if got, err := ParseShape(in); err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseShape(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "3", "1 2 3 4", "0x4", "-1 4", "3xy", "3.5x4", "99999999999999999999 1", "3 4 junk"} {
		if got, err := ParseShape(in); err == nil {
			t.Errorf("ParseShape(%q) = %v", in, got)
		}
	}
}

func f64s(v ...float64) string { return string(float64Bytes(v)) }

func TestRaw(t *testing.T) {
	if !hostLittleEndian() {
		t.Skip("the test data is written in the machine's byte order")
	}
	six := []float64{1, -2, 3.5, nan, inf, 6}
	runFormatCases(t, []formatCase{
		{name: "opt.f64", body: f64s(six...), opt: Options{Shape: []int{2, 3}}, rows: 2, cols: 3, want: [][]float64{six}},
		{name: "side.f64", body: f64s(six...), shape: "3x2\n", rows: 3, cols: 2, want: [][]float64{six}},
		{name: "side_spaces.f64", body: f64s(six...), shape: "6 1", rows: 6, cols: 1, want: [][]float64{six}},
		{name: "stack.f64", body: f64s(six...), shape: "3 1 2", rows: 1, cols: 2, want: [][]float64{six[:2], six[2:4], six[4:]}},
		{name: "stack_opt.f64", body: f64s(six...), opt: Options{Shape: []int{2, 3, 1}}, rows: 3, cols: 1, want: [][]float64{six[:3], six[3:]}},
		{name: "opt_wins.f64", body: f64s(six...), shape: "garbage", opt: Options{Shape: []int{1, 6}}, rows: 1, cols: 6, want: [][]float64{six}},
		{name: "upper.F64", body: f64s(six...), shape: "2x3", rows: 2, cols: 3, want: [][]float64{six}},

		{name: "noshape.f64", body: f64s(six...), err: ErrShape, msg: "raw float64 file without a shape: write \"M N\" or \"K M N\" to"},
		{name: "empty.f64", body: "", err: ErrShape, msg: "without a shape"},
		{name: "empty_shaped.f64", body: "", shape: "1 1", err: ErrTooLarge, msg: "needs 8 bytes of float64 data but the file has 0"},
		{name: "short.f64", body: f64s(six...), shape: "7x1", err: ErrTooLarge, msg: "shape 7×1 (from "},
		{name: "short_opt.f64", body: f64s(six...), opt: Options{Shape: []int{2, 2, 2}}, err: ErrTooLarge, msg: "shape 2×2×2 (from the shape option) needs 64 bytes of float64 data but the file has 48"},
		{name: "long.f64", body: f64s(six...), shape: "5x1", err: ErrShape, msg: "needs 40 bytes of float64 data but the file has 48 (it must match exactly)"},
		{name: "odd.f64", body: f64s(six...) + "x", shape: "6x1", err: ErrShape, msg: "the file has 49"},
		{name: "huge.f64", body: f64s(six...), shape: "1048576x1048576", err: ErrTooLarge, msg: "needs 8796093022208 bytes of float64 data but the file has 48"},
		{name: "badside.f64", body: f64s(six...), shape: "six by one", err: ErrFormat, msg: "shape sidecar"},
		{name: "zeroside.f64", body: f64s(six...), shape: "0x6", err: ErrFormat, msg: "is not a positive integer"},
		{name: "longside.f64", body: f64s(six...), shape: strings.Repeat(" ", 5000) + "6 1", err: ErrFormat, msg: "longer than 4096 bytes"},
		{name: "opt1d.f64", body: f64s(six...), opt: Options{Shape: []int{6}}, err: ErrShape, msg: "need M×N or K×M×N"},
		{name: "opt0.f64", body: f64s(six...), opt: Options{Shape: []int{0, 6}}, err: ErrShape, msg: "empty or negative dimension"},
	})
	// NewReaderWith reads no sidecar.
	six8 := []byte(f64s(six...))
	r, err := NewReader(strings.NewReader(string(six8)), 48, "x.f64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); !errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "--shape") {
		t.Errorf("NewReader without a shape: %v", err)
	}
	r, err = NewReaderWith(strings.NewReader(string(six8)), 48, "x.f64", Options{Shape: []int{3, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if it, err := r.Next(); err != nil || it.ID != "x.f64" || it.Rows != 3 {
		t.Errorf("NewReaderWith: %+v, %v", it, err)
	}
	// The option is ignored for formats with their own shape.
	p := writeFile(t, t.TempDir(), "s.csv", []byte("1,2\n"))
	if evs := readAllWith(t, p, Options{Shape: []int{2, 1}}, nil); len(evs) != 1 || evs[0].Rows != 1 || evs[0].Cols != 2 {
		t.Errorf("shape option on a .csv: %+v", evs)
	}
}

// TestRawSkip checks that skipping items of a raw stack gives the same
// items as reading them all, for stacks larger than the reader's buffer.
func TestRawSkip(t *testing.T) {
	const k, m, n = 6, 100, 70 // 56 kB items
	vals := make([]float64, k*m*n)
	for i := range vals {
		vals[i] = float64(i)
	}
	path := writeFile(t, t.TempDir(), "s.f64", float64Bytes(vals))
	opt := Options{Shape: []int{k, m, n}}
	all := readAllWith(t, path, opt, nil)
	for skip := 0; skip <= k+1; skip++ {
		r, err := OpenWith(path, opt)
		if err != nil {
			t.Fatal(err)
		}
		err = r.Skip(skip)
		if (err == io.EOF) != (skip > k) {
			t.Errorf("Skip(%d) = %v", skip, err)
		}
		if got := readRest(t, r); !sameEvents(got, all[min(skip, k):]) {
			t.Errorf("after Skip(%d): %d items differ", skip, len(got))
		}
		r.Close()
	}
	for i, ev := range all {
		if !sameBits(ev.Vals, vals[i*m*n:(i+1)*m*n]) {
			t.Errorf("item %d differs", i)
		}
	}
}

const mtxBanner = "%%MatrixMarket matrix "

func TestMTX(t *testing.T) {
	runFormatCases(t, []formatCase{
		{name: "array.mtx", body: mtxBanner + "array real general\n% a comment\n2 3\n1\n4\n2\n5\n3\n6.5\n", rows: 2, cols: 3, want: [][]float64{{1, 2, 3, 4, 5, 6.5}}},
		{name: "array_multi.mtx", body: mtxBanner + "array real general\n2 2\n1 3\n2 4", rows: 2, cols: 2, want: [][]float64{{1, 2, 3, 4}}},
		{name: "array_int.mtx", body: mtxBanner + "array integer general\n1 2\n-7\n99999999999999999999\n", rows: 1, cols: 2, want: [][]float64{{-7, 1e20}}},
		{name: "array_sym.mtx", body: mtxBanner + "array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n", rows: 3, cols: 3, want: [][]float64{{1, 2, 3, 2, 4, 5, 3, 5, 6}}},
		{name: "coord.mtx", body: mtxBanner + "coordinate real general\n%\n%  comments\n3 4 3\n1 1 1.5\n3 4 -2\n2 2 1e3\n", rows: 3, cols: 4,
			want: [][]float64{{1.5, 0, 0, 0, 0, 1000, 0, 0, 0, 0, 0, -2}}},
		{name: "coord_dup.mtx", body: mtxBanner + "coordinate real general\n1 2 2\n1 2 1\n1 2 2\n", rows: 1, cols: 2, want: [][]float64{{0, 3}}},
		{name: "coord_empty.mtx", body: mtxBanner + "coordinate real general\n2 2 0\n", rows: 2, cols: 2, want: [][]float64{{0, 0, 0, 0}}},
		{name: "coord_int.mtx", body: mtxBanner + "coordinate integer general\n2 1 1\n2 1 -5\n", rows: 2, cols: 1, want: [][]float64{{0, -5}}},
		{name: "pattern.mtx", body: mtxBanner + "coordinate pattern general\n2 3 2\n1 3\n2 1\n", rows: 2, cols: 3, want: [][]float64{{0, 0, 1, 1, 0, 0}}},
		{name: "sym.mtx", body: mtxBanner + "coordinate real symmetric\n3 3 3\n1 1 1\n3 1 2\n3 2 3\n", rows: 3, cols: 3, want: [][]float64{{1, 0, 2, 0, 0, 3, 2, 3, 0}}},
		{name: "sym_pattern.mtx", body: mtxBanner + "coordinate pattern symmetric\n2 2 1\n2 1\n", rows: 2, cols: 2, want: [][]float64{{0, 1, 1, 0}}},
		{name: "case.MTX", body: "%%matrixmarket MATRIX Coordinate REAL General\r\n1 1 1\r\n1 1 7\r\n", rows: 1, cols: 1, want: [][]float64{{7}}},
		{name: "blank_between.mtx", body: mtxBanner + "coordinate real general\n\n2 2 2\n1 1 1\n\n% c\n2 2 2\n\n", rows: 2, cols: 2, want: [][]float64{{1, 0, 0, 2}}},
		{name: "double.mtx", body: mtxBanner + "array double general\n1 1\nnan\n", rows: 1, cols: 1, want: [][]float64{{nan}}},

		{name: "empty.mtx", body: "", err: ErrFormat, msg: "empty file: no %%MatrixMarket banner"},
		{name: "nobanner.mtx", body: "3 3 1\n1 1 1\n", err: ErrFormat, msg: `line 1: no %%MatrixMarket banner (found "3 3 1")`},
		{name: "shortbanner.mtx", body: mtxBanner + "coordinate real\n1 1 1\n1 1 1\n", err: ErrFormat, msg: "want \"%%MatrixMarket matrix FORMAT FIELD SYMMETRY\""},
		{name: "longbanner.mtx", body: mtxBanner + "coordinate real general extra\n1 1 1\n1 1 1\n", err: ErrFormat, msg: "line 1: banner"},
		{name: "vector.mtx", body: "%%MatrixMarket vector coordinate real general\n", err: ErrUnsupported, msg: "vectors are not supported"},
		{name: "object.mtx", body: "%%MatrixMarket graph coordinate real general\n", err: ErrFormat, msg: `unknown Matrix Market object "graph"`},
		{name: "format.mtx", body: mtxBanner + "dense real general\n", err: ErrFormat, msg: `unknown Matrix Market format "dense"`},
		{name: "field.mtx", body: mtxBanner + "array float general\n", err: ErrFormat, msg: `unknown Matrix Market field "float"`},
		{name: "complex.mtx", body: mtxBanner + "coordinate complex general\n1 1 1\n1 1 1 0\n", err: ErrDtype, msg: "complex Matrix Market files are not supported"},
		{name: "hermitian.mtx", body: mtxBanner + "coordinate real hermitian\n1 1 1\n1 1 1\n", err: ErrUnsupported, msg: "hermitian Matrix Market files are not supported"},
		{name: "skew.mtx", body: mtxBanner + "array real skew-symmetric\n2 2\n1\n", err: ErrUnsupported, msg: "skew-symmetric Matrix Market files are not supported"},
		{name: "symmetry.mtx", body: mtxBanner + "array real upper\n", err: ErrFormat, msg: `unknown Matrix Market symmetry "upper"`},
		{name: "pattern_array.mtx", body: mtxBanner + "array pattern general\n1 1\n", err: ErrFormat, msg: "pattern field is only valid with the coordinate format"},
		{name: "nosize.mtx", body: mtxBanner + "coordinate real general\n% only comments\n", err: ErrTruncated, msg: "ends at line 2 before the size line"},
		{name: "badsize.mtx", body: mtxBanner + "coordinate real general\n3 3\n", err: ErrFormat, msg: "line 2: size line \"3 3\": want 3 non-negative integers (ROWS COLS ENTRIES)"},
		{name: "badsize2.mtx", body: mtxBanner + "array real general\n% c\n3 3 3\n", err: ErrFormat, msg: "line 3: size line \"3 3 3\": want 2 non-negative integers (ROWS COLS)"},
		{name: "negsize.mtx", body: mtxBanner + "coordinate real general\n-3 3 1\n1 1 1\n", err: ErrFormat, msg: "non-negative"},
		{name: "floatsize.mtx", body: mtxBanner + "coordinate real general\n3.0 3 1\n1 1 1\n", err: ErrFormat, msg: "size line"},
		{name: "zerosize.mtx", body: mtxBanner + "coordinate real general\n0 3 0\n", err: ErrShape, msg: "line 2: a 0×3 matrix has an empty dimension"},
		{name: "symrect.mtx", body: mtxBanner + "coordinate real symmetric\n2 3 1\n1 1 1\n", err: ErrFormat, msg: "symmetric matrix must be square, not 2×3"},
		{name: "dups_sym.mtx", body: mtxBanner + "coordinate real symmetric\n2 2 4\n" + strings.Repeat("2 1 1\n", 4), rows: 2, cols: 2, want: [][]float64{{0, 4, 4, 0}}},
		{name: "fewer_short.mtx", body: mtxBanner + "coordinate real general\n2 2 3\n1 1 1\n2 2 1\n", err: ErrTooLarge, msg: "line 2: 3 entries declared but the 12 bytes after the size line hold at most 2"},
		{name: "arraytoolong.mtx", body: mtxBanner + "array real general\n100 100\n1\n2\n", err: ErrTooLarge, msg: "a 100×100 array needs 10000 values but the 4 bytes after the size line hold at most 2"},

		{name: "outside.mtx", body: mtxBanner + "coordinate real general\n2 2 2\n1 1 1\n% c\n3 1 1\n", err: ErrFormat, msg: "line 5: entry (3, 1) is outside the 2×2 matrix", atRead: true},
		{name: "outside0.mtx", body: mtxBanner + "coordinate real general\n2 2 1\n0 1 1\n", err: ErrFormat, msg: "line 3: entry (0, 1) is outside", atRead: true},
		{name: "outsidecol.mtx", body: mtxBanner + "coordinate pattern general\n2 2 1\n1 3\n", err: ErrFormat, msg: "line 3: entry (1, 3) is outside", atRead: true},
		{name: "upper.mtx", body: mtxBanner + "coordinate real symmetric\n2 2 1\n1 2 1\n", err: ErrFormat, msg: "line 3: entry (1, 2) is above the diagonal", atRead: true},
		{name: "fewer.mtx", body: mtxBanner + "coordinate real general\n2 2 3\n1 1 1\n2 2 1\n% padding\n", err: ErrTruncated, msg: "the file ends at line 5 after 2 of the 3 entries", atRead: true},
		{name: "more.mtx", body: mtxBanner + "coordinate real general\n2 2 1\n1 1 1\n2 2 1\n", err: ErrFormat, msg: "line 4: more than the 1 entries the size line declares", atRead: true},
		{name: "arrayfewer.mtx", body: mtxBanner + "array real general\n2 2\n1\n2\n3\n%\n", err: ErrTruncated, msg: "after 3 of the 4 values", atRead: true},
		{name: "arraymore.mtx", body: mtxBanner + "array real general\n1 2\n1\n2\n3\n", err: ErrFormat, msg: "line 5: more than the 2 values a 1×2 array holds", atRead: true},
		{name: "badvalue.mtx", body: mtxBanner + "coordinate real general\n2 2 1\n1 1 x1\n", err: ErrFormat, msg: `line 3: "x1" is not a number`, atRead: true},
		{name: "badint.mtx", body: mtxBanner + "coordinate integer general\n2 2 1\n1 1 1.5\n", err: ErrFormat, msg: `line 3: "1.5" is not an integer`, atRead: true},
		{name: "badindex.mtx", body: mtxBanner + "coordinate real general\n2 2 1\n1.0 1 1\n", err: ErrFormat, msg: "line 3: entry \"1.0 1 1\": row and column must be integers", atRead: true},
		{name: "shortentry.mtx", body: mtxBanner + "coordinate real general\n2 2 1\n1 1     \n", err: ErrFormat, msg: "line 3: want an entry ROW COL VALUE, found \"1 1     \"", atRead: true},
		{name: "longentry.mtx", body: mtxBanner + "coordinate pattern general\n2 2 1\n1 1 1\n", err: ErrFormat, msg: "line 3: want an entry ROW COL, found", atRead: true},
		{name: "badarray.mtx", body: mtxBanner + "array real general\n1 1\nnope\n", err: ErrFormat, msg: `line 3: "nope" is not a number`, atRead: true},
	})
}

// TestMTXLarge reads a small coordinate file describing a large sparse
// matrix (allowed up to the dense cap) and one just over the cap.
func TestMTXLarge(t *testing.T) {
	dir := t.TempDir()
	body := mtxBanner + "coordinate real general\n2000 4000 2\n1 1 1\n2000 4000 2\n" // 64 MB dense
	p := writeFile(t, dir, "big.mtx", []byte(body))
	evs := readAll(t, p, nil)
	if len(evs) != 1 || evs[0].Err != nil || evs[0].Rows != 2000 || evs[0].Cols != 4000 || evs[0].Vals[0] != 1 || evs[0].Vals[2000*4000-1] != 2 {
		t.Fatalf("2000×4000 from a small file: %v", evs[0].Err)
	}
	body = mtxBanner + "coordinate real general\n2000 4200 2\n1 1 1\n2000 4000 2\n"
	p = writeFile(t, dir, "over.mtx", []byte(body))
	if evs := readAll(t, p, nil); len(evs) != 1 || !errors.Is(evs[0].Err, ErrTooLarge) {
		t.Fatalf("2000×4200 from a small file: %+v", evs)
	}
}
