package safefile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFileMagicLinks: /proc/self/fd/N names what the descriptor has
// open, whatever its link's text says: a pipe is written through, and a
// regular file (a shell's redirection) appended to, neither replaced.
func TestWriteFileMagicLinks(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	pipePath := fmt.Sprintf("/proc/self/fd/%d", w.Fd())
	if _, fi, err := Resolve(pipePath); err != nil || fi == nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("Resolve(%s) = %v, %v; want the pipe", pipePath, fi, err)
	}
	if err := WriteFile(pipePath, writeString("through the pipe\n")); err != nil {
		t.Fatalf("%s: %v", pipePath, err)
	}
	w.Close()
	if b, err := io.ReadAll(r); err != nil || string(b) != "through the pipe\n" {
		t.Errorf("the pipe's reader got %q, %v", b, err)
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "redirected")
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("earlier\n"); err != nil {
		t.Fatal(err)
	}
	before, err := Identity(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), writeString("appended\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, out); got != "earlier\nappended\n" {
		t.Errorf("the redirected file holds %q, want the new lines after the old", got)
	}
	if after, err := Identity(out); err != nil || after != before {
		t.Errorf("the redirected file was replaced: %v, was %v (%v)", after, before, err)
	}
	noTemps(t, dir, "/proc/self/fd")

	// /dev/stdout leads into /proc: it stands for the open descriptor, so
	// it is never a name to rename over, whatever stdout is.
	if l, err := os.Readlink("/dev/stdout"); err == nil && l == "/proc/self/fd/1" {
		target, fi, err := Resolve("/dev/stdout")
		if err != nil || target != "/dev/stdout" || fi == nil {
			t.Errorf("Resolve(/dev/stdout) = %q, %v, %v; want itself and what fd 1 has open", target, fi, err)
		}
	}
}
