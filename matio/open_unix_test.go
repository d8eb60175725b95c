//go:build unix

package matio

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// openDeadline is how long an open may take before the test calls it
// blocked. It is a deadline for a failure, not a timing assertion: a
// non-blocking open returns in microseconds, a blocking one never.
const openDeadline = 20 * time.Second

// withDeadline runs f on a goroutine and fails the test if it has not
// returned by the deadline. Then it calls unblock (which must make f
// return, so that no goroutine outlives the test) and waits for f.
func withDeadline(t *testing.T, what string, unblock func(), f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(openDeadline):
		t.Errorf("%s blocked for %v", what, openDeadline)
		if unblock != nil {
			unblock()
		}
		<-done
	}
}

// unblockFIFO opens the write end of a FIFO, which lets an open(2) blocked
// on its read end return, and closes it again.
func unblockFIFO(path string) func() {
	return func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
}

// TestOpenNotRegular opens a named pipe, a socket, devices, a directory and
// symbolic links to some of them: each fails at once with an *Error naming
// the path and wrapping ErrNotRegular, and a link to a regular file works.
func TestOpenNotRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p.npy")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	fifoCSV := filepath.Join(dir, "p.csv")
	if err := syscall.Mkfifo(fifoCSV, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	sock := filepath.Join(dir, "s.npy")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sub := filepath.Join(dir, "sub.npz")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path     string
		msg      string
		unblock  func()
		notNumPy bool
	}{
		{fifo, "not a regular file (a named pipe)", unblockFIFO(fifo), false},
		{fifoCSV, "not a regular file (a named pipe)", unblockFIFO(fifoCSV), false},
		{link("l.npy", fifo), "not a regular file (a named pipe)", unblockFIFO(fifo), false},
		{sock, "not a regular file (a socket)", nil, false},
		{"/dev/null", "not a regular file (a character device)", nil, false},
		{"/dev/zero", "not a regular file (a character device)", nil, false},
		{link("z.csv", "/dev/zero"), "not a regular file (a character device)", nil, false},
		{sub, "is a directory, not a NumPy file", nil, true},
		{link("d.npy", sub), "is a directory, not a NumPy file", nil, true},
	} {
		var (
			r   *Reader
			err error
		)
		withDeadline(t, "Open("+c.path+")", c.unblock, func() { r, err = Open(c.path) })
		if err == nil {
			r.Close()
			t.Errorf("Open(%s) succeeded", c.path)
			continue
		}
		var me *Error
		if !errors.As(err, &me) || me.Path != c.path || !errors.Is(err, ErrNotRegular) || errors.Is(err, ErrNotNumPy) != c.notNumPy {
			t.Errorf("Open(%s) = %v, want an *Error for the path wrapping ErrNotRegular (ErrNotNumPy %v)", c.path, err, c.notNumPy)
		}
		if want := c.path + ": " + c.msg; err.Error() != want {
			t.Errorf("Open(%s) = %q, want %q", c.path, err, want)
		}
	}

	// A symbolic link to a regular file is read as the file.
	target := writeFile(t, dir, "m.npy", npyFile(1, dictFor("<f8", false, 1, 2), float64Bytes([]float64{3, 4})))
	good := link("good.npy", target)
	var evs []event
	withDeadline(t, "reading "+good, nil, func() { evs = readAll(t, good, nil) })
	if len(evs) != 1 || evs[0].Err != nil || evs[0].ID != good || !sameBits(evs[0].Vals, []float64{3, 4}) {
		t.Errorf("link to a regular file: %+v", evs)
	}
}

// TestOpenSwappedForFIFO opens a FIFO as if it had passed the check before
// the open (the path swapped in between): the open does not block and the
// check of the opened descriptor refuses it.
func TestOpenSwappedForFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "p.npy")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	for _, path := range []string{fifo, "/dev/zero"} {
		var (
			f   *os.File
			err error
		)
		withDeadline(t, "openChecked("+path+")", unblockFIFO(fifo), func() { f, _, err = openChecked(path) })
		if err == nil {
			f.Close()
			t.Errorf("openChecked(%s) succeeded", path)
		} else if !errors.Is(err, ErrNotRegular) || !strings.HasPrefix(err.Error(), "not a regular file (") {
			t.Errorf("openChecked(%s) = %v, want ErrNotRegular", path, err)
		}
	}
}

// TestShapeSidecarNotRegular checks that a .f64 file's sidecar that is a
// named pipe is refused without blocking.
func TestShapeSidecarNotRegular(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "x.f64", float64Bytes([]float64{1, 2}))
	side := path + ".shape"
	if err := syscall.Mkfifo(side, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	var err error
	withDeadline(t, "reading "+path, unblockFIFO(side), func() {
		r, oerr := Open(path)
		if oerr != nil {
			err = oerr
			return
		}
		defer r.Close()
		_, err = r.Next()
	})
	if !errors.Is(err, ErrShape) || !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), side+": not a regular file (a named pipe)") {
		t.Errorf("sidecar FIFO: %v, want ErrShape and ErrNotRegular naming %s", err, side)
	}
}
