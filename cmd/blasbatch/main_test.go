package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/testpy"
)

// record is the JSON Lines contract (README, "Output").
type record struct {
	Input          string    `json:"input"`
	Kernel         string    `json:"kernel"`
	Rows           int       `json:"rows"`
	Cols           int       `json:"cols"`
	OK             bool      `json:"ok"`
	Error          string    `json:"error"`
	SingularValues []float64 `json:"singular_values"`
	Seconds        *float64  `json:"seconds"`
	Lane           *int      `json:"lane"`
}

// runCLI runs blasbatch in-process and returns its exit status, stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func parseRecords(t *testing.T, jsonl string) map[string]record {
	t.Helper()
	recs := recordsByInput(t, jsonl, func(r record) string { return r.Input })
	for _, r := range recs {
		if r.Lane == nil {
			t.Fatalf("record without lane: %+v", r)
		}
	}
	return recs
}

// recordsByInput parses JSON Lines records into R, keyed by input;
// a line that is not JSON or a second record for one input fails the test.
func recordsByInput[R any](t *testing.T, jsonl string, input func(R) string) map[string]R {
	t.Helper()
	recs := map[string]R{}
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r R
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record is not JSON: %v: %q", err, sc.Text())
		}
		id := input(r)
		if _, dup := recs[id]; dup {
			t.Fatalf("two records for %s", id)
		}
		recs[id] = r
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// numpy returns the path of a Python with NumPy, or skips the test; with
// BLASBATCH_REQUIRE_NUMPY=1 (make test, CI) a missing NumPy fails instead.
func numpy(t *testing.T) string { return testpy.NumPy(t) }

// TestNumPyFiles: every kind of file NumPy writes is read, its singular
// values agree with NumPy's to 1e-9 relative, and every bad input is its own
// failed record naming the file and the problem while the good items succeed.
func TestNumPyFiles(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, "testdata/numpy_fixtures.py", dir).CombinedOutput(); err != nil {
		t.Fatalf("fixtures: %v\n%s", err, out)
	}
	var want struct {
		Good map[string][]float64
		Bad  map[string]string
	}
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, split := range [][]string{{"-outer", "2", "-inner", "1"}, {"-outer", "1", "-inner", "2"}} {
		args := append([]string{"run", "-kernel", "svdvals", "-quiet"}, split...)
		code, stdout, stderr := runCLI(t, append(args, dir, filepath.Join(dir, "missing.npy"))...)
		if code != exitFailed {
			t.Errorf("%v: exit %d, want %d (some items fail); stderr: %s", split, code, exitFailed, stderr)
		}
		if !strings.Contains(stderr, "items failed") {
			t.Errorf("%v: no summary line on stderr: %q", split, stderr)
		}
		recs := parseRecords(t, stdout)
		for id, sv := range want.Good {
			r, ok := recs[id]
			if !ok {
				t.Errorf("%v: no record for %s", split, id)
				continue
			}
			if !r.OK || r.Kernel != "svdvals" || len(r.SingularValues) != len(sv) || r.Seconds == nil {
				t.Errorf("%v: %s: %+v", split, id, r)
				continue
			}
			for i := range sv {
				if math.Abs(r.SingularValues[i]-sv[i]) > 1e-9*math.Abs(sv[0]) {
					t.Errorf("%v: %s σ[%d] = %v, NumPy %v", split, id, i, r.SingularValues[i], sv[i])
				}
			}
		}
		want.Bad[filepath.Join(dir, "missing.npy")] = "no such file"
		for id, pattern := range want.Bad {
			r, ok := recs[id]
			if !ok {
				t.Errorf("%v: no record for bad input %s", split, id)
				continue
			}
			if r.OK || !strings.Contains(r.Error, strings.SplitN(id, ":", 2)[0]) || !regexp.MustCompile("(?i)"+pattern).MatchString(r.Error) {
				t.Errorf("%v: %s: ok=%v error %q should name the file and match %q", split, id, r.OK, r.Error, pattern)
			}
		}
		if n := len(want.Good) + len(want.Bad); len(recs) != n {
			ids := make([]string, 0, len(recs))
			for id := range recs {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			t.Errorf("%v: %d records, want %d: %v", split, len(recs), n, ids)
		}
	}
}

// TestSaveLoadsInNumPy: --save writes U, S, Vt that NumPy loads and that
// rebuild the input.
func TestSaveLoadsInNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if code, _, stderr := runCLI(t, "gen", "-rows", "12", "-cols", "7", "-count", "3", "-dir", in); code != 0 {
		t.Fatalf("gen: %s", stderr)
	}
	save := filepath.Join(dir, "out")
	jsonl := filepath.Join(dir, "r.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svd", "-save", save, "-jsonl", jsonl, in); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	raw, _ := os.ReadFile(jsonl)
	recs := parseRecords(t, string(raw))
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	for id := range recs {
		out, err := exec.Command(py, "testdata/check_saved.py", id, save, lanes.SafeName(id)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ok") {
			t.Errorf("%s: NumPy check of saved arrays: %v\n%s", id, err, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "no inputs"},
		{[]string{"run", "-kernel", "nope", "x.npy"}, "unknown kernel"},
		{[]string{"run", "-plan", "guess", "x.npy"}, "want estimate or measure"},
		{[]string{"run", "-outer", "-1", "x.npy"}, "negative"},
		{[]string{"run", "-bogus"}, "flag provided but not defined"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{}, "Usage"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}

// TestDoubleDashFlags: Go's flag package takes -flag and --flag alike.
func TestDoubleDashFlags(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "gen", "--size", "5", "--count", "2", "--dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := runCLI(t, "run", "--quiet", "--outer", "1", "--inner", "1", "--kernel", "svdvals", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if recs := parseRecords(t, stdout); len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"run", "env", "gen"} {
		code, _, stderr := runCLI(t, cmd, "-h")
		if code != 0 || !strings.Contains(stderr, "Usage: blasbatch "+cmd) {
			t.Errorf("%s -h: exit %d, %q", cmd, code, stderr)
		}
	}
	code, stdout, _ := runCLI(t, "--help")
	if code != 0 || !strings.Contains(stdout, "blasbatch run") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
}

func TestEnv(t *testing.T) {
	code, stdout, stderr := runCLI(t, "env", "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r envReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Cores < 1 || len(r.Usable.CPUs) < 1 || r.BLAS.Implementation == "" {
		t.Fatalf("env: %+v", r)
	}
	if r.BLAS.Implementation == "openblas" && (r.BLAS.Version == "" || len(r.BLAS.Runtimes) != 1) {
		t.Fatalf("OpenBLAS build should report its version and exactly one runtime: %+v", r.BLAS)
	}
	code, stdout, _ = runCLI(t, "env")
	if code != 0 || !strings.Contains(stdout, "blas") || !strings.Contains(stdout, "cpus") {
		t.Fatalf("env text: %q", stdout)
	}
}

// TestDefaultSplitCountsItems: a single stacked file with at least as many
// matrices as cores runs them as outer workers; one large matrix gets every
// core as BLAS threads.
func TestDefaultSplitCountsItems(t *testing.T) {
	h, err := blasbatch.ProbeHost()
	if err != nil {
		t.Fatal(err)
	}
	cores := h.Cores()
	dir := t.TempDir()
	stack := filepath.Join(dir, "stack.npy")
	if code, _, stderr := runCLI(t, "gen", "-size", "8", "-count", strconv.Itoa(cores), "-stack", stack); code != 0 {
		t.Fatal(stderr)
	}
	one := filepath.Join(dir, "one")
	// Large enough that inner threads pay (the planner's threshold is ~650).
	if code, _, stderr := runCLI(t, "gen", "-size", "900", "-count", "1", "-dir", one); code != 0 {
		t.Fatal(stderr)
	}
	for _, c := range []struct {
		in   string
		want string
	}{
		{stack, fmt.Sprintf("(%d outer × 1 inner", cores)},
		{one, fmt.Sprintf("(1 outer × %d inner", cores)},
	} {
		if h.BLAS.Threading == blas.Serial && c.in == one {
			c.want = "(1 outer × 1 inner" // no inner threads: one item gets one core
		}
		code, _, stderr := runCLI(t, "run", "-kernel", "svdvals", c.in)
		if code != 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", c.in, code, stderr, c.want)
		}
	}
}

// TestHybridSplitMatchesInProcess: a split with outer and inner both above 1
// runs on process lanes and gives the same numbers as one core in-process;
// -isolate does the same for N × 1.
func TestHybridSplitMatchesInProcess(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "gen", "-rows", "40", "-cols", "30", "-count", "7", "-dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	code, ref, stderr := runCLI(t, "run", "-quiet", "-outer", "1", "-inner", "1", dir)
	if code != 0 {
		t.Fatal(stderr)
	}
	want := parseRecords(t, ref)
	splits := [][]string{{"-outer", "2", "-inner", "1", "-isolate"}}
	if blas.Linked { // gonum has no inner threads: -inner 2 would run as 1
		splits = append(splits, []string{"-outer", "2", "-inner", "2"})
	}
	for _, args := range splits {
		code, out, stderr := runCLI(t, append(append([]string{"run", "-kernel", "svd"}, args...), dir)...)
		if code != 0 || !strings.Contains(stderr, "in lane processes") {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		got := parseRecords(t, out)
		if len(got) != len(want) {
			t.Fatalf("%v: %d records, want %d", args, len(got), len(want))
		}
		for id, w := range want {
			g := got[id]
			for i := range w.SingularValues {
				if math.Abs(g.SingularValues[i]-w.SingularValues[i]) > 1e-12*w.SingularValues[0] {
					t.Fatalf("%v: %s σ[%d] %v != %v", args, id, i, g.SingularValues[i], w.SingularValues[i])
				}
			}
		}
	}
}

// TestBigItemsFirst: mixed sizes run largest first, so small ones fill in
// behind; with one worker the records come out in that order.
func TestBigItemsFirst(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		size int
	}{{"a", 5}, {"b", 60}, {"c", 7}, {"d", 30}} {
		if code, _, stderr := runCLI(t, "gen", "-size", strconv.Itoa(c.size), "-count", "1", "-dir", filepath.Join(dir, c.name)); code != 0 {
			t.Fatal(stderr)
		}
	}
	args := []string{"run", "-quiet", "-outer", "1", "-inner", "1"}
	for _, n := range []string{"a", "b", "c", "d"} {
		args = append(args, filepath.Join(dir, n))
	}
	code, out, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatal(stderr)
	}
	var sizes []int
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var r record
		json.Unmarshal(sc.Bytes(), &r)
		sizes = append(sizes, r.Rows)
	}
	if fmt.Sprint(sizes) != "[60 30 7 5]" {
		t.Fatalf("processing order by size %v, want largest first [60 30 7 5]", sizes)
	}
}

func TestPlanCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, "gen", "-size", "20", "-count", "5", "-dir", dir); code != 0 {
		t.Fatal(stderr)
	}
	wisdom := filepath.Join(t.TempDir(), "w.json")
	code, out, stderr := runCLI(t, "plan", "-json", "-plan", "measure", "-wisdom", wisdom, dir)
	if code != 0 {
		t.Fatal(stderr)
	}
	var r planReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Items != 5 || len(r.Phases) == 0 || len(r.LaneCPUs) != len(r.Phases) || len(r.Candidates) == 0 || r.Seconds <= 0 {
		t.Fatalf("plan report %+v", r)
	}
	if _, err := os.Stat(wisdom); err != nil {
		t.Fatalf("-plan measure saved no wisdom: %v", err)
	}
	// The next estimate uses it.
	code, out, _ = runCLI(t, "plan", "-wisdom", wisdom, dir)
	if code != 0 || !strings.Contains(out, "from wisdom") {
		t.Fatalf("estimate after measure did not use the wisdom: %s", out)
	}
}

// TestRawWithShape: a raw .f64 file needs its shape, from -shape or a
// sidecar; without one it is a failed record saying so.
func TestRawWithShape(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.f64")
	f, _ := os.Create(p)
	for _, v := range []float64{3, 0, 0, 0, 2, 0} { // 2×3, σ = 3, 2
		binary.Write(f, binary.LittleEndian, v)
	}
	f.Close()
	code, out, _ := runCLI(t, "run", "-quiet", "-kernel", "svdvals", p)
	if code != exitFailed || !strings.Contains(out, "shape") {
		t.Fatalf("no shape: exit %d, %s", code, out)
	}
	code, out, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-shape", "2x3", p)
	if code != 0 {
		t.Fatalf("-shape 2x3: exit %d, %s", code, stderr)
	}
	r := parseRecords(t, out)[p]
	if r.Rows != 2 || r.Cols != 3 || len(r.SingularValues) != 2 || math.Abs(r.SingularValues[0]-3) > 1e-12 || math.Abs(r.SingularValues[1]-2) > 1e-12 {
		t.Fatalf("record %+v", r)
	}
	if code, _, _ := runCLI(t, "run", "-shape", "2x", p); code != exitUsage {
		t.Fatalf("bad -shape: exit %d", code)
	}
}

// TestMeasureMemoryBound: -plan measure times a memory-bound kernel with
// every core at once and keeps that in wisdom for the planner.
func TestMeasureMemoryBound(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 64, 3)
	wisdom := filepath.Join(t.TempDir(), "w.json")
	code, out, stderr := runCLI(t, "plan", "-kernel", "hadamard", "-plan", "measure", "-wisdom", wisdom, dir)
	if code != 0 {
		t.Fatal(stderr)
	}
	h, _ := blasbatch.ProbeHost()
	if h.Cores() > 1 && !strings.Contains(out, "at once") {
		t.Fatalf("no concurrent measurement: %s", out)
	}
	raw, _ := os.ReadFile(wisdom)
	if h.Cores() > 1 && !strings.Contains(string(raw), "Saturated") {
		t.Fatalf("wisdom lacks the saturated time: %s", raw)
	}
}
