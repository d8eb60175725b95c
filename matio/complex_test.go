package matio

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteNpyComplexHeader checks the bytes without NumPy: the header is
// NumPy's for '<c16', 64-byte aligned, and the data is re, im interleaved
// little-endian.
func TestWriteNpyComplexHeader(t *testing.T) {
	var b bytes.Buffer
	re, im := []float64{1, 2, 3, 4, 5, 6}, []float64{-1, 0.5, 0, 7, 8, -9}
	if err := WriteNpyComplex(&b, 2, 3, re, im, true); err != nil {
		t.Fatal(err)
	}
	raw := b.Bytes()
	p, err := parsePreamble(raw)
	if err != nil {
		t.Fatal(err)
	}
	start := p.size + int(p.headerLen)
	h, err := parseHeader(raw[p.size:start])
	if err != nil {
		t.Fatal(err)
	}
	if h.descr != "<c16" || !h.fortran || len(h.shape) != 2 || h.shape[0] != 2 || h.shape[1] != 3 {
		t.Fatalf("header %+v", h)
	}
	data := raw[start:]
	if start%64 != 0 || len(data) != 16*6 {
		t.Fatalf("data at %d, %d bytes", start, len(data))
	}
	for k := range re {
		gr := math.Float64frombits(leUint64(data[16*k:]))
		gi := math.Float64frombits(leUint64(data[16*k+8:]))
		if gr != re[k] || gi != im[k] {
			t.Fatalf("element %d = %v%+vi, want %v%+vi", k, gr, gi, re[k], im[k])
		}
	}
	// im == nil: zero imaginary parts; length mismatches are errors.
	b.Reset()
	if err := WriteNpyComplex1D(&b, []float64{3}, nil); err != nil {
		t.Fatal(err)
	}
	if d := b.Bytes()[b.Len()-16:]; math.Float64frombits(leUint64(d)) != 3 || leUint64(d[8:]) != 0 {
		t.Fatalf("1-D nil im: % x", d)
	}
	if err := WriteNpyComplex(&b, 2, 2, re[:4], im[:3], false); err == nil {
		t.Fatal("3 imaginary parts for 4 real: no error")
	}
	if err := WriteNpyComplex(&b, 2, 2, re, im, false); err == nil {
		t.Fatal("6 values for 2×2: no error")
	}
}

func leUint64(b []byte) uint64 {
	var x uint64
	for i := 7; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}

// TestWriteNpyComplexNumPy: complex128 files this package writes (C and
// Fortran order, 2-D and 1-D, several buffer-sized chunks) load in NumPy
// with exactly the values written.
func TestWriteNpyComplexNumPy(t *testing.T) {
	needNumPy(t)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(21, 22))
	type want struct {
		File    string
		Shape   []int
		Fortran bool
		Re, Im  []float64 // in memory order
	}
	var cases []want
	for _, c := range []struct {
		rows, cols int
		fortran    bool
		oneD       bool
	}{{3, 4, false, false}, {3, 4, true, false}, {1, 1, false, false}, {70, 90, true, false}, {0, 5, false, false}, {0, 7, false, true}, {9, 0, false, true}} {
		n := c.rows * c.cols
		if c.oneD {
			n = c.cols
		}
		re, im := make([]float64, n), make([]float64, n)
		for i := range re {
			re[i], im[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		if n > 0 {
			re[0], im[0] = math.Inf(-1), math.NaN() // non-finite values travel too
		}
		name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+"-"+string(rune('a'+len(cases)))+".npy")
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{c.rows, c.cols}
		if c.oneD {
			shape = []int{c.cols}
			err = WriteNpyComplex1D(f, re, im)
		} else {
			err = WriteNpyComplex(f, c.rows, c.cols, re, im, c.fortran)
		}
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		cases = append(cases, want{File: name, Shape: shape, Fortran: c.fortran, Re: re, Im: im})
	}
	// JSON cannot hold NaN or Inf: send their bit patterns.
	type wire struct {
		File    string
		Shape   []int
		Fortran bool
		Re, Im  []uint64
	}
	var w []wire
	for _, c := range cases {
		x := wire{File: c.File, Shape: c.Shape, Fortran: c.Fortran}
		for i := range c.Re {
			x.Re = append(x.Re, math.Float64bits(c.Re[i]))
			x.Im = append(x.Im, math.Float64bits(c.Im[i]))
		}
		w = append(w, x)
	}
	spec, _ := json.Marshal(w)
	const check = `
import json, sys
import numpy as np
for c in json.load(sys.stdin):
    a = np.load(c["File"])
    assert a.dtype == np.complex128, (c["File"], a.dtype)
    assert list(a.shape) == c["Shape"], (c["File"], a.shape)
    order = "F" if c["Fortran"] else "C"
    if a.ndim == 2 and a.size > 1:
        assert a.flags.f_contiguous == c["Fortran"], (c["File"], a.flags)
    flat = a.ravel(order=order)
    re = np.array(c["Re"] or [], dtype=np.uint64).view(np.float64)
    im = np.array(c["Im"] or [], dtype=np.uint64).view(np.float64)
    assert flat.real.view(np.uint64).tolist() == re.view(np.uint64).tolist(), c["File"]
    assert flat.imag.view(np.uint64).tolist() == im.view(np.uint64).tolist(), c["File"]
print("ok")
`
	cmd := exec.Command(python, "-c", check)
	cmd.Stdin = bytes.NewReader(spec)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok") {
		t.Fatalf("NumPy check: %v\n%s", err, out)
	}
}
