package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/lanes"
)

// eigenTol is the agreement with NumPy asked of the eigen kernels: 1e-9
// relative to the item's largest |λ| (eigenvalues of a random matrix are
// well conditioned only relative to the spectrum's scale).
const eigenTol = 1e-9

// eigenRecord is the JSON Lines record of the eigen kernels (README,
// "Output"): eigenvalues are numbers (eigh) or [re, im] pairs (eig).
type eigenRecord struct {
	Input       string          `json:"input"`
	Kernel      string          `json:"kernel"`
	OK          bool            `json:"ok"`
	Error       string          `json:"error"`
	Eigenvalues json.RawMessage `json:"eigenvalues"`
	Seconds     *float64        `json:"seconds"`
	Lane        *int            `json:"lane"`
}

func parseEigenRecords(t *testing.T, jsonl string) map[string]eigenRecord {
	t.Helper()
	return recordsByInput(t, jsonl, func(r eigenRecord) string { return r.Input })
}

func eigenFixtures(t *testing.T, py, dir string) {
	t.Helper()
	if out, err := exec.Command(py, "testdata/eigen_fixtures.py", "gen", dir).CombinedOutput(); err != nil {
		t.Fatalf("eigen fixtures: %v\n%s", err, out)
	}
}

// TestEigenNumPy: the eigh and eig kernels agree with numpy.linalg.eigvalsh
// and eigvals on matrices NumPy wrote (eig's as multisets, sorted by
// (re, im)), to eigenTol relative to the largest |λ|; a non-symmetric matrix
// (eigh) and a 2×3 one (eig) are failed records naming the file and the
// problem while the good items succeed.
func TestEigenNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	eigenFixtures(t, py, dir)
	var want map[string]struct {
		Good map[string]json.RawMessage
		Bad  map[string]string
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, kernel := range []string{"eigh", "eig"} {
		exp := want[kernel]
		if len(exp.Good) < 5 || len(exp.Bad) < 1 {
			t.Fatalf("%s: fixtures list %d good and %d bad items", kernel, len(exp.Good), len(exp.Bad))
		}
		for _, split := range [][]string{{"-outer", "2", "-inner", "1"}, {"-outer", "1", "-inner", "2"}} {
			args := append([]string{"run", "-kernel", kernel, "-quiet"}, split...)
			code, stdout, stderr := runCLI(t, append(args, filepath.Join(dir, kernel))...)
			if code != exitFailed {
				t.Errorf("%s %v: exit %d, want %d (one item fails); stderr: %s", kernel, split, code, exitFailed, stderr)
			}
			recs := parseEigenRecords(t, stdout)
			for id, rawVals := range exp.Good {
				r, ok := recs[id]
				if !ok {
					t.Errorf("%s %v: no record for %s", kernel, split, id)
					continue
				}
				if !r.OK || r.Kernel != kernel || r.Seconds == nil || r.Lane == nil {
					t.Errorf("%s %v: %s: %+v", kernel, split, id, r)
					continue
				}
				got, err1 := eigenvalues(kernel, r.Eigenvalues)
				ref, err2 := eigenvalues(kernel, rawVals)
				if err1 != nil || err2 != nil {
					t.Errorf("%s %v: %s: eigenvalues %s: %v %v", kernel, split, id, r.Eigenvalues, err1, err2)
					continue
				}
				compareSpectra(t, kernel+" "+strings.Join(split, " ")+": "+id, got, ref)
			}
			for id, pattern := range exp.Bad {
				r, ok := recs[id]
				if !ok {
					t.Errorf("%s %v: no record for bad input %s", kernel, split, id)
					continue
				}
				if r.OK || !strings.Contains(r.Error, id) || !regexp.MustCompile("(?i)"+pattern).MatchString(r.Error) {
					t.Errorf("%s %v: %s: ok=%v error %q should name the file and match %q", kernel, split, id, r.OK, r.Error, pattern)
				}
			}
			if n := len(exp.Good) + len(exp.Bad); len(recs) != n {
				ids := make([]string, 0, len(recs))
				for id := range recs {
					ids = append(ids, id)
				}
				sort.Strings(ids)
				t.Errorf("%s %v: %d records, want %d: %v", kernel, split, len(recs), n, ids)
			}
		}
	}
}

// eigenvalues decodes a record's eigenvalues: numbers for eigh, [re, im]
// pairs for eig.
func eigenvalues(kernel string, raw json.RawMessage) ([]complex128, error) {
	if kernel == "eigh" {
		var v []float64
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		z := make([]complex128, len(v))
		for i, x := range v {
			z[i] = complex(x, 0)
		}
		return z, nil
	}
	var p [][2]float64
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	z := make([]complex128, len(p))
	for i, x := range p {
		z[i] = complex(x[0], x[1])
	}
	return z, nil
}

// compareSpectra compares eigenvalues as multisets: both sorted by (re, im),
// real parts within the tolerance counting as equal so that conjugate pairs
// and rounding do not reorder them. For eigh both lists are already
// ascending, and the sort keeps that order.
func compareSpectra(t *testing.T, name string, got, want []complex128) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d eigenvalues, NumPy %d", name, len(got), len(want))
		return
	}
	var scale float64
	for _, z := range want {
		scale = max(scale, math.Hypot(real(z), imag(z)))
	}
	tol := eigenTol * max(scale, 1e-300)
	sortSpectrum(got, tol)
	sortSpectrum(want, tol)
	for i := range got {
		if d := got[i] - want[i]; math.Hypot(real(d), imag(d)) > tol {
			t.Errorf("%s: sorted λ[%d] = %v, NumPy %v (tolerance %.3g)", name, i, got[i], want[i], tol)
			return
		}
	}
}

func sortSpectrum(z []complex128, tol float64) {
	sort.SliceStable(z, func(i, j int) bool {
		a, b := z[i], z[j]
		if math.Abs(real(a)-real(b)) > tol {
			return real(a) < real(b)
		}
		return imag(a) < imag(b)
	})
}

// TestEigenSaveLoadsInNumPy: --save writes values and vectors that NumPy
// loads, with the eigenvectors as columns like numpy.linalg.eigh and eig
// (A @ V = V @ diag(w)); eig's are complex128. eig's half needs the complex
// and column-major kernels.Output fields and is skipped until they exist.
func TestEigenSaveLoadsInNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	eigenFixtures(t, py, dir)
	for _, kernel := range []string{"eigh", "eig"} {
		t.Run(kernel, func(t *testing.T) {
			// The 2-D good items only: each is its own input file.
			in := filepath.Join(dir, kernel+"-2d")
			if err := os.Mkdir(in, 0o755); err != nil {
				t.Fatal(err)
			}
			entries, _ := filepath.Glob(filepath.Join(dir, kernel, "*.npy"))
			for _, p := range entries {
				base := filepath.Base(p)
				if base == "stack.npy" || base == "nonsym.npy" || base == "wide.npy" {
					continue
				}
				if err := os.Link(p, filepath.Join(in, base)); err != nil {
					t.Fatal(err)
				}
			}
			save := filepath.Join(dir, kernel+"-out")
			jsonl := filepath.Join(dir, kernel+".jsonl")
			if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", kernel, "-save", save, "-jsonl", jsonl, in); code != 0 {
				t.Fatalf("run: exit %d: %s", code, stderr)
			}
			raw, _ := os.ReadFile(jsonl)
			recs := parseEigenRecords(t, string(raw))
			if len(recs) < 5 {
				t.Fatalf("%d records", len(recs))
			}
			for id := range recs {
				out, err := exec.Command(py, "testdata/eigen_fixtures.py", "check-saved", kernel, id, save, lanes.SafeName(id)).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "ok") {
					t.Errorf("%s: NumPy check of saved arrays: %v\n%s", id, err, out)
				}
			}
		})
	}
}
