package matio

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rawDescrs are every dtype ReadRaw serves, in both byte orders.
var rawDescrs = []string{
	"|i1", "|u1", "<i2", ">i2", "<u2", ">u2", "<i4", ">i4", "<u4", ">u4", "<i8", ">i8", "<u8", ">u8",
	"<f4", ">f4", "<f8", ">f8", "|b1",
}

// nativeValue decodes one element of ReadRaw's output (the machine's byte
// order) the obvious way.
func nativeValue(d dtype, b []byte) float64 {
	return refValue(d.kind, d.size, binary.NativeEndian, b)
}

// readRawAll reads every item of the file at path with ReadRaw, checking
// the element-type fields of each Item against want.
func readRawAll(t *testing.T, path string, want func(Item)) []event {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var evs []event
	for {
		it, err := r.Next()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			evs = append(evs, event{Err: err})
			continue
		}
		if want != nil {
			want(it)
		}
		raw := make([]byte, it.Rows*it.Cols*it.Bits/8)
		ev := event{ID: it.ID, Rows: it.Rows, Cols: it.Cols}
		if err := r.ReadRaw(raw); err != nil {
			ev.Err = err
		}
		ev.Vals = make([]float64, it.Rows*it.Cols)
		d := rawType(it)
		for i := range ev.Vals {
			ev.Vals[i] = nativeValue(d, raw[i*d.size:])
		}
		evs = append(evs, ev)
	}
}

// rawType is the native dtype of an item's ReadRaw elements.
func rawType(it Item) dtype {
	d := dtype{kind: 'f', size: it.Bits / 8}
	switch {
	case it.Bool:
		d.kind = 'b'
	case it.Integer && it.Signed:
		d.kind = 'i'
	case it.Integer:
		d.kind = 'u'
	}
	return d
}

// checkItemType checks an Item's element-type fields against descr.
func checkItemType(t *testing.T, name, descr string) func(Item) {
	d, err := parseDescr(descr)
	if err != nil {
		t.Fatal(err)
	}
	return func(it Item) {
		t.Helper()
		if it.Integer != (d.kind == 'i' || d.kind == 'u') || it.Signed != (d.kind == 'i') || it.Bits != 8*d.size || it.Bool != (d.kind == 'b') {
			t.Errorf("%s: item %s of dtype %s: Integer %v, Signed %v, Bits %d, Bool %v", name, it.ID, descr, it.Integer, it.Signed, it.Bits, it.Bool)
		}
	}
}

// TestReadRawMatchesRead: for every dtype in both byte orders, C and
// Fortran order, 2-D and 3-D, in a .npy file and in stored and deflated
// .npz members, ReadRaw's elements decode to Read's values bit for bit
// (and to the reference decoder's), and the Item describes the type.
func TestReadRawMatchesRead(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	dir := t.TempDir()
	for _, descr := range rawDescrs {
		for _, fortran := range []bool{false, true} {
			for _, shape := range [][]int{{3, 5}, {1, 1}, {9, 1}, {1, 7}, {4, 3, 5}, {1, 2, 2}, {3, 130, 70}} {
				name := fmt.Sprintf("%s/fortran=%v/shape=%v", descr, fortran, shape)
				data, want := randomArray(rng, descr, fortran, shape)
				npy := npyFile(1, dictFor(descr, fortran, shape...), data)
				files := map[string][]byte{
					"a.npy":        npy,
					"stored.npz":   zipFile(t, zipMember{name: "x.npy", body: npy}, zipMember{name: "y.npy", body: npy}),
					"deflated.npz": zipFile(t, zipMember{name: "x.npy", body: npy, deflate: true}),
				}
				for fname, b := range files {
					path := writeFile(t, dir, fname, b)
					got := readRawAll(t, path, checkItemType(t, name, descr))
					ref := readAll(t, path, nil)
					if len(got) != len(ref) {
						t.Fatalf("%s/%s: ReadRaw gives %d items, Read %d", name, fname, len(got), len(ref))
					}
					var all []float64
					for i := range got {
						if got[i].Err != nil || ref[i].Err != nil || got[i].ID != ref[i].ID || got[i].Rows != ref[i].Rows || got[i].Cols != ref[i].Cols {
							t.Fatalf("%s/%s: item %d: ReadRaw %+v, Read %+v", name, fname, i, got[i], ref[i])
						}
						if !sameBits(got[i].Vals, ref[i].Vals) {
							t.Fatalf("%s/%s: item %s: ReadRaw's elements differ from Read's values", name, fname, got[i].ID)
						}
						all = append(all, got[i].Vals...)
					}
					if fname != "stored.npz" && !sameBits(all, want) {
						t.Fatalf("%s/%s: values differ from the reference decoder's", name, fname)
					}
				}
			}
		}
	}
}

// TestReadRawMixed: on one Fortran-ordered stack, items read by Read,
// ReadRaw and neither give the same values as a file read by Read alone;
// C-ordered stacks too, and ReadRaw's contract errors.
func TestReadRawMixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 44))
	dir := t.TempDir()
	for _, fortran := range []bool{true, false} {
		shape := []int{5, 4, 3}
		data, want := randomArray(rng, ">i8", fortran, shape)
		path := writeFile(t, dir, "s.npy", npyFile(2, dictFor(">i8", fortran, shape...), data))
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.ReadRaw(make([]byte, 96)); err == nil {
			t.Fatal("ReadRaw before Next succeeded")
		}
		for i := range 5 {
			it, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			w := want[i*12 : (i+1)*12]
			switch i % 3 {
			case 0:
				v := make([]float64, 12)
				if err := r.Read(v); err != nil || !sameBits(v, w) {
					t.Fatalf("fortran=%v: item %d by Read: %v %v", fortran, i, v, err)
				}
				if err := r.ReadRaw(make([]byte, 96)); err == nil {
					t.Fatalf("fortran=%v: ReadRaw after Read of item %d succeeded", fortran, i)
				}
			case 1:
				if err := r.ReadRaw(make([]byte, 95)); err == nil || !strings.Contains(err.Error(), "96") {
					t.Fatalf("fortran=%v: ReadRaw into 95 bytes: %v", fortran, err)
				}
				raw := make([]byte, it.Rows*it.Cols*it.Bits/8)
				if err := r.ReadRaw(raw); err != nil {
					t.Fatal(err)
				}
				for k := range 12 {
					if v := float64(int64(binary.NativeEndian.Uint64(raw[8*k:]))); v != w[k] {
						t.Fatalf("fortran=%v: item %d element %d: %v, want %v", fortran, i, k, v, w[k])
					}
				}
				if err := r.ReadRaw(raw); err == nil {
					t.Fatalf("fortran=%v: a second ReadRaw of item %d succeeded", fortran, i)
				}
				if err := r.Read(make([]float64, 12)); err == nil {
					t.Fatalf("fortran=%v: Read after ReadRaw of item %d succeeded", fortran, i)
				}
			}
		}
		r.Close()
		if err := r.ReadRaw(make([]byte, 96)); err == nil {
			t.Fatal("ReadRaw after Close succeeded")
		}
	}
}

// TestReadRawTruncated: data that ends early is an *Error wrapping
// ErrTruncated naming the item, as Read's, for C and Fortran order, 2-D
// and stacks; the reader goes on with the next member.
func TestReadRawTruncated(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	dir := t.TempDir()
	for _, descr := range []string{"<i2", ">u4", "|i1", "<i8"} {
		for _, fortran := range []bool{false, true} {
			for _, shape := range [][]int{{6, 7}, {3, 6, 7}} {
				name := fmt.Sprintf("%s/fortran=%v/shape=%v", descr, fortran, shape)
				data, _ := randomArray(rng, descr, fortran, shape)
				full := npyFile(1, dictFor(descr, fortran, shape...), data)
				// A .npy file's data is checked against its size at Next; a
				// deflated member whose stream ends early, its directory
				// claiming the whole size, is only found out by reading.
				cutZ := deflate(t, full[:len(full)-3])
				cut := &zip.FileHeader{Method: zip.Deflate, CRC32: 1,
					CompressedSize64: uint64(len(cutZ)), UncompressedSize64: uint64(len(full))}
				good := npyFile(1, dictFor("<f8", false, 1, 2), make([]byte, 16))
				npz := zipFile(t, zipMember{name: "cut.npy", body: cutZ, raw: cut}, zipMember{name: "good.npy", body: good})
				for fname, b := range map[string][]byte{"cut.npz": npz} {
					path := writeFile(t, dir, fname, b)
					evs := readRawAll(t, path, nil)
					var truncated int
					for _, ev := range evs {
						if ev.Err != nil {
							if !errors.Is(ev.Err, ErrTruncated) {
								t.Fatalf("%s/%s: error %v, want ErrTruncated", name, fname, ev.Err)
							}
							checkError(t, ev.Err, EscapeID(path))
							if ev.ID != "" && !strings.Contains(ev.Err.Error(), ev.ID[len(EscapeID(path)):]) {
								t.Fatalf("%s/%s: error %q does not name item %s", name, fname, ev.Err, ev.ID)
							}
							truncated++
						}
					}
					if truncated == 0 {
						t.Fatalf("%s/%s: no truncation reported: %+v", name, fname, evs)
					}
					if fname == "cut.npz" && (evs[len(evs)-1].ID != EscapeID(path)+":good" || evs[len(evs)-1].Err != nil) {
						t.Fatalf("%s/%s: the member after the truncated one: %+v", name, fname, evs[len(evs)-1])
					}
				}
			}
		}
	}
}

// TestReadRawText: text formats and raw .f64 files give float64 bytes equal
// to Read's values, into aligned and unaligned buffers.
func TestReadRawText(t *testing.T) {
	dir := t.TempDir()
	vals := []float64{1.5, -2, 3e300, 0, math.Copysign(0, -1), 7}
	files := map[string][]byte{
		"m.csv": []byte("1.5,-2,3e300\n0,-0,7\n"),
		"m.tsv": []byte("1.5\t-2\t3e300\n0\t-0\t7\n"),
		"m.mtx": []byte("%%MatrixMarket matrix array real general\n2 3\n1.5\n0\n-2\n-0\n3e300\n7\n"),
	}
	b := new(bytes.Buffer)
	for _, v := range vals {
		binary.Write(b, binary.LittleEndian, v)
	}
	files["m.f64"] = b.Bytes()
	for fname, body := range files {
		path := writeFile(t, dir, fname, body)
		for _, offset := range []int{0, 1} {
			r, err := OpenWith(path, Options{Shape: []int{2, 3}})
			if err != nil {
				t.Fatal(err)
			}
			it, err := r.Next()
			if err != nil || it.Rows != 2 || it.Cols != 3 || it.Bits != 64 || it.Integer || it.Bool {
				t.Fatalf("%s: item %+v, %v", fname, it, err)
			}
			if err := r.ReadRaw(make([]byte, 47)); err == nil {
				t.Fatalf("%s: ReadRaw into 47 bytes succeeded", fname)
			}
			buf := make([]byte, 48+offset)
			if err := r.ReadRaw(buf[offset:]); err != nil {
				t.Fatalf("%s/offset=%d: %v", fname, offset, err)
			}
			for i, v := range vals {
				if got := math.Float64frombits(binary.NativeEndian.Uint64(buf[offset+8*i:])); math.Float64bits(got) != math.Float64bits(v) {
					t.Fatalf("%s/offset=%d: element %d = %v, want %v", fname, offset, i, got, v)
				}
			}
			if err := r.ReadRaw(buf[offset:]); err == nil {
				t.Fatalf("%s: a second ReadRaw succeeded", fname)
			}
			r.Close()
		}
	}
}

// TestWriteNpyRawRoundTrip: what WriteNpyRaw writes reads back through
// ReadRaw with the same bytes and the right Item type, for every integer
// type, C and Fortran order and 1-D; bad arguments are errors.
func TestWriteNpyRawRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 48))
	dir := t.TempDir()
	for _, bits := range []int{8, 16, 32, 64} {
		for _, signed := range []bool{true, false} {
			for _, fortran := range []bool{false, true} {
				rows, cols := 5, 3
				raw := make([]byte, rows*cols*bits/8)
				for i := range raw {
					raw[i] = byte(rng.Uint32())
				}
				var buf bytes.Buffer
				if err := WriteNpyRaw(&buf, rows, cols, signed, bits, raw, fortran); err != nil {
					t.Fatal(err)
				}
				path := writeFile(t, dir, "w.npy", buf.Bytes())
				r, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				it, err := r.Next()
				if err != nil || !it.Integer || it.Signed != signed || it.Bits != bits {
					t.Fatalf("int%d signed=%v: item %+v, %v", bits, signed, it, err)
				}
				got := make([]byte, len(raw))
				if err := r.ReadRaw(got); err != nil {
					t.Fatal(err)
				}
				r.Close()
				want := raw
				if fortran { // written column-major: read back row-major
					want = make([]byte, len(raw))
					size := bits / 8
					for i := range rows {
						for j := range cols {
							copy(want[(i*cols+j)*size:(i*cols+j+1)*size], raw[(j*rows+i)*size:])
						}
					}
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("int%d signed=%v fortran=%v: read back %x, want %x", bits, signed, fortran, got, want)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteNpyRaw1D(&buf, true, 16, []byte{1, 0, 2, 0, 3, 0}); err != nil {
		t.Fatal(err)
	}
	h, _ := parseHeaderBytes(t, buf.Bytes())
	if h.descr != "<i2" || len(h.shape) != 1 || h.shape[0] != 3 {
		t.Fatalf("1-D header %+v", h)
	}
	for _, c := range []struct {
		rows, cols, bits, n int
	}{{2, 2, 12, 6}, {2, 2, 16, 7}, {-1, 2, 8, 0}, {1 << 62, 4, 8, 0}} {
		if err := WriteNpyRaw(io.Discard, c.rows, c.cols, true, c.bits, make([]byte, c.n), false); err == nil {
			t.Errorf("WriteNpyRaw %+v succeeded", c)
		}
	}
	if err := WriteNpyRaw1D(io.Discard, false, 7, nil); err == nil {
		t.Error("WriteNpyRaw1D of 7-bit integers succeeded")
	}
}

// parseHeaderBytes parses the header of a .npy file in memory.
func parseHeaderBytes(t *testing.T, b []byte) (header, preamble) {
	t.Helper()
	p, err := parsePreamble(b[:12])
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseHeader(b[p.size : p.size+int(p.headerLen)])
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// TestNumPyReadRaw reads what NumPy wrote — every integer dtype in both
// byte orders, C and Fortran order, 2-D and stacks, .npy files and .npz
// members, the question's int64 matrix — and compares ReadRaw's bytes with
// NumPy's own native-order bytes of the same elements, and with Read's
// values.
func TestNumPyReadRaw(t *testing.T) {
	needNumPy(t)
	dir := t.TempDir()
	script, err := filepath.Abs(filepath.Join("testdata", "numpy_raw.py"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(python, script, "gen", dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy_raw.py gen: %v\n%s", err, out)
	}
	var manifest []struct {
		File    string
		Descr   string
		Ndim    int
		Fortran bool
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	var fortran, bigEndian, stacks int
	for _, e := range manifest {
		path := filepath.Join(dir, e.File)
		want, err := os.ReadFile(path + ".raw")
		if err != nil {
			t.Fatal(err)
		}
		if e.Descr != "" {
			h, _ := readHeaderOf(t, path)
			if h.descr != e.Descr || h.fortran != e.Fortran {
				t.Fatalf("%s: header %+v, NumPy says %s fortran=%v", e.File, h, e.Descr, e.Fortran)
			}
			if e.Fortran {
				fortran++
			}
			if strings.HasPrefix(e.Descr, ">") {
				bigEndian++
			}
			if e.Ndim == 3 {
				stacks++
			}
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		var check func(Item)
		if e.Descr != "" {
			check = checkItemType(t, e.File, e.Descr)
		}
		for {
			it, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", e.File, err)
			}
			if check != nil {
				check(it)
			}
			raw := make([]byte, it.Rows*it.Cols*it.Bits/8)
			if err := r.ReadRaw(raw); err != nil {
				t.Fatalf("%s: %s: %v", e.File, it.ID, err)
			}
			got = append(got, raw...)
		}
		r.Close()
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: ReadRaw's %d bytes differ from NumPy's %d", e.File, len(got), len(want))
		}
		// And Read's values are ReadRaw's, element by element.
		var vals []float64
		var types []dtype
		r, _ = Open(path)
		for {
			it, err := r.Next()
			if err != nil {
				break
			}
			v := make([]float64, it.Rows*it.Cols)
			if err := r.Read(v); err != nil {
				t.Fatal(err)
			}
			vals = append(vals, v...)
			for range v {
				types = append(types, rawType(it))
			}
		}
		r.Close()
		off := 0
		for i, v := range vals {
			if rv := nativeValue(types[i], got[off:]); math.Float64bits(rv) != math.Float64bits(v) && !(math.IsNaN(rv) && math.IsNaN(v)) {
				t.Fatalf("%s: element %d: ReadRaw's %v, Read's %v", e.File, i, rv, v)
			}
			off += types[i].size
		}
	}
	if fortran < 20 || bigEndian < 20 || stacks < 10 {
		t.Fatalf("NumPy wrote only %d Fortran-ordered, %d big-endian, %d 3-D files", fortran, bigEndian, stacks)
	}
}

// TestNumPyLoadsWriteNpyRaw: NumPy loads what WriteNpyRaw writes with the
// dtype, shape, order and values intended.
func TestNumPyLoadsWriteNpyRaw(t *testing.T) {
	needNumPy(t)
	rng := rand.New(rand.NewPCG(49, 50))
	dir := t.TempDir()
	type entry struct {
		File    string `json:"file"`
		Dtype   string `json:"dtype"`
		Shape   []int  `json:"shape"`
		Fortran bool   `json:"fortran"`
	}
	var written []entry
	for _, bits := range []int{8, 16, 32, 64} {
		for _, signed := range []bool{true, false} {
			for _, fortran := range []bool{false, true} {
				rows, cols := 4+bits/8, 3
				raw := make([]byte, rows*cols*bits/8)
				for i := range raw {
					raw[i] = byte(rng.Uint32())
				}
				kind := "u"
				if signed {
					kind = "i"
				}
				name := fmt.Sprintf("%s%d_%v.npy", kind, bits/8, fortran)
				var buf bytes.Buffer
				if err := WriteNpyRaw(&buf, rows, cols, signed, bits, raw, fortran); err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, name, buf.Bytes())
				writeFile(t, dir, name+".raw", raw)
				written = append(written, entry{File: name, Dtype: "<" + kind + strconv.Itoa(bits/8), Shape: []int{rows, cols}, Fortran: fortran})
			}
		}
	}
	var buf bytes.Buffer
	raw := []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}
	if err := WriteNpyRaw1D(&buf, true, 32, raw); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "v.npy", buf.Bytes())
	writeFile(t, dir, "v.npy.raw", raw)
	written = append(written, entry{File: "v.npy", Dtype: "<i4", Shape: []int{2}})
	b, _ := json.Marshal(written)
	writeFile(t, dir, "written.json", b)
	script, _ := filepath.Abs(filepath.Join("testdata", "numpy_raw.py"))
	if out, err := exec.Command(python, script, "check", dir).CombinedOutput(); err != nil {
		t.Fatalf("numpy_raw.py check: %v\n%s", err, out)
	}
}
