package matio

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/blasbatch/blasbatch/internal/testpy"
)

const python = testpy.Python

// needNumPy skips the test if NumPy cannot be imported, unless
// BLASBATCH_REQUIRE_NUMPY=1, when it fails it.
func needNumPy(t *testing.T) { testpy.NumPy(t) }

func runPython(t *testing.T, args ...string) {
	t.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "numpy_interop.py"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, append([]string{script}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("numpy_interop.py %v: %v\n%s", args, err, out)
	}
	t.Logf("numpy_interop.py %v: %s", args, out)
}

var sentinels = map[string]error{
	"ErrNotNumPy": ErrNotNumPy, "ErrTruncated": ErrTruncated, "ErrObject": ErrObject,
	"ErrDtype": ErrDtype, "ErrShape": ErrShape, "ErrTooLarge": ErrTooLarge, "ErrHeader": ErrHeader,
}

// TestNumPyFiles reads files that NumPy wrote and compares every decoded
// value bit for bit with NumPy's own conversion to float64.
func TestNumPyFiles(t *testing.T) {
	needNumPy(t)
	dir := t.TempDir()
	runPython(t, "gen", dir)
	var manifest []struct {
		File    string
		Descr   string
		Fortran bool
		Version []byte
		Bin     string
		Events  []struct {
			ID         string
			Rows, Cols int
			Error      string
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) < 40 {
		t.Fatalf("manifest lists only %d files", len(manifest))
	}
	var fortran, versions, bigEndian int
	for _, e := range manifest {
		path := filepath.Join(dir, e.File)
		if e.Descr != "" { // a .npy: check that NumPy wrote the header the case is about
			h, p := readHeaderOf(t, path)
			if h.descr != e.Descr && !h.structured || h.fortran != e.Fortran || p.major != e.Version[0] {
				t.Errorf("%s: header %+v version %d, manifest says %s fortran=%v version %v", e.File, h, p.major, e.Descr, e.Fortran, e.Version)
			}
			if h.fortran {
				fortran++
			}
			if e.Descr[0] == '>' {
				bigEndian++
			}
			versions |= 1 << p.major
		}
		var want []float64
		if e.Bin != "" {
			raw, err := os.ReadFile(filepath.Join(dir, e.Bin))
			if err != nil {
				t.Fatal(err)
			}
			want = bytesFloat64(raw)
		}
		evs := readAll(t, path, nil)
		if len(evs) != len(e.Events) {
			t.Errorf("%s: %d items, want %d", e.File, len(evs), len(e.Events))
			continue
		}
		for i, w := range e.Events {
			ev, id := evs[i], path+w.ID
			if w.Error != "" {
				if !errors.Is(ev.Err, sentinels[w.Error]) {
					t.Errorf("%s: item %d: %v, want %s", e.File, i, ev.Err, w.Error)
				}
				checkError(t, ev.Err, id+": ")
				continue
			}
			if ev.Err != nil || ev.ID != id || ev.Rows != w.Rows || ev.Cols != w.Cols {
				t.Errorf("%s: item %d: %s %d×%d %v, want %s %d×%d", e.File, i, ev.ID, ev.Rows, ev.Cols, ev.Err, id, w.Rows, w.Cols)
				continue
			}
			n := w.Rows * w.Cols
			if len(want) < n || !sameBits(ev.Vals, want[:n]) {
				t.Errorf("%s: values differ from NumPy's", ev.ID)
			}
			want = want[min(n, len(want)):]
		}
		if len(want) != 0 {
			t.Errorf("%s: %d expected values left over", e.File, len(want))
		}
	}
	if fortran < 10 || bigEndian < 10 || versions != 1<<1|1<<2|1<<3 {
		t.Errorf("coverage: %d Fortran and %d big-endian files, versions %b", fortran, bigEndian, versions)
	}
}

func readHeaderOf(t *testing.T, path string) (header, preamble) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePreamble(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	h, err := parseHeader(b[p.size : int64(p.size)+p.headerLen])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h, p
}

// TestNumPyLoadsWriteNpy checks that NumPy loads what WriteNpy and
// WriteNpy1D write, bit for bit.
func TestNumPyLoadsWriteNpy(t *testing.T) {
	needNumPy(t)
	if !hostLittleEndian() {
		t.Skip("the expected values are written in the machine's byte order")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	type entry struct {
		File    string `json:"file"`
		Shape   []int  `json:"shape"`
		Fortran bool   `json:"fortran"`
		Bin     string `json:"bin"`
	}
	var manifest []entry
	add := func(name string, shape []int, fortran bool, want []float64, write func(*os.File) error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := write(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name+".bin", float64Bytes(want))
		manifest = append(manifest, entry{name, shape, fortran, name + ".bin"})
	}
	for _, sz := range [][2]int{{1, 1}, {3, 5}, {5, 3}, {64, 17}} {
		rows, cols := sz[0], sz[1]
		want := make([]float64, rows*cols) // row-major
		colMajor := make([]float64, rows*cols)
		for i := range rows {
			for j := range cols {
				v := rng.NormFloat64()
				want[i*cols+j], colMajor[j*rows+i] = v, v
			}
		}
		add(fmt.Sprintf("c_%dx%d.npy", rows, cols), []int{rows, cols}, false, want, func(f *os.File) error {
			return WriteNpy(f, rows, cols, want, false)
		})
		add(fmt.Sprintf("f_%dx%d.npy", rows, cols), []int{rows, cols}, true, want, func(f *os.File) error {
			return WriteNpy(f, rows, cols, colMajor, true)
		})
	}
	for _, n := range []int{0, 1, 7} {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.ExpFloat64()
		}
		add(fmt.Sprintf("v_%d.npy", n), []int{n}, false, v, func(f *os.File) error { return WriteNpy1D(f, v) })
	}
	b, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "manifest.json", b)
	runPython(t, "check", dir)
}
