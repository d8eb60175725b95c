package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that exec's copying goroutine and the
// test may use at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}

// startRun starts the built blasbatch binary with args and returns the
// command (stderr captured in errb).
func startRun(t *testing.T, errb *lockedBuffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Getenv(exeEnv), args...)
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// waitLines waits until path holds at least n newline-terminated lines.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if bytes.Count(b, []byte("\n")) >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never reached %d records", path, n)
}

// readJournal parses every line of a results file; any line that is not a
// whole record fails the test.
func readJournal(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("%s ends in a torn line", path)
	}
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: torn or foreign line %q: %v", path, sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func genFiles(t *testing.T, dir string, size, count int) {
	t.Helper()
	if code, _, stderr := runCLI(t, "gen", "-size", fmt.Sprint(size), "-count", fmt.Sprint(count), "-dir", dir); code != 0 {
		t.Fatal(stderr)
	}
}

// TestResumeAfterSIGKILL: a run over a few hundred files is killed with
// SIGKILL part way; a torn last line is left as a kill mid-write would;
// -resume cuts it, skips the finished items and completes the set. Every
// item then has exactly one ok record (nothing finished was recomputed),
// with values identical to an uninterrupted run.
func TestResumeAfterSIGKILL(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	// Items big enough (a few ms each) that 200 of them outlast polling
	// for the first 40 records by far on any machine.
	const total = 200
	genFiles(t, in, 200, total)
	ref := filepath.Join(dir, "ref.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-outer", "1", "-inner", "1", "-jsonl", ref, in); code != 0 {
		t.Fatal(stderr)
	}
	want := map[string][]float64{}
	for _, r := range readJournal(t, ref) {
		want[r.Input] = r.SingularValues
	}

	out := filepath.Join(dir, "out.jsonl")
	var errb lockedBuffer
	cmd := startRun(t, &errb, "run", "-quiet", "-outer", "1", "-inner", "1", "-sync", "every", "-jsonl", out, in)
	waitLines(t, out, 40)
	cmd.Process.Kill()
	cmd.Wait()
	before := readJournal(t, out)
	if len(before) >= total {
		t.Fatalf("the run finished before it could be killed: the test proves nothing")
	}
	// What a kill in the middle of a write leaves.
	f, _ := os.OpenFile(out, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"input":"` + filepath.Join(in, "m00199.npy") + `","kernel":"svd","rows":200,"co`)
	f.Close()

	errb.Reset()
	code, _, stderr := runCLI(t, "run", "-resume", "-outer", "1", "-inner", "1", "-jsonl", out, in)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d item(s) already ok", len(before))) || !strings.Contains(stderr, "cut a torn last line") {
		t.Errorf("resume did not report the done items and the cut: %q", stderr)
	}
	after := readJournal(t, out)
	ok := map[string]int{}
	for _, r := range after {
		if r.OK {
			ok[r.Input]++
			for i, v := range r.SingularValues {
				if math.Float64bits(v) != math.Float64bits(want[r.Input][i]) {
					t.Fatalf("%s σ[%d] = %v, uninterrupted run %v", r.Input, i, v, want[r.Input][i])
				}
			}
		}
	}
	if len(ok) != total {
		t.Fatalf("%d items have an ok record, want %d", len(ok), total)
	}
	for id, n := range ok {
		if n != 1 {
			t.Fatalf("%s has %d ok records: a finished item was recomputed", id, n)
		}
	}
	if recomputed := len(after) - len(before); recomputed != total-len(before) {
		t.Fatalf("resume wrote %d records for %d missing items", recomputed, total-len(before))
	}
}

// TestSIGINTFinishesInFlight: the first SIGINT stops taking new items,
// finishes those in flight, writes a summary and exits 130; the records
// are whole, the --save files complete (none half-written), and -resume
// finishes the set. SIGTERM exits 143. (A second signal: TestSecondSignalAbandons.)
func TestSIGINTFinishesInFlight(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 160, 120)
	for _, c := range []struct {
		name   string
		sigs   []syscall.Signal
		code   int
		phrase string
		extra  []string
	}{
		{"SIGINT", []syscall.Signal{syscall.SIGINT}, 130, "interrupted by interrupt", nil},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}, 143, "interrupted by terminated", nil},
		{"SIGINT on lanes", []syscall.Signal{syscall.SIGINT}, 130, "interrupted by interrupt", []string{"-isolate"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			save := filepath.Join(t.TempDir(), "save")
			var errb lockedBuffer
			args := append([]string{"run", "-outer", "2", "-inner", "1", "-save", save, "-jsonl", out}, c.extra...)
			src, total, wait := in, 120, 10
			cmd := startRun(t, &errb, append(args, src)...)
			waitLines(t, out, wait)
			for i, s := range c.sigs {
				if i > 0 {
					// Signals of one kind that arrive together are
					// delivered once: wait for the first to be taken.
					deadline := time.Now().Add(10 * time.Second)
					for !strings.Contains(errb.String(), "finishing the items in flight") && time.Now().Before(deadline) {
						time.Sleep(time.Millisecond)
					}
				}
				cmd.Process.Signal(s)
			}
			err := cmd.Wait()
			ee, _ := err.(*exec.ExitError)
			if ee == nil || ee.ExitCode() != c.code {
				t.Fatalf("exit %v, want %d; stderr %s", err, c.code, errb.String())
			}
			if !strings.Contains(errb.String(), c.phrase) {
				t.Fatalf("stderr %q lacks %q", errb.String(), c.phrase)
			}
			recs := readJournal(t, out)
			if len(recs) == 0 || len(recs) >= total {
				t.Fatalf("%d records after the interrupt", len(recs))
			}
			{
				want := fmt.Sprintf("%d ok, 0 failed, %d not started", len(recs), total-len(recs))
				if !strings.Contains(errb.String(), want) {
					t.Fatalf("summary %q, want %q", errb.String(), want)
				}
			}
			ents, _ := os.ReadDir(save)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), ".tmp-") {
					t.Fatalf("half-written save file left: %s", e.Name())
				}
			}
			if len(ents) != 3*len(recs) {
				t.Fatalf("%d saved files for %d finished items, want 3 each", len(ents), len(recs))
			}
			if c.extra != nil {
				assertNoLanesLeft(t, in)
			}
			code, _, stderr := runCLI(t, "run", "-quiet", "-resume", "-jsonl", out, src)
			if code != 0 || len(readJournal(t, out)) != total {
				t.Fatalf("resume: exit %d, %s", code, stderr)
			}
		})
	}
}

// assertNoLanesLeft fails if a lane process working on dir outlived run.
func assertNoLanesLeft(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var left []string
		procs, _ := filepath.Glob("/proc/[0-9]*/environ")
		for _, p := range procs {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte("BLASBATCH_LANE_CHILD=1\x00")) && bytes.Contains(b, []byte(dir)) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lane processes outlived the run: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestResumeRefusesOtherKernel: resuming svd into a file of svdvals
// records would mix them.
func TestResumeRefusesOtherKernel(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 6, 3)
	out := filepath.Join(dir, "out.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-jsonl", out, in); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runCLI(t, "run", "-resume", "-kernel", "svd", "-jsonl", out, in)
	if code != exitUsage || !strings.Contains(stderr, "holds svdvals records") {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "run", "-resume", in); code != exitUsage || !strings.Contains(stderr, "needs -jsonl FILE") {
		t.Fatalf("resume to stdout: exit %d, %q", code, stderr)
	}
}

// TestMemoryBudget: an item that alone exceeds -max-memory is a clear
// failed record, never an allocation; the small items beside it succeed.
func TestMemoryBudget(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, filepath.Join(dir, "small"), 20, 4)
	genFiles(t, filepath.Join(dir, "big"), 600, 1)
	code, out, stderr := runCLI(t, "run", "-quiet", "-max-memory", "2MiB", filepath.Join(dir, "small"), filepath.Join(dir, "big"))
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := parseRecords(t, out)
	okCount := 0
	for id, r := range recs {
		switch {
		case r.OK:
			okCount++
		case strings.Contains(id, "big") && strings.Contains(r.Error, "memory budget of 2 MiB"):
		default:
			t.Errorf("%s: %+v", id, r)
		}
	}
	if okCount != 4 {
		t.Fatalf("%d small items ok, want 4", okCount)
	}
	for _, bad := range []string{"lots", "-1GiB", "12XB"} {
		if code, _, _ := runCLI(t, "run", "-max-memory", bad, dir); code != exitUsage {
			t.Errorf("-max-memory %s: exit %d", bad, code)
		}
	}
}

// TestJSONLToDevNull: a results file that cannot be synced (a device) is
// fine: only regular files are fsynced.
func TestJSONLToDevNull(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 5, 2)
	for _, mode := range []string{"every", "interval", "end"} {
		if code, _, stderr := runCLI(t, "run", "-quiet", "-sync", mode, "-jsonl", os.DevNull, dir); code != 0 {
			t.Fatalf("-sync %s -jsonl %s: exit %d: %s", mode, os.DevNull, code, stderr)
		}
	}
}

// TestSecondSignalAbandons: the first SIGINT finishes the items in flight
// however long they take; a second abandons them at once: exit 130, the
// summary counts them as abandoned, and nothing they started is left
// running. The items are commands that wait for a file the test never
// writes, so the second signal always finds them in flight.
func TestSecondSignalAbandons(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	for i := range 6 {
		os.WriteFile(filepath.Join(data, fmt.Sprintf("f%d", i)), nil, 0o644)
	}
	started := filepath.Join(dir, "started")
	os.Mkdir(started, 0o755)
	out := filepath.Join(dir, "r.jsonl")
	var errb lockedBuffer
	cmd := startRun(t, &errb, "exec", "-outer", "2", "-inner", "1", "-jsonl", out,
		"sh", "-c", `touch "$0/$(basename "$1")"; while [ ! -e "$0/never" ]; do sleep 0.01; done`, started, "{}", ":::", data)
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("never %s; stderr: %s", what, errb.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("two items in flight", func() bool { e, _ := os.ReadDir(started); return len(e) == 2 })
	cmd.Process.Signal(syscall.SIGINT)
	waitFor("finishing the items in flight", func() bool { return strings.Contains(errb.String(), "finishing the files in flight") })
	running := lanePIDs(t, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, _ := err.(*exec.ExitError); ee == nil || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr %s", err, errb.String())
	}
	if want := "0 ok, 0 failed, 2 abandoned, 4 not started"; !strings.Contains(errb.String(), want) {
		t.Fatalf("summary %q, want %q", errb.String(), want)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range running {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d outlived the abandoned run", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if len(readJournal(t, out)) != 0 {
		t.Fatalf("records of abandoned items")
	}
}
