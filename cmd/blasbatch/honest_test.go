//go:build linux

package main

// Regression tests for issue 10, "Honest memory, honest costs, safe writes
// everywhere", driving the CLI (in-process, or the test binary as the real
// blasbatch where a process is needed), and for what else a hostile user
// tried. Helpers (nl…) are in nothinglost_test.go.

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
)

// hEstimate is the memory run estimates one item of path needs for
// kernel, read from the failed record a tiny budget gives.
func hEstimate(t *testing.T, kernel, path string) int64 {
	t.Helper()
	_, stdout, _ := runCLI(t, "run", "-quiet", "-kernel", kernel, "-max-memory", "2KiB", path)
	m := regexp.MustCompile(`needs about ([0-9.]+) (KiB|MiB|GiB)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no estimate in %q", stdout)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return int64(v * map[string]float64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[m[2]])
}

// TestGramBudgetIsARecord — "run -kernel gram -max-memory 200MiB tall.npy on
// a 20000×2 matrix allocates the 20000×20000 Gram matrix … a budget-failure
// record carries rows 0 and cols 0": the item is a clean failed record
// naming the budget in real units, with its rows and cols, and nothing
// near the output's size is allocated (the same for 100000×2 under the
// default budget, which died with a Go out-of-memory stack).
func TestGramBudgetIsARecord(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		rows   int
		budget []string
		want   string
	}{
		{20000, []string{"-max-memory", "200MiB"}, "memory budget of 200 MiB"},
		{100000, nil, "memory budget of"},
	} {
		p := filepath.Join(dir, fmt.Sprintf("tall%d.npy", c.rows))
		nlNpy(t, p, c.rows, 2, 1)
		args := append(append([]string{"run", "-quiet", "-kernel", "gram"}, c.budget...), p)
		code, stdout, stderr := runCLI(t, args...)
		if code != exitFailed || strings.Contains(stderr, "goroutine") {
			t.Fatalf("%d×2: exit %d: %s", c.rows, code, stderr)
		}
		r := parseRecords(t, stdout)[p]
		if r.OK || !strings.Contains(r.Error, c.want) || r.Rows != c.rows || r.Cols != 2 {
			t.Errorf("%d×2: %+v; want a failed record naming the budget, rows %d cols 2", c.rows, r, c.rows)
		}
	}
}

// hOtherLaneComputes reports whether, within d, a lane of the run other
// than stopped uses 0.2 s more CPU or a record appears in out.
func hOtherLaneComputes(t *testing.T, pid, stopped int, out string, d time.Duration) bool {
	t.Helper()
	base := map[int]int{}
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if recs, _ := os.ReadFile(out); len(recs) > 0 {
			return true
		}
		for _, p := range lanePIDs(t, pid) {
			if p == stopped {
				continue
			}
			ticks := nlCPUTicks(p)
			if b, ok := base[p]; !ok {
				base[p] = ticks
			} else if ticks-b >= 20 {
				return true
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// TestLanesShareTheBudget — "process lanes do not share the budget: inside
// a 300 MiB cgroup, -isolate -outer 2 on two 1900² SVDs gets both lanes
// killed": with a budget that holds one item, a lane computing an item is
// frozen (SIGSTOP) and the other lane is given nothing while it holds the
// budget; without the budget the other lane takes the next item at once
// (the control). Thawed, the run completes every item ok. (No cgroup is
// made here: the budget is -max-memory.)
func TestLanesShareTheBudget(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 1500, 3)
	one := hEstimate(t, "svd", filepath.Join(in, "m00000.npy"))
	for _, c := range []struct {
		name     string
		budget   string
		parallel bool
	}{
		{"budget for one item", strconv.FormatInt(one*3/2, 10), false},
		{"no budget (control)", "none", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			var errb lockedBuffer
			cmd := nlStart(t, &errb, "run", "-v", "-kernel", "svd", "-isolate", "-outer", "2", "-inner", "1", "-max-memory", c.budget, "-jsonl", out, in)
			busy := nlLanes(t, cmd, &errb, 1, 20)[0]
			syscall.Kill(busy, syscall.SIGSTOP)
			if got := hOtherLaneComputes(t, cmd.Process.Pid, busy, out, 4*time.Second); got != c.parallel {
				t.Errorf("while one lane holds an item under -max-memory %s, the other computed: %v, want %v", c.budget, got, c.parallel)
			}
			syscall.Kill(busy, syscall.SIGCONT)
			if code := nlExitCode(t, cmd.Wait()); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			n, recs := nlRecords(t, out)
			for _, r := range recs {
				if !r.OK {
					t.Errorf("%s: %s", r.Input, r.Error)
				}
			}
			if len(n) != 3 || len(recs) != 3 {
				t.Errorf("%d records of %d items, want 3", len(recs), len(n))
			}
		})
	}
}

// TestLanesBudgetSummary — "the summary line names the split that really
// ran": a budget that holds one 1000² item at a time never yields a summary
// of two outer workers, in-process or with -isolate (lanes said "2 outer ×
// 1 inner in lane processes" while one worked and a core idled).
func TestLanesBudgetSummary(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 1000, 2)
	one := hEstimate(t, "svd", filepath.Join(dir, "m00000.npy"))
	budget := strconv.FormatInt(one*3/2, 10)
	for _, extra := range [][]string{nil, {"-isolate"}} {
		args := append([]string{"run", "-outer", "2", "-inner", "1", "-max-memory", budget}, extra...)
		code, _, stderr := runCLI(t, append(args, dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		if strings.Contains(stderr, "(2 outer") {
			t.Errorf("%v: the budget holds one item at a time, the summary says two ran at once: %q", extra, stderr)
		}
	}
}

// TestBudgetSummaryNamesTheSplit — "when memory allows fewer outer workers,
// the freed cores become inner threads, and the summary line names the
// split that really ran": a budget for one of two workers' items gives
// 1 × 2 (1 × 1 without BLAS threads) and the summary says that; a budget
// for exactly two keeps 2 × 1 and warns nothing ("running 2 outer × 1
// inner instead of 2 × 1").
func TestBudgetSummaryNamesTheSplit(t *testing.T) {
	if usableCores(t) < 2 {
		t.Skip("needs two cores to have a split to cut")
	}
	dir := t.TempDir()
	genFiles(t, dir, 1000, 4)
	one := hEstimate(t, "svd", filepath.Join(dir, "m00000.npy"))
	inner := "2"
	if h, _ := blasbatch.ProbeHost(); h.BLAS.Threading == blas.Serial {
		inner = "1"
	}
	for _, c := range []struct {
		budget int64
		split  string
		warn   bool
	}{
		{one * 3 / 2, "(1 outer × " + inner + " inner)", true},
		{one*2 + one/4, "(2 outer × 1 inner)", false},
	} {
		code, _, stderr := runCLI(t, "run", "-outer", "2", "-inner", "1", "-max-memory", strconv.FormatInt(c.budget, 10), dir)
		if code != 0 || !strings.Contains(stderr, c.split) {
			t.Errorf("budget %d: exit %d, %q; want the summary to say %s", c.budget, code, stderr, c.split)
		}
		if strings.Contains(stderr, "warning: the memory budget") != c.warn {
			t.Errorf("budget %d: warning %v, want %v: %q", c.budget, !c.warn, c.warn, stderr)
		}
	}
}

// TestMeasureWithinBudget — "-plan measure has no budget either (a 6000²
// item among small ones: OOM-killed, 0 records)": measuring never times an
// item over the budget (here a 1200² SVD of about 110 MiB under 60 MiB):
// it is a clean failed record, every other item is ok, each item has
// exactly one record.
func TestMeasureWithinBudget(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, filepath.Join(dir, "big"), 1200, 1)
	genFiles(t, filepath.Join(dir, "small"), 40, 600)
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI(t, "run", "-v", "-plan", "measure", "-max-memory", "60MiB", "-wisdom", filepath.Join(dir, "w.json"), "-jsonl", out, filepath.Join(dir, "big"), filepath.Join(dir, "small"))
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n, recs := nlRecords(t, out)
	if len(recs) != 601 || len(n) != 601 {
		t.Fatalf("%d records of %d items, want 601 each once", len(recs), len(n))
	}
	for _, r := range recs {
		big := strings.Contains(r.Input, "big")
		if big && (r.OK || !strings.Contains(r.Error, "memory budget of 60 MiB")) || !big && !r.OK {
			t.Errorf("%s: %+v", r.Input, r)
		}
	}
	if !strings.Contains(stderr, "1200×1200 not timed") {
		t.Errorf("-v does not say the big shape was not timed: %s", stderr)
	}
}

// TestMeasureKeepsTrialItems — "items it timed are kept as results, not
// recomputed": a measured run writes exactly one record per item, and -v
// says how many trial items it kept.
func TestMeasureKeepsTrialItems(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 300, 200)
	out := filepath.Join(t.TempDir(), "r.jsonl")
	code, _, stderr := runCLI(t, "run", "-v", "-plan", "measure", "-wisdom", filepath.Join(t.TempDir(), "w.json"), "-jsonl", out, dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := regexp.MustCompile(`the (\d+) trial items are kept as results`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the run measured nothing, so it proves nothing: %s", stderr)
	}
	n, recs := nlRecords(t, out)
	if len(recs) != 200 || len(n) != 200 {
		t.Fatalf("%d records of %d items after %s trial items, want 200 each once", len(recs), len(n), m[1])
	}
	if !strings.Contains(stderr, "200 items ok") {
		t.Errorf("summary does not count the trial items: %s", stderr)
	}
}

// hIsDevice fails unless path is still the character device it was.
func hIsDevice(t *testing.T, what, path string, rdev uint64) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 || fi.Sys().(*syscall.Stat_t).Rdev != rdev {
		t.Errorf("%s: %s is no longer the device (%v, %v)", what, path, fi.Mode(), err)
	}
}

// TestDevicesNeverReplaced — "-wisdom /dev/null and merge -jsonl /dev/null,
// as root, replace the device /dev/null with a regular file": every write
// to a null device (as root one made with mknod, so that a failure cannot
// break the machine's) or a FIFO — wisdom, scale's -json and -plot,
// -cpuprofile, -jsonl, merge -jsonl — goes through it: it stays what it was.
func TestDevicesNeverReplaced(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 20, 8)
	st, err := os.Stat(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	nullRdev := st.Sys().(*syscall.Stat_t).Rdev
	// As root, a failure here would replace the machine's /dev/null for
	// everyone: root writes to a null device of its own, made with mknod
	// (the same kind of file); others cannot replace /dev/null anyway.
	null := os.DevNull
	if os.Geteuid() == 0 {
		null = filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(nullRdev)); err != nil {
			t.Skipf("root, and no null device of its own (mknod: %v): not risking %s", err, os.DevNull)
		}
	}
	for _, args := range [][]string{
		{"plan", "-plan", "measure", "-wisdom", null, in},
		{"run", "-quiet", "-plan", "measure", "-wisdom", null, in},
		{"scale", "-size", "4", "-count", "2", "-outer", "1", "-inner", "1", "-json", null, "-plot", null},
		{"run", "-quiet", "-cpuprofile", null, "-jsonl", null, in},
	} {
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, stderr)
		}
		hIsDevice(t, fmt.Sprint(args), null, nullRdev)
	}
	// merge -jsonl onto a device and a FIFO, with shard files beside them.
	targets := map[string]func(){}
	if null != os.DevNull {
		targets[null] = func() { hIsDevice(t, "merge -jsonl "+null, null, nullRdev) }
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	targets[fifo] = func() {
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
			t.Errorf("merge -jsonl %s: no longer a FIFO (%v)", fifo, err)
		}
	}
	for target, check := range targets {
		for i := range 2 {
			shard := target + fmt.Sprintf(".shard-%04d-of-0002", i)
			if code, _, stderr := runCLI(t, "run", "-quiet", "-shard", fmt.Sprintf("%d/2", i), "-jsonl", filepath.Join(dir, "tmp.jsonl"), in); code != 0 {
				t.Fatal(stderr)
			}
			os.Rename(filepath.Join(dir, fmt.Sprintf("tmp.shard-%04d-of-0002.jsonl", i)), shard)
		}
		// A FIFO needs a reader (merge refuses one without, at once): the
		// test holds it open read-write and reads what merge wrote.
		var got []byte
		var fr *os.File
		if target == fifo {
			var err error
			if fr, err = os.OpenFile(fifo, os.O_RDWR, 0); err != nil {
				t.Fatal(err)
			}
		}
		code, _, stderr := nlProc(t, "", "merge", "-jsonl", target, in)
		if fr != nil {
			fd := int(fr.Fd()) // Fd makes it blocking: take it once, then not
			syscall.SetNonblock(fd, true)
			buf := make([]byte, 1<<16)
			for {
				n, err := syscall.Read(fd, buf)
				if n <= 0 || err != nil {
					break
				}
				got = append(got, buf[:n]...)
			}
			fr.Close()
		}
		if code != 0 {
			t.Errorf("merge -jsonl %s: exit %d: %s", target, code, stderr)
		}
		check()
		if target == fifo && bytes.Count(got, []byte("\n")) != 8 {
			t.Errorf("the FIFO's reader got %d records, want 8", bytes.Count(got, []byte("\n")))
		}
	}
}

// TestWisdomDirSaysSoOnce — "a wisdom save that fails (-wisdom DIR, …) says
// so once on stderr; -wisdom DIR leaves no .wisdom-NNNN temp file behind".
func TestWisdomDirSaysSoOnce(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 300, 200)
	wdir := filepath.Join(dir, "wisdom")
	os.Mkdir(wdir, 0o755)
	for _, args := range [][]string{
		{"run", "-plan", "measure", "-wisdom", wdir, "-jsonl", filepath.Join(dir, "r.jsonl"), in},
		{"plan", "-plan", "measure", "-wisdom", wdir, in},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		if n := strings.Count(stderr, "could not save wisdom"); n != 1 {
			t.Errorf("%s: %d messages that wisdom was not saved, want 1: %q", args[0], n, stderr)
		}
		if ents, _ := os.ReadDir(wdir); len(ents) != 0 {
			t.Errorf("%s: -wisdom DIR holds %v afterwards", args[0], ents)
		}
	}
}

// TestWisdomWithoutHomeSaysSo — "a wisdom save that fails (… HOME unset, a
// relative XDG_CACHE_HOME) says so once on stderr": run -plan measure that
// learns something it cannot save says so (it was only a -v note), and
// writes nothing under a relative XDG_CACHE_HOME.
func TestWisdomWithoutHomeSaysSo(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 300, 200)
	for _, env := range [][]string{{"HOME=", "XDG_CACHE_HOME="}, {"XDG_CACHE_HOME=relative/cache"}} {
		cmd := nlCommand("", "run", "-plan", "measure", "-jsonl", filepath.Join(dir, "r.jsonl"), in)
		cmd.Env = append(os.Environ(), env...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v: %s", env, err, out)
		}
		if !strings.Contains(string(out), "wisdom") {
			t.Errorf("%v: the run measured and could not save its wisdom, and said nothing: %q", env, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "relative")); err == nil {
			t.Errorf("%v: wisdom written under a relative XDG_CACHE_HOME", env)
		}
	}
}

// TestSIGHUPFinishesInFlight — "SIGHUP (a dropped ssh session) exits 129 at
// once with no summary": an in-process run is handled like SIGTERM — the
// items in flight finish, the summary adds up, exit 129, and -resume
// completes the set.
func TestSIGHUPFinishesInFlight(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 200, 80)
	out := filepath.Join(dir, "r.jsonl")
	var errb lockedBuffer
	cmd := nlStart(t, &errb, "run", "-outer", "2", "-inner", "1", "-sync", "every", "-jsonl", out, in)
	waitLines(t, out, 5)
	// Frozen, the signal is pending when it resumes, part way however fast.
	syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP)
	cmd.Process.Signal(syscall.SIGHUP)
	syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	if code := nlExitCode(t, cmd.Wait()); code != 129 {
		t.Fatalf("exit %d, want 129: %s", code, errb.String())
	}
	sum := nlSummary(t, errb.String())
	n, recs := nlRecords(t, out)
	if sum.ok != len(recs) || sum.ok+sum.notStarted != 80 || sum.of != 80 || len(n) != len(recs) {
		t.Fatalf("summary %+v with %d records", sum, len(recs))
	}
	if code, _, stderr := runCLI(t, "run", "-quiet", "-resume", "-jsonl", out, in); code != 0 {
		t.Fatalf("resume: %s", stderr)
	}
	if n, recs := nlRecords(t, out); len(n) != 80 || len(recs) != 80 {
		t.Fatalf("after resume %d records of %d items", len(recs), len(n))
	}
}

// TestDyingLaneOneLine — "a lane that dies forwards ten lines of Go
// traceback each time (961 stderr lines in one run); restarts are
// immediate": a lane killed twice with SIGQUIT (which makes a Go process
// print every goroutine's stack) gives one line on stderr per death, with a
// back-off, no traceback; its items are failed records, the rest ok.
func TestDyingLaneOneLine(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 1800, 4)
	out := filepath.Join(dir, "r.jsonl")
	var errb lockedBuffer
	cmd := nlStart(t, &errb, "run", "-kernel", "svd", "-isolate", "-outer", "1", "-inner", "1", "-jsonl", out, in)
	killed := map[int]bool{}
	for range 2 {
		var lane int
		nlWait(t, "a new lane computing", 120*time.Second, func() bool {
			for _, p := range lanePIDs(t, cmd.Process.Pid) {
				if !killed[p] && nlCPUTicks(p) >= 20 {
					lane = p
					return true
				}
			}
			return false
		})
		killed[lane] = true
		syscall.Kill(lane, syscall.SIGQUIT)
		nlWait(t, "the lane to die", 30*time.Second, func() bool { return gone(lane) })
	}
	if code := nlExitCode(t, cmd.Wait()); code != exitFailed {
		t.Fatalf("exit %d, want 1: %s", code, errb.String())
	}
	stderr := errb.String()
	if n := strings.Count(stderr, "died"); n < 2 {
		t.Errorf("%d lines say a lane died, want one per death (2): %q", n, stderr)
	}
	lines := strings.Count(stderr, "\n")
	if lines > 6 || strings.Contains(stderr, "goroutine ") || !strings.Contains(stderr, "restarting it in") {
		t.Errorf("stderr has %d lines (want one per death and the summary, with the back-off): %q", lines, stderr)
	}
	n, recs := nlRecords(t, out)
	failed := 0
	for _, r := range recs {
		if !r.OK {
			failed++
			if !strings.Contains(r.Error, "died") {
				t.Errorf("%s: %q", r.Input, r.Error)
			}
		}
	}
	if len(n) != 4 || len(recs) != 4 || failed != 2 {
		t.Errorf("%d records of %d items, %d failed; want 4, 4, 2", len(recs), len(n), failed)
	}
}

// TestTopoHostileCPUList — "topo -root DIR with a CPU list 0-1048576
// repeated takes 19 s and 2.5 GB": every CPU list file of the tree holding
// it is an error naming the file (exit 1), without allocating for the
// range (a -race run would take minutes otherwise).
func TestTopoHostileCPUList(t *testing.T) {
	hostile := strings.Repeat("0-1048576,", 200) + "0-1048576\n"
	for _, file := range []string{
		"sys/devices/system/cpu/online",
		"sys/fs/cgroup/cpuset.cpus.effective",
		"sys/devices/system/cpu/cpu6/topology/thread_siblings_list",
	} {
		root := hCopyTree(t, "../../threads/testdata/smt16")
		if err := os.WriteFile(filepath.Join(root, file), []byte(hostile), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runCLI(t, "topo", "-root", root)
		if code != exitFailed || !strings.Contains(stderr, file) {
			t.Errorf("%s: exit %d, %.300q; want exit 1 naming the file", file, code, stderr)
		}
	}
}

// TestTopoErrorBounded — found as a hostile user: the error for a hostile
// CPU list quoted the whole file (a megabyte of one line on stderr for a
// 1 MB file); it quotes a bounded start of it.
func TestTopoErrorBounded(t *testing.T) {
	root := hCopyTree(t, "../../threads/testdata/smt16")
	hostile := strings.Repeat("0-1048576,", 100000) + "0-1048576\n" // 1 MB
	os.WriteFile(filepath.Join(root, "sys/devices/system/cpu/online"), []byte(hostile), 0o644)
	code, _, stderr := runCLI(t, "topo", "-root", root)
	if code != exitFailed || len(stderr) > 4096 {
		t.Errorf("exit %d, %d bytes on stderr for a %d-byte file; want a message of a few lines", code, len(stderr), len(hostile))
	}
}

// hCopyTree copies a fake /proc and /sys tree into a temporary directory.
func hCopyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestMergeSaysAShardIsStillRunning — found trying merge too early: while a
// shard's run is still writing it, merge reported its missing items as
// having no record, as if lost. It now says that a run still holds the
// shard (exit 1), and once the run is done merge is complete (exit 0).
func TestMergeSaysAShardIsStillRunning(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 900, 8)
	out := filepath.Join(dir, "r.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-shard", "1/2", "-jsonl", out, in); code != 0 {
		t.Fatal(stderr)
	}
	var errb lockedBuffer
	cmd := nlStart(t, &errb, "run", "-quiet", "-outer", "1", "-inner", "1", "-sync", "every", "-shard", "0/2", "-jsonl", out, in)
	waitLines(t, filepath.Join(dir, "r.shard-0000-of-0002.jsonl"), 1)
	// Frozen, the run cannot finish under merge's feet; it keeps its lock.
	syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP)
	code, _, stderr := runCLI(t, "merge", "-jsonl", out, in)
	syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	if code != exitFailed || !strings.Contains(stderr, "still writing") {
		t.Errorf("merge while shard 0 runs: exit %d, %q; want exit 1 saying a run is still writing it", code, stderr)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("shard 0: %v: %s", err, errb.String())
	}
	if code, _, stderr := runCLI(t, "merge", "-jsonl", out, in); code != 0 || strings.Contains(stderr, "still writing") {
		t.Errorf("merge after the run: exit %d, %q", code, stderr)
	}
}

// TestScaleOutputsCheckedFirst — found as a hostile user: scale -plot
// out.jpgg (or -json into a missing directory) measured every split for
// minutes and only then failed to write. What can be known about -json and
// -plot is a usage error (exit 2) before anything is measured; a device
// takes a plot without an extension.
func TestScaleOutputsCheckedFirst(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-plot", filepath.Join(dir, "speedup.jpgg")}, "format"},
		{[]string{"-plot", filepath.Join(dir, "speedup")}, "format"},
		{[]string{"-json", filepath.Join(dir, "no", "rows.json")}, "no directory"},
		{[]string{"-json", filepath.Join(dir, "a.png"), "-plot", filepath.Join(dir, "a.png")}, "same file"},
		{[]string{"-plot", dir}, "directory"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"scale", "-size", "4", "-count", "2", "-outer", "1", "-inner", "1"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "run 1 of") || stdout != "" {
			t.Errorf("%v: exit %d, %q; want exit 2 saying %q before measuring", c.args, code, stderr, c.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused scales left %v", ents)
	}
}

// TestProfileNeverTakesTheResults — found as a hostile user: -cpuprofile
// FILE was created (truncated) before the run and replaced at its end, so
// -cpuprofile r.jsonl -jsonl ./r.jsonl lost the records. Now that is a
// usage error and nothing is created; a profile elsewhere is written at the
// end.
func TestProfileNeverTakesTheResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 5, 2)
	t.Chdir(dir)
	code, _, stderr := runCLI(t, "run", "-quiet", "-cpuprofile", "r.jsonl", "-jsonl", "./r.jsonl", "in")
	if code != exitUsage || !strings.Contains(stderr, "results file") {
		t.Errorf("exit %d, %q; want exit 2", code, stderr)
	}
	if _, err := os.Stat("r.jsonl"); err == nil {
		t.Errorf("a refused run left r.jsonl")
	}
	if code, _, stderr := runCLI(t, "run", "-quiet", "-cpuprofile", "cpu.pprof", "-jsonl", "r.jsonl", "in"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile("cpu.pprof"); err != nil || len(b) == 0 {
		t.Errorf("no profile written: %v", err)
	}
	if len(readJournal(t, "r.jsonl")) != 2 {
		t.Errorf("records lost")
	}
}

// TestMergeNeverReplacesUserFiles — found as a hostile user: merge -jsonl
// FILE replaced whatever FILE held — notes, an array — with exit 0. Merge
// now replaces FILE only when a fresh run could (absent, empty, or
// starting with a record) and no run holds it: else exit 2 and FILE is
// left byte-identical.
func TestMergeNeverReplacesUserFiles(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 300, 6)
	out := filepath.Join(dir, "r.jsonl")
	nlShardRun(t, out, 2, in)
	for _, body := range []string{"my precious notes\n", "\x93NUMPY\x01\x00v\x00{'descr': '<f8'}\n"} {
		os.WriteFile(out, []byte(body), 0o644)
		before := nlSnap(t, out)
		for _, args := range [][]string{{"merge", "-jsonl", out}, {"merge", "-jsonl", out, in}} {
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, "not a blasbatch results file") {
				t.Errorf("%q over %v: exit %d, %q; want exit 2", body[:5], args, code, stderr)
			}
			nlSame(t, "merge over a user's file", out, before)
		}
	}
	// A results file is replaced; one a run is writing is not.
	os.Remove(out)
	if code, _, stderr := runCLI(t, "merge", "-jsonl", out, in); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	if code, _, stderr := runCLI(t, "merge", "-jsonl", out, in); code != 0 {
		t.Fatalf("merge over its own output: %s", stderr)
	}
	os.Remove(out) // so that its first line is the run's
	var errb lockedBuffer
	cmd := nlStart(t, &errb, "run", "-quiet", "-outer", "1", "-inner", "1", "-sync", "every", "-jsonl", out, in)
	waitLines(t, out, 1)
	syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP)
	before := nlSnap(t, out)
	code, _, stderr := runCLI(t, "merge", "-jsonl", out, in)
	after := nlSnap(t, out)
	syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
	if code != exitUsage || !strings.Contains(stderr, "another blasbatch run") || after.ino != before.ino {
		t.Errorf("merge over a file a run is writing: exit %d, %q, inode %d → %d", code, stderr, before.ino, after.ino)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if n, recs := nlRecords(t, out); len(n) != 6 || len(recs) != 6 {
		t.Errorf("the run's file holds %d records of %d items after merge tried it, want 6", len(recs), len(n))
	}
}

// TestUnwrittenRecordsNotCounted — found as a hostile user: when the
// results file's disk fills, the run stops (exit 1, "writing results: no
// space left on device"); its summary once counted as ok items whose
// records never reached the file ("42 ok" over 32 whole records, and
// -resume then said 32 were ok). Only the records the file holds whole
// count as ok or failed; the rest are not started, as -resume sees them.
// In process and with -isolate.
func TestUnwrittenRecordsNotCounted(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 60, 400)
	small := filepath.Join(dir, "small")
	nlTmpfs(t, small, 64<<10)
	for _, extra := range [][]string{nil, {"-isolate"}} {
		out := filepath.Join(small, "r.jsonl")
		os.Remove(out)
		args := append([]string{"run", "-kernel", "svdvals", "-outer", "1", "-inner", "1", "-jsonl", out}, extra...)
		code, _, stderr := runCLI(t, append(args, in)...)
		if code != exitFailed || !strings.Contains(stderr, "no space left") {
			t.Fatalf("%v: exit %d, %q; want the run to fail writing its results", extra, code, stderr)
		}
		sum := nlSummary(t, stderr)
		b, _ := os.ReadFile(out)
		whole := bytes.Count(b, []byte("\n"))
		if sum.ok+sum.failed != whole || sum.ok+sum.failed+sum.notStarted+sum.abandoned != 400 {
			t.Errorf("%v: summary %+v, but the file holds %d whole records", extra, sum, whole)
		}
	}
}
