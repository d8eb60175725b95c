//go:build unix

package inputs

import (
	"hash/fnv"
	"io"

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
func scanHead(path string, opt matio.Options, buf []byte) (runs []Run, head uint64, ok bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, 0, false
	}
	defer unix.Close(fd)
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
		return []Run{run}, head, true
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
	return runs, head, true
}

// HeadHash is the hash File.Head holds of a file's first bytes.
func HeadHash(b []byte) uint64 {
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}
