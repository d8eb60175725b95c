package matio

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// readRest is readAll from an open reader: every remaining item, each read.
func readRest(t *testing.T, r *Reader) []event {
	t.Helper()
	var evs []event
	for range 1000 {
		it, err := r.Next()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			evs = append(evs, event{Err: err})
			continue
		}
		ev := event{ID: it.ID, Rows: it.Rows, Cols: it.Cols, Vals: make([]float64, it.Rows*it.Cols)}
		if err := r.Read(ev.Vals); err != nil {
			ev.Err = err
		}
		evs = append(evs, ev)
	}
	t.Fatal("Next never returns io.EOF")
	return nil
}

// sameEvents compares events by identity, shape, values and error text.
func sameEvents(a, b []event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.ID != y.ID || x.Rows != y.Rows || x.Cols != y.Cols || !sameBits(x.Vals, y.Vals) ||
			fmt.Sprint(x.Err) != fmt.Sprint(y.Err) {
			return false
		}
	}
	return true
}

// TestSkipItems checks that Skip(n) followed by Next and Read gives exactly
// the items from n on that reading every item gives, for every n, in .npy
// files of each order and in archives mixing stored, deflated and bad
// members; and that Skip past the end returns io.EOF.
func TestSkipItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	dir := t.TempDir()
	cStack, _ := randomArray(rng, "<f8", false, []int{5, 40, 30})
	cFile := npyFile(1, dictFor("<f8", false, 5, 40, 30), cStack)
	fStack, _ := randomArray(rng, ">i2", true, []int{4, 3, 2})
	fFile := npyFile(2, dictFor(">i2", true, 4, 3, 2), fStack)
	mat, _ := randomArray(rng, "<f4", false, []int{6, 7})
	matFile := npyFile(1, dictFor("<f4", false, 6, 7), mat)
	bad := npyFile(1, dictFor("<f8", false, 4), make([]byte, 32)) // 1-D

	files := map[string][]byte{
		"c.npy":    cFile,
		"f.npy":    fFile,
		"m.npy":    matFile,
		"bad.npy":  bad,
		"junk.npy": []byte("\x93NUMPY\x01\x00\x04\x00{}\n"),
		"mix.npz": zipFile(t,
			zipMember{name: "a.npy", body: cFile},
			zipMember{name: "readme.txt", body: []byte("hi")},
			zipMember{name: "b.npy", body: fFile, deflate: true},
			zipMember{name: "c.npy", body: bad},
			zipMember{name: "d.npy", body: cFile, deflate: true},
			zipMember{name: "e.npy", body: matFile},
			zipMember{name: "f.npy", body: fFile}),
	}
	for name, b := range files {
		path := writeFile(t, dir, name, b)
		all := readAll(t, path, nil)
		for n := 0; n <= len(all)+1; n++ {
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			err = r.Skip(n)
			if n > len(all) && err != io.EOF || n <= len(all) && err != nil {
				t.Errorf("%s: Skip(%d) of %d items = %v", name, n, len(all), err)
			}
			got := readRest(t, r)
			r.Close()
			if want := all[min(n, len(all)):]; !sameEvents(got, want) {
				t.Errorf("%s: after Skip(%d): %d events differ from the last %d of reading all", name, n, len(got), len(want))
			}
		}
	}
}

// countingReaderAt counts the bytes read through it.
type countingReaderAt struct {
	ra io.ReaderAt
	n  int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.ra.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestSkipSeeks checks that skipping most of a large C-ordered .npy stack,
// or of a stored .npz member, reads little more than the item after it.
func TestSkipSeeks(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	dir := t.TempDir()
	const k, m, n = 40, 100, 100 // 80 kB items, 3.2 MB in all
	data, want := randomArray(rng, "<f8", false, []int{k, m, n})
	file := npyFile(1, dictFor("<f8", false, k, m, n), data)
	for _, c := range []struct{ name, id string }{{"big.npy", ""}, {"big.npz", ":x"}} {
		b := file
		if c.id != "" {
			b = zipFile(t, zipMember{name: "x.npy", body: file})
		}
		path := writeFile(t, dir, c.name, b)
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ra := &countingReaderAt{ra: f}
		r, err := NewReader(ra, int64(len(b)), path)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Skip(k - 2); err != nil {
			t.Fatal(err)
		}
		if err := r.Read(make([]float64, m*n)); err == nil {
			t.Error("Read after Skip succeeded without a current item")
		}
		it, err := r.Next()
		if err != nil || it.ID != fmt.Sprintf("%s%s[%d]", path, c.id, k-2) {
			t.Fatalf("%s: Next after Skip = %v, %v", c.name, it, err)
		}
		got := make([]float64, m*n)
		if err := r.Read(got); err != nil || !sameBits(got, want[(k-2)*m*n:(k-1)*m*n]) {
			t.Errorf("%s: item after Skip differs (%v)", c.name, err)
		}
		if ra.n > int64(len(b))/4 {
			t.Errorf("%s: skipping %d of %d items read %d of %d bytes", c.name, k-2, k, ra.n, len(b))
		}
		if err := r.Skip(5); err != io.EOF {
			t.Errorf("%s: Skip past the end = %v, want io.EOF", c.name, err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Errorf("%s: Next after skipping to the end = %v, want io.EOF", c.name, err)
		}
		r.Close()
		if err := r.Skip(1); !errors.Is(err, errClosed) {
			t.Errorf("Skip after Close = %v", err)
		}
	}
}

// TestFollowing: after the first item of a stack, Following counts the
// rest, and skipping them reaches the end.
func TestFollowing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.npy")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteNpyHeader(f, []int{5, 2, 3}, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteFloat64s(f, make([]float64, 5*2*3)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Following(); got != 0 {
		t.Fatalf("before Next: Following = %d", got)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if got := r.Following(); got != 4 {
		t.Fatalf("Following = %d, want 4", got)
	}
	if err := r.Skip(4); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after skipping the rest: %v, want io.EOF", err)
	}
}
