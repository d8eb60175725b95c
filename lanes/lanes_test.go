package lanes_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/lanes"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// exe is the blasbatch binary built by TestMain (from this tree, with the
// test's CGO_ENABLED, so OpenBLAS or gonum as the test itself).
var exe string

func TestMain(m *testing.M) {
	code := buildAndRun(m)
	if code == 0 {
		// No goroutine a test started may outlive the tests.
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) int {
	if os.Getenv("LANES_HELPER_EXE") != "" {
		exe = os.Getenv("LANES_HELPER_EXE") // TestHelperParent: already built
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "lanes-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || len(bytes.TrimSpace(gomod)) == 0 {
		fmt.Fprintf(os.Stderr, "lanes tests: go env GOMOD: %v\n", err)
		return 1
	}
	exe = filepath.Join(dir, "blasbatch")
	build := exec.Command("go", "build", "-o", exe, "./cmd/blasbatch")
	build.Dir = filepath.Dir(string(bytes.TrimSpace(gomod)))
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "lanes tests: building blasbatch: %v\n", err)
		return 1
	}
	return m.Run()
}

// cpus returns the first n CPUs this process may run on, or skips.
func cpus(t *testing.T, n int) []int {
	t.Helper()
	c, err := threads.Affinity()
	if err != nil || len(c) < n {
		t.Skipf("need %d usable CPUs, have %v (%v)", n, c, err)
	}
	return c[:n]
}

// writeStack writes k random m×n matrices as a 3-D .npy (2-D if k is 0).
func writeStack(t *testing.T, path string, k, m, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	shape := []int{k, m, n}
	if k == 0 {
		shape, k = shape[1:], 1
	}
	if err := matio.WriteNpyHeader(w, shape, false); err != nil {
		t.Fatal(err)
	}
	a := make([]float64, m*n)
	for range k {
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		if err := matio.WriteFloat64s(w, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

type rec struct {
	Input  string    `json:"input"`
	Kernel string    `json:"kernel"`
	Rows   int       `json:"rows"`
	Cols   int       `json:"cols"`
	OK     bool      `json:"ok"`
	Error  string    `json:"error"`
	Values []float64 `json:"singular_values"`
	Lane   *int      `json:"lane"`
}

// records parses JSON Lines, failing on anything that is not a record or
// on two records for one item.
func records(t *testing.T, b []byte) map[string]rec {
	t.Helper()
	out := map[string]rec{}
	for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r rec
		if err := json.Unmarshal(line, &r); err != nil || r.Lane == nil || r.Kernel == "" {
			t.Fatalf("not a record: %q (%v)", line, err)
		}
		if _, dup := out[r.Input]; dup {
			t.Fatalf("two records for %s", r.Input)
		}
		out[r.Input] = r
	}
	return out
}

// lineWriter is an Out that checks every Write is whole lines and calls
// onLine for each.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(rec)
	bad    error
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(p) == 0 || p[len(p)-1] != '\n' || bytes.Count(p, []byte("\n")) != 1 {
		w.bad = fmt.Errorf("Write of %q is not one whole line", p)
	}
	w.buf.Write(p)
	if w.onLine != nil {
		var r rec
		json.Unmarshal(p, &r)
		w.onLine(r)
	}
	return len(p), nil
}

func (w *lineWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

// pids records the lane processes OnStart reports.
type pids struct {
	mu     sync.Mutex
	byLane map[int][]int
}

func (p *pids) onStart(lane, pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byLane == nil {
		p.byLane = map[int][]int{}
	}
	p.byLane[lane] = append(p.byLane[lane], pid)
}

func (p *pids) all() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var all []int
	for _, l := range p.byLane {
		all = append(all, l...)
	}
	return all
}

func (p *pids) current(lane int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.byLane[lane]
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1]
}

// alive reports whether pid exists (a zombie counts: it was not reaped).
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// TestHybridEqualsInProcess: the same inputs through lanes (two lanes of
// one CPU, one lane of two CPUs), cut into tasks, give the records batch.Run
// gives in process: the same ids, the same failures, the same singular
// values to 1e-12 relative; and --save is written by the lanes.
func TestHybridEqualsInProcess(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "stack.npy")
	writeStack(t, stack, 7, 30, 20, 1)
	mat := filepath.Join(dir, "mat.npy")
	writeStack(t, mat, 0, 50, 45, 2)
	garbage := filepath.Join(dir, "garbage.npy")
	os.WriteFile(garbage, []byte("not numpy"), 0o644)
	missing := filepath.Join(dir, "missing.npy")
	bytesName := filepath.Join(dir, "latin1-\xe9t\xe9.npy") // not UTF-8
	writeStack(t, bytesName, 2, 5, 6, 3)
	inputs := []string{stack, mat, garbage, missing, bytesName}
	tasks := []batch.Source{
		{Path: stack, First: 0, Count: 3},
		{Path: mat},
		{Path: stack, First: 3, Count: 2},
		{Path: garbage},
		{Path: stack, First: 5},
		{Path: missing},
		{Path: bytesName},
	}

	spec, _ := kernels.Lookup("svd")
	var ref bytes.Buffer
	refSum, err := batch.Run(context.Background(), batch.Config{Inputs: inputs, Kernel: spec, Out: &ref})
	if err != nil {
		t.Fatal(err)
	}
	want := records(t, ref.Bytes())

	c := cpus(t, 2)
	for _, split := range [][][]int{{{c[0]}, {c[1]}}, {{c[0], c[1]}}} {
		t.Run(fmt.Sprint(split), func(t *testing.T) {
			var out lineWriter
			save := filepath.Join(t.TempDir(), "save")
			var warns []string
			sum, err := lanes.Run(context.Background(), lanes.Config{
				Exe: exe, Kernel: "svd", Save: save, Lanes: split, Tasks: tasks, Out: &out,
				Warn: func(s string) { warns = append(warns, s) },
			})
			if err != nil || out.bad != nil {
				t.Fatal(err, out.bad)
			}
			if len(warns) > 0 {
				t.Errorf("warnings: %q", warns)
			}
			if sum.OK != refSum.OK || sum.Failed != refSum.Failed {
				t.Errorf("summary %+v, in process %+v", sum, refSum)
			}
			got := records(t, out.bytes())
			if len(got) != len(want) {
				t.Errorf("%d records, in process %d", len(got), len(want))
			}
			for id, w := range want {
				g, ok := got[id]
				if !ok {
					t.Errorf("no record for %s", id)
					continue
				}
				if g.OK != w.OK || g.Error != w.Error || g.Rows != w.Rows || g.Cols != w.Cols || len(g.Values) != len(w.Values) {
					t.Errorf("%s: %+v, in process %+v", id, g, w)
					continue
				}
				if *g.Lane < 0 || *g.Lane >= len(split) {
					t.Errorf("%s: lane %d", id, *g.Lane)
				}
				for i := range w.Values {
					if d := math.Abs(g.Values[i] - w.Values[i]); d > 1e-12*math.Abs(w.Values[0]) {
						t.Errorf("%s σ[%d] = %v, in process %v", id, i, g.Values[i], w.Values[i])
					}
				}
			}
			if _, err := os.Stat(filepath.Join(save, batch.SafeName(stack+"[6]")+".U.npy")); err != nil {
				t.Errorf("--save: %v", err)
			}
		})
	}
}

// TestLaneKilledMidItem kills a lane process while it computes a large
// item: exactly that item gets a failed record naming the lane, its CPU and
// the signal; every other item is computed; the lane is restarted; Run
// returns normally.
func TestLaneKilledMidItem(t *testing.T) {
	c := cpus(t, 2)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.npy")
	writeStack(t, big, 4, 700, 700, 3)
	small := filepath.Join(dir, "small.npy")
	writeStack(t, small, 6, 8, 8, 4)

	var ps pids
	killed := -1 // the lane killed
	var killErr error
	out := lineWriter{onLine: func(r rec) {
		if r.Input == big+"[1]" && killed < 0 {
			killed = *r.Lane
			// The lane has just finished item 1 and is computing item 2.
			killErr = syscall.Kill(ps.current(killed), syscall.SIGKILL)
		}
	}}
	var warns []string
	sum, err := lanes.Run(context.Background(), lanes.Config{
		Exe: exe, Kernel: "svd", Lanes: [][]int{{c[0]}, {c[1]}},
		Tasks:   []batch.Source{{Path: big}, {Path: small, Count: 3}, {Path: small, First: 3}},
		Out:     &out,
		OnStart: ps.onStart,
		Warn:    func(s string) { warns = append(warns, s) },
	})
	if err != nil || out.bad != nil || killErr != nil {
		t.Fatal(err, out.bad, killErr)
	}
	if killed < 0 {
		t.Fatal("big[1] never finished")
	}
	got := records(t, out.bytes())
	wantFail := big + "[2]"
	for i := range 4 {
		id := fmt.Sprintf("%s[%d]", big, i)
		r, ok := got[id]
		switch {
		case !ok:
			t.Errorf("no record for %s", id)
		case id == wantFail:
			cause := fmt.Sprintf("lane %d (CPU %d) died: signal: killed", killed, c[killed])
			if r.OK || r.Error != id+": "+cause || *r.Lane != killed || r.Rows != 700 || r.Cols != 700 {
				t.Errorf("the item in flight: %+v, want a failure %q", r, cause)
			}
		case !r.OK:
			t.Errorf("%s failed: %s", id, r.Error)
		}
	}
	for i := range 6 {
		if r := got[fmt.Sprintf("%s[%d]", small, i)]; !r.OK {
			t.Errorf("small[%d]: %+v", i, r)
		}
	}
	if len(got) != 10 || sum.OK != 9 || sum.Failed != 1 {
		t.Errorf("%d records, summary %+v; want 10, 9 ok", len(got), sum)
	}
	if n := len(ps.byLane[killed]); n != 2 {
		t.Errorf("lane %d started %d times, want 2 (a restart)", killed, n)
	}
	if len(ps.byLane[1-killed]) != 1 {
		t.Errorf("the other lane started %d times", len(ps.byLane[1-killed]))
	}
	if !slices.ContainsFunc(warns, func(s string) bool { return strings.Contains(s, "signal: killed; restarting") }) {
		t.Errorf("no warning of the restart: %q", warns)
	}
	for _, pid := range ps.all() {
		if alive(pid) {
			t.Errorf("lane process %d still exists after Run", pid)
		}
	}
}

// TestLanePinnedWithThreads: a lane process starts pinned to its CPUs,
// every thread of it (OpenBLAS's included), with OPENBLAS_NUM_THREADS the
// size of its CPU set.
func TestLanePinnedWithThreads(t *testing.T) {
	c := cpus(t, 2)
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	writeStack(t, in, 3, 100, 100, 5)
	for _, set := range [][]int{{c[1]}, {c[0], c[1]}} {
		want := threads.FormatCPUList(set)
		var pid int
		var checked bool
		out := lineWriter{onLine: func(rec) {
			if checked {
				return
			}
			// The lane is running: every thread it has must be pinned.
			checked = true
			tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
			if err != nil || len(tasks) == 0 {
				t.Errorf("threads of %d: %v", pid, err)
			}
			for _, f := range tasks {
				if got := cpusAllowed(t, f); got != want {
					t.Errorf("%s: Cpus_allowed_list %q, want %q", f, got, want)
				}
			}
		}}
		_, err := lanes.Run(context.Background(), lanes.Config{
			Exe: exe, Kernel: "svdvals", Lanes: [][]int{set}, Tasks: []batch.Source{{Path: in}}, Out: &out,
			OnStart: func(lane, p int) {
				pid = p
				if got := cpusAllowed(t, fmt.Sprintf("/proc/%d/status", p)); got != want {
					t.Errorf("lane on %s: Cpus_allowed_list %q", want, got)
				}
				env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p))
				if err != nil {
					t.Error(err)
				}
				vars := strings.Split(string(env), "\x00")
				wantVar := fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", len(set))
				if !slices.Contains(vars, wantVar) || slices.ContainsFunc(vars, func(v string) bool {
					return strings.HasPrefix(v, "OPENBLAS_NUM_THREADS=") && v != wantVar
				}) {
					t.Errorf("lane on %s: environment lacks %s only", want, wantVar)
				}
			},
		})
		if err != nil || !checked {
			t.Fatal(err, checked)
		}
	}
}

func cpusAllowed(t *testing.T, status string) string {
	t.Helper()
	b, err := os.ReadFile(status)
	if err != nil {
		t.Errorf("reading %s: %v", status, err)
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Errorf("%s: no Cpus_allowed_list", status)
	return ""
}

// TestCancelLeavesNoOrphans cancels a run while both lanes compute large
// items: Run returns ctx's error promptly and no lane process is left.
func TestCancelLeavesNoOrphans(t *testing.T) {
	c := cpus(t, 2)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.npy")
	writeStack(t, big, 8, 700, 700, 6)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ps pids
	var n int
	out := lineWriter{onLine: func(rec) {
		if n++; n == 1 {
			cancel() // both lanes are busy with their next item
		}
	}}
	t0 := time.Now()
	sum, err := lanes.Run(ctx, lanes.Config{
		Exe: exe, Kernel: "svd", Lanes: [][]int{{c[0]}, {c[1]}},
		Tasks:   []batch.Source{{Path: big, Count: 4}, {Path: big, First: 4}},
		Out:     &out,
		OnStart: ps.onStart,
		Grace:   50 * time.Millisecond,
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	if sum.Items() >= 8 {
		t.Errorf("every item ran despite the cancellation: %+v", sum)
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("Run took %v", d)
	}
	all := ps.all()
	if len(all) != 2 {
		t.Errorf("%d lane processes started, want 2", len(all))
	}
	for _, pid := range all {
		if alive(pid) {
			t.Errorf("lane process %d outlived Run", pid)
		}
	}
}

// TestNoLaneLeft: lanes that cannot start are given up after MaxDeaths
// tries, and every item gets a failed record saying why; Run does not hang.
func TestNoLaneLeft(t *testing.T) {
	c := cpus(t, 1)
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	writeStack(t, in, 3, 4, 4, 7)
	var out lineWriter
	sum, err := lanes.Run(context.Background(), lanes.Config{
		Exe: filepath.Join(dir, "no-such-blasbatch"), Kernel: "svd", Lanes: [][]int{c, c},
		Tasks: []batch.Source{{Path: in, First: 1}, {Path: in, Count: 1}},
		Out:   &out,
	})
	if err == nil || !strings.Contains(err.Error(), "every lane is gone") {
		t.Errorf("Run = %v, want every lane gone", err)
	}
	got := records(t, out.bytes())
	if len(got) != 3 || sum.Failed != 3 || sum.OK != 0 {
		t.Fatalf("%d records, summary %+v; want 3 failed", len(got), sum)
	}
	for id, r := range got {
		if r.OK || *r.Lane != -1 || !strings.HasPrefix(r.Error, id+": not run: no lane is left (last: lane ") ||
			!strings.Contains(r.Error, "could not start") || r.Rows != 4 {
			t.Errorf("%s: %+v", id, r)
		}
	}
}

// TestLaneCommand drives "blasbatch lane" directly through the protocol:
// a ready line, then per task a started line, its records and a done line
// counting them; exit 0 at the end of input. A bad task line is an error.
func TestLaneCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	writeStack(t, in, 5, 6, 4, 8)
	cmd := exec.Command(exe, "lane", "-kernel", "svdvals", "-lane", "3")
	cmd.Stdin = strings.NewReader(fmt.Sprintf(`{"lane_task":7,"path":%q,"first":1,"count":2}`+"\n"+
		`{"lane_task":8,"path":%q,"first":4,"count":0}`+"\n", in, in))
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	wantShape := []string{`{"lane_ready":`, `{"lane_task_started":7}`, `{"input":"` + in + `[1]"`, `{"input":"` + in + `[2]"`,
		`{"lane_task_done":7,"records":2}`, `{"lane_task_started":8}`, `{"input":"` + in + `[4]"`, `{"lane_task_done":8,"records":1}`}
	if len(lines) != len(wantShape) {
		t.Fatalf("output:\n%s", b)
	}
	for i, w := range wantShape {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %s, want it to start %s", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[0], `"blas_threads":1`) || !strings.Contains(lines[2], `"lane":3}`) {
		t.Errorf("ready line %s, record %s", lines[0], lines[2])
	}

	cmd = exec.Command(exe, "lane", "-kernel", "svdvals")
	cmd.Stdin = strings.NewReader("hello\n")
	cmd.Stdout = io.Discard
	stderr.Reset()
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "malformed task line") {
		t.Errorf("a bad task line: %v, %s", err, stderr.String())
	}
	if err := exec.Command(exe, "lane", "-kernel", "nope").Run(); err == nil {
		t.Error("an unknown kernel was accepted")
	}
}

// script writes an executable shell script that stands in for blasbatch.
// It gets the arguments lane -kernel K -lane N [-save DIR].
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lane.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLaneCrashing: a lane that exits at once with a message on standard
// error is restarted MaxDeaths-1 times, then given up, and the cause names
// its exit status and message.
func TestLaneCrashing(t *testing.T) {
	c := cpus(t, 1)
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	writeStack(t, in, 2, 4, 4, 9)
	var ps pids
	var out lineWriter
	sum, err := lanes.Run(context.Background(), lanes.Config{
		Exe: script(t, "echo boom >&2; exit 3\n"), Kernel: "svd", Lanes: [][]int{c},
		Tasks: []batch.Source{{Path: in}}, Out: &out, OnStart: ps.onStart, MaxDeaths: 2,
	})
	if err == nil || !strings.Contains(err.Error(), "lane 0 (CPU "+fmt.Sprint(c[0])+") died: exit status 3: boom") {
		t.Errorf("Run = %v", err)
	}
	if sum.Failed != 2 || len(ps.byLane[0]) != 2 {
		t.Errorf("summary %+v, %d starts; want 2 failed, 2 starts", sum, len(ps.byLane[0]))
	}
}

// TestTaskNotStartedIsNotLost: a lane that dies after a task was sent to it
// but before it said it started it loses no item: the task goes whole to
// another lane. Its unexpected output is reported, not copied.
func TestTaskNotStartedIsNotLost(t *testing.T) {
	c := cpus(t, 2)
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	writeStack(t, in, 6, 20, 20, 10)
	// Lane 0 says it is ready, prints junk, reads its task and dies; lane 1
	// is the real thing, started late so that lane 0 takes the tasks first.
	fake := script(t, `if [ "$5" = 0 ]; then echo '{"lane_ready":0}'; echo junk; read task; exit 3; fi
sleep 0.3; exec `+exe+` "$@"
`)
	var ps pids
	var out lineWriter
	var warns []string
	sum, err := lanes.Run(context.Background(), lanes.Config{
		Exe: fake, Kernel: "svd", Lanes: [][]int{{c[0]}, {c[1]}},
		Tasks: []batch.Source{{Path: in, Count: 2}, {Path: in, First: 2, Count: 2}, {Path: in, First: 4}},
		Out:   &out, OnStart: ps.onStart,
		Warn: func(s string) { warns = append(warns, s) },
	})
	if err != nil || out.bad != nil {
		t.Fatal(err, out.bad)
	}
	got := records(t, out.bytes())
	if sum.OK != 6 || sum.Failed != 0 || len(got) != 6 {
		t.Errorf("summary %+v, %d records; want 6 ok", sum, len(got))
	}
	if len(ps.byLane[0]) != 3 {
		t.Errorf("lane 0 started %d times, want 3", len(ps.byLane[0]))
	}
	joined := strings.Join(warns, "\n")
	for _, w := range []string{`unexpected output "junk"`, "died: exit status 3; restarting it", "not restarted: it died 3 times in a row"} {
		if !strings.Contains(joined, w) {
			t.Errorf("no warning %q in:\n%s", w, joined)
		}
	}
}

// TestParentKilledTakesLanes kills a parent with SIGKILL, so that Run
// cannot stop its lanes: the kernel must (PR_SET_PDEATHSIG, set from the
// thread that stays locked while its lane lives). The lanes are stand-ins
// that would otherwise sleep for a minute, whatever happens to their pipes.
func TestParentKilledTakesLanes(t *testing.T) {
	if os.Getenv("LANES_HELPER_EXE") != "" {
		t.Skip("the helper does not run this test")
	}
	c := cpus(t, 2)
	in := filepath.Join(t.TempDir(), "a.npy")
	writeStack(t, in, 2, 2, 2, 11)
	parent := exec.Command(os.Args[0], "-test.run=^TestHelperParent$")
	parent.Env = append(os.Environ(), "LANES_HELPER_INPUT="+in,
		"LANES_HELPER_EXE="+script(t, "trap '' TERM; exec sleep 60\n"),
		fmt.Sprintf("LANES_HELPER_CPUS=%d,%d", c[0], c[1]))
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var lanePIDs []int
	sc := bufio.NewScanner(stdout)
	for len(lanePIDs) < 2 && sc.Scan() {
		var pid int
		if _, err := fmt.Sscanf(sc.Text(), "lane pid %d", &pid); err == nil {
			lanePIDs = append(lanePIDs, pid)
		}
	}
	parent.Process.Kill()
	go io.Copy(io.Discard, stdout)
	parent.Wait()
	if len(lanePIDs) != 2 {
		t.Fatalf("the helper reported lanes %v", lanePIDs)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range lanePIDs {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Errorf("lane process %d outlived its killed parent", pid)
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// gone reports whether pid no longer runs: it does not exist, or is a
// zombie left for a reaper.
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// TestHelperParent is the parent that TestParentKilledTakesLanes kills: it
// starts two lanes and reports their pids on stdout.
func TestHelperParent(t *testing.T) {
	in := os.Getenv("LANES_HELPER_INPUT")
	if in == "" {
		t.Skip("run by TestParentKilledTakesLanes")
	}
	var set [2]int
	fmt.Sscanf(os.Getenv("LANES_HELPER_CPUS"), "%d,%d", &set[0], &set[1])
	lanes.Run(context.Background(), lanes.Config{
		Exe: exe, Kernel: "svd", Lanes: [][]int{{set[0]}, {set[1]}},
		Tasks:   []batch.Source{{Path: in}},
		OnStart: func(_, pid int) { fmt.Printf("lane pid %d\n", pid) },
	})
}
