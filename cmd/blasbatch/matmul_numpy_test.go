package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatmulPairs: matmul multiplies an .npz's members a and b (2-D, or
// stacks item by item, whatever their order in the archive) and the files
// of -pair A,B; its frobenius agrees with NumPy's norm(a @ b). A pair whose
// inner dimensions differ, or an .npz without b, is a failed record naming
// it while the others succeed.
func TestMatmulPairs(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/matmul_fixtures.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	var want map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "-quiet", "-kernel", "matmul", "-pair", filepath.Join(dir, "A.npy") + "," + filepath.Join(dir, "B.npy")}
	for _, n := range []string{"pair.npz", "stack.npz", "bad.npz", "nob.npz"} {
		args = append(args, filepath.Join(dir, n))
	}
	code, out, stderr := runCLI(t, args...)
	if code != exitFailed {
		t.Fatalf("exit %d (want 1: two pairs are bad): %s", code, stderr)
	}
	var got = map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got[r["input"].(string)] = r
	}
	for id, w := range want {
		r, ok := got[id]
		if !ok {
			t.Errorf("no record for %s; have %v", id, got)
			continue
		}
		switch w := w.(type) {
		case float64:
			f, _ := r["frobenius"].(float64)
			if r["ok"] != true || math.Abs(f-w) > 1e-12*w {
				t.Errorf("%s: %v, NumPy's norm(a @ b) = %v", id, r, w)
			}
		case string:
			msg, _ := r["error"].(string)
			if r["ok"] != false || !strings.Contains(msg, w) || !strings.Contains(msg, filepath.Base(strings.Split(id, ",")[0])) {
				t.Errorf("%s: %v, want an error naming it and %q", id, r, w)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d records, want %d", len(got), len(want))
	}
	if code, _, stderr := runCLI(t, "run", "-kernel", "svd", "-pair", "a.npy,b.npy"); code != exitUsage || !strings.Contains(stderr, "pair kernels") {
		t.Errorf("-pair with svd: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "run", "-kernel", "matmul", "-pair", "a.npy"); code != exitUsage {
		t.Errorf("-pair without B: exit %d, %s", code, stderr)
	}
}
