package batch

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// TestSources: a run over parts of files gives exactly the records of those
// items, with the items' own ids and the values of a whole-file run; a
// missing file is one failed record; a First past the end gives nothing;
// ChunkItems 1 writes a record per item; FirstLane numbers the workers.
func TestSources(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "s.npy")
	writeStack(t, stack, 10, 5, 4, 21)
	npz := filepath.Join(dir, "z.npz")
	{
		f, err := os.Create(npz)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		for _, name := range []string{"a.npy", "b.npy"} {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
			if err != nil {
				t.Fatal(err)
			}
			if err := matio.WriteNpyHeader(w, []int{3, 2, 2}, false); err != nil {
				t.Fatal(err)
			}
			matio.WriteFloat64s(w, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	missing := filepath.Join(dir, "none.npy")
	spec, _ := kernels.Lookup("svdvals")

	var whole syncBuffer
	if _, err := Run(context.Background(), Config{Inputs: []string{stack, npz}, Kernel: spec, Out: &whole}); err != nil {
		t.Fatal(err)
	}
	ref := map[string]rec{}
	for _, r := range decode(t, whole.b.Bytes()) {
		ref[r.Input] = r
	}

	var out syncBuffer
	var calls int
	sum, err := Run(context.Background(), Config{
		Sources: []Source{
			{Path: stack, First: 2, Count: 3},
			{Path: stack, First: 8},
			{Path: stack, First: 12},
			{Path: npz, First: 2, Count: 3},
			{Path: missing, First: 5, Count: 1},
		},
		Inputs:     []string{"ignored.npy"},
		Kernel:     spec,
		Outer:      2,
		ChunkItems: 1,
		FirstLane:  5,
		Out:        &out,
		Progress:   func(Summary) { calls++ },
	})
	if err != nil || sum.OK != 8 || sum.Failed != 1 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	if calls != 9 {
		t.Errorf("%d progress calls with ChunkItems 1, want one per item (9)", calls)
	}
	var ids []string
	for _, r := range decode(t, out.b.Bytes()) {
		ids = append(ids, r.Input)
		if r.Lane != 5 && r.Lane != 6 {
			t.Errorf("%s: lane %d, want 5 or 6", r.Input, r.Lane)
		}
		if r.Input == missing {
			if r.OK {
				t.Errorf("missing file succeeded")
			}
			continue
		}
		if !r.OK || !slices.Equal(r.Values, ref[r.Input].Values) {
			t.Errorf("%s: %+v, want %+v", r.Input, r, ref[r.Input])
		}
	}
	slices.Sort(ids)
	want := []string{missing, stack + "[2]", stack + "[3]", stack + "[4]", stack + "[8]", stack + "[9]", npz + ":a[2]", npz + ":b[0]", npz + ":b[1]"}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("ids %q, want %q", ids, want)
	}

	if _, err := Run(context.Background(), Config{Sources: []Source{{Path: stack, Count: -1}}, Kernel: spec}); err == nil {
		t.Error("a negative Count was accepted")
	}
}
