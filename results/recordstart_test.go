package results

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
)

// TestLooksLikeRecordEveryPrefix: every prefix of every line the two
// writers produce (the Encoder's ok and failed records, Record.MarshalJSON's
// exec records), ids with quotes, backslashes and control characters
// included, starts like a record — so a kill at any byte leaves a torn line
// that resume may cut.
func TestLooksLikeRecordEveryPrefix(t *testing.T) {
	enc := Encoder{Kernel: "svd", Field: "singular_values", Lane: 3}
	exit := 0
	var lines []string
	for _, id := range []string{"a.npy", `we"ird\name.npy[3]`, "tab\there.npz:x", "é"} {
		lines = append(lines,
			string(enc.AppendOK(nil, id, 2, 3, kernels.Result{Values: []float64{2, 1}}, 0.25)),
			string(enc.AppendFailure(nil, id, 0, 0, `bad "file"`)))
		b, err := Record{Input: id, Kernel: "exec", OK: true, Exit: &exit}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b)+"\n")
	}
	for _, line := range lines {
		for n := 0; n <= len(line); n++ {
			if !looksLikeRecord([]byte(line[:n])) {
				t.Fatalf("prefix %q of the record %q does not look like a record", line[:n], line)
			}
		}
	}
}

// TestLooksLikeRecordRefuses: text, other programs' JSON (even one whose
// first key is "input") and binary data do not start like a record.
func TestLooksLikeRecordRefuses(t *testing.T) {
	for _, s := range []string{
		"hello", "my precious notes", " {\"input\":", `{"input" :"a"`, `{"a":1}`,
		`{"input":"a","score":1}`, `{"input":"a","ok":true,"kernel":"svd"}`, `{"ok":true,"input":"a","kernel":"svd"}`,
		`{"input": "a", "kernel": "svd"}`, // Python's json.dumps
		`{"input":"a` + "\n" + `b","kernel":"svd"`, `{"input":1,"kernel":"svd"}`, `{"input":"a","kernel":3}`,
		"\x93NUMPY\x01\x00v\x00{'descr'", "\x00\x01\x02",
	} {
		if looksLikeRecord([]byte(s)) {
			t.Errorf("%q looks like a record", s)
		}
	}
}

// TestJournalRefusesWhatOnlyLooksTorn: a file whose only or last line has
// no newline is cut by resume only when that line is a record cut short; a
// user's text there, or a line of another program's JSON, is refused (fresh
// or resumed) and the file left byte-identical.
func TestJournalRefusesWhatOnlyLooksTorn(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, body string
		resume     bool
	}{
		{"one-line-of-text-resume", "my precious notes, no newline", true},
		{"records-then-text", recordLines("svd", "a") + "and then my notes", true},
		{"pandas-one-row", `{"input":"a","score":1}`, false},
		{"pandas-one-row-resume", `{"input":"a","score":1}`, true},
		{"other-key-order", `{"ok":true,"input":"a","kernel":"svd"}` + "\n", false},
		{"binary-no-newline", strings.Repeat("\x00\xff\x10", 100000), false},
		{"binary-no-newline-resume", strings.Repeat("\x00\xff\x10", 100000), true},
	} {
		p := filepath.Join(dir, c.name)
		writeFile(t, p, c.body)
		j, err := OpenJournal(p, JournalOptions{Resume: c.resume, Kernel: "svd"})
		if !errors.Is(err, ErrNotResults) {
			t.Errorf("%s: %v, want %v", c.name, err, ErrNotResults)
			if j != nil {
				j.Abort()
			}
			continue
		}
		if got := readFile(t, p); got != c.body {
			t.Errorf("%s: the refused file changed", c.name)
		}
	}
	// A record cut short is still cut, fresh or resumed.
	for _, resume := range []bool{false, true} {
		p := filepath.Join(dir, "torn")
		writeFile(t, p, recordLines("svd", "a")+`{"input":"b","kernel":"svd","rows":2,"co`)
		j, err := OpenJournal(p, JournalOptions{Resume: resume, Kernel: "svd"})
		if err != nil {
			t.Fatalf("resume=%v: a torn record refused: %v", resume, err)
		}
		j.Abort()
		writeFile(t, p, `{"input":"b","kern`)
		if j, err = OpenJournal(p, JournalOptions{Resume: resume, Kernel: "svd"}); err != nil {
			t.Fatalf("resume=%v: a file of one torn record refused: %v", resume, err)
		}
		j.Abort()
	}
}

// TestJournalThroughDanglingLink: a results file named by a symbolic link
// whose target does not exist yet creates the target (the link stays);
// Abort removes the target it created, never the link.
func TestJournalThroughDanglingLink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.jsonl")
	link := filepath.Join(dir, "r.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, abort := range []bool{true, false} {
		j, err := OpenJournal(link, JournalOptions{Kernel: "svd"})
		if err != nil {
			t.Fatalf("abort=%v: %v", abort, err)
		}
		if abort {
			j.Abort()
			if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Abort left the target it created: %v", err)
			}
		} else {
			j.Write([]byte(recordLines("svd", "a")))
			j.Close()
			if got := readFile(t, target); got != recordLines("svd", "a") {
				t.Errorf("target holds %q", got)
			}
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Fatalf("abort=%v: the link is gone or replaced: %v", abort, err)
		}
	}
}

// TestMergeRefusesForeignOutput: Merge replaces its output only when a
// fresh run could (absent, empty, starting with a record) and no run holds
// it; otherwise it writes nothing and names the file.
func TestMergeRefusesForeignOutput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.jsonl")
	writeFile(t, filepath.Join(dir, "r.shard-0000-of-0001.jsonl"), recordLines("svd", "a", "b"))
	for _, body := range []string{"notes\n", "notes without newline", `{"input":"a","score":1}`} {
		writeFile(t, out, body)
		if _, err := Merge(out, MergeOptions{}); !errors.Is(err, ErrNotResults) {
			t.Errorf("%q: %v, want ErrNotResults", body, err)
		}
		if readFile(t, out) != body {
			t.Errorf("%q: replaced", body)
		}
	}
	writeFile(t, out, recordLines("svd", "old"))
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := safefile.TryLock(f); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(out, MergeOptions{}); !errors.Is(err, ErrLocked) {
		t.Errorf("held output: %v, want ErrLocked", err)
	}
	safefile.Unlock(f)
	f.Close()
	for _, body := range []string{"", recordLines("svd", "old")} {
		writeFile(t, out, body)
		if rep, err := Merge(out, MergeOptions{}); err != nil || !rep.Complete || readFile(t, out) != recordLines("svd", "a", "b") {
			t.Errorf("%q: %+v %v", body, rep, err)
		}
	}
}

// TestTornID: the id of a torn record once its string closed, escapes
// decoded; nothing for a line cut inside it or not a record.
func TestTornID(t *testing.T) {
	for _, c := range []struct {
		in   string
		id   string
		want bool
	}{
		{`{"input":"a.npy","kernel":"svd","ro`, "a.npy", true},
		{`{"input":"a.npy"`, "a.npy", true},
		{`{"input":"x\"y\\z","ker`, `x"y\z`, true},
		{`{"input":"a.n`, "", false},
		{`{"input":"a\"`, "", false},
		{`{"input":`, "", false},
		{`{"score":1}`, "", false},
	} {
		id, ok := tornID([]byte(c.in))
		if ok != c.want || id != c.id {
			t.Errorf("tornID(%q) = %q, %v; want %q, %v", c.in, id, ok, c.id, c.want)
		}
	}
}
