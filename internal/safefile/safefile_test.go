//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// names lists dir's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// noTemps fails the test if any of dirs holds a temporary file.
func noTemps(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		for _, n := range names(t, d) {
			if strings.HasPrefix(n, TempPrefix) {
				t.Errorf("temporary file %s left in %s", n, d)
			}
		}
	}
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func TestWriteFileNewAndReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.jsonl")
	if err := WriteFile(path, writeString("first\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "first\n" {
		t.Errorf("new file holds %q", got)
	}
	// The oracle for a new file's mode: what the kernel gives a file
	// created with 0666 under this process's umask.
	ref := filepath.Join(dir, "reference")
	f, err := os.OpenFile(ref, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got, want := mode(t, path), mode(t, ref); got != want {
		t.Errorf("new file's mode %v, want %v (0666 less the umask)", got, want)
	}
	big := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB: many buffer flushes
	if err := WriteFile(path, writeString(big)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != big {
		t.Errorf("replaced file holds %d bytes, want %d", len(got), len(big))
	}
	noTemps(t, dir)

	// A bare relative name: the temporary file goes in the working directory.
	t.Chdir(dir)
	if err := WriteFile("rel", writeString("relative")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "rel")); got != "relative" {
		t.Errorf("relative name: %q", got)
	}
	noTemps(t, dir)
}

// TestUmask runs WriteFile in helper processes with their own umask: the
// umask is process-global, so the test process's stays as it is.
func TestUmask(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		umask string
		want  fs.FileMode
	}{{"022", 0o644}, {"077", 0o600}, {"027", 0o640}, {"0", 0o666}} {
		path := filepath.Join(dir, "umask"+c.umask)
		h := startHelper(t, "umask", path, "SAFEFILE_TEST_UMASK="+c.umask)
		if got := h.line(t); got != "written" {
			t.Fatalf("umask %s: helper said %q", c.umask, got)
		}
		h.finish(t)
		if got := mode(t, path).Perm(); got != c.want {
			t.Errorf("umask %s: mode %v, want %v", c.umask, got, c.want)
		}
	}
	noTemps(t, dir)
}

func TestWriteFileKeepsMode(t *testing.T) {
	dir := t.TempDir()
	for _, perm := range []fs.FileMode{0o600, 0o640, 0o755, 0o444} {
		path := filepath.Join(dir, fmt.Sprintf("f%o", perm))
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, perm); err != nil {
			t.Fatal(err)
		}
		// While the new content is written, the temporary file is no more
		// open than the file it replaces.
		err := WriteFile(path, func(w io.Writer) error {
			for _, n := range names(t, dir) {
				if strings.HasPrefix(n, TempPrefix) {
					if m := mode(t, filepath.Join(dir, n)).Perm(); m&^perm != 0 {
						t.Errorf("replacing a %v file: the temporary file is %v", perm, m)
					}
				}
			}
			_, err := io.WriteString(w, "new")
			return err
		})
		if err != nil {
			t.Fatalf("mode %v: %v", perm, err)
		}
		if got := mode(t, path); got != perm {
			t.Errorf("mode %v became %v", perm, got)
		}
		if got := readFile(t, path); got != "new" {
			t.Errorf("mode %v: content %q", perm, got)
		}
	}
}

// TestWriteFileFailures drives every failure path of a replacing write: the
// old content stays (or no file appears), no temporary file is left, and the
// error names the path and wraps the cause.
func TestWriteFileFailures(t *testing.T) {
	errCause := errors.New("injected")
	midway := func(w io.Writer) error {
		if _, err := w.Write(make([]byte, 200<<10)); err != nil { // past the buffer: on disk
			return err
		}
		return errCause
	}
	ok := writeString("new content")
	failing := func(step string) ops {
		o := systemOps()
		switch step {
		case "sync":
			o.sync = func(*os.File) error { return errCause }
		case "rename":
			o.rename = func(string, string) error { return errCause }
		case "syncDir":
			o.syncDir = func(string) error { return errCause }
		}
		return o
	}
	for _, c := range []struct {
		name     string
		write    func(io.Writer) error
		o        ops
		replaced bool // the new content is in place despite the error
	}{
		{"callback fails midway", midway, systemOps(), false},
		{"fsync fails", ok, failing("sync"), false},
		{"rename fails", ok, failing("rename"), false},
		{"directory fsync fails", ok, failing("syncDir"), true},
	} {
		for _, existed := range []bool{true, false} {
			dir := t.TempDir()
			path := filepath.Join(dir, "target")
			if existed {
				if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := writeFile(path, c.write, c.o)
			if !errors.Is(err, errCause) || !strings.Contains(err.Error(), path) {
				t.Errorf("%s (existed %v): error %v; want one wrapping %v and naming %s", c.name, existed, err, errCause, path)
			}
			b, rerr := os.ReadFile(path)
			switch {
			case c.replaced && string(b) != "new content":
				t.Errorf("%s (existed %v): target holds %q, %v; want the new content", c.name, existed, b, rerr)
			case !c.replaced && existed && string(b) != "old content":
				t.Errorf("%s: target holds %q, %v; want the old content", c.name, b, rerr)
			case !c.replaced && !existed && !errors.Is(rerr, fs.ErrNotExist):
				t.Errorf("%s: a target that did not exist now holds %q, %v", c.name, b, rerr)
			}
			noTemps(t, dir)
		}
	}
}

func TestWriteFilePanic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	type boom struct{ n int }
	func() {
		defer func() {
			if r := recover(); r != (boom{7}) {
				t.Errorf("recovered %v, want the callback's panic value re-raised", r)
			}
		}()
		WriteFile(path, func(w io.Writer) error {
			w.Write(make([]byte, 200<<10))
			panic(boom{7})
		})
		t.Error("WriteFile returned after its callback panicked")
	}()
	if got := readFile(t, path); got != "old" {
		t.Errorf("after a panic the target holds %q", got)
	}
	noTemps(t, dir)
}

// TestKilledWriteAndCleanTemps kills a helper in the middle of a WriteFile:
// the target keeps its content, and CleanTemps removes the temporary file the
// killed process left (and nothing else).
func TestKilledWriteAndCleanTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "not-a-temp")
	if err := os.WriteFile(other, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, TempPrefix+"dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := startHelper(t, "killed", path)
	if got := h.line(t); got != "writing" {
		t.Fatalf("helper said %q", got)
	}
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
	var temps []string
	for _, n := range names(t, dir) {
		if strings.HasPrefix(n, TempPrefix) && n != TempPrefix+"dir" {
			temps = append(temps, n)
		}
	}
	if len(temps) != 1 {
		t.Fatalf("after the kill: temporary files %q, want one", temps)
	}
	if got := readFile(t, path); got != "old" {
		t.Errorf("after the kill the target holds %d bytes", len(got))
	}
	n, err := CleanTemps(dir)
	if err != nil || n != 1 {
		t.Errorf("CleanTemps = %d, %v; want 1, nil", n, err)
	}
	want := []string{TempPrefix + "dir", "not-a-temp", "target"}
	if got := names(t, dir); !slices.Equal(got, want) {
		t.Errorf("after CleanTemps: %q, want %q", got, want)
	}
	if n, err := CleanTemps(dir); n != 0 || err != nil {
		t.Errorf("second CleanTemps = %d, %v", n, err)
	}
	if _, err := CleanTemps(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CleanTemps of a missing directory: %v", err)
	}
}

func TestWriteFileSymlink(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	sub := filepath.Join(real, "a")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		link   string // the name written
		setup  func()
		target string // the file that must receive the bytes
	}{
		{"absolute link", filepath.Join(root, "abs"), func() {
			must(os.WriteFile(filepath.Join(real, "t1"), []byte("old"), 0o640))
			must(os.Symlink(filepath.Join(real, "t1"), filepath.Join(root, "abs")))
		}, filepath.Join(real, "t1")},
		{"relative link", filepath.Join(root, "rel"), func() {
			must(os.WriteFile(filepath.Join(real, "t2"), []byte("old"), 0o640))
			must(os.Symlink("real/t2", filepath.Join(root, "rel")))
		}, filepath.Join(real, "t2")},
		{"chain of links", filepath.Join(root, "chain"), func() {
			must(os.WriteFile(filepath.Join(sub, "t3"), []byte("old"), 0o640))
			must(os.Symlink("t3", filepath.Join(sub, "hop")))
			must(os.Symlink("real/a/hop", filepath.Join(root, "chain")))
		}, filepath.Join(sub, "t3")},
		{"dangling link", filepath.Join(root, "dangling"), func() {
			must(os.Symlink("real/new", filepath.Join(root, "dangling")))
		}, filepath.Join(real, "new")},
		// A link inside a linked directory whose target climbs with "..":
		// the kernel resolves it from real/a, not lexically from root.
		{"dot-dot through a linked directory", filepath.Join(root, "linkdir", "up"), func() {
			must(os.Symlink(sub, filepath.Join(root, "linkdir")))
			must(os.WriteFile(filepath.Join(real, "t4"), []byte("old"), 0o640))
			must(os.Symlink("../t4", filepath.Join(sub, "up")))
		}, filepath.Join(real, "t4")},
	} {
		c.setup()
		before, _ := os.Readlink(c.link)
		if err := WriteFile(c.link, writeString("new "+c.name)); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := readFile(t, c.target); got != "new "+c.name {
			t.Errorf("%s: target holds %q", c.name, got)
		}
		if mode(t, c.link)&fs.ModeSymlink == 0 {
			t.Errorf("%s: %s is no longer a link", c.name, c.link)
		} else if after, _ := os.Readlink(c.link); after != before {
			t.Errorf("%s: link now points to %q, was %q", c.name, after, before)
		}
		if c.name != "dangling link" {
			if got := mode(t, c.target).Perm(); got != 0o640 {
				t.Errorf("%s: target mode %v, want 0640 kept", c.name, got)
			}
		}
	}
	noTemps(t, root, real, sub)

	loop := filepath.Join(root, "loop")
	must(os.Symlink("loop", loop))
	if err := WriteFile(loop, writeString("x")); !errors.Is(err, syscall.ELOOP) || !strings.Contains(err.Error(), loop) {
		t.Errorf("a link to itself: %v, want ELOOP naming it", err)
	}
}

// charDevice skips the test unless path is a character device; it is the
// one place these tests depend on the machine's /dev.
func charDevice(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Skipf("%s is not a character device here (%v)", path, err)
	}
}

func TestWriteFileDevNull(t *testing.T) {
	charDevice(t, "/dev/null")
	before, err := Identity("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "null")
	if err := os.Symlink("/dev/null", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/null", link} {
		if err := WriteFile(p, writeString(strings.Repeat("discarded\n", 1<<14))); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		fi, err := os.Stat("/dev/null")
		if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
			t.Fatalf("after writing %s, /dev/null is %v, %v: not a character device", p, fi.Mode(), err)
		}
		if after, err := Identity("/dev/null"); err != nil || after != before {
			t.Errorf("after writing %s, /dev/null is %v, was %v (%v)", p, after, before, err)
		}
	}
	if mode(t, link)&fs.ModeSymlink == 0 {
		t.Errorf("%s is no longer a link", link)
	}
	noTemps(t, filepath.Dir(link))
}

// TestWriteFileDevFull: a device's write error comes back, naming it.
func TestWriteFileDevFull(t *testing.T) {
	charDevice(t, "/dev/full")
	err := WriteFile("/dev/full", writeString("x"))
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "/dev/full") {
		t.Errorf("/dev/full: %v, want ENOSPC naming it", err)
	}
}

func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestWriteFileFIFONoReader(t *testing.T) {
	p := mkfifo(t)
	done := make(chan error, 1)
	go func() { done <- WriteFile(p, writeString("nobody listens")) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNoReader) || !strings.Contains(err.Error(), p) {
			t.Errorf("FIFO without a reader: %v, want ErrNoReader naming it", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("WriteFile blocked on a FIFO with no reader") // a hang, not a timing check
	}
	if mode(t, p)&fs.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a FIFO: %v", p, mode(t, p))
	}
	noTemps(t, filepath.Dir(p))
}

func TestWriteFileFIFOWithReader(t *testing.T) {
	p := mkfifo(t)
	// O_NONBLOCK: the open does not wait for a writer.
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// More than a pipe holds, so the writes must wait for the reader.
	want := bytes.Repeat([]byte("through the fifo\n"), 1<<16)
	got := make(chan []byte, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		var b []byte
		buf := make([]byte, 32<<10)
		for len(b) < len(want) {
			n, err := r.Read(buf)
			b = append(b, buf[:n]...)
			if err != nil && !errors.Is(err, io.EOF) {
				break
			}
		}
		got <- b
	})
	if err := WriteFile(p, func(w io.Writer) error { _, err := w.Write(want); return err }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("reader got %d bytes, want %d", len(b), len(want))
	}
	if mode(t, p)&fs.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a FIFO", p)
	}
}

func TestWriteFileRefusals(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	dirLink := filepath.Join(root, "dlink")
	if err := os.Symlink("d", dirLink); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, dirLink, dir + "/"} {
		err := WriteFile(p, writeString("x"))
		if !errors.Is(err, syscall.EISDIR) || !strings.Contains(err.Error(), strings.TrimSuffix(p, "/")) {
			t.Errorf("directory %s: %v, want EISDIR naming it", p, err)
		}
	}
	sock := filepath.Join(root, "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := WriteFile(sock, writeString("x")); !errors.Is(err, ErrUnsupportedTarget) || !strings.Contains(err.Error(), sock) {
		t.Errorf("socket: %v, want ErrUnsupportedTarget naming it", err)
	}
	if err := WriteFile(filepath.Join(root, "missing", "f"), writeString("x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing directory: %v, want ErrNotExist", err)
	}
	noTemps(t, root, dir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("the directory target changed: %v, %v", fi, err)
	}
}

// TestConcurrentWriters: whatever the interleaving, the file ends up as one
// writer's whole content.
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "shared")
	contents := map[string]bool{}
	var wg sync.WaitGroup
	for i := range 6 {
		c := strings.Repeat(fmt.Sprintf("writer %d\n", i), 20000)
		contents[c] = true
		wg.Go(func() {
			if err := WriteFile(path, writeString(c)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := readFile(t, path); !contents[got] {
		t.Errorf("the file holds %d bytes that no single writer wrote", len(got))
	}
	noTemps(t, dir)
}

func TestTryLockInProcess(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lock")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, dir} { // a regular file, a directory
		a, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := TryLock(a); err != nil {
			t.Fatalf("%s: first lock: %v", p, err)
		}
		if err := TryLock(a); err != nil {
			t.Errorf("%s: relocking the holder's own open: %v", p, err)
		}
		if err := TryLock(b); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: second open while locked: %v, want ErrLocked naming it", p, err)
		}
		if err := Unlock(a); err != nil {
			t.Fatal(err)
		}
		if err := TryLock(b); err != nil {
			t.Errorf("%s: after Unlock: %v", p, err)
		}
		b.Close() // closing releases the lock too
		if err := TryLock(a); err != nil {
			t.Errorf("%s: after the holder closed: %v", p, err)
		}
		a.Close()
	}
}

func TestTryLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "lock")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, dir} {
		// The child holds it: this process cannot take it.
		h := startHelper(t, "lock", p)
		if got := h.line(t); got != "locked" {
			t.Fatalf("%s: helper said %q", p, got)
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := TryLock(f); !errors.Is(err, ErrLocked) {
			t.Errorf("%s: while a child holds it: %v, want ErrLocked", p, err)
		}
		h.finish(t) // the child exits: its lock goes
		if err := TryLock(f); err != nil {
			t.Errorf("%s: after the child exited: %v", p, err)
		}
		// This process holds it: a child cannot take it.
		h = startHelper(t, "lock", p)
		if got := h.line(t); got != "ErrLocked" {
			t.Errorf("%s: a child while this process holds the lock said %q", p, got)
		}
		h.finish(t)
		f.Close()
	}
}

func TestIdentity(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("f", []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", "link"); err != nil {
		t.Fatal(err)
	}
	if err := os.Link("f", "hard"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("copy", []byte("same"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("sub", 0o755); err != nil {
		t.Fatal(err)
	}
	want, err := Identity("f")
	if err != nil {
		t.Fatal(err)
	}
	if want == (ID{}) {
		t.Fatal("zero ID for a file")
	}
	for _, p := range []string{filepath.Join(dir, "f"), "./f", "sub/../f", "link", "hard", filepath.Join(dir, "link")} {
		if got, err := Identity(p); err != nil || got != want {
			t.Errorf("Identity(%q) = %v, %v; want %v (the same file)", p, got, err, want)
		}
	}
	if got, err := Identity("copy"); err != nil || got == want {
		t.Errorf("Identity(copy) = %v, %v; want a different file from %v", got, err, want)
	}
	// IdentityOf an Lstat of the link is the link itself, not its target.
	fi, err := os.Lstat("link")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := IdentityOf(fi); !ok || got == want {
		t.Errorf("IdentityOf(Lstat(link)) = %v, %v; want the link's own inode", got, ok)
	}
	f, err := os.Open("hard")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		t.Fatal(err)
	} else if got, ok := IdentityOf(fi); !ok || got != want {
		t.Errorf("IdentityOf(File.Stat) = %v, %v; want %v", got, ok, want)
	}
	if _, err := Identity("missing"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Identity(missing): %v", err)
	}
	if _, ok := IdentityOf(fakeInfo{}); ok {
		t.Error("IdentityOf a FileInfo without Sys: ok")
	}
}

// fakeInfo is a FileInfo not from the operating system.
type fakeInfo struct{ fs.FileInfo }

func (fakeInfo) Sys() any { return nil }
