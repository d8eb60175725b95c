package matio

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// textInterop is the NumPy side of TestNumPyTextFormats: it writes CSV and
// TSV files with np.savetxt and raw files with tofile into the directory
// argv[1], each with the float64 values matio must read from it in a .bin
// file, and a manifest.
const textInterop = `
import json, os, sys
import numpy as np
d = sys.argv[1]
rng = np.random.default_rng(7)
man = []
def add(name, a, k=1, shape=None, **kw):
    man.append(dict(file=name, rows=a.shape[-2], cols=a.shape[-1], k=k, bin=name + ".bin", shape=shape or []))
    a.astype("<f8").tofile(os.path.join(d, name + ".bin"))
def mat(m, n, special=False):
    a = rng.standard_normal((m, n)) * 10.0 ** rng.integers(-300, 300, (m, n))
    if special:
        a.flat[:4] = [np.nan, np.inf, -np.inf, -0.0]
    return a
a = mat(5, 4, True); np.savetxt(os.path.join(d, "plain.csv"), a, delimiter=","); add("plain.csv", a)
a = mat(3, 3); np.savetxt(os.path.join(d, "header.csv"), a, delimiter=",", header="x,y,z", comments=""); add("header.csv", a)
a = mat(4, 2); np.savetxt(os.path.join(d, "comment.csv"), a, delimiter=",", header="x,y", footer="end"); add("comment.csv", a)
a = mat(6, 3, True); np.savetxt(os.path.join(d, "tabs.tsv"), a, delimiter="\t", header="a\tb\tc", comments=""); add("tabs.tsv", a)
a = mat(2, 5); np.savetxt(os.path.join(d, "g17.tsv"), a, delimiter="\t", fmt="%.17g"); add("g17.tsv", a)
a = rng.integers(-10**6, 10**6, (7, 3)); np.savetxt(os.path.join(d, "ints.csv"), a, delimiter=",", fmt="%d"); add("ints.csv", a)
a = mat(1, 9); np.savetxt(os.path.join(d, "row.csv"), a, delimiter=",", newline="\r\n"); add("row.csv", a)
a = mat(9, 1); np.savetxt(os.path.join(d, "col.csv"), a, delimiter=","); add("col.csv", a)
a = mat(30, 20, True); a.astype("<f8").tofile(os.path.join(d, "m.f64")); open(os.path.join(d, "m.f64.shape"), "w").write("30 20\n"); add("m.f64", a)
a = mat(4 * 5, 6).reshape(4, 5, 6); a.astype("<f8").tofile(os.path.join(d, "s.f64")); open(os.path.join(d, "s.f64.shape"), "w").write("%d %d %d" % a.shape); add("s.f64", a, k=4)
a = rng.standard_normal((8, 3)).astype(np.float32); a.astype("<f8").tofile(os.path.join(d, "o.f64")); add("o.f64", a, shape=[8, 3])
json.dump(man, open(os.path.join(d, "manifest.json"), "w"))
print("ok", len(man))
`

// TestNumPyTextFormats reads CSV, TSV and raw .f64 files that NumPy wrote
// and compares every value bit for bit with NumPy's own float64 values.
func TestNumPyTextFormats(t *testing.T) {
	needNumPy(t)
	dir := t.TempDir()
	out, err := exec.Command(python, "-c", textInterop, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("NumPy: %v\n%s", err, out)
	}
	var manifest []struct {
		File       string
		Rows, Cols int
		K          int
		Bin        string
		Shape      []int
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) != 11 {
		t.Fatalf("manifest lists %d files", len(manifest))
	}
	for _, e := range manifest {
		raw, err := os.ReadFile(filepath.Join(dir, e.Bin))
		if err != nil {
			t.Fatal(err)
		}
		want := bytesFloat64(raw)
		path := filepath.Join(dir, e.File)
		evs := readAllWith(t, path, Options{Shape: e.Shape}, nil)
		if len(evs) != e.K {
			t.Errorf("%s: %d items, want %d: %+v", e.File, len(evs), e.K, evs)
			continue
		}
		mn := e.Rows * e.Cols
		for i, ev := range evs {
			id := path
			if e.K > 1 {
				id = fmt.Sprintf("%s[%d]", path, i)
			}
			if ev.Err != nil || ev.ID != id || ev.Rows != e.Rows || ev.Cols != e.Cols {
				t.Errorf("%s: item %d: %s %d×%d %v, want %s %d×%d", e.File, i, ev.ID, ev.Rows, ev.Cols, ev.Err, id, e.Rows, e.Cols)
				continue
			}
			if !sameValues(ev.Vals, want[i*mn:(i+1)*mn]) {
				t.Errorf("%s: item %d: values differ from NumPy's", e.File, i)
			}
		}
	}
}

// TestMTXRoundTrip writes random Matrix Market files of every supported
// kind, by hand, and reads them back.
func TestMTXRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for iter := range 200 {
		m, n := 1+rng.IntN(12), 1+rng.IntN(12)
		array := rng.IntN(2) == 0
		field := []string{"real", "integer", "pattern"}[rng.IntN(3)]
		if array && field == "pattern" {
			field = "real"
		}
		sym := rng.IntN(3) == 0
		if sym {
			n = m
		}
		val := func() float64 {
			switch field {
			case "integer":
				return float64(rng.IntN(2001) - 1000)
			case "pattern":
				return 1
			}
			return rng.NormFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
		}
		want := make([]float64, m*n)
		var body strings.Builder
		symWord := map[bool]string{false: "general", true: "symmetric"}[sym]
		if array {
			fmt.Fprintf(&body, "%%%%MatrixMarket matrix array %s %s\n%% iteration %d\n%d %d\n", field, symWord, iter, m, n)
			for j := range n {
				i0 := 0
				if sym {
					i0 = j
				}
				for i := i0; i < m; i++ {
					v := val()
					want[i*n+j] = v
					if sym {
						want[j*n+i] = v
					}
					fmt.Fprintf(&body, "%s\n", g(v))
				}
			}
		} else {
			type ent struct {
				i, j int
				v    float64
			}
			var ents []ent
			for range rng.IntN(m*n + 1) {
				i, j := rng.IntN(m), rng.IntN(n)
				if sym && i < j {
					i, j = j, i
				}
				v := val()
				ents = append(ents, ent{i, j, v})
				want[i*n+j] += v
				if sym && i != j {
					want[j*n+i] += v
				}
			}
			fmt.Fprintf(&body, "%%%%MatrixMarket matrix coordinate %s %s\n%d %d %d\n", field, symWord, m, n, len(ents))
			for _, e := range ents {
				if field == "pattern" {
					fmt.Fprintf(&body, "%d %d\n", e.i+1, e.j+1)
				} else {
					fmt.Fprintf(&body, "%d %d %s\n", e.i+1, e.j+1, g(e.v))
				}
			}
		}
		path := writeFile(t, dir, fmt.Sprintf("r%d.mtx", iter), []byte(body.String()))
		evs := readAll(t, path, nil)
		if len(evs) != 1 || evs[0].Err != nil || evs[0].Rows != m || evs[0].Cols != n || !sameBits(evs[0].Vals, want) {
			t.Fatalf("%s:\n%s\ngot %+v\nwant %v", path, body.String(), evs, want)
		}
	}
}

// sameValues is sameBits except that every NaN equals every other: a text
// "nan" parses to Go's NaN, whose bits differ from NumPy's.
func sameValues(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}
