//go:build unix

package inputs

import (
	"bytes"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/matio"
)

// headBytes is how much of a file the scan reads at once: enough for any
// ordinary .npy header, so most files cost open, fstat, one pread, close.
const headBytes = 4 << 10

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
// With keep not nil, a file of one contiguous item no larger than keptBytes
// stays open in keep instead of being closed: the reader takes it from there.
func scanHead(path string, opt matio.Options, buf []byte, keep *Kept) (runs []Run, head uint64, ok bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, false
	}
	kept := false
	defer func() {
		if !kept {
			unix.Close(fd)
		}
	}()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, 0, false
	}
	n, err := unix.Pread(fd, buf[:min(int64(len(buf)), st.Size)], 0)
	if err != nil {
		return nil, 0, false
	}
	b := buf[:n]
	if h, ok := matio.ParseHead(path, b, st.Size); ok {
		run := Run{ID0: h.ID, Stack: h.Count > 1, Rows: h.Rows, Cols: h.Cols, Count: h.Count}
		if h.Contiguous {
			run.Offset, run.Direct = h.Offset, true
			head = HeadHash(b[:h.Offset])
		}
		runs = []Run{run}
		kept = keep.hold(fd, runs, st.Size)
		return runs, head, true
	}
	h := &headFile{fd: fd, size: st.Size, head: b}
	r, err := matio.NewReaderWith(h, st.Size, path, opt)
	if err != nil {
		return []Run{{ID0: matio.ErrorID(path, err), Count: 1, Err: err}}, 0, true
	}
	defer r.Close()
	runs = scanReader(path, r)
	for _, run := range runs {
		if run.Direct {
			b := make([]byte, run.Offset)
			if _, err := h.ReadAt(b, 0); err != nil {
				return nil, 0, false
			}
			head = HeadHash(b)
			break
		}
	}
	kept = keep.hold(fd, runs, st.Size)
	return runs, head, true
}

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

func (k *Kept) open() bool { return k != nil && k.fd.Load() != 0 }

// hold keeps fd, reporting whether it did: it does for a file of one
// contiguous item (what a reader reads in one go, by one reader) no larger
// than keptBytes.
func (k *Kept) hold(fd int, runs []Run, size int64) bool {
	if k == nil || len(runs) != 1 || !runs[0].Direct || runs[0].Count != 1 || size > keptBytes {
		return false
	}
	k.fd.Store(int64(fd) + 1)
	return true
}

// keepLimit is how many files Scan may keep open: no more than the
// process's table of descriptors holds now, less 64 for everything else
// (growing the table while threads share it waits for an RCU grace period,
// milliseconds each time: package blas grows it to 4096 at load), a
// quarter of the descriptors the process may open, and 4096. Where the
// table's size is unknown (no /proc), none.
func keepLimit() int {
	var l unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return max(0, min(int(min(l.Cur/4, 4096)), fdTableSize()-64))
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

// HeadHash is the hash File.Head holds of a file's first bytes.
func HeadHash(b []byte) uint64 {
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}
