//go:build unix

package inputs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/matio"
)

// TestScanHeadAgrees: the scan's fast path (open, fstat, one pread, the
// header parsed in place) lists the same runs, ids and shapes as opening
// each file with matio — for 2-D and 3-D arrays, a stack of one, other
// dtypes and orders, a header longer than one read, an .npz, text, and
// bad or truncated files — and marks Direct exactly the little-endian
// float64 C-order files, with Head the hash of the bytes before the data.
func TestScanHeadAgrees(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"a.npy":      npyBytes(t, 1, 3, 4),
		"stack.npy":  npyBytes(t, 2, 5, 2, 3),
		"one.npy":    npyBytes(t, 3, 1, 2, 2),
		"name\n.npy": npyBytes(t, 4, 2, 2),
		"c.csv":      []byte("1,2\n3,4\n"),
		"bad.npy":    []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'"),
		"text.npy":   []byte("not a matrix"),
		"empty.npy":  nil,
	}
	// A header longer than the scan's first read (headBytes), as NumPy
	// writes for no array but a hostile or padded file may hold.
	long := "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }" + strings.Repeat(" ", headBytes)
	long += strings.Repeat(" ", (64-(10+len(long)+1)%64)%64) + "\n"
	files["long.npy"] = append(append([]byte("\x93NUMPY\x01\x00"), byte(len(long)), byte(len(long)>>8)), append([]byte(long), make([]byte, 32)...)...)
	for _, h := range []struct{ name, descr string }{{"int.npy", "<i8"}, {"big.npy", ">f8"}} {
		hd := "{'descr': '" + h.descr + "', 'fortran_order': False, 'shape': (2, 2), }"
		hd += strings.Repeat(" ", (64-(10+len(hd)+1)%64)%64) + "\n"
		files[h.name] = append(append([]byte("\x93NUMPY\x01\x00"), byte(len(hd)), 0), append([]byte(hd), make([]byte, 32)...)...)
	}
	fortran := "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }"
	fortran += strings.Repeat(" ", (64-(10+len(fortran)+1)%64)%64) + "\n"
	files["fortran.npy"] = append(append([]byte("\x93NUMPY\x01\x00"), byte(len(fortran)), 0), append([]byte(fortran), make([]byte, 48)...)...)
	truncated := npyBytes(t, 5, 4, 4)
	files["truncated.npy"] = truncated[:len(truncated)-8]
	for name, b := range files {
		writeFile(t, filepath.Join(dir, name), b)
	}
	writeNpz(t, filepath.Join(dir, "z.npz"), member{name: "x", shape: []int{2, 2}})
	buf := make([]byte, headBytes)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		fast, head, k, ok, _ := scanHead(p, matio.Options{}, buf, &keeper{below: 1 << 20}, nil)
		if !ok {
			t.Fatalf("%s: scanHead declined a regular file", p)
		}
		slow := scanFile(p, matio.Options{})
		if len(fast) != len(slow) {
			t.Fatalf("%s: scanHead %+v, matio %+v", p, fast, slow)
		}
		b, _ := os.ReadFile(p)
		for i := range fast {
			f, s := fast[i], slow[i]
			if f.ID0 != s.ID0 || f.Stack != s.Stack || f.Rows != s.Rows || f.Cols != s.Cols || f.Count != s.Count || (f.Err == nil) != (s.Err == nil) {
				t.Errorf("%s run %d: scanHead %+v, matio %+v", p, i, f, s)
			}
			if f.Err != nil && f.Err.Error() != s.Err.Error() {
				t.Errorf("%s: scanHead says %q, matio %q", p, f.Err, s.Err)
			}
			r, err := matio.Open(p)
			wantOff, wantDirect := int64(0), false
			if err == nil {
				if _, err := r.Next(); err == nil {
					wantOff, wantDirect = r.Contiguous()
				}
				r.Close()
			}
			if f.Direct != wantDirect || f.Offset != wantOff || wantDirect && head != HeadHash(b[:wantOff]) {
				t.Errorf("%s: direct %v at %d (head %x), matio says %v at %d", p, f.Direct, f.Offset, head, wantDirect, wantOff)
			}
		}
		// The file is kept open exactly when the reader can take it: one
		// contiguous item. The descriptor is the file's, at its start.
		wantKept := len(fast) == 1 && fast[0].Direct && fast[0].Count == 1
		fd, kept := k.Take()
		if kept != wantKept {
			t.Errorf("%s: kept open %v, want %v (runs %+v)", p, kept, wantKept, fast)
		}
		if kept {
			got := make([]byte, len(b)+1)
			n, err := unix.Pread(fd, got, 0)
			unix.Close(fd)
			if err != nil || !bytes.Equal(got[:n], b) {
				t.Errorf("%s: the kept descriptor reads %d bytes (%v), not the file's %d", p, n, err, len(b))
			}
		}
		if _, again := k.Take(); again {
			t.Errorf("%s: a kept descriptor was taken twice", p)
		}
	}
}

// TestKeptIsTheFileScanned: with KeepOpen, a small file of one item is
// kept open by the scan, and what the reader takes is the file as scanned
// even after another file is renamed over its name; a stack is not kept
// (its tasks may be read by several readers), nor is anything without
// KeepOpen; Close closes what was not taken, and Take after Close gets
// nothing.
func TestKeptIsTheFileScanned(t *testing.T) {
	dir := t.TempDir()
	one, other := npyBytes(t, 1, 3, 2), npyBytes(t, 2, 3, 2)
	writeFile(t, filepath.Join(dir, "a.npy"), one)
	writeFile(t, filepath.Join(dir, "b.npy"), one)
	writeFile(t, filepath.Join(dir, "stack.npy"), npyBytes(t, 3, 4, 3, 2))
	growTable(t, 200)
	if keepBelow() < 100 {
		t.Fatalf("keepBelow %d after growing the descriptor table", keepBelow())
	}
	paths, ids, _ := Expand([]string{dir}, Options{})
	set, err := Scan(context.Background(), paths, ids, false, Options{KeepOpen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	byName := map[string]*File{}
	for i := range set.Files {
		byName[filepath.Base(set.Files[i].Path)] = &set.Files[i]
	}
	if byName["stack.npy"].Kept != nil {
		t.Error("a stack was kept open")
	}
	a, b := byName["a.npy"], byName["b.npy"]
	if a.Kept == nil || b.Kept == nil {
		t.Fatalf("small files not kept open: %+v %+v", a, b)
	}
	writeFile(t, filepath.Join(dir, "new.npy"), other)
	if err := os.Rename(filepath.Join(dir, "new.npy"), a.Path); err != nil {
		t.Fatal(err)
	}
	fd, ok := a.Kept.Take()
	if !ok {
		t.Fatal("nothing to take")
	}
	got := make([]byte, len(one)+1)
	n, err := unix.Pread(fd, got, 0)
	unix.Close(fd)
	if err != nil || !bytes.Equal(got[:n], one) {
		t.Errorf("the kept descriptor reads %d bytes (%v), not the file scanned", n, err)
	}
	set.Close()
	if _, ok := b.Kept.Take(); ok {
		t.Error("Take after Close got a descriptor")
	}
	set.Close() // twice is fine

	plain, err := Scan(context.Background(), paths, ids, false, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plain.Files {
		if f.Kept != nil {
			t.Errorf("%s kept open without KeepOpen", f.Path)
		}
	}
}

func TestParseFDSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
	}{
		{"Name:\tx\nFDSize:\t256\nGroups:\n", 256},
		{"FDSize: 4096", 4096},
		{"Name:\tx\n", 0},
		{"FDSize:\tlots\n", 0},
		{"FDSize:\t-3\n", 0},
	} {
		if got := parseFDSize([]byte(c.in)); got != c.want {
			t.Errorf("parseFDSize(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// lowerFileLimit sets the soft limit on open files to what is open now
// plus spare, until the test ends.
func lowerFileLimit(t *testing.T, spare uint64) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = uint64(len(fds)) + spare
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_NOFILE, &old) })
}

// TestKeepingNeverStarves: files are kept open only within what the
// process may open — four scans at once, with 240 descriptors to spare,
// scan all of 600 files each and leave a quarter of the limit free, and
// so do four Lists (which open the files as they list them) and their
// Scans —
// and a scan that finds the process out of descriptors anyway (allowed to
// keep without limit) closes what it keeps, keeps nothing more, and still
// scans every file.
func TestKeepingNeverStarves(t *testing.T) {
	dir := t.TempDir()
	for i := range 600 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("m%03d.npy", i)), npyBytes(t, uint64(i), 2, 2))
	}
	paths, ids, _ := Expand([]string{dir}, Options{})
	check := func(t *testing.T, set Set) int {
		t.Helper()
		kept := 0
		for _, f := range set.Files {
			for _, r := range f.Runs {
				if r.Err != nil {
					t.Fatalf("%s: %v", f.Path, r.Err)
				}
			}
			if f.Kept != nil {
				kept++
			}
		}
		return kept
	}
	// Four scans of the names Expand listed, and four of what List listed
	// and opened on the way (Listing.Scan).
	for _, how := range []struct {
		name string
		scan func() (Set, error)
	}{
		{"four scans", func() (Set, error) {
			return Scan(context.Background(), paths, ids, false, Options{KeepOpen: true})
		}},
		{"four lists and scans", func() (Set, error) {
			l := List([]string{dir}, Options{KeepOpen: true})
			defer l.Close()
			return l.Scan(context.Background(), false)
		}},
	} {
		t.Run(how.name, func(t *testing.T) { fourScans(t, how.scan, check, paths[0]) })
	}
	t.Run("out of descriptors", func(t *testing.T) {
		lowerFileLimit(t, 100)
		kp := &keeper{below: 1 << 20}
		buf := make([]byte, headBytes)
		kept := 0
		var held []*Kept
		for _, p := range paths {
			runs, _, k, ok, _ := scanHead(p, matio.Options{}, buf, kp, nil)
			if !ok || len(runs) != 1 || runs[0].Err != nil {
				t.Fatalf("%s: scanHead %v %+v", p, ok, runs)
			}
			if k != nil {
				kept++
				held = append(held, k)
			}
		}
		if !kp.off || kept >= len(paths) {
			t.Errorf("kept %d of %d files with 100 descriptors to spare, and never ran out", kept, len(paths))
		}
		for _, k := range held {
			k.Close()
		}
	})
}

// fourScans runs scan four times at once with 240 descriptors to spare:
// every file is scanned, no more than three quarters of the limit stay
// kept open, and a quarter of it is still free for the reads (opens of
// probe).
func fourScans(t *testing.T, scan func() (Set, error), check func(*testing.T, Set) int, probe string) {
	growTable(t, 1000)
	lowerFileLimit(t, 240)
	sets := make([]Set, 4)
	var wg sync.WaitGroup
	for i := range sets {
		wg.Go(func() {
			var err error
			if sets[i], err = scan(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	kept := 0
	for _, s := range sets {
		if len(s.Files) != 600 {
			t.Fatalf("%d files scanned, want 600", len(s.Files))
		}
		kept += check(t, s)
		defer s.Close()
	}
	var l unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &l)
	if kept == 0 || kept > int(l.Cur*3/4) {
		t.Errorf("%d files kept open under a limit of %d", kept, l.Cur)
	}
	// A quarter of the limit is still free for the reads.
	var spare []*os.File
	for range l.Cur / 4 {
		f, err := os.Open(probe)
		if err != nil {
			t.Fatalf("after keeping %d files, opening another: %v", kept, err)
		}
		spare = append(spare, f)
	}
	for _, f := range spare {
		f.Close()
	}
}

// growTable grows the process's table of descriptors past n: the scan
// keeps no more files open than the table holds already (package blas
// grows it at load; these tests do not link it).
func growTable(t *testing.T, n int) {
	t.Helper()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	high, err := unix.FcntlInt(null.Fd(), unix.F_DUPFD_CLOEXEC, n)
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(high)
}
