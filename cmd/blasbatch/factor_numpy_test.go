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

// factorRecord is a record of the chol, inv, det and qr kernels (README,
// "Kernels"); a null number (−Inf log_abs_det) reads as a nil pointer.
type factorRecord struct {
	Input     string    `json:"input"`
	Kernel    string    `json:"kernel"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error"`
	LogDet    *float64  `json:"log_det"`
	LogAbsDet *float64  `json:"log_abs_det"`
	Sign      *float64  `json:"sign"`
	Rcond     *float64  `json:"rcond"`
	RDiagonal []float64 `json:"r_diagonal"`
	Seconds   *float64  `json:"seconds"`
}

// factorExpected is one good item of factor_fixtures.py's expected.json.
type factorExpected struct {
	LogDet       *float64  `json:"log_det"`
	LogAbsDet    *float64  `json:"log_abs_det"`
	Sign         *float64  `json:"sign"`
	Rcond        *float64  `json:"rcond"`
	RAbsDiagonal []float64 `json:"r_abs_diagonal"`
}

// TestFactorNumPy: chol, inv, det and qr agree with numpy.linalg on
// matrices NumPy wrote — log determinants to 1e-10 relative (absolute below
// 1), signs exactly, |diag R| to 1e-10 relative to its largest, rcond to a
// factor of 3 of the exact 1/(‖A‖₁‖A⁻¹‖₁) and never below it — and the
// --save arrays agree with NumPy's (checked in Python); every bad input
// (not SPD, not symmetric, singular for inv, 1×2 for det, NaN for qr) is a
// failed record naming the file and the problem while the good items
// succeed; a singular matrix is det's sign 0 and null log_abs_det.
func TestFactorNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/factor_fixtures.py", "write", dir).CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	var want struct {
		Good map[string]map[string]factorExpected
		Bad  map[string]map[string]string
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	closeTo := func(got *float64, want float64) bool {
		return got != nil && math.Abs(*got-want) <= 1e-10*max(1, math.Abs(want))
	}
	for _, split := range [][]string{{"-outer", "2", "-inner", "1"}, {"-outer", "1", "-inner", "2"}} {
		save := t.TempDir()
		names := map[string]string{}
		for _, kernel := range []string{"chol", "inv", "det", "qr"} {
			good, bad := want.Good[kernel], want.Bad[kernel]
			args := append([]string{"run", "-kernel", kernel, "-quiet", "-save", save}, split...)
			code, stdout, stderr := runCLI(t, append(args, filepath.Join(dir, kernel))...)
			if code != exitFailed {
				t.Errorf("%s %v: exit %d, want %d (some items fail); stderr: %s", kernel, split, code, exitFailed, stderr)
			}
			recs := parseFactorRecords(t, stdout)
			if len(recs) != len(good)+len(bad) {
				t.Errorf("%s %v: %d records, want %d", kernel, split, len(recs), len(good)+len(bad))
			}
			for id, e := range good {
				r, ok := recs[id]
				if !ok || !r.OK || r.Kernel != kernel || r.Seconds == nil {
					t.Errorf("%s %v: %s: %+v", kernel, split, id, r)
					continue
				}
				names[id] = lanes.SafeName(id)
				if e.LogDet != nil && !closeTo(r.LogDet, *e.LogDet) {
					t.Errorf("%s %v: %s: log_det %v, NumPy %v", kernel, split, id, deref(r.LogDet), *e.LogDet)
				}
				if e.Sign != nil && (r.Sign == nil || *r.Sign != *e.Sign) {
					t.Errorf("%s %v: %s: sign %v, NumPy %v", kernel, split, id, deref(r.Sign), *e.Sign)
				}
				switch {
				case kernel != "inv" && kernel != "det":
				case e.LogAbsDet == nil: // singular: null, as NumPy's −inf
					if r.LogAbsDet != nil {
						t.Errorf("%s %v: %s: log_abs_det %v, NumPy -inf", kernel, split, id, *r.LogAbsDet)
					}
				case !closeTo(r.LogAbsDet, *e.LogAbsDet):
					t.Errorf("%s %v: %s: log_abs_det %v, NumPy %v", kernel, split, id, deref(r.LogAbsDet), *e.LogAbsDet)
				}
				if e.Rcond != nil && (r.Rcond == nil || *r.Rcond < *e.Rcond*(1-1e-9) || *r.Rcond > 3**e.Rcond) {
					t.Errorf("%s %v: %s: rcond %v, exact %v", kernel, split, id, deref(r.Rcond), *e.Rcond)
				}
				if kernel == "qr" {
					if len(r.RDiagonal) != len(e.RAbsDiagonal) {
						t.Errorf("%s %v: %s: r_diagonal %v, NumPy |diag R| %v", kernel, split, id, r.RDiagonal, e.RAbsDiagonal)
						continue
					}
					for i, v := range e.RAbsDiagonal {
						if math.Abs(math.Abs(r.RDiagonal[i])-v) > 1e-10*e.RAbsDiagonal[0] {
							t.Errorf("%s %v: %s: |r_diagonal[%d]| = %v, NumPy %v", kernel, split, id, i, math.Abs(r.RDiagonal[i]), v)
						}
					}
				}
			}
			for id, pattern := range bad {
				r, ok := recs[id]
				if !ok {
					t.Errorf("%s %v: no record for bad input %s", kernel, split, id)
					continue
				}
				if r.OK || !strings.Contains(r.Error, id) || !regexp.MustCompile("(?i)"+regexp.QuoteMeta(pattern)).MatchString(r.Error) {
					t.Errorf("%s %v: %s: ok=%v error %q should name the file and match %q", kernel, split, id, r.OK, r.Error, pattern)
				}
			}
		}
		namesFile := filepath.Join(t.TempDir(), "names.json")
		b, _ := json.Marshal(names)
		if err := os.WriteFile(namesFile, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "testdata/factor_fixtures.py", "check", dir, save, namesFile).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "ok") {
			t.Errorf("%v: NumPy check of the --save arrays: %v\n%s", split, err, out)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func parseFactorRecords(t *testing.T, jsonl string) map[string]factorRecord {
	t.Helper()
	return recordsByInput(t, jsonl, func(r factorRecord) string { return r.Input })
}
