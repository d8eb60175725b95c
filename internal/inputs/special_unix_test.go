//go:build unix

package inputs

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/blasbatch/blasbatch/matio"
)

// mkfifo makes a named pipe with no writer: opening it for reading the
// ordinary way blocks.
func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

// mksocket binds a Unix socket at path, listening until the test ends.
func mksocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatalf("binding a socket at %s: %v", path, err)
	}
	t.Cleanup(func() { l.Close() })
}

// shortDir is a temporary directory with a path short enough for a Unix
// socket's address (108 bytes), whatever the test's name.
func shortDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "in")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// TestExpandSkipsSpecialEntries: directory entries that are not regular
// files (named pipes, sockets) are skipped without blocking, with one
// warning per directory that counts them and names the directory; with
// AnyFile any name counts, else only matrix names; the regular files
// around them are kept.
func TestExpandSkipsSpecialEntries(t *testing.T) {
	root := shortDir(t)
	d, sub := filepath.Join(root, "d"), filepath.Join(root, "d", "sub")
	writeNpy(t, filepath.Join(d, "ok.npy"), 2, 2)
	writeNpy(t, filepath.Join(sub, "ok2.npy"), 2, 2)
	mkfifo(t, filepath.Join(d, "p.npy"))
	mkfifo(t, filepath.Join(d, "q.txt"))
	mksocket(t, filepath.Join(d, "s.npy"))
	mkfifo(t, filepath.Join(sub, "p.npz"))
	mkfifo(t, filepath.Join(d, ".hidden.npy"))

	for _, c := range []struct {
		name  string
		opt   Options
		paths []string
		dirs  []string // the directories warned about, in order
		count []int    // the entries each warning counts
	}{
		{"flat", Options{}, []string{"d/ok.npy"}, []string{"d"}, []int{2}},
		{"recursive", Options{Recursive: true}, []string{"d/ok.npy", "d/sub/ok2.npy"}, []string{"d", "d/sub"}, []int{2, 1}},
		{"any file", Options{AnyFile: true}, []string{"d/ok.npy"}, []string{"d"}, []int{3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			paths, _, warnings := expand(t, []string{d}, c.opt)
			var want []string
			for _, p := range c.paths {
				want = append(want, filepath.Join(root, p))
			}
			if !slices.Equal(paths, want) {
				t.Errorf("paths %q, want %q", paths, want)
			}
			if len(warnings) != len(c.dirs) {
				t.Fatalf("warnings %q, want one for each of %q", warnings, c.dirs)
			}
			for i, w := range warnings {
				dir := filepath.Join(root, c.dirs[i])
				if !strings.Contains(w, Quote(dir)+" ") || !strings.HasPrefix(w, "skipped "+strconv.Itoa(c.count[i])+" entr") {
					t.Errorf("warning %q, want one counting %d entries of %s", w, c.count[i], dir)
				}
			}
		})
	}
}

// TestSpecialArguments: an argument that is a named pipe, a socket or a
// device is kept by Expand (it was asked for), and Scan gives it one
// failed item wrapping matio.ErrNotRegular, saying what it is, without
// blocking; with AnyFile too.
func TestSpecialArguments(t *testing.T) {
	dir := shortDir(t)
	fifo, sock := filepath.Join(dir, "p.npy"), filepath.Join(dir, "s.npy")
	mkfifo(t, fifo)
	mksocket(t, sock)
	args := []string{fifo, sock}
	kinds := []string{"named pipe", "socket"}
	if fi, err := os.Stat("/dev/zero"); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		args, kinds = append(args, "/dev/zero"), append(kinds, "device")
	} else {
		t.Logf("no /dev/zero character device here (%v): checking the pipe and the socket", err)
	}
	for _, opt := range []Options{{}, {AnyFile: true}} {
		paths, _, warnings := expand(t, args, opt)
		if !slices.Equal(paths, args) || len(warnings) != 0 {
			t.Fatalf("AnyFile=%v: Expand(%q) = %q %q, want the arguments kept, no warning", opt.AnyFile, args, paths, warnings)
		}
		for _, pairwise := range []bool{false, true} {
			set := scan(t, args, pairwise && !opt.AnyFile, opt)
			checkSet(t, &set)
			for i, p := range args {
				runs := runsOf(t, &set, p)
				if len(runs) != 1 || !errors.Is(runs[0].Err, matio.ErrNotRegular) ||
					!strings.Contains(runs[0].Err.Error(), kinds[i]) || !strings.Contains(runs[0].Err.Error(), p) {
					t.Errorf("AnyFile=%v pairwise=%v %s: runs %+v, want one failing with ErrNotRegular saying %q", opt.AnyFile, pairwise, p, runs, kinds[i])
				}
			}
		}
	}
	var err error
	within(t, "ScanPairs of a pipe", func() {
		set := ScanPairs([][2]string{{fifo, sock}}, Options{})
		if len(set.Files) != 1 || len(set.Files[0].Runs) != 1 {
			t.Errorf("ScanPairs: %+v", set)
			return
		}
		err = set.Files[0].Runs[0].Err
	})
	if !errors.Is(err, matio.ErrNotRegular) {
		t.Errorf("ScanPairs of a pipe and a socket: error %v, want ErrNotRegular", err)
	}
}
