package inputs

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
)

// TestMain fails the package's tests if any goroutine they started (Scan's
// workers, or a call left blocking past a deadline) is still running when
// they finish.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// hangLimit is how long a call that must not block may take before the test
// says it blocks. It is a guard against a hang, not a timing assertion: the
// calls it guards take milliseconds.
const hangLimit = 20 * time.Second

// within runs f on its own goroutine and fails the test if it has not
// returned within hangLimit (what names the call).
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(hangLimit):
		t.Fatalf("%s has not returned after %v: it blocks", what, hangLimit)
	}
}

// expand is Expand under the hang guard.
func expand(t *testing.T, args []string, opt Options) (paths []string, ids []safefile.ID, warnings []string) {
	t.Helper()
	within(t, "Expand", func() { paths, ids, warnings = Expand(args, opt) })
	if len(ids) != len(paths) {
		t.Fatalf("Expand(%q): %d paths but %d ids", args, len(paths), len(ids))
	}
	return paths, ids, warnings
}

// scan is Scan of the expansion of args under the hang guard; it fails
// the test on an error.
func scan(t *testing.T, args []string, pairwise bool, opt Options) Set {
	t.Helper()
	var set Set
	var err error
	within(t, "Expand and Scan", func() {
		paths, ids, warnings := Expand(args, opt)
		set, err = Scan(context.Background(), paths, ids, pairwise, opt)
		set.Warnings = append(warnings, set.Warnings...)
	})
	if err != nil {
		t.Fatalf("Scan(%q): %v", args, err)
	}
	return set
}

// writeFile writes b to path, making its directory.
func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// npyBytes returns a .npy file of the given 2-D or 3-D shape holding
// seeded random values, written with matio's writer.
func npyBytes(t *testing.T, seed uint64, shape ...int) []byte {
	t.Helper()
	n := 1
	for _, d := range shape {
		n *= d
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	data := make([]float64, n)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	var b bytes.Buffer
	if len(shape) == 2 {
		if err := matio.WriteNpy(&b, shape[0], shape[1], data, false); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if err := matio.WriteNpyHeader(&b, shape, false); err != nil {
		t.Fatal(err)
	}
	if err := matio.WriteFloat64s(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeNpy writes a .npy file of the given shape.
func writeNpy(t *testing.T, path string, shape ...int) {
	t.Helper()
	writeFile(t, path, npyBytes(t, uint64(len(path)), shape...))
}

// member is one member of an .npz written by writeNpz: a .npy of shape,
// or raw bytes when raw is not nil.
type member struct {
	name  string
	shape []int
	raw   []byte
}

// writeNpz writes an archive of the members in order (deflated).
func writeNpz(t *testing.T, path string, members ...member) {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i, m := range members {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		data := m.raw
		if data == nil {
			data = npyBytes(t, uint64(i), m.shape...)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

// itemIDs lists the ids of every item of the set, in order.
func itemIDs(s *Set) []string {
	var ids []string
	for _, f := range s.Files {
		for _, r := range f.Runs {
			for i := range r.Count {
				ids = append(ids, r.ID(i))
			}
		}
	}
	return ids
}

// checkSet checks what every scanned set must satisfy: ids unique and
// valid one-line UTF-8, each file's Items the sum of its runs' counts and
// Todo all of them, a failed run counting one item.
func checkSet(t *testing.T, s *Set) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range itemIDs(s) {
		if seen[id] {
			t.Errorf("id %q is given to two items", id)
		}
		seen[id] = true
		if !oneLine(id) {
			t.Errorf("id %q is not one printable line of valid UTF-8", id)
		}
	}
	for _, f := range s.Files {
		n := 0
		for _, r := range f.Runs {
			n += r.Count
			if r.Err != nil && r.Count != 1 {
				t.Errorf("%s: failed run %s counts %d items, want 1", f.Path, r.ID0, r.Count)
			}
			if r.Err != nil && !oneLine(r.Err.Error()) {
				t.Errorf("%s: error %q is not one printable line", f.Path, r.Err.Error())
			}
		}
		if f.Items != n {
			t.Errorf("%s: Items %d, its runs count %d", f.Path, f.Items, n)
		}
		want := []Span{{0, n}}
		if n == 0 {
			want = nil
		}
		if !slices.Equal(f.Todo, want) {
			t.Errorf("%s: Todo %v, want %v", f.Path, f.Todo, want)
		}
	}
	for _, w := range s.Warnings {
		if !oneLine(w) {
			t.Errorf("warning %q is not one printable line", w)
		}
	}
}

// oneLine reports whether s is valid UTF-8 without control characters
// (C0, DEL, C1): one printable line.
func oneLine(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// runsOf returns the runs of the file whose Path is p.
func runsOf(t *testing.T, s *Set, p string) []Run {
	t.Helper()
	for _, f := range s.Files {
		if f.Path == p {
			return f.Runs
		}
	}
	t.Fatalf("no file %q in the set (files %q)", p, pathsOf(s))
	return nil
}

func pathsOf(s *Set) []string {
	var ps []string
	for _, f := range s.Files {
		ps = append(ps, f.Path)
	}
	return ps
}

// readIDs lists the ids of every item of path by stepping through it with
// matio's Next (no Skip, no Following), failures as matio.ErrorID gives
// them: the reference Scan's runs must expand to.
func readIDs(t *testing.T, path string) []string {
	t.Helper()
	r, err := matio.Open(path)
	if err != nil {
		return []string{matio.ErrorID(path, err)}
	}
	defer r.Close()
	var ids []string
	for {
		it, err := r.Next()
		if errors.Is(err, io.EOF) {
			return ids
		}
		if err != nil {
			ids = append(ids, matio.ErrorID(path, err))
			continue
		}
		ids = append(ids, it.ID)
	}
}
