package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/lanes"
)

// productsRelTol is the relative tolerance for gram's trace and frobenius
// against NumPy's (A @ A.T computed by NumPy's own BLAS call, then
// np.trace and np.linalg.norm): both sides sum at most 120 products per
// element, an error of a few 1e-15.
const productsRelTol = 1e-12

// scalarRecords parses JSON Lines records into maps by input, keeping the
// scalar fields (null stays nil).
func scalarRecords(t *testing.T, jsonl string) map[string]map[string]any {
	t.Helper()
	return recordsByInput(t, jsonl, func(r map[string]any) string { id, _ := r["input"].(string); return id })
}

// TestProductsNumPy: gram's trace and frobenius agree with NumPy's A @ A.T
// to productsRelTol; hadamard's checksum after 100 squarings is NumPy's
// exactly (its inputs make it an integer, or null after an overflow); each
// kernel's bad input is a failed record naming the file; --save writes
// arrays NumPy loads and finds equal to its own; and matmul on a single
// matrix fails the item asking for pairs.
func TestProductsNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/products_fixtures.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	type kernelWant struct {
		Good map[string]map[string]*float64
		Bad  map[string]string
	}
	var want map[string]kernelWant
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	saved := map[string]map[string]string{}
	for _, kernel := range []string{"gram", "hadamard"} {
		w := want[kernel]
		if len(w.Good) == 0 || len(w.Bad) == 0 {
			t.Fatalf("%s: fixtures wrote no items", kernel)
		}
		for _, split := range [][]string{{"-outer", "2", "-inner", "1"}, {"-outer", "1", "-inner", "2"}} {
			save := filepath.Join(dir, "save-"+kernel+"-"+split[1])
			args := append([]string{"run", "-kernel", kernel, "-quiet", "-save", save}, split...)
			code, stdout, stderr := runCLI(t, append(args, filepath.Join(dir, kernel))...)
			if code != exitFailed {
				t.Errorf("%s %v: exit %d, want %d (the bad input fails); stderr: %s", kernel, split, code, exitFailed, stderr)
			}
			recs := scalarRecords(t, stdout)
			if n := len(w.Good) + len(w.Bad); len(recs) != n {
				t.Errorf("%s %v: %d records, want %d", kernel, split, len(recs), n)
			}
			for id, fields := range w.Good {
				r, ok := recs[id]
				if !ok || r["ok"] != true || r["kernel"] != kernel {
					t.Errorf("%s %v: %s: record %v", kernel, split, id, r)
					continue
				}
				for name, wv := range fields {
					gv, present := r[name]
					if !present {
						t.Errorf("%s %v: %s: no %q in %v", kernel, split, id, name, r)
						continue
					}
					if wv == nil || gv == nil {
						if wv != nil || gv != nil {
							t.Errorf("%s %v: %s: %s = %v, NumPy %v (null: overflowed)", kernel, split, id, name, gv, wv)
						}
						continue
					}
					g, _ := gv.(float64)
					tol := 0.0 // hadamard's checksum is exact
					if kernel == "gram" {
						tol = productsRelTol * math.Abs(*wv)
					}
					if math.Abs(g-*wv) > tol {
						t.Errorf("%s %v: %s: %s = %v, NumPy %v", kernel, split, id, name, g, *wv)
					}
				}
				if kernel == "hadamard" {
					if g, ok := r["gbytes_per_second"].(float64); !ok || g <= 0 {
						t.Errorf("%s %v: %s: gbytes_per_second %v", kernel, split, id, r["gbytes_per_second"])
					}
				}
				out := "G"
				if kernel == "hadamard" {
					out = "H"
				}
				saved[id] = map[string]string{"kernel": kernel, "saved": filepath.Join(save, lanes.SafeName(id)+"."+out+".npy")}
			}
			for id, pattern := range w.Bad {
				r, ok := recs[id]
				msg, _ := r["error"].(string)
				if !ok || r["ok"] != false || !strings.Contains(msg, id) || !regexp.MustCompile("(?i)"+pattern).MatchString(msg) {
					t.Errorf("%s %v: bad input %s: record %v should fail naming the file and matching %q", kernel, split, id, r, pattern)
				}
			}
		}
	}
	// The saved arrays (of the last split), checked by NumPy.
	list := filepath.Join(dir, "saved.json")
	raw, _ = json.Marshal(saved)
	if err := os.WriteFile(list, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, "testdata/products_fixtures.py", "check", list).CombinedOutput(); err != nil || !strings.Contains(string(out), "ok") {
		t.Errorf("NumPy check of --save arrays: %v\n%s", err, out)
	}

	// matmul takes pairs; a single matrix is a failed item saying so.
	one := filepath.Join(dir, "gram", "a7x5.npy")
	code, stdout, _ := runCLI(t, "run", "-kernel", "matmul", "-quiet", "-outer", "1", "-inner", "1", one)
	r := scalarRecords(t, stdout)[one]
	if msg, _ := r["error"].(string); code != exitFailed || r["ok"] != false || !strings.Contains(msg, "needs pairs") {
		t.Errorf("matmul on one matrix: exit %d, record %v; want a failed item asking for pairs", code, r)
	}
}
