package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch/internal/testpy"
	"github.com/blasbatch/blasbatch/results"
	"github.com/blasbatch/blasbatch/threads"
)

// execRecords reads a results file of exec records by input.
func execRecords(t *testing.T, path string) map[string]results.Record {
	t.Helper()
	return fileRecords(t, path, "exec")
}

// fileRecords reads a results file of kernel's records by input: a line
// that is not a record, a torn last line, another kernel's record or two
// records of one input fail the test.
func fileRecords(t *testing.T, path, kernel string) map[string]results.Record {
	t.Helper()
	out := map[string]results.Record{}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := results.NewDecoder(f)
	for {
		_, r, err := d.Next()
		if err == io.EOF {
			if d.Torn > 0 {
				t.Fatalf("%s ends in a torn line", path)
			}
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if r.Kernel != kernel {
			t.Fatalf("record of kernel %q: %+v", r.Kernel, r)
		}
		if _, dup := out[r.Input]; dup {
			t.Fatalf("two records for %s", r.Input)
		}
		out[r.Input] = r
	}
	return out
}

// writeModule writes a Python module into dir.
func writeModule(t *testing.T, dir, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name+".py"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// inDir runs the rest of the test in dir (exec -py imports from the
// current directory) and restores the working directory after.
func inDir(t *testing.T, dir string) {
	t.Helper()
	t.Chdir(dir)
}

// TestExecPythonMatchesLoop: a Python function using NumPy and SciPy over
// NumPy files gives, through exec -py, exactly what calling it in a loop
// gives; each lane sees OMP_NUM_THREADS and friends set to its inner count
// and is pinned to one CPU of its own in a N × 1 split.
func TestExecPythonMatchesLoop(t *testing.T) {
	py := testpy.NumPy(t, "scipy")
	dir := t.TempDir()
	genFiles(t, filepath.Join(dir, "data"), 30, 12)
	writeModule(t, dir, "mylib", `
import os, numpy as np, scipy.linalg
def analyze(path):
    a = np.load(path)
    return {"sv": scipy.linalg.svdvals(a), "det": np.linalg.slogdet(a)[1], "norm": np.float32(np.linalg.norm(a)),
            "env": {k: os.environ.get(k) for k in ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLASBATCH_LANE", "BLASBATCH_CPUS"]},
            "aff": sorted(os.sched_getaffinity(0)), "pid": os.getpid()}
`)
	inDir(t, dir)
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI(t, "exec", "-quiet", "-outer", "2", "-inner", "1", "-python", py, "-py", "mylib:analyze", "-jsonl", out, ":::", "data")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := execRecords(t, out)
	// The same function in a loop, in one interpreter.
	loop := exec.Command(py, "-c", `
import json, os, sys, numpy as np
sys.path.insert(0, ".")
import mylib
for name in sorted(n for n in os.listdir("data") if not n.startswith(".")):
    r = mylib.analyze(os.path.join("data", name))
    print(json.dumps({"input": os.path.join("data", name), "sv": r["sv"].tolist(), "det": float(r["det"]), "norm": float(r["norm"])}))
`)
	loop.Dir = dir
	want, err := loop.Output()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	lanePIDs := map[int]map[float64]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		var w struct {
			Input string
			SV    []float64
			Det   float64
			Norm  float64
		}
		json.Unmarshal([]byte(line), &w)
		r, ok := recs[w.Input]
		if !ok || !r.OK {
			t.Fatalf("%s: %+v", w.Input, r)
		}
		var got struct {
			SV   []float64         `json:"sv"`
			Det  float64           `json:"det"`
			Norm float64           `json:"norm"`
			Env  map[string]string `json:"env"`
			Aff  []int             `json:"aff"`
			PID  float64           `json:"pid"`
		}
		if err := json.Unmarshal(r.Result, &got); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.SV) != fmt.Sprint(w.SV) || got.Det != w.Det || got.Norm != w.Norm {
			t.Fatalf("%s: exec gave %v %v %v, the loop %v %v %v", w.Input, got.SV, got.Det, got.Norm, w.SV, w.Det, w.Norm)
		}
		for k, v := range got.Env {
			want := "1"
			switch k {
			case "BLASBATCH_LANE":
				want = strconv.Itoa(r.Lane)
			case "BLASBATCH_CPUS":
				want = threads.FormatCPUList(got.Aff)
			}
			if v != want {
				t.Errorf("%s: lane %d has %s=%q, want %q", w.Input, r.Lane, k, v, want)
			}
		}
		if runtime.NumCPU() >= 2 && len(got.Aff) != 1 {
			t.Errorf("%s: lane %d runs on CPUs %v, want one of its own", w.Input, r.Lane, got.Aff)
		}
		if lanePIDs[r.Lane] == nil {
			lanePIDs[r.Lane] = map[float64]bool{}
		}
		lanePIDs[r.Lane][got.PID] = true
		n++
	}
	if n != 12 || len(recs) != 12 {
		t.Fatalf("%d items compared, %d records", n, len(recs))
	}
	for lane, pids := range lanePIDs {
		if len(pids) != 1 {
			t.Errorf("lane %d used %d interpreters, want one per lane: %v", lane, len(pids), pids)
		}
	}
}

// TestExecFailures: one item raising, one segfaulting inside C, one timing
// out, one killing its interpreter with exit 3 — each its own failed record
// saying why in words, while the rest complete; -retries tries a failed
// item again and records the attempts.
func TestExecFailures(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	genFiles(t, filepath.Join(dir, "data"), 4, 8)
	writeModule(t, dir, "bad", `
import ctypes, os, time
def f(path):
    n = os.path.basename(path)
    if n == "m00001.npy": raise ValueError("no good: " + n)
    if n == "m00002.npy": ctypes.string_at(0)
    if n == "m00003.npy": time.sleep(600)
    if n == "m00004.npy": os._exit(3)
    return n
`)
	inDir(t, dir)
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI(t, "exec", "-quiet", "-timeout", "3s", "-retries", "1", "-python", py, "-py", "bad:f", "-jsonl", out, ":::", "data")
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := execRecords(t, out)
	want := map[string]string{
		"m00001.npy": "ValueError: no good: m00001.npy",
		"m00002.npy": "the worker died: killed by signal SIGSEGV (segmentation fault)",
		"m00003.npy": "timed out after 3s",
		"m00004.npy": "the worker died: exit status 3",
	}
	for i := range 8 {
		name := fmt.Sprintf("m%05d.npy", i)
		r := recs[filepath.Join("data", name)]
		if msg, bad := want[name]; bad {
			if r.OK || r.Error != msg || r.Attempts != 2 {
				t.Errorf("%s: %+v, want a failure %q after 2 attempts", name, r, msg)
			}
			continue
		}
		if !r.OK || string(r.Result) != `"`+name+`"` || r.Attempts != 1 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if r := recs[filepath.Join("data", "m00001.npy")]; !strings.Contains(r.Stderr, "Traceback") || !strings.Contains(r.Stderr, `raise ValueError`) {
		t.Errorf("the exception's record lacks the traceback: %q", r.Stderr)
	}
	if r := recs[filepath.Join("data", "m00002.npy")]; r.Signal != "SIGSEGV" {
		t.Errorf("segfault record: %+v", r)
	}
}

// TestExecCommands: a command per item with {} {/} {.} substitution (and
// the path appended when there is none), its output as the result, a
// non-zero exit as a failure with the status; inputs from -inputs-from -.
func TestExecCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	for _, n := range []string{"a.txt", "b.dat", "c"} {
		os.WriteFile(filepath.Join(data, n), []byte(n), 0o644)
	}
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI(t, "exec", "-quiet", "-jsonl", out, "printf", `%s|%s|%s|%s`, "{}", "{/}", "{.}", "{/.}", ":::", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for id, r := range execRecords(t, out) {
		base := filepath.Base(id)
		noExt := strings.TrimSuffix(id, filepath.Ext(id))
		want := fmt.Sprintf("%q", id+"|"+base+"|"+noExt+"|"+strings.TrimSuffix(base, filepath.Ext(base)))
		if !r.OK || string(r.Result) != want || r.Exit == nil || *r.Exit != 0 {
			t.Errorf("%s: %+v, result %s, want %s", id, r, r.Result, want)
		}
	}

	// -inputs-from - on standard input; the path appended; a JSON result;
	// exit 3 fails.
	script := filepath.Join(dir, "cmd.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ncase \"$1\" in *c) echo oops >&2; exit 3;; esac\nprintf '{\"len\": %d}\\n' $(wc -c < \"$1\")\n"), 0o755)
	list := strings.Join([]string{filepath.Join(data, "a.txt"), filepath.Join(data, "c"), ""}, "\n")
	stdin := os.Stdin
	r, w, _ := os.Pipe()
	os.Stdin = r
	go func() { w.WriteString(list); w.Close() }()
	out2 := filepath.Join(dir, "r2.jsonl")
	code, _, stderr = runCLI(t, "exec", "-quiet", "-inputs-from", "-", "-jsonl", out2, script)
	os.Stdin = stdin
	r.Close()
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := execRecords(t, out2)
	var alen struct{ Len int }
	if a := recs[filepath.Join(data, "a.txt")]; !a.OK || json.Unmarshal(a.Result, &alen) != nil || alen.Len != 5 {
		t.Errorf("a.txt: %+v %s", a, a.Result)
	}
	if c := recs[filepath.Join(data, "c")]; c.OK || c.Error != "exit status 3" || c.Exit == nil || *c.Exit != 3 || c.Stderr != "oops" {
		t.Errorf("c: %+v", c)
	}
	if len(recs) != 2 {
		t.Errorf("%d records from two inputs", len(recs))
	}
}

// TestExecWorker: a persistent -worker in shell and in Python, one path
// in and one line out per item: JSON results, {"error": ...} failures,
// plain text as a string; one process per lane, reused.
func TestExecWorker(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	for i := range 6 {
		os.WriteFile(filepath.Join(data, fmt.Sprintf("f%d", i)), bytes.Repeat([]byte("x"), i), 0o644)
	}
	shell := filepath.Join(dir, "worker.sh")
	os.WriteFile(shell, []byte(`#!/bin/sh
while IFS= read -r path; do
  case "$path" in
    *f3) echo '{"error": "f3 is cursed"}' ;;
    *f4) echo "plain text $$" ;;
    *) printf '{"bytes": %d, "pid": %d}\n' $(wc -c < "$path") $$ ;;
  esac
done
`), 0o755)
	pyWorker := filepath.Join(dir, "worker.py")
	os.WriteFile(pyWorker, []byte(`import json, os, sys
for line in sys.stdin:
    path = line.rstrip("\n")
    n = os.path.getsize(path)
    if path.endswith("f3"):
        print(json.dumps({"error": "f3 is cursed"}), flush=True)
    elif path.endswith("f4"):
        print("plain text %d" % os.getpid(), flush=True)
    else:
        print(json.dumps({"bytes": n, "pid": os.getpid()}), flush=True)
`), 0o644)
	for name, cmd := range map[string][]string{"shell": {shell}, "python": {py, pyWorker}} {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			args := append([]string{"exec", "-quiet", "-worker", "-outer", "1", "-jsonl", out}, cmd...)
			code, _, stderr := runCLI(t, append(args, ":::", data)...)
			if code != exitFailed {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			pids := map[int]bool{}
			for id, r := range execRecords(t, out) {
				i, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(id), "f"))
				switch i {
				case 3:
					if r.OK || r.Error != "f3 is cursed" {
						t.Errorf("%s: %+v", id, r)
					}
				case 4:
					var s string
					if !r.OK || json.Unmarshal(r.Result, &s) != nil || !strings.HasPrefix(s, "plain text ") {
						t.Errorf("%s: %+v %s", id, r, r.Result)
					}
				default:
					var v struct{ Bytes, PID int }
					if !r.OK || json.Unmarshal(r.Result, &v) != nil || v.Bytes != i {
						t.Errorf("%s: %+v %s", id, r, r.Result)
					}
					pids[v.PID] = true
				}
			}
			if len(pids) != 1 {
				t.Errorf("one lane used %d worker processes: %v", len(pids), pids)
			}
		})
	}
}

// TestExecRepinsWorker: a worker that resets its own CPU affinity on its
// first item (as a library loading OpenBLAS did to the question's asker)
// is pinned back: later items see the lane's one CPU again, and one
// warning says so.
func TestExecRepinsWorker(t *testing.T) {
	py := numpy(t)
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU: nothing to drift to")
	}
	all, _ := threads.Affinity()
	if len(all) < 2 {
		t.Skip("this process may use one CPU only")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	for i := range 4 {
		os.WriteFile(filepath.Join(data, fmt.Sprintf("f%d", i)), nil, 0o644)
	}
	writeModule(t, dir, "drift", `
import os
first = True
def f(path):
    global first
    if first:
        first = False
        os.sched_setaffinity(0, range(os.cpu_count()))
        return {"first": True, "aff": sorted(os.sched_getaffinity(0))}
    return {"first": False, "aff": sorted(os.sched_getaffinity(0))}
`)
	inDir(t, dir)
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI(t, "exec", "-outer", "2", "-inner", "1", "-python", py, "-py", "drift:f", "-jsonl", out, ":::", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Each lane's worker drifts on its first item: as many first items as
	// lanes that got items (one lane may take them all while the other's
	// Python starts), and with 4 items on 2 lanes some lane had later ones.
	var firsts, later int
	lanesFirst := map[int]int{}
	for id, r := range execRecords(t, out) {
		var v struct {
			First bool
			Aff   []int
		}
		json.Unmarshal(r.Result, &v)
		if v.First {
			firsts++
			lanesFirst[r.Lane]++
			if len(v.Aff) < 2 {
				t.Errorf("%s: the reset did not take (%v): the test proves nothing", id, v.Aff)
			}
			continue
		}
		later++
		if len(v.Aff) != 1 {
			t.Errorf("%s: after the first item the worker runs on %v, want its lane's one CPU", id, v.Aff)
		}
	}
	if firsts+later != 4 || later == 0 || firsts > 2 {
		t.Fatalf("%d first items (by lane %v), %d later ones", firsts, lanesFirst, later)
	}
	for lane, n := range lanesFirst {
		if n != 1 {
			t.Errorf("lane %d saw its first item %d times", lane, n)
		}
	}
	if n := strings.Count(stderr, "had its CPU affinity reset"); n != firsts {
		t.Errorf("%d warnings of the drift, want one per lane that drifted (%d):\n%s", n, firsts, stderr)
	}
}

// TestExecKilledThenResumed: blasbatch exec killed with SIGKILL mid-run
// leaves no process behind (lanes and their Python workers die with it),
// and -resume then gives every item exactly one ok record.
func TestExecKilledThenResumed(t *testing.T) {
	py := numpy(t)
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	const total = 30
	for i := range total {
		os.WriteFile(filepath.Join(data, fmt.Sprintf("f%02d", i)), nil, 0o644)
	}
	writeModule(t, dir, "slow", `
import os, time
def f(path):
    time.sleep(0.05)
    return os.path.basename(path)
`)
	inDir(t, dir)
	out := filepath.Join(dir, "r.jsonl")
	var errb lockedBuffer
	cmd := startRun(t, &errb, "exec", "-quiet", "-sync", "every", "-python", py, "-py", "slow:f", "-jsonl", out, ":::", data)
	waitLines(t, out, 5)
	lanes := lanePIDs(t, cmd.Process.Pid)
	if len(lanes) == 0 {
		t.Fatal("found no lane processes")
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range lanes {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d outlived the killed run", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	before := len(execRecords(t, out))
	if before >= total {
		t.Fatalf("all %d items done before the kill", before)
	}
	code, _, stderr := runCLI(t, "exec", "-quiet", "-resume", "-python", py, "-py", "slow:f", "-jsonl", out, ":::", data)
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	recs := execRecords(t, out)
	ok := 0
	for _, r := range recs {
		if r.OK {
			ok++
		}
	}
	if ok != total || len(recs) != total {
		t.Fatalf("%d ok of %d records after resume, want %d ok", ok, len(recs), total)
	}
}

// lanePIDs lists the descendants of pid (its lanes and their workers).
func lanePIDs(t *testing.T, pid int) []int {
	t.Helper()
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, s := range stats {
		f, ok := procStatFile(s)
		if !ok || len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		p, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	sort.Ints(out)
	return out
}

// gone reports whether pid no longer runs (or is a zombie).
func gone(pid int) bool {
	f, ok := procStat(pid)
	return !ok || len(f) > 0 && f[0] == "Z"
}

// procStat is the fields of /proc/PID/stat after the command's name (the
// state first); false if the process is gone.
func procStat(pid int) ([]string, bool) {
	return procStatFile(fmt.Sprintf("/proc/%d/stat", pid))
}

func procStatFile(path string) ([]string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(s[i+1:]), true
}
