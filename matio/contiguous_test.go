package matio

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// TestContiguous: for a little-endian float64 C-order .npy (2-D and a
// stack) and a raw .f64, the bytes at the offset Contiguous gives are the
// values Read gives, item after item; every other kind of file says no.
func TestContiguous(t *testing.T) {
	if !hostLittleEndian() {
		t.Skip("a big-endian machine: nothing is contiguous")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	vals := make([]float64, 3*4*5)
	for i := range vals {
		vals[i] = rng.NormFloat64()
	}
	var npy bytes.Buffer
	WriteNpyHeader(&npy, []int{3, 4, 5}, false)
	WriteFloat64s(&npy, vals)
	var raw bytes.Buffer
	WriteFloat64s(&raw, vals)
	var fort bytes.Buffer
	WriteNpy(&fort, 4, 5, vals[:20], true)
	for _, c := range []struct {
		name string
		b    []byte
		opt  Options
		ok   bool
	}{
		{"s.npy", npy.Bytes(), Options{}, true},
		{"r.f64", raw.Bytes(), Options{Shape: []int{3, 4, 5}}, true},
		{"f.npy", fort.Bytes(), Options{}, false},
		{"t.csv", []byte("1,2\n3,4\n"), Options{}, false},
	} {
		r, err := NewReaderWith(bytes.NewReader(c.b), int64(len(c.b)), c.name, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		it, err := r.Next()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		off, ok := r.Contiguous()
		if ok != c.ok {
			t.Fatalf("%s: contiguous %v, want %v", c.name, ok, c.ok)
		}
		if !ok {
			continue
		}
		n := it.Rows * it.Cols
		for i := 0; ; i++ {
			want := make([]float64, n)
			if err := r.Read(want); err != nil {
				t.Fatal(err)
			}
			for j := range want {
				got := math.Float64frombits(binary.LittleEndian.Uint64(c.b[off+int64(8*(i*n+j)):]))
				if got != want[j] {
					t.Fatalf("%s item %d [%d]: %v at the offset, Read %v", c.name, i, j, got, want[j])
				}
			}
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
