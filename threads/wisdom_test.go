package threads

import (
	"math"
	"os"
	"path/filepath"
	"testing"
)

func TestWisdomRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "wisdom.json")
	w, err := LoadWisdom(path)
	if err != nil || len(w.Entries) != 0 {
		t.Fatalf("missing file: %v %v", w, err)
	}
	k := WisdomKey("AMD EPYC", 2, "OpenBLAS 0.3.21", "svd", 1000, 1000)
	w.Learn(k, WisdomEntry{Cost: Cost{Seconds1: 0.3, Parallel: 0.55}, Rows: 1000, Cols: 1000})
	if err := w.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadWisdom(path)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := got.Lookup(WisdomKey("AMD EPYC", 2, "OpenBLAS 0.3.21", "svd", 1024, 1024))
	if !ok || e.Seconds1 != 0.3 || e.Parallel != 0.55 {
		t.Fatalf("1024×1024 should share 1000×1000's class: %+v %v", e, ok)
	}
	if _, ok := got.Lookup(WisdomKey("AMD EPYC", 2, "OpenBLAS 0.3.21", "svd", 500, 500)); ok {
		t.Fatal("500×500 found in 1000×1000's class")
	}
	if _, ok := got.Lookup(WisdomKey("AMD EPYC", 4, "OpenBLAS 0.3.21", "svd", 1000, 1000)); ok {
		t.Fatal("a different core count shares wisdom")
	}
	os.WriteFile(path, []byte("not json"), 0o644)
	if _, err := LoadWisdom(path); err == nil {
		t.Fatal("garbage wisdom accepted")
	}
}

func TestFitCost(t *testing.T) {
	want := Cost{Seconds1: 2, Parallel: 0.6}
	got := FitCost(2, want.Inner(4), 4)
	if math.Abs(got.Parallel-0.6) > 1e-12 || got.Seconds1 != 2 {
		t.Fatalf("%+v", got)
	}
	if c := FitCost(1, 1.3, 2); c.Parallel != 0 {
		t.Fatalf("slower with threads: p = %v, want 0", c.Parallel)
	}
}
