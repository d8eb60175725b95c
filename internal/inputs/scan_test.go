package inputs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
)

// TestScan: a 2-D file is one run, a stack one run of Count k with ids
// PATH[i], an archive's members in order with ids PATH:NAME (a duplicate
// name NAME\#2), each bad member one failed run among the good ones; the
// ids of the runs are those matio's Next gives stepping through every
// item, File.Item maps each index to its run and only those, and the
// set's Items and Todo count everything.
func TestScan(t *testing.T) {
	dir := t.TempDir()
	flat, stack, one := filepath.Join(dir, "m.npy"), filepath.Join(dir, "s.npy"), filepath.Join(dir, "one.npy")
	writeNpy(t, flat, 3, 2)
	writeNpy(t, stack, 4, 3, 2)
	writeNpy(t, one, 1, 2, 5)
	npz := filepath.Join(dir, "z.npz")
	writeNpz(t, npz,
		member{name: "a.npy", shape: []int{2, 3}},
		member{name: "bad.npy", raw: bytes.Replace(npyBytes(t, 1, 2, 2), []byte("'descr'"), []byte("'dscr'"), 1)},
		member{name: "s.npy", shape: []int{3, 2, 2}},
		member{name: "notes.txt", raw: []byte("hello")},
		member{name: "v.npy", raw: npy1D(t, 4)},
		member{name: "a.npy", shape: []int{1, 1}},
		member{name: "t.npy", shape: []int{2, 4, 1}},
	)
	type run struct {
		id         string
		stack      bool
		rows, cols int
		count      int
		err        error
	}
	want := map[string][]run{
		flat:  {{flat, false, 3, 2, 1, nil}},
		stack: {{stack + "[0]", true, 3, 2, 4, nil}},
		one:   {{one + "[0]", false, 2, 5, 1, nil}},
		npz: {
			{npz + ":a", false, 2, 3, 1, nil},
			{npz + ":bad", false, 0, 0, 1, matio.ErrHeader},
			{npz + ":s[0]", true, 2, 2, 3, nil},
			{npz + ":notes.txt", false, 0, 0, 1, matio.ErrNotNumPy},
			{npz + ":v", false, 0, 0, 1, matio.ErrShape},
			{npz + `:a\#2`, false, 1, 1, 1, nil},
			{npz + ":t[0]", true, 4, 1, 2, nil},
		},
	}
	args := []string{flat, stack, one, npz}
	set := scan(t, args, false, Options{})
	checkSet(t, &set)
	if !slices.Equal(pathsOf(&set), args) {
		t.Fatalf("files %q, want %q", pathsOf(&set), args)
	}
	total := 0
	for _, f := range set.Files {
		var got []run
		for _, r := range f.Runs {
			got = append(got, run{r.ID0, r.Stack, r.Rows, r.Cols, r.Count, nil})
		}
		w := want[f.Path]
		if len(got) != len(w) {
			t.Errorf("%s: runs %+v, want %+v", f.Path, got, w)
			continue
		}
		for i := range w {
			if w[i].err != nil {
				if !errors.Is(f.Runs[i].Err, w[i].err) {
					t.Errorf("%s run %d: error %v, want %v", f.Path, i, f.Runs[i].Err, w[i].err)
				}
				got[i].rows, got[i].cols = w[i].rows, w[i].cols // a bad member's shape is unknown
			} else if f.Runs[i].Err != nil {
				t.Errorf("%s run %d: error %v", f.Path, i, f.Runs[i].Err)
			}
			got[i].err = w[i].err
			if got[i] != w[i] {
				t.Errorf("%s run %d: %+v, want %+v", f.Path, i, got[i], w[i])
			}
		}

		// Every item, as matio's Next steps through them.
		ref := readIDs(t, f.Path)
		if f.Items != len(ref) {
			t.Errorf("%s: %d items, matio's Next steps through %d (%q)", f.Path, f.Items, len(ref), ref)
		}
		for i, id := range ref {
			r, k, ok := f.Item(i)
			if !ok || r.ID(k) != id {
				t.Errorf("%s: Item(%d) = run %s item %d (%v), want the item %s", f.Path, i, r.ID0, k, ok, id)
			}
		}
		for _, i := range []int{-1, len(ref), len(ref) + 1} {
			if r, k, ok := f.Item(i); ok {
				t.Errorf("%s: Item(%d) = run %s item %d, want none (%d items)", f.Path, i, r.ID0, k, len(ref))
			}
		}
		total += len(ref)
	}
	if set.Items() != total || set.Todo() != total {
		t.Errorf("Items %d, Todo %d, want %d", set.Items(), set.Todo(), total)
	}

	// Todo is what is left: taking spans away counts in Todo, not Items.
	set.Files[1].Todo = []Span{{1, 2}}
	set.Files[3].Todo = []Span{{0, 1}, {5, 3}}
	set.Files[0].Todo = nil
	if got, want := 0+2+1+4, set.Todo(); got != want || set.Items() != total {
		t.Errorf("after taking items away: Todo %d, Items %d, want %d and %d", got, set.Items(), want, total)
	}
}

// npy1D is a 1-D .npy file, which is no matrix.
func npy1D(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := matio.WriteNpy1D(&b, make([]float64, n)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestScanAnyFile: with AnyFile every file is one item with the path's
// id, whatever its content, and no header is read.
func TestScanAnyFile(t *testing.T) {
	dir := t.TempDir()
	stack, junk := filepath.Join(dir, "s.npy"), filepath.Join(dir, "junk.npy")
	writeNpy(t, stack, 3, 2, 2)
	writeFile(t, junk, []byte("\x93NUMPY not really"))
	set := scan(t, []string{dir}, false, Options{AnyFile: true})
	checkSet(t, &set)
	if set.Items() != 2 {
		t.Fatalf("%d items, want 2: %+v", set.Items(), set.Files)
	}
	for _, f := range set.Files {
		if len(f.Runs) != 1 || f.Runs[0].Err != nil || f.Runs[0].ID0 != matio.EscapeID(f.Path) || f.Runs[0].Rows != 0 {
			t.Errorf("%s: runs %+v", f.Path, f.Runs)
		}
	}
}

// TestScanIDs: Scan gives each file the identity Expand found, and a zero
// one without ids.
func TestScanIDs(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		writeNpy(t, filepath.Join(dir, fmt.Sprintf("%d.npy", i)), 2, 2)
	}
	paths, ids, _ := expand(t, []string{dir}, Options{})
	for _, with := range []bool{true, false} {
		var set Set
		var err error
		pass := ids
		if !with {
			pass = nil
		}
		within(t, "Scan", func() { set, err = Scan(context.Background(), paths, pass, false, Options{}) })
		if err != nil || len(set.Files) != len(paths) {
			t.Fatalf("Scan: %+v, %v", set, err)
		}
		for i, f := range set.Files {
			want := safefile.ID{}
			if with {
				want = ids[i]
			}
			if f.ID != want || want == (safefile.ID{}) && with {
				t.Errorf("ids given %v: file %s has id %v", with, f.Path, f.ID)
			}
		}
	}
}

// TestScanCancelled: a context already done makes Scan return its error
// and no set, whatever the number of paths, without leaving a worker
// behind (TestMain checks); an empty list is an empty set.
func TestScanCancelled(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 300 {
		p := filepath.Join(dir, strconv.Itoa(i)+".npy")
		writeNpy(t, p, 2, 2)
		paths = append(paths, p)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	for _, c := range []struct {
		name string
		ctx  context.Context
		n    int
		want error
	}{
		{"cancelled", cancelled, len(paths), context.Canceled},
		{"deadline passed", expired, len(paths), context.DeadlineExceeded},
		{"cancelled, one path", cancelled, 1, context.Canceled},
		{"cancelled, no path", cancelled, 0, context.Canceled},
	} {
		t.Run(c.name, func(t *testing.T) {
			var set Set
			var err error
			within(t, "Scan", func() { set, err = Scan(c.ctx, paths[:c.n], nil, false, Options{}) })
			if !errors.Is(err, c.want) || len(set.Files) != 0 {
				t.Errorf("Scan = %d files, %v; want none and %v", len(set.Files), err, c.want)
			}
		})
	}
	var set Set
	var err error
	within(t, "Scan", func() { set, err = Scan(context.Background(), nil, nil, false, Options{}) })
	if err != nil || len(set.Files) != 0 || set.Items() != 0 || set.Todo() != 0 {
		t.Errorf("Scan of no paths = %+v, %v", set, err)
	}
}

// TestScanDirect: a little-endian float64 C-order .npy is marked Direct,
// its Offset where matio says its data begins and its Head the hash of the
// bytes before it; a raw .f64 (read through its sidecar) and text files are
// not.
func TestScanDirect(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.npy")
	writeNpy(t, small, 3, 4, 5)
	raw := filepath.Join(dir, "r.f64")
	os.WriteFile(raw, make([]byte, 8*6), 0o644)
	os.WriteFile(raw+".shape", []byte("2 3\n"), 0o644)
	csv := filepath.Join(dir, "c.csv")
	os.WriteFile(csv, []byte("1,2\n3,4\n"), 0o644)
	paths, ids, _ := Expand([]string{dir}, Options{})
	set, err := Scan(context.Background(), paths, ids, false, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Files {
		run := f.Runs[0]
		switch filepath.Base(f.Path) {
		case "small.npy":
			b, _ := os.ReadFile(f.Path)
			r, _ := matio.Open(f.Path)
			r.Next()
			off, _ := r.Contiguous()
			r.Close()
			if !run.Direct || run.Offset != off || f.Head != HeadHash(b[:off]) || f.Items != 3 {
				t.Errorf("small.npy: direct %v offset %d (matio %d), head %x", run.Direct, run.Offset, off, f.Head)
			}
		case "r.f64", "c.csv":
			if run.Direct || run.Err != nil {
				t.Errorf("%s: %+v", f.Path, run)
			}
		}
	}
}
