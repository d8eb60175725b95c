package results

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch/kernels"
)

func recordLines(kernel string, ids ...string) string {
	enc := Encoder{Kernel: kernel, Field: "s"}
	var b []byte
	for _, id := range ids {
		if strings.HasPrefix(id, "!") {
			b = enc.AppendFailure(b, id[1:], 2, 2, "broken")
			continue
		}
		b = enc.AppendOK(b, id, 2, 2, kernels.Result{Values: []float64{1, 2}}, 0.5)
	}
	return string(b)
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJournalRefusesWithoutChanging: a file that is not a results file is
// refused — fresh or resumed — and left byte-identical, its unterminated
// last line included; so is a file of another kernel on resume.
func TestJournalRefusesWithoutChanging(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, body string
		resume     bool
		want       error
	}{
		{"notes", "my notes\nabout the data, no newline at the end", false, ErrNotResults},
		{"notes-resume", "my notes\nabout the data, no newline at the end", true, ErrNotResults},
		{"json-not-record", `{"a":1}` + "\n", false, ErrNotResults},
		{"blank-first", "\n" + recordLines("svd", "x"), false, ErrNotResults},
		{"record-then-junk", recordLines("svd", "x") + "junk\n" + recordLines("svd", "y"), true, ErrNotResults},
		{"one-torn-line-of-text", "hello", false, ErrNotResults},
		{"other-kernel", recordLines("eigh", "x"), true, ErrOtherKernel},
	} {
		p := filepath.Join(dir, c.name)
		writeFile(t, p, c.body)
		j, err := OpenJournal(p, JournalOptions{Resume: c.resume, Kernel: "svd"})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
			if j != nil {
				j.Abort()
			}
			continue
		}
		var je *JournalError
		if !errors.As(err, &je) || je.Path != p || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %q does not name the file", c.name, err)
		}
		if got := readFile(t, p); got != c.body {
			t.Errorf("%s: the refused file changed: %q", c.name, got)
		}
	}
}

// TestJournalFresh: an empty file, a missing one and a results file are
// accepted without a change until Begin; Begin empties (by the time the
// first Write returns); Abort leaves the file as it was and removes one
// OpenJournal created.
func TestJournalFresh(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.jsonl")
	body := recordLines("eigh", "a", "!b") + `{"input":"c","ker` // even of another kernel, torn
	writeFile(t, old, body)
	j, err := OpenJournal(old, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatal(err)
	}
	if readFile(t, old) != body {
		t.Fatal("OpenJournal changed the file")
	}
	j.Abort()
	if readFile(t, old) != body {
		t.Fatal("Abort changed the file")
	}

	j, err = OpenJournal(old, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Begin(); err != nil {
		t.Fatal(err)
	}
	rec := recordLines("svd", "z")
	if _, err := j.Write([]byte(rec)); err != nil {
		t.Fatal(err)
	}
	// The first Write after Begin empties the file.
	if got := readFile(t, old); got != rec {
		t.Fatalf("after Begin and a Write the file holds %q", got)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, old); got != rec {
		t.Fatalf("file holds %q", got)
	}

	created := filepath.Join(dir, "new.jsonl")
	j, err = OpenJournal(created, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatal(err)
	}
	j.Abort()
	if _, err := os.Stat(created); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Abort left the file it created: %v", err)
	}
}

// TestJournalResume: the earlier records say what is done and what failed
// (an ok after a failure wins); a torn last line is cut only once the run
// begins; new records are appended.
func TestJournalResume(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.jsonl")
	whole := recordLines("svd", "a", "!b", "!c", "c")
	torn := `{"input":"d","kernel":"svd","ro`
	writeFile(t, p, whole+torn)
	j, err := OpenJournal(p, JournalOptions{Resume: true, Kernel: "svd"})
	if err != nil {
		t.Fatal(err)
	}
	if !j.Done("a") || j.Done("b") || !j.Failed("b") || !j.Done("c") || j.Failed("c") || j.Done("d") || j.Torn() != int64(len(torn)) {
		t.Fatalf("done a=%v b=%v c=%v, failed b=%v c=%v, torn %d", j.Done("a"), j.Done("b"), j.Done("c"), j.Failed("b"), j.Failed("c"), j.Torn())
	}
	if readFile(t, p) != whole+torn {
		t.Fatal("OpenJournal cut before Begin")
	}
	more := recordLines("svd", "d")
	if _, err := j.Write([]byte(more)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if got := readFile(t, p); got != whole+more {
		t.Fatalf("after resume: %q", got)
	}
}

// TestJournalLocked: a second journal on a file another holds fails at
// once with ErrLocked and changes nothing; after Close it opens.
func TestJournalLocked(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.jsonl")
	body := recordLines("svd", "a")
	writeFile(t, p, body)
	j, err := OpenJournal(p, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(p, JournalOptions{Kernel: "svd"}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if _, err := OpenJournal(p, JournalOptions{Kernel: "svd", Resume: true}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open with resume: %v, want ErrLocked", err)
	}
	if readFile(t, p) != body {
		t.Fatal("the refused open changed the file")
	}
	j.Abort()
	j, err = OpenJournal(p, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatalf("after Abort: %v", err)
	}
	j.Close()
}

// TestJournalDevice: /dev/null is written through: not locked, not
// validated, never emptied or replaced.
func TestJournalDevice(t *testing.T) {
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Skipf("%s is not a character device here", os.DevNull)
	}
	a, err := OpenJournal(os.DevNull, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := OpenJournal(os.DevNull, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatalf("a device is not locked: %v", err)
	}
	if a.Regular() {
		t.Fatal("/dev/null taken for a regular file")
	}
	if _, err := a.Write([]byte(recordLines("svd", "x"))); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b.Close()
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is no longer a device: %v %v", fi.Mode(), err)
	}
}

func TestShardNames(t *testing.T) {
	for _, c := range []struct {
		path string
		i, n int
		want string
	}{
		{"out/results.jsonl", 3, 16, "out/results.shard-0003-of-0016.jsonl"},
		{"res", 0, 2, "res.shard-0000-of-0002"},
		{"r[1].jsonl", 1, 2, "r[1].shard-0001-of-0002.jsonl"},
		{"a.b.c", 12345, 20000, "a.b.shard-12345-of-20000.c"},
	} {
		got := ShardPath(c.path, c.i, c.n)
		if got != c.want {
			t.Errorf("ShardPath(%q, %d, %d) = %q, want %q", c.path, c.i, c.n, got, c.want)
		}
		i, n, ok := ParseShardName(filepath.Base(c.path), filepath.Base(got))
		if !ok || i != c.i || n != c.n {
			t.Errorf("ParseShardName(%q) = %d, %d, %v", got, i, n, ok)
		}
	}
	for _, name := range []string{
		"r.shard-0003-of-0064.bak.jsonl", "r.shard-3-of-64.jsonl", "r.shard-0064-of-0064.jsonl",
		"r.shard-0001-of-0002.jsonl.tmp", "x.shard-0001-of-0002.jsonl", "r.shard-00001-of-0002.jsonl", "r.jsonl",
	} {
		if _, _, ok := ParseShardName("r.jsonl", name); ok {
			t.Errorf("%q taken for a shard of r.jsonl", name)
		}
	}
}

// TestMerge: the merge of complete shards holds one record per item (the
// ok one of a retried item); a missing shard, a torn last line, an item
// computed ok twice, a failed item, an expected item without a record and a
// record outside the expected set are each reported; shards of another
// kernel or count are refused with nothing written.
func TestMerge(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "res.jsonl")
	write := func(i, n int, body string) { writeFile(t, ShardPath(res, i, n), body) }
	write(0, 3, recordLines("svd", "a", "!b", "b"))
	write(1, 3, recordLines("svd", "c"))
	write(2, 3, recordLines("svd", "d", "e"))
	writeFile(t, filepath.Join(dir, "res.shard-0001-of-0003.bak.jsonl"), recordLines("svd", "c")) // not a shard
	rep, err := Merge(res, MergeOptions{Expected: []string{"a", "b", "c", "d", "e"}})
	if err != nil || !rep.Complete || rep.OK != 5 || rep.Failed != 0 || rep.Kernel != "svd" {
		t.Fatalf("complete set: %+v %v", rep, err)
	}
	var ids []string
	d := NewDecoder(strings.NewReader(readFile(t, res)))
	for {
		_, r, err := d.Next()
		if err != nil {
			break
		}
		if !r.OK {
			t.Fatalf("merged a failure for %s", r.Input)
		}
		ids = append(ids, r.Input)
	}
	if strings.Join(ids, ",") != "a,b,c,d,e" {
		t.Fatalf("merged %v", ids)
	}

	problem := func(rep MergeReport, want string) {
		t.Helper()
		for _, p := range rep.Problems {
			if strings.Contains(p, want) {
				return
			}
		}
		t.Errorf("no problem mentions %q: %q", want, rep.Problems)
	}
	os.Remove(ShardPath(res, 1, 3))
	write(2, 3, recordLines("svd", "d", "!e", "a", "x")+`{"input":"e","kernel":"s`)
	rep, err = Merge(res, MergeOptions{Expected: []string{"a", "b", "c", "d", "e"}})
	if err != nil || rep.Complete {
		t.Fatalf("incomplete set merged as complete: %+v %v", rep, err)
	}
	problem(rep, "shard 1 of 3: no file")
	problem(rep, "c: no record")
	problem(rep, "torn last line")
	problem(rep, "a: computed ok in two shards")
	problem(rep, "e: failed")
	problem(rep, "x: recorded, but not an item")

	// Without expectations the torn line still makes it incomplete.
	write(1, 3, recordLines("svd", "c"))
	rep, err = Merge(res, MergeOptions{})
	if err != nil || rep.Complete {
		t.Fatalf("a torn shard merged as complete: %+v", rep)
	}

	before := readFile(t, res)
	write(1, 3, recordLines("eigh", "c"))
	if _, err := Merge(res, MergeOptions{}); !errors.Is(err, ErrMixed) {
		t.Fatalf("another kernel's shard: %v", err)
	}
	write(1, 3, recordLines("svd", "c"))
	write(0, 2, recordLines("svd", "q"))
	if _, err := Merge(res, MergeOptions{}); !errors.Is(err, ErrMixed) {
		t.Fatalf("two shard counts: %v", err)
	}
	if readFile(t, res) != before {
		t.Fatal("a refused merge wrote the results file")
	}
	if _, err := Merge(filepath.Join(dir, "none.jsonl"), MergeOptions{}); err == nil {
		t.Fatal("no shards merged without an error")
	}
}

// TestHugeFirstLineReadBounded: a file that starts like a record and then
// holds 100 MiB without a newline is taken for a results file without its
// whole first line being read into memory (maxLineBytes is 64 MiB).
func TestHugeFirstLineReadBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, append([]byte(`{"input":"a`), bytes.Repeat([]byte("x"), 100<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	j, err := OpenJournal(path, JournalOptions{Kernel: "svd"})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	j.Abort()
	if got := after.TotalAlloc - before.TotalAlloc; got > 90<<20 {
		t.Errorf("opening it allocated %d MiB", got>>20)
	}
}

// TestJournalBackgroundSync: with SyncInterval no Write waits for a sync —
// the first comes a second after Begin, in the background, while Writes go
// on, and never two at once —; Close waits for the one in flight and then
// syncs what came after it; a background sync's failure is the error of
// the next Write, and of Close. SyncEvery syncs in every Write; SyncEnd
// only in Close.
func TestJournalBackgroundSync(t *testing.T) {
	open := func(t *testing.T, mode SyncMode) (*Journal, chan chan error) {
		t.Helper()
		j, err := OpenJournal(filepath.Join(t.TempDir(), "r.jsonl"), JournalOptions{Kernel: "svd", Sync: mode})
		if err != nil {
			t.Fatal(err)
		}
		// Each sync hands the test a channel and waits for the error the
		// test sends on it.
		calls := make(chan chan error, 8)
		j.fsync = func() error {
			reply := make(chan error)
			calls <- reply
			return <-reply
		}
		return j, calls
	}
	deadline := func(t *testing.T, what string, calls chan chan error) chan error {
		t.Helper()
		select {
		case reply := <-calls:
			return reply
		case <-time.After(20 * time.Second):
			t.Fatalf("no sync %s", what)
			return nil
		}
	}
	rec := []byte(recordLines("svd", "a"))

	t.Run("interval", func(t *testing.T) {
		j, calls := open(t, SyncInterval)
		if _, err := j.Write(rec); err != nil { // Begin: the first sync a second away
			t.Fatal(err)
		}
		if len(calls) != 0 {
			t.Fatal("a Write right after Begin synced")
		}
		j.mu.Lock()
		j.last = time.Now().Add(-2 * syncInterval)
		j.mu.Unlock()
		if _, err := j.Write(rec); err != nil { // starts the background sync, returns at once
			t.Fatal(err)
		}
		inFlight := deadline(t, "in the background", calls)
		j.mu.Lock()
		j.last = time.Now().Add(-2 * syncInterval)
		j.mu.Unlock()
		if _, err := j.Write(rec); err != nil { // while it is in flight: no second one
			t.Fatal(err)
		}
		if len(calls) != 0 {
			t.Fatal("two syncs at once")
		}
		closed := make(chan error, 1)
		go func() { closed <- j.Close() }()
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) with a sync in flight", err)
		case <-time.After(50 * time.Millisecond):
		}
		inFlight <- nil
		deadline(t, "at Close", calls) <- nil
		if err := <-closed; err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, j.path); got != string(rec)+string(rec)+string(rec) {
			t.Fatalf("file holds %q", got)
		}
	})

	t.Run("failure", func(t *testing.T) {
		j, calls := open(t, SyncInterval)
		j.Write(rec)
		j.mu.Lock()
		j.last = time.Now().Add(-2 * syncInterval)
		j.mu.Unlock()
		if _, err := j.Write(rec); err != nil {
			t.Fatal(err)
		}
		deadline(t, "in the background", calls) <- syscall.EIO
		j.syncs.Wait()
		if _, err := j.Write(rec); !errors.Is(err, syscall.EIO) {
			t.Fatalf("the Write after a failed sync: %v, want EIO", err)
		}
		if err := j.Close(); !errors.Is(err, syscall.EIO) || !errors.Is(err, ErrSync) {
			t.Fatalf("Close after a failed sync: %v, want EIO and ErrSync", err)
		}
	})

	t.Run("every and end", func(t *testing.T) {
		j, calls := open(t, SyncEvery)
		done := make(chan error, 1)
		go func() { _, err := j.Write(rec); done <- err }()
		deadline(t, "in a SyncEvery Write", calls) <- nil
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		go func() { done <- j.Close() }()
		deadline(t, "at Close", calls) <- nil
		<-done

		j, calls = open(t, SyncEnd)
		j.Write(rec)
		j.mu.Lock()
		j.last = time.Now().Add(-2 * syncInterval)
		j.mu.Unlock()
		j.Write(rec)
		if len(calls) != 0 {
			t.Fatal("SyncEnd synced before Close")
		}
		go func() { done <- j.Close() }()
		deadline(t, "at Close", calls) <- nil
		<-done
	})
}
