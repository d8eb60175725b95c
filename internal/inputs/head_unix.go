//go:build unix

package inputs

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
)

// headBytes is how much of a file the scan reads at once: enough for any
// ordinary .npy header (NumPy writes 128 bytes, 64 more for each further
// line of a long shape), so most files cost open, fstat, one pread, close;
// more would only copy data the reader reads again (4 KiB cost chol over
// 2000 files of 64×64 about 2%).
const headBytes = 1 << 10

// headFile is a file opened for its headers: its first bytes read at once,
// anything further read with pread when the parser asks for it (an .npz's
// directory at its end, a long header).
type headFile struct {
	fd   int
	head []byte
	size int64
}

func (h *headFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, io.EOF
	}
	n := 0
	if off < int64(len(h.head)) {
		n = copy(p, h.head[off:])
		if n == len(p) {
			return n, nil
		}
	}
	for n < len(p) {
		m, err := unix.Pread(h.fd, p[n:], off+int64(n))
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// scanHead reads the headers of a file known to be regular (its stat said
// so) with the fewest system calls — open, fstat, one pread, close —, into
// buf (headBytes), and returns its runs and the hash of its bytes up to
// where a Direct run's data begins. A .npy header is parsed in place
// (matio.ParseHead: no reader, no buffers); anything else goes through a
// matio reader over the bytes read, which reads on only if it must. ok is
// false, with nothing read, when the file cannot be opened or is not
// regular after all (fstat decides): the caller then opens it the careful
// way, which says why. The open is non-blocking, so a name swapped for a
// named pipe since the listing cannot block it.
//
// With kp not nil, a file of one contiguous item no larger than keptBytes
// may stay open (kept, which the reader takes) instead of being closed, as
// kp allows. When the process is out of descriptors (EMFILE, ENFILE) kp
// closes what it keeps and keeps nothing more, and the open is tried again.
//
// With pf not nil, a file whose head memory does not hold is read ahead
// (prefetch.head) and closed unread: cold, for the caller to scan it again
// later with a nil pf.
func scanHead(path string, opt matio.Options, buf []byte, kp *keeper, pf *prefetch) (runs []Run, head uint64, kept *Kept, ok, cold bool) {
	open := func() (int, error) {
		return unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	}
	fd, err := open()
	if (err == unix.EMFILE || err == unix.ENFILE) && kp.release() {
		fd, err = open()
	}
	if err != nil {
		return nil, 0, nil, false, false
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, 0, nil, false, false
	}
	runs, head, kept, ok, cold = scanOpen(path, fd, st.Size, uint64(st.Dev), opt, buf, kp, pf)
	if cold {
		unix.Close(fd)
	}
	return runs, head, kept, ok, cold
}

// scanOpen is scanHead of a regular file already open as fd, of size bytes
// on device dev when fstat'ed; it takes fd (closes it, or keeps it: kept)
// unless the file is cold: then it has read nothing and fd is still the
// caller's.
func scanOpen(path string, fd int, size int64, dev uint64, opt matio.Options, buf []byte, kp *keeper, pf *prefetch) (runs []Run, head uint64, kept *Kept, ok, cold bool) {
	n, cold, err := pf.head(fd, dev, buf[:min(int64(len(buf)), size)], size)
	if cold {
		return nil, 0, nil, false, true
	}
	defer func() {
		if kept == nil {
			unix.Close(fd)
		}
	}()
	if err != nil {
		return nil, 0, nil, false, false
	}
	b := buf[:n]
	if h, ok := matio.ParseHead(path, b, size); ok {
		run := Run{ID0: h.ID, Stack: h.Count > 1, Rows: h.Rows, Cols: h.Cols, Count: h.Count}
		if h.Contiguous {
			run.Offset, run.Direct = h.Offset, true
			head = HeadHash(b[:h.Offset])
		}
		runs = []Run{run}
		return runs, head, kp.hold(fd, runs, size), true, false
	}
	h := &headFile{fd: fd, size: size, head: b}
	r, err := matio.NewReaderWith(h, size, path, opt)
	if err != nil {
		return []Run{{ID0: matio.ErrorID(path, err), Count: 1, Err: err}}, 0, nil, true, false
	}
	defer r.Close()
	runs = scanReader(path, r)
	for _, run := range runs {
		if run.Direct {
			b := make([]byte, run.Offset)
			if _, err := h.ReadAt(b, 0); err != nil {
				return nil, 0, nil, false, false
			}
			head = HeadHash(b)
			break
		}
	}
	return runs, head, kp.hold(fd, runs, size), true, false
}

// openStat opens p, which its directory says is a regular file, and
// fstats it, for the listing (List): the open Scan would make, and the
// identity of the file it then reads. false — with nothing left open, and
// the caller stats p instead — when kp is nil or keeps nothing more, the
// open fails (p is a link now: O_NOFOLLOW), the descriptor is numbered at
// or above kp's bound (and from then on the listing opens nothing more: it
// holds what it opened until the scan), or p is no regular file after all.
// The open is non-blocking, so a name swapped for a named pipe cannot
// block it.
func openStat(p string, kp *keeper) (stat, bool) {
	if kp == nil || kp.listFull.Load() || kp.stopped() {
		return stat{}, false
	}
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_NOFOLLOW, 0)
	if err != nil {
		if err == unix.EMFILE || err == unix.ENFILE {
			kp.listFull.Store(true)
		}
		return stat{}, false
	}
	if fd >= kp.below {
		kp.listFull.Store(true)
		unix.Close(fd)
		return stat{}, false
	}
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return stat{}, false
	}
	return stat{path: p, id: safefile.ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, idOK: true, fd: fd + 1, size: st.Size}, true
}

// closeFD closes a descriptor the listing opened and nobody took.
func closeFD(fd int) { unix.Close(fd) }

// keptBytes is the largest file the scan keeps open: the open and close
// saved matter beside reading a small file, not a large one.
const keptBytes = 1 << 20

// Kept is a file the scan left open for the reader (Options.KeepOpen): the
// file as it was scanned, even if its name has been given to another since.
// One reader takes it; Set.Close closes it if none did. The zero value and
// nil hold nothing.
type Kept struct {
	fd atomic.Int64 // the descriptor + 1; 0 once taken or closed
}

// Take returns the open descriptor, which the caller now owns and closes,
// and true; or false when there is none (never kept, taken, or closed).
func (k *Kept) Take() (int, bool) {
	if k == nil {
		return -1, false
	}
	fd := k.fd.Swap(0)
	return int(fd - 1), fd != 0
}

// Close closes the descriptor unless it was taken.
func (k *Kept) Close() {
	if fd, ok := k.Take(); ok {
		unix.Close(fd)
	}
}

// statOf stats p, following links, keeping only what Expand needs (no
// fs.FileInfo is made: a directory of 100,000 files would make 100,000).
func statOf(p string) stat {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return stat{path: p, err: &fs.PathError{Op: "stat", Path: p, Err: err}}
	}
	var mode fs.FileMode
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		mode = fs.ModeDir
	case unix.S_IFIFO:
		mode = fs.ModeNamedPipe
	case unix.S_IFSOCK:
		mode = fs.ModeSocket
	case unix.S_IFCHR:
		mode = fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		mode = fs.ModeDevice
	default:
		mode = fs.ModeIrregular
	}
	return stat{path: p, mode: mode, id: safefile.ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, idOK: true}
}

// keeper is one scan's allowance of files kept open (Options.KeepOpen).
type keeper struct {
	below int // keeps only descriptors numbered below this
	// listFull says the listing (openStat) met the bound: it opens no
	// more files, which would only be closed again and stat'ed.
	listFull atomic.Bool
	mu       sync.Mutex
	off      bool    // out of descriptors once: nothing more is kept
	kept     []*Kept // what it keeps, to close when out of descriptors
}

func newKeeper() *keeper { return &keeper{below: keepBelow()} }

// hold keeps fd for the reader and returns it as a Kept, or returns nil
// (the caller closes fd): it keeps a file of one contiguous item (what one
// reader reads in one go) no larger than keptBytes, when fd is numbered
// below kp's bound. Linux gives each open the lowest free number, so the
// bound holds every scan of the process (and everything else it has open)
// to a share of the descriptors together.
func (kp *keeper) hold(fd int, runs []Run, size int64) *Kept {
	if kp == nil || fd >= kp.below || len(runs) != 1 || !runs[0].Direct || runs[0].Count != 1 || size > keptBytes {
		return nil
	}
	kp.mu.Lock()
	defer kp.mu.Unlock()
	if kp.off {
		return nil
	}
	k := new(Kept)
	k.fd.Store(int64(fd) + 1)
	kp.kept = append(kp.kept, k)
	return k
}

// stopped reports whether kp keeps nothing more (release).
func (kp *keeper) stopped() bool {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	return kp.off
}

// release closes every file kp keeps that no reader took, and keeps none
// from now on; it reports whether it closed any (so that an open that found
// the process out of descriptors is worth trying again).
func (kp *keeper) release() bool {
	if kp == nil {
		return false
	}
	kp.mu.Lock()
	defer kp.mu.Unlock()
	kp.off = true
	closed := false
	for _, k := range kp.kept {
		if fd, ok := k.Take(); ok {
			unix.Close(fd)
			closed = true
		}
	}
	kp.kept = nil
	return closed
}

// keepBelow bounds the descriptors a scan keeps open: three quarters of
// the process's limit on open files, so that a quarter stays free for its
// reads and whatever else it does, and the size of its table of
// descriptors now, less 64 (growing the table while threads share it waits
// for an RCU grace period, milliseconds each time: package blas grows it to
// 4096 at load). 0 (none kept) where the table's size is unknown (no /proc).
func keepBelow() int {
	var l unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return max(0, min(int(min(l.Cur-l.Cur/4, 1<<20)), fdTableSize()-64))
}

// fdTableSize is the size of the process's table of file descriptors
// (FDSize in /proc/self/status), or 0 if unknown.
func fdTableSize() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseFDSize(b)
}

// parseFDSize reads FDSize from the text of /proc/PID/status; 0 if absent.
func parseFDSize(status []byte) int {
	for line := range bytes.Lines(status) {
		if v, ok := bytes.CutPrefix(line, []byte("FDSize:")); ok {
			n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil || n < 0 {
				return 0
			}
			return n
		}
	}
	return 0
}
