//go:build unix

package inputs

import (
	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/internal/safefile"
)

// readSmall reads a file known to be regular (its directory entry said
// so) with the fewest system calls — open, fstat, one pread, close — when
// it holds at most max bytes, and returns its bytes and identity. ok is
// false, with nothing read, when the file is larger, is not regular after
// all (fstat decides), or cannot be opened: the caller then opens it the
// careful way, which says why. The open is non-blocking, so a name swapped
// for a named pipe since the listing cannot block it.
func readSmall(path string, max int64) (data []byte, id safefile.ID, ok bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, id, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > max {
		return nil, id, false
	}
	data = make([]byte, st.Size)
	for off := 0; off < len(data); {
		n, err := unix.Pread(fd, data[off:], int64(off))
		if err != nil || n == 0 {
			return nil, id, false
		}
		off += n
	}
	return data, safefile.ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, true
}
