//go:build unix

package inputs

import (
	"errors"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Reading ahead of files that are not in memory.
//
// A directory of small files that the page cache does not hold (written
// long ago, or paged out: some hosts page out file data idle for seconds)
// costs a disk round trip per file, and the scan's few workers wait for
// them one at a time: 2000 files of 32 KiB took 0.31 s cold against
// 0.055 s warm on this project's 2-core VM, while the disk read them all in
// 0.13 s when many reads were in flight. So with a prefetch allowance
// (Listing.Prefetch) the scan first asks for each file's head only if it is
// in memory already (preadv2 with RWF_NOWAIT, the same single system call
// as a plain read when it is); when it is not, it asks the kernel to read
// the file in the background (posix_fadvise WILLNEED — the whole file, up
// to prefetchFileBytes, since the readers will read it all) and puts the
// file off until it has gone through the others. By then the disk has had
// every request at once, and both the deferred head reads and the readers'
// data reads find the pages in memory.
//
// What is asked for counts against the allowance, so a batch larger than
// memory does not push out of the page cache what was read ahead before it
// is used: past the allowance, files are read as before, waiting. So are
// the files of a file system that cannot read only what memory holds
// (tmpfs, whose files are in memory anyway), and every file where the
// kernel has no preadv2 or refuses it.

// prefetchFileBytes is the most of one file read ahead: beyond it, a reader
// reading one large file gets the kernel's own sequential read-ahead.
const prefetchFileBytes = 64 << 20

// What readCached says when it cannot read what was asked.
var (
	// errNotCached: memory does not hold the bytes asked for.
	errNotCached = errors.New("not in the page cache")
	// errNoCachedRead: this file's file system cannot read only what
	// memory holds (no RWF_NOWAIT).
	errNoCachedRead = errors.New("no RWF_NOWAIT reads on this file system")
	// errNoCachedReads: this kernel cannot, or may not (no preadv2, or a
	// seccomp filter refuses it).
	errNoCachedReads = errors.New("no preadv2")
)

// prefetch is one scan's allowance for reading ahead. A nil *prefetch reads
// nothing ahead.
type prefetch struct {
	left atomic.Int64 // bytes that may still be asked for
	// off is set once the kernel cannot read only what is in memory (no
	// preadv2, or refused): from then on every head read waits. offDev
	// holds the devices (file systems) that cannot (no RWF_NOWAIT: tmpfs
	// says EOPNOTSUPP, for one), whose files' heads are read waiting.
	off    atomic.Bool
	offDev sync.Map // device number (uint64): struct{}
	// cached and advise are the system calls (readCached, adviseWillNeed),
	// replaced in tests.
	cached func(fd int, b []byte) (int, error)
	advise func(fd int, off, n int64)
}

// newPrefetch returns an allowance of bytes, or nil when bytes ≤ 0 or the
// system cannot read only what is in memory.
func newPrefetch(bytes int64) *prefetch {
	if bytes <= 0 || !canReadCached {
		return nil
	}
	pf := &prefetch{cached: readCached, advise: adviseWillNeed}
	pf.left.Store(bytes)
	return pf
}

// take reserves what reading ahead a file of size bytes costs; false when
// the allowance has not that much left.
func (pf *prefetch) take(size int64) bool {
	n := min(size, prefetchFileBytes)
	if pf.left.Add(-n) < 0 {
		pf.left.Add(n)
		return false
	}
	return true
}

// head reads the first len(b) bytes of the open file fd, of size bytes on
// device dev, into b, as a pread at offset 0 does. With pf not nil it first
// reads only what memory holds: when that is not all of b, it asks the
// kernel to read the file ahead and returns cold, with nothing read, for
// the caller to come back to the file later (calling head with a nil pf);
// when the allowance is spent it reads now, waiting.
func (pf *prefetch) head(fd int, dev uint64, b []byte, size int64) (n int, cold bool, err error) {
	if pf != nil && len(b) > 0 && !pf.off.Load() && !pf.devOff(dev) {
		n, err := pf.cached(fd, b)
		switch {
		case err == nil && n == len(b):
			return n, false, nil
		case err == errNoCachedReads:
			pf.off.Store(true)
		case err == errNoCachedRead:
			pf.offDev.Store(dev, struct{}{})
		case err == nil || err == errNotCached:
			if pf.take(size) {
				pf.advise(fd, 0, min(size, prefetchFileBytes))
				return 0, true, nil
			}
		}
		// Anything else: the waiting read says what is wrong.
	}
	n, err = unix.Pread(fd, b, 0)
	return n, false, err
}

// devOff reports whether device dev cannot read only what memory holds.
func (pf *prefetch) devOff(dev uint64) bool {
	_, off := pf.offDev.Load(dev)
	return off
}
