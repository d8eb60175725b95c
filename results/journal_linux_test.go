//go:build linux

package results

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestJournalShortWriteLeavesWholeRecords: a Write the file system cuts
// short (here the file size limit, as a full disk would) leaves the file
// ending in a whole record, cut back after the last one written, and
// reports only the whole records' bytes written, with the error; a -resume
// run then appends after them.
func TestJournalShortWriteLeavesWholeRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	j, err := OpenJournal(path, JournalOptions{Kernel: "svd", Sync: SyncEnd})
	if err != nil {
		t.Fatal(err)
	}
	first := recordLines("svd", "a", "b")
	if _, err := j.Write([]byte(first)); err != nil {
		t.Fatal(err)
	}
	more := recordLines("svd", "c", "d", "e")
	one := len(recordLines("svd", "c"))
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = uint64(len(first) + one + one/2) // c fits, d is cut
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	n, werr := j.Write([]byte(more))
	unix.Setrlimit(unix.RLIMIT_FSIZE, &old)
	if !errors.Is(werr, syscall.EFBIG) || n != one {
		t.Fatalf("Write past the size limit: %d bytes, %v; want %d (one whole record) and EFBIG", n, werr, one)
	}
	j.Close()
	got := readFile(t, path)
	if want := first + recordLines("svd", "c"); got != want {
		t.Fatalf("the file holds\n%q\nwant\n%q", got, want)
	}
	if !strings.HasSuffix(got, "\n") {
		t.Fatal("the file ends in part of a record")
	}

	j, err = OpenJournal(path, JournalOptions{Kernel: "svd", Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if j.Torn() != 0 {
		t.Fatalf("resume finds a torn line of %d bytes", j.Torn())
	}
	if _, err := j.Write([]byte(recordLines("svd", "d", "e"))); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != first+more {
		t.Fatalf("after resume the file holds %q", got)
	}
}

// TestJournalUntouchedWithoutRecords: a run that began but wrote no record
// (stopped before its first) leaves the results file as it was, whether
// it was to be emptied or resumed; a resumed one only loses a torn last
// line.
func TestJournalUntouchedWithoutRecords(t *testing.T) {
	dir := t.TempDir()
	body := recordLines("svd", "a", "!b")
	for _, c := range []struct {
		name   string
		resume bool
		torn   string
		want   string
	}{
		{"fresh", false, "", body},
		{"fresh, torn", false, `{"input":"c","ker`, body + `{"input":"c","ker`},
		{"resume", true, "", body},
		{"resume, torn", true, `{"input":"c","ker`, body},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, ", ", "-")+".jsonl")
		writeFile(t, path, body+c.torn)
		j, err := OpenJournal(path, JournalOptions{Kernel: "svd", Resume: c.resume})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Begin(); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, path); got != c.want {
			t.Errorf("%s: Begin and Close without a record left %q, want %q", c.name, got, c.want)
		}
	}
}

// TestJournalNamedPipe: a named pipe nobody reads is refused at once with
// ErrNoReader (the open does not wait for a reader, which no signal could
// interrupt); with a reader, records go through to it and the pipe is
// neither locked nor emptied.
func TestJournalNamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p")
	if err := unix.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := OpenJournal(path, JournalOptions{Kernel: "svd"})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoReader) || !strings.Contains(err.Error(), "start the command that reads it first") {
			t.Fatalf("a pipe with no reader: %v, want ErrNoReader", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("OpenJournal blocks on a pipe with no reader")
	}

	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	j, err := OpenJournal(path, JournalOptions{Kernel: "svd"})
	if err != nil {
		t.Fatalf("a pipe with a reader: %v", err)
	}
	rec := recordLines("svd", "a", "b")
	if _, err := j.Write([]byte(rec)); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || string(got) != rec {
		t.Fatalf("the reader got %q (%v), want %q", got, err, rec)
	}
}
