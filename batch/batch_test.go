package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
	"github.com/blasbatch/blasbatch/matio"
)

func writeStack(t *testing.T, path string, k, m, n int, seed uint64) [][]float64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	if err := matio.WriteNpyHeader(w, []int{k, m, n}, false); err != nil {
		t.Fatal(err)
	}
	var all [][]float64
	for range k {
		a := make([]float64, m*n)
		for i := range a {
			a[i] = rng.Float64()
		}
		all = append(all, a)
		if err := matio.WriteFloat64s(w, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return all
}

type rec struct {
	Input  string
	OK     bool
	Error  string
	Rows   int
	Cols   int
	Lane   int
	Values []float64 `json:"singular_values"`
}

func decode(t *testing.T, b []byte) []rec {
	t.Helper()
	var out []rec
	for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		var r rec
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("bad record %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// TestChunksOfTinyItems: thousands of tiny items in one stack arrive once
// each, in chunks, with values equal to a direct kernel call, for several
// worker counts and slab sizes that split the stack unevenly.
func TestChunksOfTinyItems(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.npy")
	const k, m, n = 3001, 4, 3
	mats := writeStack(t, p, k, m, n, 1)
	spec, _ := kernels.Lookup("svdvals")
	ref := spec.New(blas.Gonum{})
	for _, outer := range []int{1, 2, 3} {
		for _, slab := range []int{0, 100, 8 * m * n * 7} {
			var out syncBuffer
			var calls int
			sum, err := Run(context.Background(), Config{
				Inputs: []string{p}, Kernel: spec, Outer: outer, Out: &out, SlabBytes: slab,
				Progress: func(Summary) { calls++ },
			})
			if err != nil || sum.OK != k || sum.Failed != 0 {
				t.Fatalf("outer=%d slab=%d: %+v %v", outer, slab, sum, err)
			}
			if calls < 2 {
				t.Errorf("outer=%d slab=%d: items were not chunked into several units (%d)", outer, slab, calls)
			}
			seen := map[string]bool{}
			for _, r := range decode(t, out.b.Bytes()) {
				if seen[r.Input] {
					t.Fatalf("duplicate %s", r.Input)
				}
				seen[r.Input] = true
				var i int
				if _, err := fmt.Sscanf(strings.TrimPrefix(r.Input, p), "[%d]", &i); err != nil {
					t.Fatalf("id %q", r.Input)
				}
				if r.Lane < 0 || r.Lane >= outer {
					t.Fatalf("lane %d with outer %d", r.Lane, outer)
				}
				a := append([]float64(nil), mats[i]...)
				want, err := ref.Run(m, n, a, false)
				if err != nil {
					t.Fatal(err)
				}
				for j := range want.Values {
					if math.Abs(want.Values[j]-r.Values[j]) > 1e-12 {
						t.Fatalf("%s σ[%d]: %v, want %v", r.Input, j, r.Values[j], want.Values[j])
					}
				}
			}
			if len(seen) != k {
				t.Fatalf("%d distinct records, want %d", len(seen), k)
			}
		}
	}
}

// TestBadItemsDoNotStopGoodOnes: an unreadable file, a file of garbage and
// a NaN matrix each fail alone; the items around them succeed.
func TestBadItemsDoNotStopGoodOnes(t *testing.T) {
	dir := t.TempDir()
	good1 := filepath.Join(dir, "a.npy")
	writeStack(t, good1, 5, 6, 6, 2)
	garbage := filepath.Join(dir, "b.npy")
	os.WriteFile(garbage, []byte("hello"), 0o644)
	nan := filepath.Join(dir, "c.npy")
	f, _ := os.Create(nan)
	matio.WriteNpy(f, 2, 2, []float64{1, math.NaN(), 3, 4}, false)
	f.Close()
	good2 := filepath.Join(dir, "d.npy")
	writeStack(t, good2, 3, 2, 7, 3)
	spec, _ := kernels.Lookup("svd")
	var out syncBuffer
	sum, err := Run(context.Background(), Config{Inputs: []string{good1, garbage, nan, good2, filepath.Join(dir, "none.npy")}, Kernel: spec, Outer: 2, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK != 8 || sum.Failed != 3 {
		t.Fatalf("summary %+v", sum)
	}
	for _, r := range decode(t, out.b.Bytes()) {
		if r.OK {
			continue
		}
		if !strings.HasPrefix(r.Error, r.Input) {
			t.Errorf("error %q does not start with the input %q", r.Error, r.Input)
		}
	}
}

// TestSaveWritesEveryOutput checks the names and that nothing temporary is left.
func TestSaveWritesEveryOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.npy")
	writeStack(t, in, 2, 4, 3, 4)
	save := filepath.Join(dir, "save")
	spec, _ := kernels.Lookup("svd")
	if _, err := Run(context.Background(), Config{Inputs: []string{in}, Kernel: spec, Save: save}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(save)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	base := SafeName(in)
	want := []string{base + "_0.S.npy", base + "_0.U.npy", base + "_0.Vt.npy", base + "_1.S.npy", base + "_1.U.npy", base + "_1.Vt.npy"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("saved %v, want %v", names, want)
	}
}

// TestMemoryBounded: however many items, the pipeline holds at most
// Outer+ReadAhead chunks; with one large item per chunk, the slabs allocated
// stay at that count.
func TestMemoryBounded(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 40 {
		p := filepath.Join(dir, fmt.Sprintf("m%02d.npy", i))
		writeStack(t, p, 1, 128, 128, uint64(i))
		files = append(files, p)
	}
	spec, _ := kernels.Lookup("svdvals")
	var live, peak int
	var mu sync.Mutex
	cfg := Config{Inputs: files, Kernel: spec, Outer: 2, ReadAhead: 1, SlabBytes: 1}
	cfg.testHook = func(delta int) {
		mu.Lock()
		live += delta
		peak = max(peak, live)
		mu.Unlock()
	}
	if sum, err := Run(context.Background(), cfg); err != nil || sum.OK != 40 {
		t.Fatal(sum, err)
	}
	if peak > 3 {
		t.Fatalf("%d chunks in flight, want ≤ Outer+ReadAhead = 3", peak)
	}
}

func TestEncoderMatchesEncodingJSON(t *testing.T) {
	e := encoder{kernel: "svd", field: "singular_values", lane: 3}
	for _, id := range []string{"plain.npy", `q"u\o/te.npy`, "tab\tnl\n.npy", "ctl\x01\x1f\x7f", "ünï/κώδικας.npy", "bad\xffutf8", ""} {
		vals := []float64{1e300, 5e-324, 0, 123.456, 1.0 / 3}
		var got map[string]any
		if err := json.Unmarshal(e.success(nil, id, 2, 3, kernels.Result{Values: vals, Scalars: []kernels.Scalar{{Name: "log_det", Value: math.Inf(-1)}, {Name: "rcond", Value: 0.5}}}, 0.25), &got); err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		wantID, _ := json.Marshal(id)
		var wantStr string
		json.Unmarshal(wantID, &wantStr)
		if got["input"] != wantStr || got["kernel"] != "svd" || got["ok"] != true || got["lane"] != 3.0 || got["rows"] != 2.0 || got["log_det"] != nil || got["rcond"] != 0.5 {
			t.Fatalf("%q: %v", id, got)
		}
		sv := got["singular_values"].([]any)
		for i, v := range vals {
			if sv[i].(float64) != v {
				t.Fatalf("value %d: %v != %v", i, sv[i], v)
			}
		}
		if err := json.Unmarshal(e.failure(nil, id, 0, 0, "bad \"thing\"\n"), &got); err != nil || got["ok"] != false || got["error"] != "bad \"thing\"\n" {
			t.Fatalf("failure %q: %v %v", id, got, err)
		}
	}
}

// TestFallbackRecorded: an item whose dgesdd does not converge is a failed
// record naming the routine and info; with Fallback it is computed by
// dgesvd and its record says so.
func TestFallbackRecorded(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.npy")
	writeStack(t, p, 2, 5, 4, 7)
	spec, _ := kernels.Lookup("svd")
	for _, fallback := range []bool{false, true} {
		var out syncBuffer
		impl := &kerneltest.Failing{LAPACK: blas.Gonum{}, DgesddInfo: 7}
		sum, err := Run(context.Background(), Config{Inputs: []string{p}, Kernel: spec, LAPACK: impl, Options: kernels.Options{Fallback: fallback}, Out: &out})
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(out.b.Bytes()), []byte("\n")) {
			var r struct {
				OK       bool
				Error    string
				Fallback string
			}
			json.Unmarshal(line, &r)
			switch {
			case !fallback && (r.OK || !strings.Contains(r.Error, "dgesdd failed with info=7")):
				t.Fatalf("without fallback: %s", line)
			case fallback && (!r.OK || r.Fallback != "dgesvd"):
				t.Fatalf("with fallback: %s", line)
			}
		}
		if fallback && sum.OK != 2 || !fallback && sum.Failed != 2 {
			t.Fatalf("fallback=%v: %+v", fallback, sum)
		}
	}
}

func TestEncoderPairs(t *testing.T) {
	e := encoder{kernel: "eig", field: "eigenvalues", pairs: true}
	var got map[string]any
	if err := json.Unmarshal(e.success(nil, "x", 2, 2, kernels.Result{Values: []float64{1, 2, 3, -4}}, 0.1), &got); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got["eigenvalues"]) != "[[1 2] [3 -4]]" {
		t.Fatalf("pairs written as %v", got["eigenvalues"])
	}
}
