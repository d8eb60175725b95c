//go:build linux

package inputs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/matio"
)

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// listTree writes a tree of every kind of entry a listing meets: .npy
// matrices and a stack, an .npz, a raw .f64 with its .shape sidecar, a
// CSV, a link to a matrix, a hard link to one (the same file twice), a
// dangling link, a named pipe, a file that is no matrix, a dotfile and a
// subdirectory with a matrix of its own.
func listTree(t *testing.T) string {
	t.Helper()
	dir := shortDir(t)
	writeNpy(t, filepath.Join(dir, "a.npy"), 3, 2)
	writeNpy(t, filepath.Join(dir, "b.npy"), 4, 4)
	writeNpy(t, filepath.Join(dir, "stack.npy"), 5, 2, 3)
	writeNpz(t, filepath.Join(dir, "z.npz"), member{name: "x.npy", shape: []int{2, 2}}, member{name: "y.npy", shape: []int{3, 3}})
	writeFile(t, filepath.Join(dir, "raw.f64"), make([]byte, 8*6))
	writeFile(t, filepath.Join(dir, "raw.f64.shape"), []byte("2 3\n"))
	writeFile(t, filepath.Join(dir, "c.csv"), []byte("1,2\n3,4\n"))
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not a matrix"))
	writeNpy(t, filepath.Join(dir, ".hidden.npy"), 2, 2)
	for _, l := range [][2]string{{"a.npy", "link.npy"}, {"gone.npy", "dangling.npy"}} {
		if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(dir, "b.npy"), filepath.Join(dir, "hard.npy")); err != nil {
		t.Fatal(err)
	}
	mkfifo(t, filepath.Join(dir, "pipe.npy"))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeNpy(t, filepath.Join(dir, "sub", "s.npy"), 2, 5)
	return dir
}

// withoutKept is the set with no file kept open, for comparing with a set
// scanned without KeepOpen.
func withoutKept(s Set) Set {
	files := make([]File, len(s.Files))
	copy(files, s.Files)
	for i := range files {
		files[i].Kept = nil
	}
	s.Files = files
	return s
}

// TestListAgreesWithExpand: List lists what Expand lists — the same
// paths, identities and warnings, every kind of entry included — and its
// Scan, which reads the files the listing opened, finds what Scan of
// Expand's paths finds by name; Scan, Set.Close and Listing.Close leave no
// descriptor open, and Close may come twice.
func TestListAgreesWithExpand(t *testing.T) {
	dir := listTree(t)
	growTable(t, 200)
	for _, opt := range []Options{{KeepOpen: true}, {KeepOpen: true, Recursive: true}, {KeepOpen: true, Read: matio.Options{Shape: []int{2, 3}}}} {
		before := openFDs(t)
		paths, ids, warnings := expand(t, []string{dir}, opt)
		var l *Listing
		within(t, "List", func() { l = List([]string{dir}, opt) })
		if !reflect.DeepEqual(l.Paths, paths) || !reflect.DeepEqual(l.IDs, ids) || !reflect.DeepEqual(l.Warnings, warnings) {
			t.Fatalf("%+v: List says\n%q %v %q\nExpand says\n%q %v %q", opt, l.Paths, l.IDs, l.Warnings, paths, ids, warnings)
		}
		opened := 0
		for _, o := range l.open {
			if o.fd > 0 {
				opened++
			}
		}
		if opened == 0 {
			t.Fatalf("%+v: List opened no file", opt)
		}
		var got Set
		var err error
		within(t, "Listing.Scan", func() { got, err = l.Scan(context.Background(), false) })
		if err != nil {
			t.Fatal(err)
		}
		plain, err := Scan(context.Background(), paths, ids, false, Options{Read: opt.Read, Recursive: opt.Recursive})
		if err != nil {
			t.Fatal(err)
		}
		if g := withoutKept(got); !reflect.DeepEqual(g, plain) {
			t.Errorf("%+v: Listing.Scan found\n%+v\nScan by name\n%+v", opt, g.Files, plain.Files)
		}
		kept := 0
		for _, f := range got.Files {
			if f.Kept != nil {
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("%+v: nothing kept open for the readers", opt)
		}
		got.Close()
		l.Close()
		l.Close()
		if after := openFDs(t); after != before {
			t.Errorf("%+v: %d descriptors open before List, %d after Scan and Close", opt, before, after)
		}
	}
}

// TestListScansTheFileListed: the file Scan reads is the one the listing
// opened and identified, even when another file has been renamed over its
// name since; Close without Scan closes everything List opened.
func TestListScansTheFileListed(t *testing.T) {
	dir := shortDir(t)
	writeNpy(t, filepath.Join(dir, "a.npy"), 3, 2)
	writeNpy(t, filepath.Join(dir, "b.npy"), 3, 2)
	growTable(t, 200)
	before := openFDs(t)
	l := List([]string{dir}, Options{KeepOpen: true})
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(dir, "a.npy"), &st); err != nil {
		t.Fatal(err)
	}
	if l.IDs[0].Ino != st.Ino {
		t.Fatalf("the listing's identity of a.npy is %v, its inode %d", l.IDs[0], st.Ino)
	}
	writeNpy(t, filepath.Join(dir, "new.npy"), 7, 9)
	if err := os.Rename(filepath.Join(dir, "new.npy"), filepath.Join(dir, "a.npy")); err != nil {
		t.Fatal(err)
	}
	set, err := l.Scan(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if r := set.Files[0].Runs[0]; r.Rows != 3 || r.Cols != 2 {
		t.Errorf("the scan read the file renamed over a.npy (%d×%d), not the one listed (3×2)", r.Rows, r.Cols)
	}
	set.Close()
	l.Close()

	l = List([]string{dir}, Options{KeepOpen: true})
	if n := openFDs(t); n != before+2 {
		t.Errorf("List of two small files holds %d descriptors, want 2", n-before)
	}
	l.Close()
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open before List, %d after Close without Scan", before, after)
	}
	if l := List([]string{dir}, Options{}); l.open != nil {
		t.Error("List without KeepOpen opened files")
	}
	if l := List([]string{dir}, Options{KeepOpen: true, AnyFile: true}); l.open != nil {
		t.Error("List with AnyFile (no headers read) opened files")
	}
}

// TestParseDirents: the records of a getdents64 buffer, "." and ".."
// left out, a record that does not fit ending the parse.
func TestParseDirents(t *testing.T) {
	rec := func(name string, typ byte) []byte {
		n := (19 + len(name) + 1 + 7) &^ 7
		b := make([]byte, n)
		b[16], b[17] = byte(n), byte(n>>8)
		b[18] = typ
		copy(b[19:], name)
		return b
	}
	var buf []byte
	for _, r := range [][]byte{rec(".", unix.DT_DIR), rec("..", unix.DT_DIR), rec("a.npy", unix.DT_REG), rec("l.npy", unix.DT_LNK), rec("a-much-longer-name.npy", unix.DT_UNKNOWN)} {
		buf = append(buf, r...)
	}
	got := parseDirents(append(buf, 0, 0, 0), nil)
	want := []dirent{{"a.npy", true}, {"l.npy", false}, {"a-much-longer-name.npy", false}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDirents: %+v, want %+v", got, want)
	}
	bad := rec("b.npy", unix.DT_REG)
	bad[16] = 200 // longer than the buffer
	if got := parseDirents(append(rec("a.npy", unix.DT_REG), bad...), nil); len(got) != 1 {
		t.Errorf("a record past the buffer's end: %+v", got)
	}
}

// cancelAfter is a context that is done from its n-th Err on: a scan
// cancelled part way through, at a place the test chooses.
type cancelAfter struct {
	context.Context
	n     int64
	calls atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) > c.n {
		return context.Canceled
	}
	return nil
}

// TestScanCancelledClosesEverything: a Scan cancelled part way through,
// after it has kept files open for readers, closes them (none will read
// them), and Listing.Close closes what the listing opened and the scan
// never reached: no descriptor is left open. The same when the files are
// cold and were put off still open (prefetch).
func TestScanCancelledClosesEverything(t *testing.T) {
	dir := t.TempDir()
	for i := range 300 {
		writeNpy(t, filepath.Join(dir, fmt.Sprintf("m%03d.npy", i)), 2, 2)
	}
	growTable(t, 1000)
	allCold := &fakeCache{cold: map[string]bool{}}
	for i := range 300 {
		allCold.cold[filepath.Join(dir, fmt.Sprintf("m%03d.npy", i))] = true
	}
	for _, cold := range []bool{false, true} {
		afters := []int64{1, 50, 299}
		if cold { // the files put off are read in a second pass, checking ctx again
			afters = append(afters, 320, 550)
		}
		for _, after := range afters {
			before := openFDs(t)
			l := List([]string{dir}, Options{KeepOpen: true})
			var pf *prefetch
			if cold {
				allCold.advised = nil
				pf = allCold.prefetch(1 << 30)
			}
			set, err := scanWith(&cancelAfter{Context: context.Background(), n: after}, l.Paths, l.IDs, l.open, l.kp, false, l.opt, pf)
			if !errors.Is(err, context.Canceled) || len(set.Files) != 0 {
				t.Fatalf("cold %v, cancelled after %d: %d files, %v", cold, after, len(set.Files), err)
			}
			l.Close()
			if n := openFDs(t); n != before {
				t.Errorf("cold %v, cancelled after %d: %d descriptors open before, %d after", cold, after, before, n)
			}
		}
	}
}

// TestPairwiseScanLeavesNothingOpen: a pairwise Scan (matmul) reads no
// file through the descriptors the listing opened, and leaves them to
// Listing.Close: nothing stays open (a scan once took them and closed none,
// 200 descriptors a run of 200 archives).
func TestPairwiseScanLeavesNothingOpen(t *testing.T) {
	dir := t.TempDir()
	for i := range 50 {
		writeNpz(t, filepath.Join(dir, fmt.Sprintf("p%02d.npz", i)), member{name: "a.npy", shape: []int{3, 3}}, member{name: "b.npy", shape: []int{3, 3}})
	}
	growTable(t, 500)
	before := openFDs(t)
	l := List([]string{dir}, Options{KeepOpen: true})
	set, err := l.Scan(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range set.Files {
		if r := f.Runs[0]; r.Err != nil || r.Rows2 != 3 {
			t.Fatalf("%s: %+v", f.Path, r)
		}
	}
	set.Close()
	l.Close()
	if n := openFDs(t); n != before {
		t.Errorf("%d descriptors open before, %d after", before, n)
	}
}

// TestListStopsOpeningAtTheBound: once an open gets a descriptor at or
// above the keeper's bound the listing opens nothing more (it holds what
// it opened until the scan, so every later open would be closed again and
// stat'ed); what it opened is below the bound, and the scan still reads
// every file.
func TestListStopsOpeningAtTheBound(t *testing.T) {
	dir := t.TempDir()
	for i := range 600 {
		writeNpy(t, filepath.Join(dir, fmt.Sprintf("m%03d.npy", i)), 2, 2)
	}
	growTable(t, 1000)
	lowerFileLimit(t, 120)
	l := List([]string{dir}, Options{KeepOpen: true})
	defer l.Close()
	opened := 0
	for _, o := range l.open {
		if o.fd > 0 {
			opened++
			if o.fd-1 >= l.kp.below {
				t.Errorf("descriptor %d opened at or above the bound %d", o.fd-1, l.kp.below)
			}
		}
	}
	if opened == 0 || opened >= 600 || !l.kp.listFull.Load() {
		t.Errorf("%d of 600 files opened under a bound of %d (full: %v)", opened, l.kp.below, l.kp.listFull.Load())
	}
	set, err := l.Scan(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	for _, f := range set.Files {
		if r := f.Runs[0]; r.Err != nil || r.Rows != 2 {
			t.Fatalf("%s: %+v", f.Path, r)
		}
	}
}
