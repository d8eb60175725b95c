package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/lanes"
)

// TestHadamardIntegersNumPy: the question's own integer matrices (int64
// from random_integers(100)) and every other integer dtype, through the
// whole pipeline, are squared in their own type as NumPy's x*x does
// (wrapping), in-process and on worker processes: the record's checksum is
// NumPy's int(x.sum()) exactly (an integer in JSON, not a float) for few
// and many repeats, and --save writes the result in the input's dtype,
// equal to NumPy's.
func TestHadamardIntegersNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	gen := exec.Command(py, "-c", `
import numpy as np, os, sys
d = sys.argv[1]; os.makedirs(d)
rng = np.random.default_rng(7)
np.save(os.path.join(d, "q_int64.npy"), rng.integers(1, 101, size=(60, 50), dtype=np.int64))
for dt in ["int8", "uint8", "int16", "uint16", "int32", "uint32", "uint64", ">i8"]:
    a = rng.integers(-50 if dt[0] in "i>" else 0, 120, size=(7, 9)).astype(dt)
    np.save(os.path.join(d, dt.replace(">", "be_") + ".npy"), a)
np.save(os.path.join(d, "f64.npy"), rng.random((5, 6)))
`, data)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, repeat := range []int{3, 100} {
		for _, isolate := range []bool{false, true} {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			save := filepath.Join(t.TempDir(), "save")
			args := []string{"run", "-quiet", "-kernel", "hadamard", "-repeat", fmt.Sprint(repeat), "-jsonl", out, "-save", save}
			if isolate {
				args = append(args, "-isolate")
			}
			if code, _, stderr := runCLI(t, append(args, data)...); code != 0 {
				t.Fatalf("repeat %d isolate %v: exit %d: %s", repeat, isolate, code, stderr)
			}
			got := map[string]string{}
			for _, r := range fileRecords(t, out, "hadamard") {
				if !r.OK {
					t.Fatalf("%+v", r)
				}
				got[filepath.Base(r.Input)] = string(r.Fields["checksum"])
			}
			ids := map[string]string{}
			for name := range got {
				ids[name] = filepath.Join(save, lanes.SafeName(filepath.Join(data, name))+".H.npy")
			}
			idsJSON, _ := json.Marshal(ids)
			check := exec.Command(py, "-c", `
import json, os, sys, numpy as np
d, R, saved = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
for name in sorted(os.listdir(d)):
    x = np.load(os.path.join(d, name))
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(R):
            x = x * x
    s = x.sum()
    want = int(s) if x.dtype.kind in "iu" else (repr(float(s)) if np.isfinite(s) else "null")
    y = np.load(saved[name])
    ok = y.dtype == x.dtype.newbyteorder("=") and np.array_equal(y, x, equal_nan=True)
    print(name, want, ok)
`, data, fmt.Sprint(repeat), string(idsJSON))
			want, err := check.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, want)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
				var name, sum, same string
				fmt.Sscan(line, &name, &sum, &same)
				g := got[name]
				if strings.HasSuffix(name, "f64.npy") && sum != "null" {
					var a, b float64
					fmt.Sscan(g, &a)
					fmt.Sscan(sum, &b)
					if a != b {
						t.Errorf("repeat %d %s: checksum %s, NumPy %s", repeat, name, g, sum)
					}
				} else if g != sum {
					t.Errorf("repeat %d isolate %v %s: checksum %s, NumPy's int(x.sum()) %s", repeat, isolate, name, g, sum)
				}
				if same != "True" {
					t.Errorf("repeat %d %s: the saved result is not NumPy's x (dtype or values)", repeat, name)
				}
			}
		}
	}
}
