//go:build linux

package lanes_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
)

func lookup(t *testing.T, name string) kernels.Spec {
	t.Helper()
	spec, err := kernels.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// TestChunksOfTinyItems: thousands of tiny items of one stack arrive once
// each, in several chunks, with values equal to a direct kernel call (the
// pure-Go LAPACK), for lane counts and slab sizes that split the stack
// unevenly; every Write is whole records.
func TestChunksOfTinyItems(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.npy")
	const k, m, n = 3001, 4, 3
	mats := writeStack(t, p, k, m, n, 1)
	spec := lookup(t, "svdvals")
	tasks, _ := scan(t, spec, p)
	ref := spec.NewWith(blas.Gonum{}, kernels.Options{})
	for _, outer := range []int{1, 2, 3} {
		for _, slab := range []int{0, 100, 8 * m * n * 7} {
			var out lineWriter
			var calls int
			c, err := lanes.Run(context.Background(), nil, lanes.Options{
				Kernel: spec, Outer: outer, Out: &out, SlabBytes: slab,
				Progress: func(lanes.Counts) { calls++ },
			}, tasks)
			if err != nil || c.OK != k || c.Failed != 0 || out.err() != nil {
				t.Fatalf("outer=%d slab=%d: %+v %v %v", outer, slab, c, err, out.err())
			}
			if calls < 2 || out.writes < 2 {
				t.Errorf("outer=%d slab=%d: items were not chunked (%d progress calls, %d writes)", outer, slab, calls, out.writes)
			}
			got := records(t, out.bytes())
			if len(got) != k {
				t.Fatalf("outer=%d slab=%d: %d distinct records, want %d", outer, slab, len(got), k)
			}
			for id, r := range got {
				i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(id, p+"["), "]"))
				if err != nil || i < 0 || i >= k {
					t.Fatalf("outer=%d slab=%d: id %q", outer, slab, id)
				}
				if r.Lane < 0 || r.Lane >= outer || r.Rows != m || r.Cols != n {
					t.Fatalf("outer=%d slab=%d: %s: lane %d, %d×%d", outer, slab, id, r.Lane, r.Rows, r.Cols)
				}
				want, err := ref.Run(m, n, slices.Clone(mats[i]), false)
				if err != nil {
					t.Fatal(err)
				}
				gotV := floats(t, r, "singular_values")
				if len(gotV) != len(want.Values) {
					t.Fatalf("%s: %d values, want %d", id, len(gotV), len(want.Values))
				}
				for j := range want.Values {
					if !relClose(gotV[j], want.Values[j], want.Values[0], 1e-12) {
						t.Fatalf("outer=%d slab=%d: %s σ[%d] = %v, want %v", outer, slab, id, j, gotV[j], want.Values[j])
					}
				}
			}
		}
	}
}

// TestBadItemsDoNotStopGoodOnes: a file overwritten with garbage after the
// scan, a file deleted after it and a NaN matrix each fail alone, naming
// their file; the items around them succeed.
func TestBadItemsDoNotStopGoodOnes(t *testing.T) {
	dir := t.TempDir()
	good1 := filepath.Join(dir, "a.npy")
	writeStack(t, good1, 5, 6, 6, 2)
	garbage := filepath.Join(dir, "b.npy")
	writeStack(t, garbage, 2, 3, 3, 3)
	nan := filepath.Join(dir, "c.npy")
	writeMats(t, nan, 2, 2, [][]float64{{1, math.NaN(), 3, 4}}, false)
	good2 := filepath.Join(dir, "d.npy")
	writeStack(t, good2, 3, 2, 7, 4)
	missing := filepath.Join(dir, "e.npy")
	writeStack(t, missing, 0, 3, 3, 5)
	spec := lookup(t, "svd")
	tasks, bad := scan(t, spec, good1, garbage, nan, good2, missing)
	if len(bad) != 0 || total(tasks) != 12 {
		t.Fatalf("scan: %d items, bad %q", total(tasks), bad)
	}
	if err := os.WriteFile(garbage, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}
	var out lineWriter
	c, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Outer: 2, Out: &out}, tasks)
	if err != nil || out.err() != nil {
		t.Fatal(err, out.err())
	}
	if c.OK != 8 || c.Failed != 4 {
		t.Fatalf("counts %+v, want 8 ok and 4 failed", c)
	}
	failed := map[string]string{garbage + "[0]": garbage, garbage + "[1]": garbage, nan: nan, missing: missing}
	for id, r := range records(t, out.bytes()) {
		file, wantFail := failed[id]
		switch {
		case r.OK == wantFail:
			t.Errorf("%s: ok %v: %s", id, r.OK, r.Error)
		case wantFail && !strings.HasPrefix(r.Error, file):
			t.Errorf("%s: error %q does not start with its file", id, r.Error)
		}
	}
	if !strings.HasPrefix(c.FirstError, garbage) && !strings.HasPrefix(c.FirstError, nan) && !strings.HasPrefix(c.FirstError, missing) {
		t.Errorf("first error %q", c.FirstError)
	}
}

// TestTasks: parts of files give exactly the records of those items, with
// the items' own ids and the values of a whole-file run; a file deleted
// since the scan is one failed record; ChunkItems 1 reports progress once
// per item; FirstLane numbers the lanes; a task with a bad First or Count
// is refused before anything runs.
func TestTasks(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "s.npy")
	writeStack(t, stack, 10, 5, 4, 21)
	npz := filepath.Join(dir, "z.npz")
	writeNpz(t, npz, map[string][][]float64{"a": randomMats(3, 2, 2, 1), "b": randomMats(3, 2, 3, 2)})
	missing := filepath.Join(dir, "none.npy")
	writeStack(t, missing, 0, 2, 2, 3)
	spec := lookup(t, "svdvals")
	tasks, _ := scan(t, spec, stack, npz, missing)
	if len(tasks) != 4 {
		t.Fatalf("%d tasks from the scan: %+v", len(tasks), tasks)
	}
	var whole lineWriter
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &whole}, tasks); err != nil {
		t.Fatal(err)
	}
	ref := records(t, whole.bytes())
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}

	var out lineWriter
	var calls int
	c, err := lanes.Run(context.Background(), nil, lanes.Options{
		Kernel: spec, Outer: 2, ChunkItems: 1, FirstLane: 5, Out: &out,
		Progress: func(lanes.Counts) { calls++ },
	}, []lanes.Task{part(tasks[0], 2, 3), part(tasks[0], 8, 2), part(tasks[1], 2, 1), part(tasks[2], 3, 2), tasks[3]})
	if err != nil || c.OK != 8 || c.Failed != 1 {
		t.Fatalf("counts %+v, %v", c, err)
	}
	if calls != 9 {
		t.Errorf("%d progress calls with ChunkItems 1, want one per item (9)", calls)
	}
	var ids []string
	for id, r := range records(t, out.bytes()) {
		ids = append(ids, id)
		if r.Lane != 5 && r.Lane != 6 {
			t.Errorf("%s: lane %d, want 5 or 6", id, r.Lane)
		}
		if id == missing {
			if r.OK || !strings.Contains(r.Error, "no such file") || r.Rows != 2 {
				t.Errorf("the deleted file: %+v", r)
			}
			continue
		}
		if !r.OK || !slices.Equal(floats(t, r, "singular_values"), floats(t, ref[id], "singular_values")) || r.Rows != ref[id].Rows {
			t.Errorf("%s: %+v, the whole run gave %+v", id, r, ref[id])
		}
	}
	slices.Sort(ids)
	want := []string{missing, stack + "[2]", stack + "[3]", stack + "[4]", stack + "[8]", stack + "[9]", npz + ":a[2]", npz + ":b[0]", npz + ":b[1]"}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("ids %q, want %q", ids, want)
	}

	for _, bad := range []lanes.Task{part(tasks[0], -1, 2), part(tasks[0], 0, 0), part(tasks[0], 0, -3)} {
		var out lineWriter
		for _, process := range []bool{false, true} {
			_, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &out, Process: process, Exe: "/nonexistent"},
				[]lanes.Task{tasks[0], bad})
			if err == nil || !strings.Contains(err.Error(), "bad First") {
				t.Errorf("process=%v: First %d, Count %d: Run = %v", process, bad.First, bad.Count, err)
			}
		}
		if len(out.bytes()) != 0 {
			t.Errorf("First %d, Count %d: records written: %s", bad.First, bad.Count, out.bytes())
		}
	}
}

// writeNpz writes an .npz whose members are 3-D stacks.
func writeNpz(t *testing.T, path string, members map[string][][]float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		mats := members[name]
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		rows := 2
		cols := len(mats[0]) / rows
		if err := matio.WriteNpyHeader(w, []int{len(mats), rows, cols}, false); err != nil {
			t.Fatal(err)
		}
		for _, m := range mats {
			if err := matio.WriteFloat64s(w, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryBounded: however many items, the in-process pipeline holds at
// most Outer+ReadAhead slabs: with one large item per chunk, the kernel is
// handed matrices from at most that many distinct buffers. (The test keeps
// every buffer it saw alive, so a fresh allocation can never reuse the
// address of one.)
func TestMemoryBounded(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 24 {
		p := filepath.Join(dir, fmt.Sprintf("m%02d.npy", i))
		writeStack(t, p, 0, 128, 128, uint64(i))
		files = append(files, p)
	}
	for _, c := range []struct{ outer, readAhead, bound int }{
		{2, 1, 3},
		{2, -1, 2},
		{1, 0, 3}, // 0 means 2
		{3, 2, 5},
	} {
		var mu sync.Mutex
		slabs := map[*float64]bool{}
		spec := probeSpecWith(false, nil, func(a []float64) {
			mu.Lock()
			defer mu.Unlock()
			slabs[&a[0]] = true
		})
		tasks, _ := scan(t, spec, files...)
		n, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Outer: c.outer, ReadAhead: c.readAhead, SlabBytes: 1}, tasks)
		if err != nil || n.OK != len(files) {
			t.Fatalf("outer=%d readahead=%d: %+v %v", c.outer, c.readAhead, n, err)
		}
		if len(slabs) > c.bound {
			t.Errorf("outer=%d readahead=%d: items in %d buffers, want at most Outer+ReadAhead = %d", c.outer, c.readAhead, len(slabs), c.bound)
		}
	}
}

// TestFallbackRecorded: an item whose dgesdd does not converge is a failed
// record naming the routine and info; with Fallback it is computed by
// dgesvd and its record says so.
func TestFallbackRecorded(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.npy")
	writeStack(t, p, 2, 5, 4, 7)
	spec := lookup(t, "svd")
	tasks, _ := scan(t, spec, p)
	for _, fallback := range []bool{false, true} {
		var out lineWriter
		impl := &kerneltest.Failing{LAPACK: blas.Gonum{}, DgesddInfo: 7}
		c, err := lanes.Run(context.Background(), nil, lanes.Options{
			Kernel: spec, LAPACK: impl, KernelOptions: kernels.Options{Fallback: fallback}, Out: &out,
		}, tasks)
		if err != nil {
			t.Fatal(err)
		}
		got := records(t, out.bytes())
		if len(got) != 2 {
			t.Fatalf("fallback=%v: %d records", fallback, len(got))
		}
		for id, r := range got {
			switch {
			case !fallback && (r.OK || !strings.Contains(r.Error, "dgesdd failed with info=7") || !strings.HasPrefix(r.Error, id+": ")):
				t.Errorf("without fallback: %s: %+v", id, r)
			case fallback && (!r.OK || r.Fallback != "dgesvd"):
				t.Errorf("with fallback: %s: %+v", id, r)
			}
		}
		if fallback && c.OK != 2 || !fallback && c.Failed != 2 {
			t.Errorf("fallback=%v: %+v", fallback, c)
		}
		if fallback && !slices.Equal(impl.Calls, []string{"dgesdd", "dgesvd", "dgesdd", "dgesvd"}) {
			t.Errorf("fallback: LAPACK calls %q", impl.Calls)
		}
	}
}

// TestKernelPanicInProcess: a panic inside a kernel is its item's failed
// record, its stack goes to Debug, and the lane goes on with a fresh
// worker (the probe refuses items on a worker that panicked).
func TestKernelPanicInProcess(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.npy")
	writeProbe(t, p, 5, 3, 3, 1, map[int]probeItem{1: {actPanic, 1}, 3: {actPanic, 3}})
	var made int
	spec := probeSpecWith(false, func() { made++ }, nil)
	tasks, _ := scan(t, spec, p)
	var out lineWriter
	var debug, warn lines
	c, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Outer: 1, ChunkItems: 2, Out: &out, Debug: debug.add, Warn: warn.add}, tasks)
	if err != nil {
		t.Fatal(err)
	}
	checkPanicRecords(t, p, c, records(t, out.bytes()))
	if made != 3 {
		t.Errorf("%d workers made, want 3 (one, and a fresh one after each panic)", made)
	}
	d := debug.get()
	if len(d) != 2 {
		t.Fatalf("debug lines %q, want one per panic", d)
	}
	for i, k := range []int{1, 3} {
		if !strings.HasPrefix(d[i], fmt.Sprintf("%s[%d]: probe panic %d\n", p, k, k)) || !strings.Contains(d[i], "probeWorker).Run") {
			t.Errorf("debug line for the panic of item %d: %q, want the id, the value and the stack", k, d[i])
		}
	}
	if w := warn.get(); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
}

// checkPanicRecords checks the records of writeProbe's stack of 5 items
// whose items 1 and 3 panic.
func checkPanicRecords(t *testing.T, p string, c lanes.Counts, got map[string]results.Record) {
	t.Helper()
	if c.OK != 3 || c.Failed != 2 || len(got) != 5 {
		t.Errorf("counts %+v, %d records; want 3 ok, 2 failed", c, len(got))
	}
	for i := range 5 {
		id := fmt.Sprintf("%s[%d]", p, i)
		r := got[id]
		if i == 1 || i == 3 {
			want := fmt.Sprintf("%s: the kernel panicked: probe panic %d (the stack is in the debug log: -v)", id, i)
			if r.OK || r.Error != want || r.Rows != 3 {
				t.Errorf("%s: %+v, want the failure %q", id, r, want)
			}
		} else if !r.OK {
			t.Errorf("%s after a panic: %+v", id, r)
		}
	}
}

// TestFileChangedInProcess: see fileChangedCases.
func TestFileChangedInProcess(t *testing.T) {
	fc := fileChangedCases(t)
	var out lineWriter
	c, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: fc.spec, Outer: 2, Out: &out}, fc.tasks)
	if err != nil || out.err() != nil {
		t.Fatal(err, out.err())
	}
	got := records(t, out.bytes())
	fc.check(t, c, got)
}

// fileChanged are files scanned and then changed, the tasks the scan gave
// and what each item's record must say.
type fileChanged struct {
	spec  kernels.Spec
	tasks []lanes.Task
	want  map[string]string // id → "" (ok) or words its error must hold
	files map[string]string // id → the file its error must name
}

// fileChangedCases builds files that change between the scan and the read:
//   - shorter: 6 items of 4×3 scanned, then rewritten with 3: items 3–5
//     fail, saying the file no longer holds them; a task of items 4–5 fails
//     both (the file holds fewer items than it did);
//   - cut: its data cut in the middle of item 3, the header unchanged:
//     matio refuses an array whose header claims more data than the file
//     holds, so item 0 fails saying so, and the others, which the file no
//     longer holds as a readable array, fail too;
//   - reshaped: rewritten as 6 items of 3×4: each fails, saying what it is
//     now;
//   - flattened: rewritten as one 2-D matrix of 4×3: item 0 fails (it is
//     now the file, not item [0]) and items 1–2 are no longer held.
func fileChangedCases(t *testing.T) fileChanged {
	t.Helper()
	dir := t.TempDir()
	shorter := filepath.Join(dir, "shorter.npy")
	cut := filepath.Join(dir, "cut.npy")
	reshaped := filepath.Join(dir, "reshaped.npy")
	flattened := filepath.Join(dir, "flattened.npy")
	writeStack(t, shorter, 6, 4, 3, 1)
	writeStack(t, cut, 6, 4, 3, 2)
	writeStack(t, reshaped, 6, 4, 3, 3)
	writeStack(t, flattened, 3, 4, 3, 4)
	spec := lookup(t, "svdvals")
	tasks, _ := scan(t, spec, shorter, cut, reshaped, flattened)
	if len(tasks) != 4 {
		t.Fatalf("%d tasks", len(tasks))
	}
	tasks = append([]lanes.Task{part(tasks[0], 0, 4), part(tasks[0], 4, 2)}, tasks[1:]...)

	writeStack(t, shorter, 3, 4, 3, 1)
	fi, err := os.Stat(cut)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(cut, fi.Size()-int64(2*4*3*8)-int64(4*3*8)/2); err != nil {
		t.Fatal(err)
	}
	writeStack(t, reshaped, 6, 3, 4, 3)
	writeStack(t, flattened, 0, 4, 3, 4)

	fc := fileChanged{spec: spec, tasks: tasks, want: map[string]string{}, files: map[string]string{}}
	item := func(p string, i int) string { return fmt.Sprintf("%s[%d]", p, i) }
	for i := range 6 {
		fc.want[item(shorter, i)] = ""
		if i >= 3 {
			fc.want[item(shorter, i)] = "no longer holds this item"
		}
		if i >= 4 {
			fc.want[item(shorter, i)] = "holds fewer items than it did"
		}
		fc.want[item(cut, i)] = "no longer holds this item"
		if i == 0 {
			fc.want[item(cut, i)] = "it can no longer be read: " + cut + ": header claims"
		}
		fc.want[item(reshaped, i)] = fmt.Sprintf("item %d is now %s, 3×4", i, item(reshaped, i))
	}
	fc.want[item(flattened, 0)] = fmt.Sprintf("item 0 is now %s, 4×3", flattened)
	fc.want[item(flattened, 1)] = "no longer holds this item"
	fc.want[item(flattened, 2)] = "no longer holds this item"
	for id := range fc.want {
		fc.files[id] = id[:strings.LastIndexByte(id, '[')]
	}
	return fc
}

func (fc fileChanged) check(t *testing.T, c lanes.Counts, got map[string]results.Record) {
	t.Helper()
	ok := 0
	for id, want := range fc.want {
		r, found := got[id]
		switch {
		case !found:
			t.Errorf("no record for %s", id)
		case want == "":
			ok++
			if !r.OK {
				t.Errorf("%s: %s", id, r.Error)
			}
		case r.OK:
			t.Errorf("%s: ok, want a failure saying %q", id, want)
		case !strings.Contains(r.Error, fc.files[id]) || !strings.Contains(r.Error, lanes.ErrChanged.Error()) || !strings.Contains(r.Error, want):
			t.Errorf("%s: error %q, want it to name %s, say %q and %q", id, r.Error, fc.files[id], lanes.ErrChanged, want)
		case r.Rows != 4 || r.Cols != 3:
			t.Errorf("%s: failed as %d×%d, want the shape scanned, 4×3", id, r.Rows, r.Cols)
		}
	}
	if len(got) != len(fc.want) || c.OK != ok || c.Failed != len(fc.want)-ok {
		t.Errorf("%d records, counts %+v; want %d, %d ok", len(got), c, len(fc.want), ok)
	}
}

// TestBudgetInProcess: an item that alone needs more than the budget is a
// failed record naming the budget and its shape; the others compute.
func TestBudgetInProcess(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.npy")
	big := filepath.Join(dir, "big.npy")
	writeProbe(t, small, 3, 4, 4, 1, nil)
	writeProbe(t, big, 1, 40, 40, 2, nil)
	spec := probeSpec(false)
	tasks, _ := scan(t, spec, small, big)
	var out lineWriter
	budget := spec.ItemBytes(4, 4)
	c, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Budget: budget, Out: &out}, tasks)
	if err != nil {
		t.Fatal(err)
	}
	checkBudgetRecord(t, records(t, out.bytes())[big+"[0]"], big+"[0]", spec.ItemBytes(40, 40), budget)
	if c.OK != 3 || c.Failed != 1 {
		t.Errorf("counts %+v", c)
	}
}

// checkBudgetRecord checks the failed record of a 40×40 item over budget.
func checkBudgetRecord(t *testing.T, r results.Record, id string, need, budget int64) {
	t.Helper()
	if r.OK || r.Rows != 40 || r.Cols != 40 || !strings.HasPrefix(r.Error, id+": "+lanes.ErrTooBig.Error()) ||
		!strings.Contains(r.Error, "40×40") || !strings.Contains(r.Error, "memory budget of "+formatKiB(budget)) ||
		!strings.Contains(r.Error, "about "+formatKiB(need)) {
		t.Errorf("%s over the budget of %d bytes (needs %d): %+v", id, budget, need, r)
	}
}

// formatKiB writes n bytes (at least 1 KiB, at most 1 MiB) as KiB to three
// significant digits.
func formatKiB(n int64) string {
	return strconv.FormatFloat(float64(n)/1024, 'g', 3, 64) + " KiB"
}

// TestPairs: a pair kernel's items pair item i of one file with item i of
// the other; worker processes give the in-process records (the second
// path crosses the pipe too); a pair whose second file was rewritten with
// another shape since the scan fails, saying the file changed.
func TestPairs(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b\xff.npy")
	am := writeStack(t, a, 3, 3, 4, 1)
	bm := writeStack(t, b, 3, 4, 2, 2)
	c, d := filepath.Join(dir, "c.npy"), filepath.Join(dir, "d.npy")
	writeStack(t, c, 2, 2, 2, 3)
	writeStack(t, d, 2, 2, 2, 4)
	spec := lookup(t, "matmul")
	set := inputs.ScanPairs([][2]string{{a, b}, {c, d}}, inputs.Options{})
	var tasks []lanes.Task
	for _, f := range set.Files {
		r := f.Runs[0]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		tasks = append(tasks, lanes.Task{Path: f.Path, PairWith: f.PairWith, First: 0, Count: r.Count, Runs: f.Runs})
	}
	writeStack(t, d, 2, 2, 3, 4)

	var ref lineWriter
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &ref}, tasks); err != nil {
		t.Fatal(err)
	}
	want := records(t, ref.bytes())
	if len(want) != 5 {
		t.Fatalf("%d records:\n%s", len(want), ref.bytes())
	}
	for i := range 3 {
		id := inputs.PairID(a, b, i, true)
		r := want[id]
		if !r.OK || r.Rows != 3 || r.Cols != 4 {
			t.Fatalf("%s: %+v", id, r)
		}
		// matmul's record holds the Frobenius norm of C = A·B: compare it
		// with the product computed here.
		var sq float64
		for x := range 3 {
			for y := range 2 {
				var cxy float64
				for k := range 4 {
					cxy += am[i][x*4+k] * bm[i][k*2+y]
				}
				sq += cxy * cxy
			}
		}
		if v := floats(t, r, "frobenius"); len(v) != 1 || !relClose(v[0], math.Sqrt(sq), math.Sqrt(sq), 1e-12) {
			t.Errorf("%s: frobenius %v, want %v", id, v, math.Sqrt(sq))
		}
	}
	for i := range 2 {
		id := inputs.PairID(c, d, i, true)
		if r := want[id]; r.OK || !strings.Contains(r.Error, lanes.ErrChanged.Error()) || !strings.Contains(r.Error, "the pair's shapes changed") || !strings.Contains(r.Error, c) {
			t.Errorf("%s: %+v, want a failure saying the pair changed", id, r)
		}
	}
	var out lineWriter
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Process: true, Exe: exe(t), Outer: 2, Out: &out}, tasks); err != nil {
		t.Fatal(err)
	}
	got := records(t, out.bytes())
	if len(got) != len(want) {
		t.Errorf("%d records, in process %d", len(got), len(want))
	}
	for id, g := range got {
		w := want[id]
		gv, wv := floats(t, g, "frobenius"), floats(t, w, "frobenius")
		if g.OK != w.OK || g.Error != w.Error || len(gv) != len(wv) || len(wv) == 1 && !relClose(gv[0], wv[0], wv[0], 1e-12) {
			t.Errorf("%s: %+v, in process %+v", id, g, w)
		}
	}
}

// TestInterruptInProcess: cancelling ctx while an in-process lane computes
// lets its item finish and be recorded, and starts no later item (some
// are already read ahead); Run returns ctx's error.
func TestInterruptInProcess(t *testing.T) {
	dir := probeDir(t, 1)
	in := filepath.Join(dir, "a.npy")
	writeProbe(t, in, 5, 4, 4, 1, map[int]probeItem{1: {actBlock, 1}})
	spec := probeSpec(false)
	tasks, _ := scan(t, spec, in)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lineWriter
	done := runAsync(ctx, nil, lanes.Options{Kernel: spec, Outer: 1, ChunkItems: 1, Out: &out}, tasks)
	waitMarker(t, dir, "started", 1)
	cancel()
	release(t, dir, 1, 0)
	r := <-done
	if !errors.Is(r.err, context.Canceled) || r.c.OK != 2 || r.c.Failed != 0 || r.c.Abandoned != 0 {
		t.Errorf("Run = %+v, %v; want 2 ok, context.Canceled", r.c, r.err)
	}
	got := records(t, out.bytes())
	if len(got) != 2 || !got[in+"[0]"].OK || !got[in+"[1]"].OK {
		t.Errorf("records %v, want %s[0] and [1] only", got, in)
	}
}

// TestDirectRead: a task of contiguous float64 items is read into place
// (no matio), with the values matio gives; a file that no longer starts as
// scanned (its head rewritten, same size) is read through matio, which
// says it changed.
func TestDirectRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.npy")
	writeStack(t, p, 5, 4, 3, 77)
	spec, _ := kernels.Lookup("svdvals")
	tasks, _ := scan(t, spec, p)
	if len(tasks) != 1 || !tasks[0].Runs[0].Direct || tasks[0].Head == 0 {
		t.Fatalf("the scan did not mark the stack direct: %+v", tasks)
	}
	var direct, careful lineWriter
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &direct}, tasks); err != nil {
		t.Fatal(err)
	}
	plain := append([]lanes.Task(nil), tasks...)
	plain[0].Head = 0 // never matches: read through matio
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &careful}, plain); err != nil {
		t.Fatal(err)
	}
	want, got := records(t, careful.bytes()), records(t, direct.bytes())
	if len(got) != 5 || len(want) != 5 {
		t.Fatalf("%d and %d records", len(got), len(want))
	}
	sameAsMatio(t, want, got)
	// The same size, another shape in the header: not the scanned file.
	b, _ := os.ReadFile(p)
	copy(b, bytes.Replace(b[:128], []byte("(5, 4, 3)"), []byte("(5, 3, 4)"), 1))
	os.WriteFile(p, b, 0o644)
	var changed lineWriter
	c, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &changed}, tasks)
	if err != nil || c.Failed != 5 {
		t.Fatalf("a rewritten head: %+v %v", c, err)
	}
	for id, r := range records(t, changed.bytes()) {
		if r.OK || !strings.Contains(r.Error, "changed") {
			t.Errorf("%s: %+v", id, r)
		}
	}
}

// TestDirectReadInPieces: a task of contiguous items larger than a slab is
// read into place a chunk at a time, with the values matio gives; when the
// file is cut short after the scan, the chunks it still holds whole are
// computed, and the rest, read through matio, fail naming the file: every
// item has exactly one record.
func TestDirectReadInPieces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.npy")
	writeStack(t, p, 6, 4, 3, 78)
	spec := lookup(t, "svdvals")
	tasks, _ := scan(t, spec, p)
	const slab = 2 * 4 * 3 * 8 // two items to a chunk
	run := func(tasks []lanes.Task) (lanes.Counts, map[string]results.Record) {
		var out lineWriter
		c, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &out, SlabBytes: slab}, tasks)
		if err != nil || out.err() != nil {
			t.Fatal(err, out.err())
		}
		got := records(t, out.bytes())
		if c.OK+c.Failed != 6 || len(got) != 6 || strings.Count(string(out.bytes()), "\n") != 6 {
			t.Fatalf("counts %+v, %d records in %d lines", c, len(got), strings.Count(string(out.bytes()), "\n"))
		}
		return c, got
	}
	plain := append([]lanes.Task(nil), tasks...)
	plain[0].Head = 0 // never matches: read through matio
	_, want := run(plain)
	_, got := run(tasks)
	sameAsMatio(t, want, got)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, fi.Size()-2*4*3*8-4*3*8/2); err != nil { // in the middle of item 3
		t.Fatal(err)
	}
	c, cut := run(tasks)
	if c.OK != 2 {
		t.Errorf("%d ok after the cut, want the first chunk's 2", c.OK)
	}
	for i := range 6 {
		id := fmt.Sprintf("%s[%d]", p, i)
		r := cut[id]
		gv, _ := r.Floats("singular_values")
		wv, _ := want[id].Floats("singular_values")
		switch {
		case i < 2 && (!r.OK || fmt.Sprint(gv) != fmt.Sprint(wv)):
			t.Errorf("%s: %+v, want %+v", id, r, want[id])
		case i >= 2 && (r.OK || !strings.Contains(r.Error, p)):
			t.Errorf("%s: %+v, want a failure naming the file", id, r)
		}
	}
}

// sameAsMatio fails unless every record read into place (got) is ok with
// the singular values of the one read through matio (want).
func sameAsMatio(t *testing.T, want, got map[string]results.Record) {
	t.Helper()
	for id, w := range want {
		wv, _ := w.Floats("singular_values")
		gv, _ := got[id].Floats("singular_values")
		if fmt.Sprint(wv) != fmt.Sprint(gv) || !got[id].OK {
			t.Fatalf("%s: read into place %v, through matio %v", id, gv, wv)
		}
	}
}
