//go:build linux

package main

// Regression tests for issue 9, "Nothing lost, nothing silently wrong",
// driving the CLI (in-process with runCLI, or the test binary as the real
// blasbatch where a process is needed: locks, signals, umasks, FIFOs).
// Each test names the finding it proves. Linux only: they watch processes
// through /proc and make FIFOs, devices and (as root) small file systems.

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/matio"
)

// nlWait polls cond until it holds, failing the test after d. It is how
// these tests wait for an observable event (a record, a line on stderr, a
// file opened), never a sleep standing in for one.
func nlWait(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// nlUmaskWrapper runs the blasbatch binary under umask 027.
const nlUmaskWrapper = `umask 027; exec "$0" "$@"`

// nlCommand is the built blasbatch (the test binary, see useBuiltBlasbatch)
// with args, under sh -c wrapper when wrapper is not "".
func nlCommand(wrapper string, args ...string) *exec.Cmd {
	exe := os.Getenv(exeEnv)
	if wrapper == "" {
		return exec.Command(exe, args...)
	}
	return exec.Command("/bin/sh", append([]string{"-c", wrapper, exe}, args...)...)
}

// nlProc runs the built blasbatch to the end as a process of its own and
// returns its exit status, stdout and stderr.
func nlProc(t *testing.T, wrapper string, args ...string) (int, string, string) {
	t.Helper()
	cmd := nlCommand(wrapper, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return nlExitCode(t, err), out.String(), errb.String()
}

// nlExitCode is the exit status that cmd.Wait's error says.
func nlExitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("running blasbatch: %v", err)
	}
	return ee.ExitCode()
}

// nlStart starts the built blasbatch with stderr captured in errb.
func nlStart(t *testing.T, errb *lockedBuffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := nlCommand("", args...)
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd
}

// nlNpy writes a seeded random rows×cols .npy file.
func nlNpy(t *testing.T, path string, rows, cols int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	a := make([]float64, rows*cols)
	for i := range a {
		a[i] = rng.Float64() + 1
	}
	var b bytes.Buffer
	if err := matio.WriteNpy(&b, rows, cols, a, false); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nlSnapshot is what "left byte-identical" compares: content, permission
// bits and identity (a file replaced by a rename has a new inode).
type nlSnapshot struct {
	data []byte
	mode fs.FileMode
	ino  uint64
}

func nlSnap(t *testing.T, path string) nlSnapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return nlSnapshot{b, fi.Mode(), fi.Sys().(*syscall.Stat_t).Ino}
}

func nlSame(t *testing.T, what, path string, before nlSnapshot) {
	t.Helper()
	after := nlSnap(t, path)
	if !bytes.Equal(after.data, before.data) || after.mode != before.mode || after.ino != before.ino {
		t.Errorf("%s: %s changed (%d → %d bytes, mode %v → %v, inode %d → %d)", what, path, len(before.data), len(after.data), before.mode, after.mode, before.ino, after.ino)
	}
}

// nlRecords parses a results file strictly (every line a record) and
// returns how many records each id has.
func nlRecords(t *testing.T, path string) (map[string]int, []record) {
	t.Helper()
	recs := readJournal(t, path)
	n := map[string]int{}
	for _, r := range recs {
		n[r.Input]++
	}
	return n, recs
}

// nlOneLine fails if a line of stderr holds a control character or is not
// valid text: every message, names included, must stay on its line.
func nlOneLine(t *testing.T, what, stderr string) {
	t.Helper()
	for line := range strings.Lines(stderr) {
		body := strings.TrimSuffix(line, "\n")
		for _, r := range body {
			if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
				t.Errorf("%s: a message holds control character %U: %q", what, r, body)
				break
			}
		}
	}
}

// summaryCounts parses "N ok, N failed[, N abandoned], N not started[, N
// already done] (of N)" from an interrupted run's summary line.
var summaryRE = regexp.MustCompile(`(\d+) ok, (\d+) failed(?:, (\d+) abandoned)?, (\d+) not started(?:, (\d+) already done)? \(of (\d+)\)`)

type nlCounts struct{ ok, failed, abandoned, notStarted, done, of int }

func nlSummary(t *testing.T, stderr string) nlCounts {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no summary with counts in %q", stderr)
	}
	n := func(s string) int { v, _ := strconv.Atoi(s); return v }
	return nlCounts{n(m[1]), n(m[2]), n(m[3]), n(m[4]), n(m[5]), n(m[6])}
}

// TestForeignFileLeftByteIdentical — "run -resume -jsonl notes.txt cut its
// unterminated last line and then refused": a file that is not a results
// file is refused (exit 2, naming it) and left byte-identical, fresh and
// resumed, whatever it holds — a torn-looking last line, one unterminated
// line of text, a line of another program's JSON, binary data.
func TestForeignFileLeftByteIdentical(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 4, 2)
	rec := `{"input":"x.npy","kernel":"svd","rows":2,"cols":2,"ok":true,"singular_values":[2,1],"seconds":0.1,"lane":0}` + "\n"
	npy := filepath.Join(dir, "other.npy")
	nlNpy(t, npy, 3, 3, 1)
	npyBytes, _ := os.ReadFile(npy)
	for _, c := range []struct{ name, body string }{
		{"notes.txt", "my notes about the data\nand a last line without newline"},
		{"one-line.txt", "my precious notes, no newline at all"},
		{"pandas.jsonl", `{"input":"a","score":1}`},
		{"pandas-two.jsonl", "{\"input\":\"a\",\"score\":1}\n{\"input\":\"b\",\"score\":2}\n"},
		{"python.jsonl", `{"input": "a", "kernel": "svd", "ok": true}` + "\n"},
		{"records-then-notes.jsonl", rec + "then my notes"},
		{"records-then-junk.jsonl", rec + "junk\n" + rec},
		{"binary.dat", strings.Repeat("\x00\x01\xfe\xff", 50000)},
		{"array.npy", string(npyBytes)},
	} {
		for _, resume := range []bool{false, true} {
			if !resume && strings.HasPrefix(c.name, "records-then") {
				continue // a fresh run replaces a file that starts with a record
			}
			p := filepath.Join(dir, c.name)
			if err := os.WriteFile(p, []byte(c.body), 0o640); err != nil {
				t.Fatal(err)
			}
			before := nlSnap(t, p)
			args := []string{"run", "-quiet", "-jsonl", p, in}
			if resume {
				args = append([]string{"run", "-resume"}, args[1:]...)
			}
			code, stdout, stderr := runCLI(t, args...)
			what := fmt.Sprintf("%s resume=%v", c.name, resume)
			if code != exitUsage || !strings.Contains(stderr, c.name) || !strings.Contains(stderr, "not a blasbatch results file") {
				t.Errorf("%s: exit %d, stderr %q; want exit 2 naming the file as not a results file", what, code, stderr)
			}
			if stdout != "" {
				t.Errorf("%s: records went to stdout: %q", what, stdout)
			}
			nlSame(t, what, p, before)
		}
	}
}

// TestOutputThatIsAnInput — "run -jsonl d/m0.npy d/ overwrote the input":
// an output that is one of the run's inputs, by a relative or absolute
// path, a symlink or a hard link, is a usage error (exit 2) and the input
// is left byte-identical: -jsonl, a shard file, merge -jsonl, scale's -json
// and -plot, -cpuprofile.
func TestOutputThatIsAnInput(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "d")
	genFiles(t, in, 5, 3)
	victim := filepath.Join(in, "m00001.npy")
	abs, _ := filepath.Abs(victim)
	link := filepath.Join(dir, "link.jsonl")
	hard := filepath.Join(dir, "hard.jsonl")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(victim, hard); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	rel := "./d/../d/m00001.npy"
	// Shard files at the shard paths of r.jsonl, made a link and a hard link
	// to inputs.
	shards := filepath.Join(dir, "shards")
	os.Mkdir(shards, 0o755)
	if err := os.Symlink(victim, filepath.Join(shards, "r.shard-0000-of-0002.jsonl")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(in, "m00002.npy"), filepath.Join(shards, "r.shard-0001-of-0002.jsonl")); err != nil {
		t.Fatal(err)
	}
	snaps := map[string]nlSnapshot{}
	for _, p := range []string{victim, filepath.Join(in, "m00000.npy"), filepath.Join(in, "m00002.npy")} {
		snaps[p] = nlSnap(t, p)
	}
	check := func(what string, code int, stderr string) {
		t.Helper()
		if code != exitUsage || !strings.Contains(stderr, "input") {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 saying it is an input", what, code, stderr)
		}
		for p, s := range snaps {
			nlSame(t, what, p, s)
		}
	}
	for _, out := range []string{victim, rel, abs, link, hard} {
		code, _, stderr := runCLI(t, "run", "-quiet", "-jsonl", out, in)
		check("-jsonl "+out, code, stderr)
		code, _, stderr = runCLI(t, "run", "-quiet", "-resume", "-jsonl", out, in)
		check("-resume -jsonl "+out, code, stderr)
		code, _, stderr = runCLI(t, "run", "-quiet", "-cpuprofile", out, in)
		check("-cpuprofile "+out, code, stderr)
	}
	for i := range 2 {
		code, _, stderr := runCLI(t, "run", "-quiet", "-shard", fmt.Sprintf("%d/2", i), "-jsonl", filepath.Join(shards, "r.jsonl"), in)
		check(fmt.Sprintf("shard %d/2", i), code, stderr)
	}
	// merge -jsonl FILE with FILE one of its INPUTS (by a hard link).
	mdir := filepath.Join(dir, "merge")
	os.Mkdir(mdir, 0o755)
	for i := range 2 {
		if code, _, stderr := runCLI(t, "run", "-quiet", "-shard", fmt.Sprintf("%d/2", i), "-jsonl", filepath.Join(mdir, "r.jsonl"), in); code != 0 {
			t.Fatal(stderr)
		}
	}
	if err := os.Link(victim, filepath.Join(mdir, "r.jsonl")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "merge", "-jsonl", filepath.Join(mdir, "r.jsonl"), in)
	check("merge -jsonl (hard link to an input)", code, stderr)

	// scale -json and -plot naming one of the workload's files.
	work := filepath.Join(dir, "work")
	if code, _, stderr := runCLI(t, "scale", "-size", "6", "-count", "2", "-outer", "1", "-inner", "1", "-dir", work); code != 0 {
		t.Fatalf("scale: exit %d: %s", code, stderr)
	}
	wfile := filepath.Join(work, "m00000.npy")
	wsnap := nlSnap(t, wfile)
	jlink := filepath.Join(dir, "rows.json")
	os.Symlink(wfile, jlink)
	plink := filepath.Join(dir, "speedup.png")
	os.Symlink(wfile, plink)
	for _, c := range []struct{ flag, out, want string }{
		{"-json", wfile, "workload"},
		{"-json", jlink, "workload"},
		{"-plot", plink, "workload"},
		{"-plot", wfile, ""}, // refused for its .npy extension already
	} {
		code, _, stderr := runCLI(t, "scale", "-size", "6", "-count", "2", "-outer", "1", "-inner", "1", "-dir", work, c.flag, c.out)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("scale %s %s: exit %d, %q; want exit 2 saying %q", c.flag, c.out, code, stderr, c.want)
		}
		nlSame(t, "scale "+c.flag, wfile, wsnap)
	}
}

// TestSaveFileThatIsAnInput — "an output (… --save files …) that is one of
// the run's inputs … is a usage error (exit 2) and nothing is written": a
// save name of this run that is a link to an input refuses the run before
// computing, and DIR holds nothing new. (It was checked only when the item
// finished: that item failed, exit 1, and the others' outputs were written.)
func TestSaveFileThatIsAnInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	nlNpy(t, filepath.Join(in, "a.npy"), 4, 4, 1)
	nlNpy(t, filepath.Join(in, "b.npy"), 4, 4, 2)
	save := filepath.Join(dir, "save")
	os.Mkdir(save, 0o755)
	// b's U output would be a link to a.npy: writing it would replace a.
	target := filepath.Join(save, lanes.SafeName(filepath.Join(in, "b.npy"))+".U.npy")
	if err := os.Symlink(filepath.Join(in, "a.npy"), target); err != nil {
		t.Fatal(err)
	}
	before := nlSnap(t, filepath.Join(in, "a.npy"))
	code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svd", "-save", save, in)
	nlSame(t, "--save over an input", filepath.Join(in, "a.npy"), before)
	ents, _ := os.ReadDir(save)
	if code != exitUsage || len(ents) != 1 {
		names := []string{}
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("exit %d (stderr %q), save DIR holds %v; want exit 2 before computing, nothing written", code, stderr, names)
	}
}

// TestFailureBeforeComputingLeavesResults — "a results file is opened for
// writing only once everything that can fail before the first record has
// succeeded": runs that fail while planning leave keep.jsonl
// byte-identical, and a results file the run created is removed again.
func TestFailureBeforeComputingLeavesResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 5, 3)
	keep := filepath.Join(dir, "keep.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-jsonl", keep, in); code != 0 {
		t.Fatal(stderr)
	}
	before := nlSnap(t, keep)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	txt := filepath.Join(dir, "txt")
	os.Mkdir(txt, 0o755)
	os.WriteFile(filepath.Join(txt, "notes.txt"), []byte("1,2\n3,4\n"), 0o644)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o644)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"no matrix files", []string{"-plan", "measure", empty}},
		{"only .txt files", []string{txt}},
		{"pair kernel on lanes", []string{"-kernel", "matmul", "-isolate", in}},
		{"-save is a file", []string{"-save", notDir, in}},
		{"-save is the results file", []string{"-save", keep, in}},
	} {
		for _, resume := range []bool{false, true} {
			args := append([]string{"run", "-quiet", "-jsonl", keep}, c.args...)
			if resume {
				args = append([]string{"run", "-resume"}, args[1:]...)
			}
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage {
				t.Errorf("%s resume=%v: exit %d, want 2: %s", c.name, resume, code, stderr)
			}
			nlSame(t, c.name, keep, before)
			fresh := filepath.Join(dir, "fresh.jsonl")
			args[len(args)-len(c.args)-1] = fresh
			runCLI(t, args...)
			if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s resume=%v: a results file the refused run created is left: %v", c.name, resume, err)
			}
		}
	}
}

// TestResultsFileHeld — "two runs writing the same -jsonl at once both exit
// 0 and overwrite each other": while a run writes FILE (plain or a shard
// file), a second run on it — by the same path or a hard link — fails at
// once with exit 2 naming FILE and the other run, and the first completes
// whole: every item exactly one record, the file only records.
func TestResultsFileHeld(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 160, 60)
	for _, shard := range []string{"", "0/2"} {
		t.Run("shard="+shard, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			args := []string{"run", "-quiet", "-outer", "1", "-inner", "1", "-sync", "every", "-jsonl", out}
			file, items := out, 60
			if shard != "" {
				args = append(args, "-shard", shard)
				file = strings.TrimSuffix(out, ".jsonl") + ".shard-0000-of-0002.jsonl"
				items = 30
			}
			var errb lockedBuffer
			cmd := nlStart(t, &errb, append(args, in)...)
			waitLines(t, file, 3)
			// Frozen, it holds the file (and its lock) while the others try.
			syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP)
			// Second runs on the file the first holds, and what each must name.
			type second struct {
				args []string
				name string
			}
			seconds := []second{{append(append([]string{}, args...), in), filepath.Base(file)}}
			if shard == "" {
				hard := filepath.Join(filepath.Dir(out), "hard.jsonl")
				if err := os.Link(out, hard); err != nil {
					t.Fatal(err)
				}
				seconds = append(seconds,
					second{[]string{"run", "-quiet", "-jsonl", hard, in}, "hard.jsonl"},
					second{[]string{"run", "-quiet", "-resume", "-jsonl", hard, in}, "hard.jsonl"})
			}
			for _, s := range seconds {
				code, _, stderr := runCLI(t, s.args...)
				if code != exitUsage || !strings.Contains(stderr, "another blasbatch run") || !strings.Contains(stderr, s.name) {
					t.Errorf("second run %v: exit %d, %q; want exit 2 naming %s and the other run", s.args, code, stderr, s.name)
				}
			}
			syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("the first run: %v: %s", err, errb.String())
			}
			n, recs := nlRecords(t, file)
			if len(recs) != items || len(n) != items {
				t.Fatalf("%d records for %d distinct items, want %d each once", len(recs), len(n), items)
			}
		})
	}
}

// TestDevicesAreNotLocked — "non-regular targets such as -jsonl /dev/null
// are not locked": a run writes through to a null device (as root one of
// its own, made with mknod) while the test holds an exclusive flock on it,
// and it stays the device.
func TestDevicesAreNotLocked(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 4, 2)
	null := os.DevNull
	if os.Geteuid() == 0 { // a null device of its own, not the machine's, to lock
		st, _ := os.Stat(os.DevNull)
		null = filepath.Join(dir, "null")
		if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, int(st.Sys().(*syscall.Stat_t).Rdev)); err != nil {
			null = os.DevNull
		}
	}
	f, err := os.Open(null)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatalf("cannot flock %s: %v", null, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	code, _, stderr := runCLI(t, "run", "-quiet", "-jsonl", null, in)
	if code != 0 {
		t.Errorf("-jsonl %s held by another: exit %d: %s", null, code, stderr)
	}
	if fi, err := os.Stat(null); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a character device: %v %v", null, fi.Mode(), err)
	}
}

// TestFreshRunReplacesOnlyResults — "a fresh run replaces an existing
// results file only if it is empty or its first line is a record … The
// results file holds only records, written in place": a results file (and
// an empty one) is replaced in place (same inode, its mode kept, a hard
// link to it sees the new records); it holds only whole records, no header.
func TestFreshRunReplacesOnlyResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 5, 4)
	for _, body := range []string{"", "placeholder"} {
		out := filepath.Join(dir, "out.jsonl")
		os.Remove(out)
		if body == "" {
			os.WriteFile(out, nil, 0o600)
		} else if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-jsonl", out, filepath.Join(in, "m00000.npy")); code != 0 {
			t.Fatal(stderr)
		}
		os.Chmod(out, 0o600)
		link := filepath.Join(dir, "link.jsonl")
		os.Remove(link)
		if err := os.Link(out, link); err != nil {
			t.Fatal(err)
		}
		before := nlSnap(t, out)
		code, stdout, stderr := runCLI(t, "run", "-quiet", "-kernel", "svd", "-jsonl", out, in)
		if code != 0 || stdout != "" {
			t.Fatalf("exit %d, stdout %q: %s", code, stdout, stderr)
		}
		after := nlSnap(t, out)
		if after.ino != before.ino || after.mode != before.mode {
			t.Errorf("body %q: the results file was replaced (inode %d → %d, mode %v → %v), not written in place", body, before.ino, after.ino, before.mode, after.mode)
		}
		n, recs := nlRecords(t, out)
		if len(recs) != 4 || len(n) != 4 || recs[0].Kernel != "svd" {
			t.Errorf("body %q: %d records (%d ids), kernel %q; want exactly the 4 new svd records", body, len(recs), len(n), recs[0].Kernel)
		}
		if l, _ := os.ReadFile(link); !bytes.Equal(l, after.data) {
			t.Errorf("body %q: a hard link to the results file does not see the records", body)
		}
	}
}

// TestGenAndScaleNeverOverwriteUserFiles — "scale -dir DIR overwrote a
// user's own m00000.npy; gen -dir likewise": neither writes over a file it
// did not write — a user's file of a name gen uses, a link there to a file
// elsewhere, a -stack target — and each says why (exit 2); gen rewrites its
// own files and scale reuses them.
func TestGenAndScaleNeverOverwriteUserFiles(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.npy")
	os.WriteFile(precious, []byte("mine"), 0o644)
	for _, c := range []struct {
		name  string
		setup func(d string) string // returns the file that must survive
		cmd   func(d string) []string
	}{
		{"gen -dir, user file", func(d string) string {
			p := filepath.Join(d, "m00001.npy")
			os.WriteFile(p, []byte("mine"), 0o644)
			return p
		}, func(d string) []string { return []string{"gen", "-size", "3", "-count", "3", "-dir", d} }},
		{"gen -dir, link to a user file", func(d string) string {
			os.Symlink(precious, filepath.Join(d, "m00000.npy"))
			return precious
		}, func(d string) []string { return []string{"gen", "-size", "3", "-count", "3", "-dir", d} }},
		{"gen -stack, user file", func(d string) string {
			p := filepath.Join(d, "stack.npy")
			os.WriteFile(p, []byte("mine"), 0o644)
			return p
		}, func(d string) []string {
			return []string{"gen", "-size", "3", "-count", "3", "-stack", filepath.Join(d, "stack.npy")}
		}},
		{"scale -dir, user file", func(d string) string {
			p := filepath.Join(d, "m00001.npy")
			os.WriteFile(p, []byte("mine"), 0o644)
			return p
		}, func(d string) []string {
			return []string{"scale", "-size", "3", "-count", "2", "-outer", "1", "-inner", "1", "-dir", d}
		}},
		{"scale -dir, a matrix file that is not the workload's", func(d string) string {
			p := filepath.Join(d, "extra.csv")
			os.WriteFile(p, []byte("1,2\n3,4\n"), 0o644)
			return p
		}, func(d string) []string {
			return []string{"scale", "-size", "3", "-count", "2", "-outer", "1", "-inner", "1", "-dir", d}
		}},
	} {
		d := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_"))
		os.Mkdir(d, 0o755)
		keep := c.setup(d)
		before := nlSnap(t, keep)
		code, _, stderr := runCLI(t, c.cmd(d)...)
		if code != exitUsage || !strings.Contains(stderr, "not") {
			t.Errorf("%s: exit %d, %q; want exit 2 saying why", c.name, code, stderr)
		}
		nlSame(t, c.name, keep, before)
	}
	// Its own files: gen rewrites them, scale reuses them.
	d := filepath.Join(dir, "own")
	for range 2 {
		if code, _, stderr := runCLI(t, "gen", "-size", "3", "-count", "2", "-dir", d); code != 0 {
			t.Fatalf("gen into its own directory: %s", stderr)
		}
	}
	if code, _, stderr := runCLI(t, "scale", "-size", "3", "-count", "2", "-seed", "1", "-outer", "1", "-inner", "1", "-dir", d); code != 0 || !strings.Contains(stderr, "reusing") {
		t.Errorf("scale on gen's own workload: exit %d, %q", code, stderr)
	}
}

// nlShardRun runs every shard of n over in with -jsonl out.
func nlShardRun(t *testing.T, out string, n int, in ...string) {
	t.Helper()
	for i := range n {
		args := append([]string{"run", "-quiet", "-kernel", "svdvals", "-shard", fmt.Sprintf("%d/%d", i, n), "-jsonl", out}, in...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("shard %d/%d: %s", i, n, stderr)
		}
	}
}

// TestMergeReportsEverything — "merge -jsonl res (no extension) with a
// shard deleted printed 0 shard file(s) of -1 and exited 0", "records for
// items outside the INPUTS are reported", "a shard's torn last line is
// reported … with exit 1, even without INPUTS", "-jsonl 'res[1].jsonl'
// finds no shards", ".bak names read as shards": merge exits 1 and says
// why for an incomplete set whatever the names, and 0 only when the set is
// complete.
func TestMergeReportsEverything(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 5, 6)
	other := filepath.Join(dir, "other")
	genFiles(t, other, 5, 2)
	for _, name := range []string{"res", "res.jsonl", "res[1].jsonl", "r*s?.jsonl", "a b.out.jsonl"} {
		d := filepath.Join(dir, "m-"+strconv.Itoa(len(name))+strings.Map(func(r rune) rune {
			if strings.ContainsRune("[]*? ", r) {
				return '_'
			}
			return r
		}, name))
		os.Mkdir(d, 0o755)
		out := filepath.Join(d, name)
		nlShardRun(t, out, 3, in)
		merge := func(inputs ...string) (int, string) {
			code, _, stderr := runCLI(t, append([]string{"merge", "-jsonl", out}, inputs...)...)
			return code, stderr
		}
		if code, stderr := merge(in); code != 0 || !strings.Contains(stderr, "3 of 3 shard file(s)") {
			t.Fatalf("%s: complete set: exit %d, %s", name, code, stderr)
		}
		if n, recs := nlRecords(t, out); len(recs) != 6 || len(n) != 6 {
			t.Fatalf("%s: merged file holds %d records of %d items, want 6", name, len(recs), len(n))
		}
		// A .bak copy of a shard beside it is not a shard.
		s0 := strings.TrimSuffix(out, filepath.Ext(name)) + ".shard-0000-of-0003" + filepath.Ext(name)
		b, _ := os.ReadFile(s0)
		bak := strings.TrimSuffix(out, filepath.Ext(name)) + ".shard-0000-of-0003.bak" + filepath.Ext(name)
		os.WriteFile(bak, b, 0o644)
		if code, stderr := merge(in); code != 0 || strings.Contains(stderr, "two shards") {
			t.Errorf("%s: a .bak copy of a shard counted: exit %d, %s", name, code, stderr)
		}
		// Records outside the INPUTS given to merge.
		if code, stderr := merge(filepath.Join(in, "m00000.npy")); code != exitFailed || !strings.Contains(stderr, "not an item of the inputs") {
			t.Errorf("%s: records outside INPUTS: exit %d, %s", name, code, stderr)
		}
		// Items of the INPUTS without a record.
		if code, stderr := merge(in, other); code != exitFailed || !strings.Contains(stderr, "no record") {
			t.Errorf("%s: INPUTS with items no shard holds: exit %d, %s", name, code, stderr)
		}
		// A torn last line, without INPUTS.
		s1 := strings.TrimSuffix(out, filepath.Ext(name)) + ".shard-0001-of-0003" + filepath.Ext(name)
		good1, _ := os.ReadFile(s1)
		os.WriteFile(s1, append(append([]byte{}, good1...), `{"input":"`+filepath.Join(in, "m00009.npy")+`","kernel":"svdvals","ro`...), 0o644)
		if code, stderr := merge(); code != exitFailed || !strings.Contains(stderr, "torn") || !strings.Contains(stderr, "m00009.npy") {
			t.Errorf("%s: torn shard: exit %d, %s", name, code, stderr)
		}
		os.WriteFile(s1, good1, 0o644)
		// A deleted shard, with and without INPUTS.
		os.Remove(s1)
		for _, inputs := range [][]string{nil, {in}} {
			code, stderr := merge(inputs...)
			if code != exitFailed || !strings.Contains(stderr, "shard 1 of 3") || strings.Contains(stderr, "of -1") {
				t.Errorf("%s: shard 1 deleted, INPUTS %v: exit %d, %s", name, inputs, code, stderr)
			}
		}
		// Every shard deleted.
		for _, s := range []string{s0, strings.TrimSuffix(out, filepath.Ext(name)) + ".shard-0002-of-0003" + filepath.Ext(name)} {
			os.Remove(s)
		}
		if code, stderr := merge(); code != exitFailed || !strings.Contains(stderr, "no shard files") {
			t.Errorf("%s: no shard left: exit %d, %s", name, code, stderr)
		}
	}
}

// TestMergeEmptyFirstShard — found as a hostile user: merge given INPUTS
// took the kernel from shard 0's first record, and an empty shard 0 (its
// run killed before its first record) made it fail with "…: EOF", exit 2,
// hiding the missing items. Now it lists them, exit 1.
func TestMergeEmptyFirstShard(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 5, 3)
	out := filepath.Join(dir, "r.jsonl")
	nlShardRun(t, out, 2, in)
	os.WriteFile(filepath.Join(dir, "r.shard-0000-of-0002.jsonl"), nil, 0o644) // killed before its first record
	code, _, stderr := runCLI(t, "merge", "-jsonl", out, in)
	if code != exitFailed || !strings.Contains(stderr, "no record") {
		t.Errorf("merge with an empty first shard: exit %d, %q; want exit 1 listing the items with no record", code, stderr)
	}
}

// TestMergeOutputModeFollowsUmask — "merge's output is 0600 today": a new
// merged file gets 0666 less the umask (027 → 0640).
func TestMergeOutputModeFollowsUmask(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 5, 2)
	out := filepath.Join(dir, "r.jsonl")
	nlShardRun(t, out, 2, in)
	code, _, stderr := nlProc(t, nlUmaskWrapper, "merge", "-jsonl", out, in)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("merged file under umask 027: %v %v, want -rw-r-----", fi.Mode(), err)
	}
}

// TestShardNeedsRegularResults — "-shard 0/2 -jsonl /dev/null created
// /dev/null.shard-0000-of-0002": a non-regular -jsonl target with -shard
// is exit 2 and creates nothing.
func TestShardNeedsRegularResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 4, 2)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	linkToNull := filepath.Join(dir, "null.jsonl")
	os.Symlink(os.DevNull, linkToNull)
	for _, target := range []string{os.DevNull, fifo, linkToNull, dir} {
		code, _, stderr := runCLI(t, "run", "-quiet", "-shard", "0/2", "-jsonl", target, in)
		if code != exitUsage || !strings.Contains(stderr, "regular file") {
			t.Errorf("-shard 0/2 -jsonl %s: exit %d, %q; want exit 2 asking for a regular file", target, code, stderr)
		}
		for _, p := range []string{target, linkToNull} {
			matches, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "*shard-*"))
			if len(matches) > 0 {
				t.Errorf("-shard 0/2 -jsonl %s created %v", target, matches)
				for _, m := range matches {
					os.Remove(m)
				}
			}
		}
	}
	if fi, _ := os.Stat(os.DevNull); fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device", os.DevNull)
	}
}

// nlROMount makes an empty directory that cannot be written even by root:
// a read-only tmpfs (root) or a directory without write permission (others).
// It skips the test only when neither can be had.
func nlROMount(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		os.Chmod(dir, 0o555)
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_RDONLY, "size=1m"); err != nil {
		t.Skipf("as root a directory is always writable, and a read-only tmpfs cannot be mounted here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
}

// nlTmpfs mounts a tmpfs of size bytes at dir (root only; skips otherwise).
func nlTmpfs(t *testing.T, dir string, size int) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small file system to fill")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
}

// TestSaveFiles — "--save: files are created 0600 regardless of umask …
// temporary files left by a killed run are removed by the next run …
// after a run, DIR holds only outputs": under umask 027 the outputs and the
// results file are 0640; a run into a DIR holding a killed run's temporary
// file removes it and says so; DIR then holds exactly each item's outputs.
func TestSaveFiles(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 6, 3)
	save := filepath.Join(dir, "save")
	os.Mkdir(save, 0o750)
	stale := filepath.Join(save, ".blasbatch-tmp-killedrun")
	os.WriteFile(stale, []byte("half an array"), 0o600)
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := nlProc(t, nlUmaskWrapper, "run", "-kernel", "svd", "-save", save, "-jsonl", out, in)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "removed 1 temporary file") {
		t.Errorf("the run did not say it removed the killed run's temporary file: %q", stderr)
	}
	want := map[string]bool{}
	for _, r := range readJournal(t, out) {
		for _, o := range []string{"U", "S", "Vt"} {
			want[lanes.SafeName(r.Input)+"."+o+".npy"] = true
		}
	}
	ents, _ := os.ReadDir(save)
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
		fi, _ := e.Info()
		if !want[e.Name()] {
			t.Errorf("save DIR holds %s, which is no output", e.Name())
		} else if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %v under umask 027, want -rw-r-----", e.Name(), fi.Mode())
		}
	}
	if len(got) != len(want) || len(want) != 9 {
		t.Errorf("save DIR holds %v, want the 9 outputs of 3 items", got)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o640 {
		t.Errorf("results file mode %v under umask 027, want -rw-r-----", fi.Mode())
	}
}

// TestSaveDirUnwritable — "a read-only or full DIR fails before computing
// when it can be known": exit 2 naming DIR, and the results file left as
// it was.
func TestSaveDirUnwritable(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 6, 3)
	keep := filepath.Join(dir, "keep.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-jsonl", keep, in); code != 0 {
		t.Fatal(stderr)
	}
	before := nlSnap(t, keep)
	ro := filepath.Join(dir, "ro")
	nlROMount(t, ro)
	for _, save := range []string{ro, filepath.Join(ro, "sub")} {
		code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svd", "-save", save, "-jsonl", keep, in)
		if code != exitUsage || !strings.Contains(stderr, "ro") {
			t.Errorf("-save %s: exit %d, %q; want exit 2 naming it", save, code, stderr)
		}
		nlSame(t, "-save "+save, keep, before)
	}
}

// TestSaveDirFills — "an item whose outputs could not be written is a
// failed record with its partial files removed": on a small file system
// that fills part way, every item has either all its outputs or none, each
// item without them is a failed record saying why, and no temporary file is
// left.
func TestSaveDirFills(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 200, 8) // U and Vt 320 KiB each, S 1.7 KiB
	save := filepath.Join(dir, "small")
	nlTmpfs(t, save, 2600<<10) // room for about three items and a half
	out := filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svd", "-outer", "1", "-inner", "1", "-save", save, "-jsonl", out, in)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (some items could not be saved): %s", code, stderr)
	}
	failed := 0
	for _, r := range readJournal(t, out) {
		var have []string
		for _, o := range []string{"U", "S", "Vt"} {
			if _, err := os.Stat(filepath.Join(save, lanes.SafeName(r.Input)+"."+o+".npy")); err == nil {
				have = append(have, o)
			}
		}
		switch {
		case r.OK && len(have) != 3:
			t.Errorf("%s: ok but only %v saved", r.Input, have)
		case !r.OK && len(have) != 0:
			t.Errorf("%s: failed (%s) but %v left behind", r.Input, r.Error, have)
		case !r.OK && !strings.Contains(r.Error, "no space"):
			t.Errorf("%s: failed record does not say why: %q", r.Input, r.Error)
		case !r.OK:
			failed++
		}
	}
	if failed == 0 {
		t.Fatal("the file system never filled: the test proves nothing")
	}
	ents, _ := os.ReadDir(save)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left in DIR: %s", e.Name())
		}
	}
}

// TestTruncatedStackEveryItemAccounted — "a stack truncated while being
// read: 1 of 501 items failed for a 1000-item stack": the stack is cut
// while the run reads it (after its first records); every planned item
// gets exactly one record — ok, or failed naming the file — the summary's
// counts add up to 1000, and -resume's message adds up too.
func TestTruncatedStackEveryItemAccounted(t *testing.T) {
	useBuiltBlasbatch(t)
	for _, extra := range [][]string{nil, {"-isolate", "-outer", "1"}} {
		t.Run(fmt.Sprint(extra), func(t *testing.T) {
			dir := t.TempDir()
			stack := filepath.Join(dir, "stack.npy")
			if code, _, stderr := runCLI(t, "gen", "-size", "60", "-count", "1000", "-stack", stack); code != 0 {
				t.Fatal(stderr)
			}
			out := filepath.Join(dir, "r.jsonl")
			var errb lockedBuffer
			args := append([]string{"run", "-outer", "1", "-inner", "1", "-readahead", "0", "-sync", "every", "-jsonl", out}, extra...)
			cmd := nlStart(t, &errb, append(args, stack)...)
			waitLines(t, out, 20)
			syscall.Kill(cmd.Process.Pid, syscall.SIGSTOP)                  // cut while it is part way, however fast it is
			if err := os.Truncate(stack, 128+300*60*60*8+100); err != nil { // the header and 300 whole matrices
				t.Fatal(err)
			}
			syscall.Kill(cmd.Process.Pid, syscall.SIGCONT)
			err := cmd.Wait()
			if code := nlExitCode(t, err); code != exitFailed {
				t.Fatalf("exit %d, want 1: %s", code, errb.String())
			}
			n, recs := nlRecords(t, out)
			failed := 0
			for i := range 1000 {
				id := fmt.Sprintf("%s[%d]", stack, i)
				if n[id] != 1 {
					t.Fatalf("%s has %d records, want 1", id, n[id])
				}
			}
			for _, r := range recs {
				if !r.OK {
					failed++
					if !strings.Contains(r.Error, stack) {
						t.Errorf("%s: failure does not name the file: %q", r.Input, r.Error)
					}
				}
			}
			if len(recs) != 1000 || failed < 600 {
				t.Fatalf("%d records, %d failed: the truncation did not take", len(recs), failed)
			}
			if want := fmt.Sprintf("%d of 1000 items failed", failed); !strings.Contains(errb.String(), want) {
				t.Errorf("summary %q, want %q", errb.String(), want)
			}
			// -resume over the cut file: its message adds up to the set.
			code, _, stderr := runCLI(t, "run", "-resume", "-outer", "1", "-inner", "1", "-jsonl", out, stack)
			m := regexp.MustCompile(`(\d+) item\(s\) already ok, (\d+) earlier failure\(s\) to retry, (\d+) not yet run \(of (\d+)\)`).FindStringSubmatch(stderr)
			if m == nil {
				t.Fatalf("resume: exit %d, no counts in %q", code, stderr)
			}
			a, _ := strconv.Atoi(m[1])
			b, _ := strconv.Atoi(m[2])
			c, _ := strconv.Atoi(m[3])
			d, _ := strconv.Atoi(m[4])
			if a+b+c != d {
				t.Errorf("resume counts %s do not add up", m[0])
			}
		})
	}
}

// nlCPUTicks is the user+system CPU time of process pid, in clock ticks.
func nlCPUTicks(pid int) int {
	f, ok := procStat(pid)
	if !ok || len(f) < 13 {
		return -1
	}
	u, _ := strconv.Atoi(f[11])
	k, _ := strconv.Atoi(f[12])
	return u + k
}

// nlLanes waits until n lane processes of the run (started with -v) have
// read an item each — its debug line "process PID started task" says so —
// and have used at least ticks of CPU since (they are computing), and
// returns their pids.
func nlLanes(t *testing.T, cmd *exec.Cmd, errb *lockedBuffer, n, ticks int) []int {
	t.Helper()
	pid := cmd.Process.Pid
	started := regexp.MustCompile(`: process (\d+) started task `)
	var busy []int
	nlWait(t, fmt.Sprintf("%d lanes computing", n), 120*time.Second, func() bool {
		if gone(pid) {
			t.Fatalf("the run ended before %d lanes were computing: %s", n, errb.String())
		}
		busy = busy[:0]
		for _, m := range started.FindAllStringSubmatch(errb.String(), -1) {
			p, _ := strconv.Atoi(m[1])
			if !slices.Contains(busy, p) && slices.Contains(lanePIDs(t, pid), p) && nlCPUTicks(p) >= ticks {
				busy = append(busy, p)
			}
		}
		return len(busy) >= n
	})
	return busy
}

// nlHoldBeyondGrace is how long TestLanesFirstSignalWaits keeps the items
// in flight after the first signal: longer than the fixed 5 s grace after
// which the old lanes were killed. It is the duration under test, not a
// wait for an event.
const nlHoldBeyondGrace = 6 * time.Second

// TestLanesFirstSignalWaits — "with process lanes, the first SIGTERM says
// finishing the items in flight but kills them after a fixed 5 s grace,
// and the summary says 3 not started while two were running": two lanes
// computing an item each are frozen (SIGSTOP), so their items stay in
// flight as long as the test likes; the run gets SIGTERM (or SIGHUP); after
// longer than the old grace the lanes are still there, and once thawed both
// items complete and are recorded ok, the third is not started, the summary
// says so and adds up to the plan, and the exit is 143 (129). A second
// signal abandons the items in flight: counted abandoned, no record, no
// lane left.
func TestLanesFirstSignalWaits(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 1800, 3) // an SVD of 1800² takes seconds on one core
	for _, c := range []struct {
		name string
		sigs []syscall.Signal
		code int
		hold bool
	}{
		{"SIGTERM once", []syscall.Signal{syscall.SIGTERM}, 143, true},
		{"SIGHUP once", []syscall.Signal{syscall.SIGHUP}, 129, false},
		{"SIGTERM twice", []syscall.Signal{syscall.SIGTERM, syscall.SIGTERM}, 143, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			var errb lockedBuffer
			cmd := nlStart(t, &errb, "run", "-v", "-kernel", "svd", "-isolate", "-outer", "2", "-inner", "1", "-jsonl", out, in)
			lanes := nlLanes(t, cmd, &errb, 2, 20)
			for _, p := range lanes {
				syscall.Kill(p, syscall.SIGSTOP)
			}
			thaw := func() {
				for _, p := range lanes {
					syscall.Kill(p, syscall.SIGCONT)
				}
			}
			defer thaw()
			cmd.Process.Signal(c.sigs[0])
			nlWait(t, "the first signal taken", 20*time.Second, func() bool { return strings.Contains(errb.String(), "finishing the items in flight") })
			if c.hold {
				time.Sleep(nlHoldBeyondGrace)
				for _, p := range lanes {
					if gone(p) {
						t.Fatalf("lane %d was killed within %v of the first signal, its item in flight: %s", p, nlHoldBeyondGrace, errb.String())
					}
				}
			}
			if len(c.sigs) > 1 {
				cmd.Process.Signal(c.sigs[1])
			}
			thaw()
			code := nlExitCode(t, cmd.Wait())
			stderr := errb.String()
			if code != c.code {
				t.Fatalf("exit %d, want %d: %s", code, c.code, stderr)
			}
			sum := nlSummary(t, stderr)
			_, recs := nlRecords(t, out)
			if sum.ok+sum.failed+sum.abandoned+sum.notStarted+sum.done != sum.of || sum.of != 3 {
				t.Errorf("counts %+v do not add up to the 3 planned items", sum)
			}
			if len(c.sigs) == 1 {
				if sum.ok != 2 || sum.notStarted != 1 || len(recs) != 2 || !recs[0].OK || !recs[1].OK {
					t.Errorf("summary %+v, %d records; want the 2 items in flight finished ok and 1 not started: %s", sum, len(recs), stderr)
				}
			} else if sum.abandoned != 2 || sum.notStarted != 1 || len(recs) != 0 {
				t.Errorf("summary %+v, %d records; want 2 abandoned, 1 not started, no record", sum, len(recs))
			}
			for _, p := range lanes {
				nlWait(t, "the lanes to end", 20*time.Second, func() bool { return gone(p) })
			}
		})
	}
}

// TestSignalDuringPlanning — "signal handling starts when the process
// starts: during planning … SIGINT/SIGTERM either does nothing or kills the
// process with no summary": a signal while the run scans 30000 headers (the
// process has an input open and the results file has not changed) ends it
// at once with a summary saying nothing was computed and the file is as
// it was, and 130/143/129, and the results file — which
// only a run that starts computing may change — is byte-identical.
func TestSignalDuringPlanning(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "many")
	os.Mkdir(in, 0o755)
	var one bytes.Buffer
	matio.WriteNpy(&one, 2, 2, []float64{1, 2, 3, 4}, false)
	for i := range 30000 {
		if err := os.WriteFile(filepath.Join(in, fmt.Sprintf("f%05d.npy", i)), one.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rec := `{"input":"x.npy","kernel":"svd","rows":2,"cols":2,"ok":true,"singular_values":[2,1],"seconds":0.1,"lane":0}` + "\n"
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.jsonl")
			os.WriteFile(out, []byte(rec), 0o644)
			before := nlSnap(t, out)
			var errb lockedBuffer
			cmd := nlStart(t, &errb, "run", "-jsonl", out, in)
			fdDir := fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid)
			nlWait(t, "the scan to open an input", 60*time.Second, func() bool {
				ents, _ := os.ReadDir(fdDir)
				for _, e := range ents {
					if l, _ := os.Readlink(filepath.Join(fdDir, e.Name())); strings.HasPrefix(l, in+"/f") && l < filepath.Join(in, "f15000.npy") {
						return true
					}
				}
				return false
			})
			if b, _ := os.ReadFile(out); !bytes.Equal(b, before.data) {
				t.Fatal("the results file changed before the scan reached half the inputs")
			}
			cmd.Process.Signal(c.sig)
			code := nlExitCode(t, cmd.Wait())
			stderr := errb.String()
			if code != c.code || !strings.Contains(stderr, "interrupted by") {
				t.Fatalf("exit %d, want %d with a summary: %q", code, c.code, stderr)
			}
			// Nothing was computed, and the summary says the file is
			// as it was (not "0 ok, ... (of 0)").
			if !strings.Contains(stderr, "before computing: nothing computed") || !strings.Contains(stderr, out+" is as it was") {
				t.Errorf("summary of a run interrupted while planning: %q", stderr)
			}
			nlSame(t, "interrupted while planning", out, before)
		})
	}
}

// TestNonUTF8NamesHaveDistinctIDs — "lat\xe8.npy, lat\xe9.npy,
// lat\xef\xbf\xbd.npy all get the id lat�.npy": four names that differ only
// in invalid bytes, U+FFFD or a literal backslash get four ids, valid
// UTF-8; -resume after some of them skips exactly those; shards and merge
// account for each once; --save names are distinct.
func TestNonUTF8NamesHaveDistinctIDs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	names := []string{"lat\xe8.npy", "lat\xe9.npy", "lat\xef\xbf\xbd.npy", `lat\xe8.npy`}
	for i, n := range names {
		nlNpy(t, filepath.Join(in, n), 3, 3, uint64(i))
	}
	out := filepath.Join(dir, "r.jsonl")
	// The first two only, then resume over all four.
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-jsonl", out, filepath.Join(in, names[0]), filepath.Join(in, names[1])); code != 0 {
		t.Fatal(stderr)
	}
	code, _, stderr := runCLI(t, "run", "-resume", "-kernel", "svdvals", "-jsonl", out, in)
	if code != 0 || !strings.Contains(stderr, "2 item(s) already ok") || !strings.Contains(stderr, "2 not yet run") {
		t.Fatalf("resume: exit %d, %q; want 2 skipped and 2 run", code, stderr)
	}
	n, recs := nlRecords(t, out)
	if len(recs) != 4 || len(n) != 4 {
		t.Fatalf("%d records, %d distinct ids (%v); want 4 and 4", len(recs), len(n), n)
	}
	sv := map[string]float64{}
	for id := range n {
		if !json.Valid([]byte(strconv.Quote(id))) || strings.ContainsRune(id, '\uFFFD') && !strings.Contains(names[2], "\uFFFD") {
			t.Errorf("id %q", id)
		}
	}
	for _, r := range recs {
		sv[r.Input] = r.SingularValues[0]
	}
	// Each id is its own file's: the values differ by seed.
	seen := map[float64]bool{}
	for _, v := range sv {
		seen[v] = true
	}
	if len(seen) != 4 {
		t.Errorf("records of distinct files share values: %v", sv)
	}
	// --save names: one set of outputs per id.
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svd", "-save", filepath.Join(dir, "save"), in); code != 0 {
		t.Fatal(stderr)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "save")); len(ents) != 12 {
		t.Errorf("--save wrote %d files for 4 items of 3 outputs each", len(ents))
	}
	// Shards and merge.
	nlShardRun(t, filepath.Join(dir, "s.jsonl"), 3, in)
	code, _, stderr = runCLI(t, "merge", "-jsonl", filepath.Join(dir, "s.jsonl"), in)
	if code != 0 || strings.Contains(stderr, "two shards") {
		t.Errorf("merge: exit %d, %s", code, stderr)
	}
	if n, _ := nlRecords(t, filepath.Join(dir, "s.jsonl")); len(n) != 4 {
		t.Errorf("merged %d ids, want 4", len(n))
	}
}

// TestSameFileTwiceComputedOnce — "the same file given twice (d/a.npy
// ./d/a.npy /abs/d/a.npy) is computed once, with a warning naming the
// duplicates": a relative, ./, absolute, symlink and hard-link path.
func TestSameFileTwiceComputedOnce(t *testing.T) {
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	os.Mkdir(d, 0o755)
	a := filepath.Join(d, "a.npy")
	nlNpy(t, a, 3, 3, 1)
	abs, _ := filepath.Abs(a)
	link := filepath.Join(dir, "link.npy")
	os.Symlink(a, link)
	hard := filepath.Join(dir, "hard.npy")
	os.Link(a, hard)
	t.Chdir(dir)
	code, stdout, stderr := runCLI(t, "run", "-kernel", "svdvals", "d/a.npy", "./d/a.npy", abs, link, hard, "d")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	recs := parseRecords(t, stdout)
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1: %v", len(recs), recs)
	}
	if !strings.Contains(stderr, "5 input(s) named twice, computed once") || !strings.Contains(stderr, "a.npy") {
		t.Errorf("warning %q should count the 5 duplicates and name the file", stderr)
	}
}

// TestControlCharactersStayOnOneLine — "control characters in names are
// escaped in every message on stderr (the one-line summary must stay one
// line)": inputs, a results file and a --save directory whose names hold a
// newline, a carriage return and an escape sequence: no raw control
// character reaches stderr, and the summary is one line.
func TestControlCharactersStayOnOneLine(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in\nput")
	os.Mkdir(in, 0o755)
	os.WriteFile(filepath.Join(in, "bad\nline\r\x1b[31m.npy"), []byte("garbage"), 0o644)
	nlNpy(t, filepath.Join(in, "ok\n.npy"), 3, 3, 1)
	notes := filepath.Join(dir, "notes\n\x1b[2J.txt")
	os.WriteFile(notes, []byte("hello\n"), 0o644)
	save := filepath.Join(dir, "sa\nve")
	// A directory where an output goes: that item fails naming the path.
	os.MkdirAll(filepath.Join(save, lanes.SafeName(filepath.Join(in, "ok\n.npy"))+".U.npy"), 0o755)
	for _, args := range [][]string{
		{"run", "-kernel", "svd", in},
		{"run", "-kernel", "svd", "-save", save, in},
		{"run", "-jsonl", notes, in},
		{"run", "-resume", "-jsonl", notes, in},
		{"run", "-jsonl", filepath.Join(dir, "no\ndir", "r.jsonl"), in},
		{"run", "-cpuprofile", filepath.Join(in, "ok\n.npy"), in},
		{"run", in, filepath.Join(in, "ok\n.npy")},
	} {
		code, _, stderr := runCLI(t, args...)
		if code == 0 && stderr == "" {
			t.Errorf("%q: no message at all", args)
		}
		nlOneLine(t, fmt.Sprintf("%q", args), stderr)
	}
}

// TestNonRegularInputs — "a FIFO given as input blocks forever in open;
// inside a directory FIFOs are skipped silently": a FIFO, a socket and a
// character device named as inputs are failed records saying "not a
// regular file" (the run ends: nothing opens a FIFO for reading); inside
// a directory they are skipped with a warning that counts them.
func TestNonRegularInputs(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	d := filepath.Join(dir, "d")
	os.Mkdir(d, 0o755)
	nlNpy(t, filepath.Join(d, "ok.npy"), 3, 3, 1)
	fifo := filepath.Join(d, "pipe.npy")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(d, "sock.npy")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	specials := []string{fifo, sock, "/dev/zero"}
	if os.Geteuid() == 0 {
		dev := filepath.Join(d, "zero.npy")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o644, 1<<8|5); err == nil {
			specials = append(specials, dev)
		}
	}
	// As arguments, in a process of its own so that a blocked open would
	// show as a run that never ends (it is killed at the deadline).
	var errb lockedBuffer
	cmd := nlCommand("", append([]string{"run", "-quiet", "-kernel", "svdvals"}, specials...)...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the run blocked on a special file: %s", errb.String())
	}
	if code := nlExitCode(t, err); code != exitFailed {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	recs := parseRecords(t, stdout.String())
	for _, s := range specials {
		r, ok := recs[s]
		if !ok || r.OK || !strings.Contains(r.Error, "not a regular file") {
			t.Errorf("%s: %+v, want a failed record saying not a regular file", s, r)
		}
	}
	// Inside a directory: skipped, counted.
	code, stdout2, stderr := runCLI(t, "run", "-kernel", "svdvals", d)
	if code != 0 || len(parseRecords(t, stdout2)) != 1 {
		t.Fatalf("directory: exit %d, %s", code, stderr)
	}
	if want := fmt.Sprintf("skipped %d entries of", len(specials)-1); !strings.Contains(stderr, want) {
		t.Errorf("warning %q, want %q", stderr, want)
	}
}

// TestCSVFirstRow — "a UTF-8 byte-order mark made the first data row a
// header, silently dropping it (rows: 2); so did a first row like 1,NA,3":
// a BOM is stripped, a first row with a number in it is data, and a bad
// field there is an error naming line and field; a real header is dropped.
func TestCSVFirstRow(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"bom.csv":    "\xef\xbb\xbf1,2,3\n4,5,6\n7,8,10\n",
		"header.csv": "a,b,c\n1,2,3\n4,5,6\n7,8,10\n",
		"bomhdr.csv": "\xef\xbb\xbfa,b,c\n1,2,3\n4,5,6\n7,8,10\n",
		"na.csv":     "1,NA,3\n4,5,6\n7,8,10\n",
		"crlf.csv":   "1,2,3\r\n4,5,6\r\n7,8,10\r\n",
	}
	for n, b := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(b), 0o644)
	}
	_, stdout, _ := runCLI(t, "run", "-quiet", "-kernel", "svdvals", dir)
	recs := parseRecords(t, stdout)
	for _, n := range []string{"bom.csv", "header.csv", "bomhdr.csv", "crlf.csv"} {
		r := recs[filepath.Join(dir, n)]
		if !r.OK || r.Rows != 3 || r.Cols != 3 {
			t.Errorf("%s: %+v, want ok 3×3", n, r)
		}
	}
	if r := recs[filepath.Join(dir, "na.csv")]; r.OK || !strings.Contains(r.Error, "line 1, field 2") {
		t.Errorf("na.csv: %+v, want an error naming line 1, field 2", r)
	}
}

// TestFlagsAfterInputs — "run d/m1.npy -jsonl out.jsonl: -jsonl became an
// input and the results went to stdout": flags after inputs are flags;
// after "--" a name starting with '-' is an input.
func TestFlagsAfterInputs(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 4, 2)
	out := filepath.Join(dir, "out.jsonl")
	code, stdout, stderr := runCLI(t, "run", filepath.Join(dir, "m00000.npy"), "-jsonl", out, "-kernel", "svdvals", filepath.Join(dir, "m00001.npy"), "-quiet")
	if code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, %s", code, stdout, stderr)
	}
	if recs := readJournal(t, out); len(recs) != 2 || recs[0].Kernel != "svdvals" {
		t.Fatalf("records %+v", recs)
	}
	dash := filepath.Join(dir, "-x.npy")
	nlNpy(t, dash, 3, 3, 1)
	t.Chdir(dir)
	code, stdout, stderr = runCLI(t, "run", "-quiet", "-kernel", "svdvals", "--", "-x.npy")
	if code != 0 || len(parseRecords(t, stdout)) != 1 {
		t.Fatalf("-- -x.npy: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, "run", "-quiet", "-x.npy"); code != exitUsage || !strings.Contains(stderr, "not defined") {
		t.Errorf("-x.npy before --: exit %d, %q; want a usage error", code, stderr)
	}
}

// TestNoMatrixInputs — "inputs that hold no matrix at all report 0 items ok
// with exit 0": an empty directory, one of .txt files, and a hidden-only
// one exit 2 saying so.
func TestNoMatrixInputs(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	txt := filepath.Join(dir, "txt")
	hidden := filepath.Join(dir, "hidden")
	for _, d := range []string{empty, txt, hidden} {
		os.Mkdir(d, 0o755)
	}
	os.WriteFile(filepath.Join(txt, "a.txt"), []byte("1 2\n"), 0o644)
	nlNpy(t, filepath.Join(hidden, ".a.npy"), 2, 2, 1)
	for _, d := range []string{empty, txt, hidden} {
		for _, cmd := range []string{"run", "plan"} {
			code, stdout, stderr := runCLI(t, cmd, d)
			if code != exitUsage || !strings.Contains(stderr, "no matrix files") || strings.Contains(stdout, "items ok") {
				t.Errorf("%s %s: exit %d, %q; want exit 2 saying no matrix files", cmd, d, code, stderr)
			}
		}
	}
}

// TestGenSizesChecked — "gen -rows 4294967296 -cols 4294967296 overflows …
// leaves a 0-byte .npy; … panics in makeslice; … dies with fatal error: out
// of memory": every such size is exit 2 with a message and leaves no file
// and no directory; so is a negative -rows (it used to mean "-size").
func TestGenSizesChecked(t *testing.T) {
	for _, args := range [][]string{
		{"-rows", "4294967296", "-cols", "4294967296"},
		{"-rows", "3037000500", "-cols", "3037000500"},
		{"-count", "100000", "-size", "100000"},
		{"-rows", "1", "-cols", "1000000000000"},
		{"-size", "100000", "-count", "1"},
		{"-size", "20000", "-count", "100000"},
		{"-rows", "-5"},
		{"-cols", "-1", "-size", "3"},
		{"-count", "0"},
		{"-size", "-3"},
	} {
		for _, dest := range []string{"-dir", "-stack"} {
			dir := t.TempDir()
			target := filepath.Join(dir, "out")
			code, _, stderr := runCLI(t, append(append([]string{"gen"}, args...), dest, target)...)
			if code != exitUsage || strings.Contains(stderr, "goroutine") {
				t.Errorf("gen %v %s: exit %d, %q; want exit 2 with a message", args, dest, code, stderr)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("gen %v %s left %v", args, dest, ents)
			}
		}
	}
}

// TestNumbersChecked — "-repeat -1 is accepted; -max-memory 1 says needs
// about 0 MiB … budget of 0 MiB; -max-memory 0 silently means no limit":
// each is a usage error in real units; none means no limit.
func TestNumbersChecked(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 4, 1)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-kernel", "hadamard", "-repeat", "-1"}, "repeat"},
		{[]string{"-max-memory", "1"}, "1 B"},
		{[]string{"-max-memory", "1000"}, "1000 B"},
		{[]string{"-max-memory", "0"}, "none"},
		{[]string{"-max-memory", "-1GiB"}, "want a size"},
		{[]string{"-max-memory", "1e300"}, "want a size"},
		{[]string{"-readahead", "-1"}, "negative"},
	} {
		code, _, stderr := runCLI(t, append(append([]string{"run", "-quiet"}, c.args...), dir)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "0 MiB") {
			t.Errorf("%v: exit %d, %q; want exit 2 mentioning %q", c.args, code, stderr, c.want)
		}
	}
	if code, _, stderr := runCLI(t, "run", "-quiet", "-max-memory", "none", dir); code != 0 {
		t.Errorf("-max-memory none: exit %d: %s", code, stderr)
	}
}

// TestBadWisdomRejected — "a hand-edited wisdom file with negative or zero
// seconds is rejected with the file named": plan says it ignores the file
// and why, naming it; a run still succeeds and does not rewrite it.
func TestBadWisdomRejected(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 20, 4)
	good := filepath.Join(dir, "good.json")
	if code, _, stderr := runCLI(t, "plan", "-plan", "measure", "-wisdom", good, in); code != 0 {
		t.Fatal(stderr)
	}
	raw, _ := os.ReadFile(good)
	for _, secs := range []string{"-5", "0", "-0.001"} {
		bad := filepath.Join(dir, "bad"+secs+".json")
		edited := regexp.MustCompile(`"Seconds1": [0-9.e-]+`).ReplaceAll(raw, []byte(`"Seconds1": `+secs))
		if bytes.Equal(edited, raw) {
			t.Fatalf("no Seconds1 in the wisdom file: %s", raw)
		}
		os.WriteFile(bad, edited, 0o644)
		code, stdout, stderr := runCLI(t, "plan", "-wisdom", bad, in)
		if code != 0 || !strings.Contains(stdout+stderr, "ignoring wisdom") || !strings.Contains(stdout+stderr, filepath.Base(bad)) || strings.Contains(stdout, "from wisdom (measured)") {
			t.Errorf("Seconds1 %s: exit %d, %s %s; want the file named and ignored", secs, code, stdout, stderr)
		}
		if code, _, stderr := runCLI(t, "run", "-quiet", "-plan", "measure", "-wisdom", bad, in); code != 0 {
			t.Errorf("run with bad wisdom: exit %d, %s", code, stderr)
		}
	}
}

// TestHugeDimensionIsARecord — "a dimension above what lapack_int holds is
// silently truncated by the C wrappers … and panics in the product
// kernels": a file that claims 3000000000 rows (an .npy header, a raw .f64
// -shape, a Matrix Market size line) is a failed record naming the file,
// never a panic, for every kernel.
func TestHugeDimensionIsARecord(t *testing.T) {
	dir := t.TempDir()
	npy := filepath.Join(dir, "tall.npy")
	var h bytes.Buffer
	matio.WriteNpyHeader(&h, []int{3000000000, 1}, false)
	h.Write(make([]byte, 64))
	os.WriteFile(npy, h.Bytes(), 0o644)
	raw := filepath.Join(dir, "tall.f64")
	os.WriteFile(raw, make([]byte, 64), 0o644)
	mtx := filepath.Join(dir, "tall.mtx")
	os.WriteFile(mtx, []byte("%%MatrixMarket matrix coordinate real general\n3000000000 1 1\n1 1 2.5\n"), 0o644)
	for _, k := range []string{"svd", "gram", "hadamard", "eigh", "qr", "det"} {
		code, stdout, stderr := runCLI(t, "run", "-quiet", "-kernel", k, "-shape", "3000000000x1", npy, raw, mtx)
		if code != exitFailed || strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Fatalf("-kernel %s: exit %d: %s", k, code, stderr)
		}
		recs := parseRecords(t, stdout)
		for _, p := range []string{npy, raw, mtx} {
			if r, ok := recs[p]; !ok || r.OK || !strings.Contains(r.Error, p) {
				t.Errorf("-kernel %s: %s: %+v, want a failed record naming the file", k, p, r)
			}
		}
	}
}

// TestUserThreadVariablesReported — "a user's OPENBLAS_NUM_THREADS /
// OMP_NUM_THREADS is silently overridden": a blasbatch process started with
// them set says, in env and in plan, that it saw them and what it does.
func TestUserThreadVariablesReported(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	genFiles(t, dir, 4, 2)
	for _, v := range []string{"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} {
		for _, args := range [][]string{{"env"}, {"plan", dir}} {
			cmd := nlCommand("", args...)
			cmd.Env = append(os.Environ(), v+"=7")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v: %s", args, err, out)
			}
			if !strings.Contains(string(out), v+"=7: overridden") {
				t.Errorf("%s=7 %v: output does not say it was seen and overridden:\n%s", v, args, out)
			}
		}
	}
}

// TestEnvOpenBLASCoretype — "env says nothing when OPENBLAS_CORETYPE (or
// any OPENBLAS_* variable) is set, even to garbage": in a process started
// with it (OpenBLAS reads it as it loads), env reports it and that OpenBLAS
// did not accept it; any other OPENBLAS_ variable is reported as seen.
func TestEnvOpenBLASCoretype(t *testing.T) {
	useBuiltBlasbatch(t)
	cmd := nlCommand("", "env")
	cmd.Env = append(os.Environ(), "OPENBLAS_CORETYPE=garbage", "OPENBLAS_VERBOSE=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "OPENBLAS_CORETYPE=garbage: not accepted") && !strings.Contains(string(out), "OPENBLAS_CORETYPE=garbage: not checked") {
		t.Errorf("env does not say OpenBLAS refused the core type:\n%s", out)
	}
	if !strings.Contains(string(out), "OPENBLAS_VERBOSE=2") {
		t.Errorf("env does not report OPENBLAS_VERBOSE:\n%s", out)
	}
}

// TestOpenFailureIsExit2 — "failing to open -jsonl exits 1 without -resume
// and 2 with it": 2 in both, naming the file.
func TestOpenFailureIsExit2(t *testing.T) {
	dir := t.TempDir()
	genFiles(t, dir, 4, 1)
	for _, target := range []string{filepath.Join(dir, "no", "such", "dir.jsonl"), dir} {
		for _, resume := range []bool{false, true} {
			args := []string{"run", "-quiet", "-jsonl", target, dir}
			if resume {
				args = append([]string{"run", "-resume"}, args[1:]...)
			}
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, filepath.Base(target)) {
				t.Errorf("-jsonl %s resume=%v: exit %d, %q; want 2 naming it", target, resume, code, stderr)
			}
		}
	}
}

// TestNpzSameMemberTwice — "an .npz with two members of the same name gives
// ids that say which is which": both are computed, with distinct ids that
// -resume and merge tell apart.
func TestNpzSameMemberTwice(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "dup.npz")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	z := zip.NewWriter(f)
	for i, n := range []int{2, 3} {
		var b bytes.Buffer
		a := make([]float64, n*n)
		for k := range a {
			a[k] = float64(k + i + 1)
		}
		matio.WriteNpy(&b, n, n, a, false)
		w, _ := z.Create("a.npy")
		w.Write(b.Bytes())
	}
	z.Close()
	f.Close()
	out := filepath.Join(dir, "r.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-jsonl", out, p); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	n, recs := nlRecords(t, out)
	if len(n) != 2 || len(recs) != 2 || recs[0].Rows == recs[1].Rows {
		t.Fatalf("records %+v: want two items of distinct ids and shapes", recs)
	}
	for id := range n {
		if !strings.HasPrefix(id, p+":a") {
			t.Errorf("id %q does not say it is member a of %s", id, p)
		}
	}
	if code, _, stderr := runCLI(t, "run", "-resume", "-kernel", "svdvals", "-jsonl", out, p); code != 0 || !strings.Contains(stderr, "2 item(s) already ok") {
		t.Errorf("resume: exit %d, %q", code, stderr)
	}
}

// TestOutputsFollowLinks — "every file blasbatch writes … follows a symlink
// to its target": a results file, merge's output, scale's -json and a
// wisdom file named by a symbolic link are written at the link's target;
// the link stays a link.
func TestOutputsFollowLinks(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 30, 6)
	real := filepath.Join(dir, "real")
	os.Mkdir(real, 0o755)
	link := func(name string) (string, string) {
		target := filepath.Join(real, name)
		l := filepath.Join(dir, name)
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
		return l, target
	}
	check := func(what, l, target string) {
		t.Helper()
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("%s: %s is no longer a link", what, l)
		}
		if fi, err := os.Stat(target); err != nil || fi.Size() == 0 {
			t.Errorf("%s: the link's target %s was not written: %v", what, target, err)
		}
	}
	jl, jt := link("results.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-jsonl", jl, in); code != 0 {
		t.Fatal(stderr)
	}
	check("-jsonl", jl, jt)
	ml, mt := link("merged.jsonl")
	nlShardRun(t, filepath.Join(dir, "merged.jsonl"), 2, in)
	if code, _, stderr := runCLI(t, "merge", "-jsonl", ml, in); code != 0 {
		t.Fatalf("merge: %s", stderr)
	}
	check("merge -jsonl", ml, mt)
	if len(readJournal(t, mt)) != 6 {
		t.Errorf("merged file holds %d records, want 6", len(readJournal(t, mt)))
	}
	sl, st := link("rows.json")
	if code, _, stderr := runCLI(t, "scale", "-size", "4", "-count", "2", "-outer", "1", "-inner", "1", "-json", sl); code != 0 {
		t.Fatalf("scale: %s", stderr)
	}
	check("scale -json", sl, st)
	wl, wt := link("wisdom.json")
	if code, _, stderr := runCLI(t, "plan", "-plan", "measure", "-wisdom", wl, in); code != 0 {
		t.Fatalf("plan: %s", stderr)
	}
	check("-wisdom", wl, wt)
}

// TestGenKilledNeverTakesUserFile — found as a hostile user: a gen killed
// part way leaves every name it had planned "pending" in its manifest, and
// the next gen wrote over any file found under such a name — a user's file
// put there since included. A pending name is gen's only if the file is
// what gen writes for that workload (its header and size): the user's file
// is refused (exit 2) and left as it was, gen's own files are rewritten.
func TestGenKilledNeverTakesUserFile(t *testing.T) {
	useBuiltBlasbatch(t)
	dir := filepath.Join(t.TempDir(), "d")
	args := []string{"gen", "-size", "200", "-count", "3000", "-dir", dir}
	var errb lockedBuffer
	cmd := nlStart(t, &errb, args...)
	nlWait(t, "gen to write a few files", 60*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(dir, "m00003.npy"))
		return err == nil
	})
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(dir, "m02999.npy")); err == nil {
		t.Fatal("gen finished before it could be killed")
	}
	user := filepath.Join(dir, "m02999.npy")
	nlNpy(t, user, 5, 5, 1) // even an .npy, of another shape
	before := nlSnap(t, user)
	code, _, stderr := nlProc(t, "", args...)
	if code != exitUsage || !strings.Contains(stderr, "m02999.npy") {
		t.Errorf("gen after a kill, over a user's file: exit %d, %q; want exit 2 naming it", code, stderr)
	}
	nlSame(t, "gen after a kill", user, before)
	os.Remove(user)
	if code, _, stderr := nlProc(t, "", "gen", "-size", "200", "-count", "5", "-dir", dir); code != 0 {
		t.Errorf("gen over its own files left by the killed run: exit %d: %s", code, stderr)
	}
}
