package inputs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

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
// gives only part of what is asked, and noNowait makes every cached read
// fail as a kernel without RWF_NOWAIT does. It records the advice.
type fakeCache struct {
	mu       sync.Mutex
	cold     map[string]bool
	partial  map[string]bool
	noNowait bool
	advised  map[string][2]int64 // path: off, n
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
	if c.noNowait {
		return 0, errNoCachedRead
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
		panic("advised twice: " + p)
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
	want := withoutKept(scanListed(t, dir, nil))
	want.Close()
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
		name     string
		cache    *fakeCache
		bytes    int64
		advised  int // files advised; -1: some but not all of the cold ones
		anyReads bool
	}{
		{"all in memory", &fakeCache{}, 1 << 30, 0, true},
		{"none in memory", &fakeCache{cold: all}, 1 << 30, len(all), true},
		{"every other", &fakeCache{cold: everyOther(1)}, 1 << 30, len(everyOther(1)), true},
		{"partly in memory", &fakeCache{partial: everyOther(0)}, 1 << 30, len(everyOther(0)), true},
		{"allowance for some", &fakeCache{cold: all}, coldBytes / 3, -1, true},
		{"no allowance left", &fakeCache{cold: all}, 1, 0, true},
		{"no RWF_NOWAIT", &fakeCache{cold: all, noNowait: true}, 1 << 30, 0, true},
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
		if c.cache.noNowait && c.cache.reads != 1 {
			t.Errorf("%s: %d cached reads tried, want 1 (then none: the kernel cannot)", c.name, c.cache.reads)
		}
	}
}

// TestPrefetchCancelledClosesEverything: a scan cancelled while files it
// put off still hold the listing's descriptors closes them.
func TestPrefetchCancelledClosesEverything(t *testing.T) {
	dir, _ := prefetchTree(t, 60)
	growTable(t, 500)
	for _, after := range []int64{5, 40, 70} {
		before := openFDs(t)
		cache := &fakeCache{cold: map[string]bool{}}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			cache.cold[filepath.Join(dir, e.Name())] = true
		}
		l := List([]string{dir}, Options{KeepOpen: true})
		set, err := scanWith(&cancelAfter{Context: context.Background(), n: after}, l.Paths, l.IDs, l.open, l.kp, false, l.opt, cache.prefetch(1<<30))
		if !errors.Is(err, context.Canceled) || len(set.Files) != 0 {
			t.Fatalf("cancelled after %d: %d files, %v", after, len(set.Files), err)
		}
		l.Close()
		if n := openFDs(t); n != before {
			t.Errorf("cancelled after %d: %d descriptors open before, %d after", after, before, n)
		}
	}
}

// TestPrefetchReadsColdFilesAhead, on the real kernel: files dropped from
// the page cache are scanned as they are when in memory, and the scan
// leaves them in memory whole — their data read ahead for the readers —,
// where a scan without an allowance leaves no more than the kernel's own
// read-ahead of their first bytes. On a file system whose pages cannot be
// dropped (tmpfs) there is nothing to read ahead, and the test says so.
func TestPrefetchReadsColdFilesAhead(t *testing.T) {
	dir := shortDir(t)
	var paths []string
	for i := range 30 {
		p := filepath.Join(dir, fmt.Sprintf("m%02d.npy", i))
		writeNpy(t, p, 128, 64) // 64 KiB of data: 17 pages
		paths = append(paths, p)
	}
	growTable(t, 500)
	evictAll := func() {
		for _, p := range paths {
			pagecache.Evict(t, p)
		}
	}
	evictAll()
	want := withoutKept(scanListed(t, dir, nil))
	want.Close()
	partial := 0
	for _, p := range paths {
		if in, pages := pagecache.Resident(t, p); in < pages {
			partial++
		}
	}
	if partial == 0 {
		t.Fatalf("a scan without an allowance left every cold file in memory whole: it reads more than the heads")
	}

	evictAll()
	pf := newPrefetch(1 << 30)
	if pf == nil {
		t.Fatal("newPrefetch(1 GiB) is nil on Linux")
	}
	got := scanListed(t, dir, pf)
	got.Close()
	if g := withoutKept(got); !reflect.DeepEqual(g, want) {
		t.Errorf("cold, reading ahead:\n%+v\nwithout:\n%+v", g.Files, want.Files)
	}
	if pf.off.Load() {
		t.Skipf("this kernel or file system has no RWF_NOWAIT reads: the scan read every head waiting")
	}
	// The advice is asynchronous: wait for the reads it started.
	deadline := time.Now().Add(hangLimit)
	for _, p := range paths {
		for {
			in, pages := pagecache.Resident(t, p)
			if in == pages {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d pages in memory %v after the scan: not read ahead", p, in, pages, hangLimit)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
