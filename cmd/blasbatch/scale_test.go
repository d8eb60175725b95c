package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"go.uber.org/goleak"
)

// mainEnv makes the test binary a blasbatch binary: with it set, TestMain
// runs the command line and exits, the helper-process pattern of os/exec's
// tests, so the tests that need a real process (scale's timed runs, kills,
// signals) need not build one. Lane processes need nothing: TestMain calls
// blasbatch.LaneMain first, as main does.
const mainEnv = "BLASBATCH_TEST_MAIN"

func TestMain(m *testing.M) {
	// As main does, for this binary run as blasbatch or as its lane; the
	// tests' own process keeps Go's default (TestSpareP compares with it).
	asBlasbatch := os.Getenv(mainEnv) == "1"
	if asBlasbatch || lanes.IsChild() {
		spareP()
	}
	blasbatch.LaneMain()
	if asBlasbatch {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// useBuiltBlasbatch points scale (and startRun) at this test binary as a
// blasbatch binary for the rest of the test.
func useBuiltBlasbatch(t *testing.T) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(exeEnv, exe)
	t.Setenv(mainEnv, "1")
}

// tableRow is one parsed row of scale's markdown table.
type tableRow struct {
	outer, inner, threads int
	seconds, speedup      string
	checksum              string
	note                  string
}

// parseTable returns the rows of the markdown table in scale's output.
func parseTable(t *testing.T, out string) []tableRow {
	t.Helper()
	var rows []tableRow
	var header bool
	for line := range strings.Lines(out) {
		if !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if len(cells) != 8 {
			t.Fatalf("table line with %d cells: %q", len(cells), line)
		}
		if !header {
			if want := "outer inner threads seconds speedup efficiency checksum note"; strings.Join(cells, " ") != want {
				t.Fatalf("header %q, want %q", cells, want)
			}
			header = true
			continue
		}
		if strings.HasPrefix(cells[0], "-") {
			continue
		}
		var r tableRow
		var err error
		for i, p := range []*int{&r.outer, &r.inner, &r.threads} {
			if *p, err = strconv.Atoi(cells[i]); err != nil {
				t.Fatalf("row %q: %v", line, err)
			}
		}
		r.seconds, r.speedup, r.checksum, r.note = cells[3], cells[4], cells[6], cells[7]
		rows = append(rows, r)
	}
	if !header {
		t.Fatalf("no table in %q", out)
	}
	return rows
}

func usableCores(t *testing.T) int {
	t.Helper()
	h, err := blasbatch.ProbeHost()
	if err != nil {
		t.Fatal(err)
	}
	return h.Cores()
}

// TestScaleTable: a row for each split of the grid that fits the usable
// cores, the same checksum in each, 1 × 1 at speedup 1.00; -json names its
// fields as documented and -plot writes a PNG.
func TestScaleTable(t *testing.T) {
	useBuiltBlasbatch(t)
	cores := usableCores(t)
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "rows.json")
	pngPath := filepath.Join(dir, "scale.png")
	code, stdout, stderr := runCLI(t, "scale", "--kernel", "svd", "--size", "8", "--count", "4",
		"--outer", "1,2,4", "--inner", "1,2", "--json", jsonPath, "--plot", pngPath)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "svd of 4 random 8×8 matrices") {
		t.Errorf("no workload line: %q", stdout)
	}
	rows := parseTable(t, stdout)
	var want []string
	for _, o := range []int{1, 2, 4} {
		for _, i := range []int{1, 2} {
			if o*i <= cores {
				want = append(want, fmt.Sprint(o, "x", i))
			}
		}
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r.outer, "x", r.inner))
		if r.threads != r.outer*r.inner {
			t.Errorf("%d × %d: threads %d", r.outer, r.inner, r.threads)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rows %v, want %v (on %d usable cores)\n%s", got, want, cores, stdout)
	}
	for _, r := range rows {
		refused := strings.Contains(r.note, "refused")
		if refused || r.checksum != rows[0].checksum {
			t.Errorf("%d × %d: checksum %q note %q, want checksum %q like 1 × 1", r.outer, r.inner, r.checksum, r.note, rows[0].checksum)
		}
	}
	if rows[0].outer != 1 || rows[0].inner != 1 || rows[0].speedup != "1.00" {
		t.Errorf("first row %+v, want 1 × 1 at speedup 1.00", rows[0])
	}
	if strings.Contains(stderr, "checksum") {
		t.Errorf("checksum warning: %s", stderr)
	}

	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	if err := json.Unmarshal(raw, &objs); err != nil {
		t.Fatalf("-json is not a JSON array: %v\n%s", err, raw)
	}
	if len(objs) != len(rows) {
		t.Fatalf("%d JSON rows, %d table rows", len(objs), len(rows))
	}
	for _, o := range objs {
		for _, k := range []string{"outer", "inner", "seconds", "speedup", "efficiency", "checksum"} {
			if _, ok := o[k]; !ok {
				t.Errorf("JSON row without %q: %v", k, o)
			}
		}
		for k := range o {
			switch k {
			case "outer", "inner", "seconds", "speedup", "efficiency", "checksum", "oversubscribed", "error":
			default:
				t.Errorf("JSON row with unexpected field %q: %v", k, o)
			}
		}
	}
	if objs[0]["speedup"] != 1.0 || objs[0]["efficiency"] != 1.0 {
		t.Errorf("1 × 1 in JSON: %v", objs[0])
	}

	png, err := os.ReadFile(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Errorf("-plot wrote %d bytes starting %q, want a PNG", len(png), png[:min(len(png), 8)])
	}
}

// TestScaleExtraOversubscribed: a split listed in -extra runs even when it
// has more threads than cores, and its row says it is oversubscribed; a
// kept -dir is reused by the next scale.
func TestScaleExtraOversubscribed(t *testing.T) {
	useBuiltBlasbatch(t)
	cores := usableCores(t)
	over := cores + 1
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"scale", "-size", "8", "-count", "4", "-outer", "1", "-inner", "1",
		"-extra", fmt.Sprintf("%dx1", over), "-dir", data, "-repeat", "2"}
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := parseTable(t, stdout)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 1 × 1 and %d × 1:\n%s", len(rows), over, stdout)
	}
	if r := rows[1]; r.outer != over || r.inner != 1 || r.note != "oversubscribed" || r.checksum != rows[0].checksum {
		t.Errorf("extra row %+v, want %d × 1 oversubscribed with checksum %s", r, over, rows[0].checksum)
	}
	if strings.Contains(rows[0].note, "oversubscribed") {
		t.Errorf("1 × 1 marked oversubscribed: %+v", rows[0])
	}
	if _, err := os.Stat(filepath.Join(data, "m00003.npy")); err != nil {
		t.Fatalf("-dir not kept: %v", err)
	}
	code, stdout2, stderr := runCLI(t, args...)
	if code != exitOK || !strings.Contains(stderr, "reusing") {
		t.Errorf("second run: exit %d, want the workload reused; stderr: %s", code, stderr)
	}
	if r := parseTable(t, stdout2); r[0].checksum != rows[0].checksum {
		t.Errorf("reused workload: checksum %s, first time %s", r[0].checksum, rows[0].checksum)
	}
}

// TestScaleNoBaseline: without 1 × 1 in the grid, speedup is over the
// slowest row and a line under the table says so.
func TestScaleNoBaseline(t *testing.T) {
	useBuiltBlasbatch(t)
	if usableCores(t) < 2 {
		t.Skip("needs 2 usable cores")
	}
	code, stdout, stderr := runCLI(t, "scale", "-size", "8", "-count", "4", "-outer", "2", "-inner", "1", "-extra", "1x2")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "speedup is over the slowest row") {
		t.Errorf("no baseline line:\n%s", stdout)
	}
}

func TestScaleUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-outer", "0"}, `"0" is not a positive integer`},
		{[]string{"-inner", "x"}, `"x" is not a positive integer`},
		{[]string{"-outer", "1,,2"}, `"" is not a positive integer`},
		{[]string{"-extra", "2x"}, "not a split"},
		{[]string{"-extra", "2by2"}, "not a split"},
		{[]string{"-size", "0"}, "must be positive"},
		{[]string{"-repeat", "0"}, "must be positive"},
		{[]string{"-kernel", "nope"}, "unknown kernel"},
		{[]string{"-outer", "1000", "-inner", "1000"}, "no split of the grid fits"},
		{[]string{"data"}, "unexpected arguments"},
	} {
		code, _, stderr := runCLI(t, append([]string{"scale"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("scale %v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
	code, _, stderr := runCLI(t, "scale", "-h")
	if code != exitOK || !strings.Contains(stderr, "Usage: blasbatch scale") || !strings.Contains(stderr, "-extra") {
		t.Errorf("scale -h: exit %d, %q", code, stderr)
	}
}

func TestParseShapesAndCounts(t *testing.T) {
	s, err := parseShapes("2x2, 4×1,2x2")
	if err != nil || len(s) != 2 || s[0] != (shape{2, 2}) || s[1] != (shape{4, 1}) {
		t.Errorf("parseShapes: %v, %v", s, err)
	}
	n, err := parseCounts("4,1,2,4")
	if err != nil || fmt.Sprint(n) != "[4 1 2]" {
		t.Errorf("parseCounts: %v, %v", n, err)
	}
	if got := fmt.Sprint(powersUpTo(6)); got != "[1 2 4 6]" {
		t.Errorf("powersUpTo(6) = %s", got)
	}
	if got := fmt.Sprint(powersUpTo(1)); got != "[1]" {
		t.Errorf("powersUpTo(1) = %s", got)
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median = %v", got)
	}
}

func TestSpeedupTicks(t *testing.T) {
	for _, c := range []struct {
		hi   float64
		want string
	}{
		{2.3, "0 0.5 1 1.5 2"},
		{2.0, "0 0.25 0.5 0.75 1 1.25 1.5 1.75 2"},
		{3.5, "0 0.5 1 1.5 2 2.5 3 3.5"},
		{9, "0 2 4 6 8"},
		{18.4, "0 5 10 15"},
		{75, "0 10 20 30 40 50 60 70"},
		{130, "0 20 40 60 80 100 120"},
	} {
		var got []string
		for _, tk := range speedupTicks(0, c.hi) {
			got = append(got, tk.Label)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("speedupTicks(0, %v) = %v, want %s", c.hi, got, c.want)
		}
	}
}
