package inputs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/internal/pagecache"
)

// fdPath is the path of the file open as fd (/proc/self/fd).
func fdPath(fd int) string {
	p, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return ""
	}
	return p
}

// fakeCache is a page cache for the prefetch logic: the files named in
// cold are not in it until advised (then they are), a file in partial
// gives only part of what is asked, and noNowait, when not nil, is the
// error of every cached read (errNoCachedRead: a file system without
// RWF_NOWAIT; errNoCachedReads: a kernel without preadv2). It records the
// advice.
type fakeCache struct {
	mu       sync.Mutex
	cold     map[string]bool
	partial  map[string]bool
	noNowait error
	advised  map[string][2]int64 // path: off, n
	twice    []string            // paths advised more than once
	reads    int                 // cached reads asked for
}

func (c *fakeCache) prefetch(bytes int64) *prefetch {
	pf := &prefetch{cached: c.cached, advise: c.advise}
	pf.left.Store(bytes)
	return pf
}

func (c *fakeCache) cached(fd int, b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	if c.noNowait != nil {
		return 0, c.noNowait
	}
	p := fdPath(fd)
	if _, ok := c.advised[p]; c.cold[p] && !ok {
		return 0, errNotCached
	}
	if c.partial[p] {
		n, err := unix.Pread(fd, b[:len(b)/2], 0)
		return n, err
	}
	return unix.Pread(fd, b, 0)
}

func (c *fakeCache) advise(fd int, off, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.advised == nil {
		c.advised = map[string][2]int64{}
	}
	p := fdPath(fd)
	if _, dup := c.advised[p]; dup {
		c.twice = append(c.twice, p)
	}
	c.advised[p] = [2]int64{off, n}
}

// prefetchTree writes n .npy files of different shapes (and so sizes),
// a stack, an .npz and a file that is no .npy inside; it returns the
// directory and the sizes by path.
func prefetchTree(t *testing.T, n int) (string, map[string]int64) {
	t.Helper()
	dir := shortDir(t)
	for i := range n {
		writeNpy(t, filepath.Join(dir, fmt.Sprintf("m%03d.npy", i)), 2+i%7, 3+i%5)
	}
	writeNpy(t, filepath.Join(dir, "stack.npy"), 4, 3, 3)
	writeNpz(t, filepath.Join(dir, "z.npz"), member{name: "x.npy", shape: []int{2, 2}})
	writeFile(t, filepath.Join(dir, "bad.npy"), []byte("\x93NUMPY but not really"))
	sizes := map[string]int64{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		sizes[p] = fi.Size()
	}
	return dir, sizes
}

// scanListed lists dir (opening its files, as a run does) and scans it with
// pf, under the hang guard.
func scanListed(t *testing.T, dir string, pf *prefetch) Set {
	t.Helper()
	var set Set
	var err error
	within(t, "List and Scan", func() {
		l := List([]string{dir}, Options{KeepOpen: true})
		defer l.Close()
		set, err = scanWith(context.Background(), l.Paths, l.IDs, l.open, l.kp, false, l.opt, pf)
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestPrefetchPutsColdFilesOff: files whose heads are not in memory are
// advised once each (from offset 0, the whole file up to
// prefetchFileBytes), within the allowance, and scanned after the others;
// whatever memory holds, the allowance, or whether the kernel can read
// only what memory holds, the scan finds exactly what a scan without
// reading ahead finds, in the same order, and leaves no descriptor open.
func TestPrefetchPutsColdFilesOff(t *testing.T) {
	dir, sizes := prefetchTree(t, 40)
	growTable(t, 500)
	plain := scanListed(t, dir, nil)
	plain.Close()
	want := withoutKept(plain)
	var paths []string
	for _, f := range want.Files {
		paths = append(paths, f.Path)
	}
	everyOther := func(from int) map[string]bool {
		m := map[string]bool{}
		for i := from; i < len(paths); i += 2 {
			m[paths[i]] = true
		}
		return m
	}
	all := everyOther(0)
	for p := range everyOther(1) {
		all[p] = true
	}
	var coldBytes int64
	for p := range all {
		coldBytes += sizes[p]
	}
	cases := []struct {
		name    string
		cache   *fakeCache
		bytes   int64
		advised int // files advised; -1: some but not all of the cold ones
	}{
		{"all in memory", &fakeCache{}, 1 << 30, 0},
		{"none in memory", &fakeCache{cold: all}, 1 << 30, len(all)},
		{"every other", &fakeCache{cold: everyOther(1)}, 1 << 30, len(everyOther(1))},
		{"partly in memory", &fakeCache{partial: everyOther(0)}, 1 << 30, len(everyOther(0))},
		{"allowance for some", &fakeCache{cold: all}, coldBytes / 3, -1},
		{"no allowance left", &fakeCache{cold: all}, 1, 0},
		{"no RWF_NOWAIT", &fakeCache{cold: all, noNowait: errNoCachedRead}, 1 << 30, 0},
		{"no preadv2", &fakeCache{cold: all, noNowait: errNoCachedReads}, 1 << 30, 0},
	}
	for _, c := range cases {
		before := openFDs(t)
		got := scanListed(t, dir, c.cache.prefetch(c.bytes))
		if g := withoutKept(got); !reflect.DeepEqual(g, want) {
			t.Errorf("%s: scanned\n%+v\nwithout reading ahead\n%+v", c.name, g.Files, want.Files)
		}
		got.Close()
		if n := openFDs(t); n != before {
			t.Errorf("%s: %d descriptors open before, %d after", c.name, before, n)
		}
		if len(c.cache.twice) > 0 {
			t.Errorf("%s: advised more than once: %q", c.name, c.cache.twice)
		}
		var sum int64
		for p, a := range c.cache.advised {
			if !c.cache.cold[p] && !c.cache.partial[p] {
				t.Errorf("%s: %s advised, but memory held it", c.name, p)
			}
			if w := min(sizes[p], prefetchFileBytes); a != [2]int64{0, w} {
				t.Errorf("%s: %s advised from %d for %d bytes, want 0 and %d", c.name, p, a[0], a[1], w)
			}
			sum += a[1]
		}
		if sum > c.bytes {
			t.Errorf("%s: %d bytes advised, more than the allowance of %d", c.name, sum, c.bytes)
		}
		switch n := len(c.cache.advised); {
		case c.advised >= 0 && n != c.advised:
			t.Errorf("%s: %d files advised, want %d", c.name, n, c.advised)
		case c.advised < 0 && (n == 0 || n == len(all)):
			t.Errorf("%s: %d of %d cold files advised, want some but not all", c.name, n, len(all))
		}
		// Each scan worker may try once before one of them turns the
		// cached reads off; then none tries again: the files are all on
		// one file system.
		if workers := min(runtime.GOMAXPROCS(0), runtime.NumCPU()); c.cache.noNowait != nil && (c.cache.reads < 1 || c.cache.reads > workers) {
			t.Errorf("%s: %d cached reads tried, want 1 to %d (one a scan worker at most)", c.name, c.cache.reads, workers)
		}
	}
}

// readBytes is what the process has had read from storage (read_bytes in
// /proc/self/io: counted as reads are submitted, read ahead included).
func readBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no I/O accounting here (%v)", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "read_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skipf("no read_bytes in /proc/self/io:\n%s", b)
	return 0
}

// TestPrefetchReadsColdFilesAhead, on the real kernel: files dropped from
// the page cache are scanned as they are when in memory; a scan with an
// allowance has the whole of every file read from storage (read ahead for
// the readers), where a scan without one reads no more than the kernel's
// own read-ahead of their first bytes. (What was read ahead is not looked
// for in the page cache afterwards: a host may page it out again at once.)
// On a file system whose pages cannot be dropped (tmpfs) there is nothing
// to read ahead, and the test says so.
func TestPrefetchReadsColdFilesAhead(t *testing.T) {
	dir := shortDir(t)
	var paths []string
	var total int64
	for i := range 30 {
		p := filepath.Join(dir, fmt.Sprintf("m%02d.npy", i))
		writeNpy(t, p, 128, 64) // 64 KiB of data: 17 pages
		paths = append(paths, p)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	growTable(t, 500)
	evictAll := func() {
		for _, p := range paths {
			pagecache.Evict(t, p)
		}
	}
	evictAll()
	r0 := readBytes(t)
	plain := scanListed(t, dir, nil)
	plain.Close()
	want := withoutKept(plain)
	if r := readBytes(t) - r0; r >= total || r == 0 {
		t.Fatalf("a scan without an allowance read %d bytes of %d cold ones from storage: want some, not all", r, total)
	}

	evictAll()
	pf := newPrefetch(1 << 30)
	if pf == nil {
		t.Fatal("newPrefetch(1 GiB) is nil on Linux")
	}
	r0 = readBytes(t)
	got := scanListed(t, dir, pf)
	got.Close()
	if g := withoutKept(got); !reflect.DeepEqual(g, want) {
		t.Errorf("cold, reading ahead:\n%+v\nwithout:\n%+v", g.Files, want.Files)
	}
	if off := pf.off.Load() || pf.devOff(got.Files[0].ID.Dev); off {
		if pagecache.OnDisk(t, dir) {
			t.Fatalf("the scan found no RWF_NOWAIT reads on %s, a disk file system that has them", dir)
		}
		t.Skipf("this kernel or file system has no RWF_NOWAIT reads: the scan read every head waiting")
	}
	if r := readBytes(t) - r0; r < total {
		t.Errorf("a scan reading ahead had %d bytes of %d cold ones read from storage: not the whole files", r, total)
	}
}

// TestPrefetchPerFileSystem: a file on a file system without RWF_NOWAIT
// reads (tmpfs) turns reading ahead off for that file system only: the
// cold files on disk named after it are still read ahead.
func TestPrefetchPerFileSystem(t *testing.T) {
	shm, err := os.MkdirTemp("/dev/shm", "prefetch")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	first := filepath.Join(shm, "a.npy")
	writeNpy(t, first, 4, 4)
	f, err := os.Open(first)
	if err != nil {
		t.Fatal(err)
	}
	_, err = readCached(int(f.Fd()), make([]byte, 64))
	f.Close()
	if err != errNoCachedRead {
		t.Skipf("/dev/shm reads only what memory holds here (%v): no file system without RWF_NOWAIT to test", err)
	}
	dir := shortDir(t)
	var total int64
	for i := range 20 {
		p := filepath.Join(dir, fmt.Sprintf("m%02d.npy", i))
		writeNpy(t, p, 128, 64)
		pagecache.Evict(t, p)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		total += fi.Size()
	}
	growTable(t, 500)
	r0 := readBytes(t)
	var set Set
	within(t, "List and Scan", func() {
		l := List([]string{first, dir}, Options{KeepOpen: true})
		defer l.Close()
		l.Prefetch = 1 << 30
		set, err = l.Scan(context.Background(), false)
	})
	if err != nil {
		t.Fatal(err)
	}
	set.Close()
	if len(set.Files) != 21 {
		t.Fatalf("%d files scanned, want 21", len(set.Files))
	}
	if r := readBytes(t) - r0; r < total {
		t.Errorf("after a tmpfs file, %d bytes of %d cold ones on disk were read: not read ahead", r, total)
	}
}
