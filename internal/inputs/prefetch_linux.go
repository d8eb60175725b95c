package inputs

import "golang.org/x/sys/unix"

// canReadCached says readCached may work here (Linux 4.14 and later).
const canReadCached = true

// readCached reads the first len(b) bytes of fd into b only as far as the
// page cache holds them (preadv2 with RWF_NOWAIT): errNotCached when it
// holds none of them; a short count when it holds some.
func readCached(fd int, b []byte) (int, error) {
	n, err := unix.Preadv2(fd, [][]byte{b}, 0, unix.RWF_NOWAIT)
	switch err {
	case nil:
		return n, nil
	case unix.EAGAIN:
		return 0, errNotCached
	case unix.EOPNOTSUPP, unix.EINVAL:
		// No RWF_NOWAIT for this file system (or, EINVAL, a kernel
		// older than the flag: then every file system says so).
		return 0, errNoCachedRead
	case unix.ENOSYS, unix.EPERM:
		// No preadv2, or a seccomp filter refuses it.
		return 0, errNoCachedReads
	}
	return n, err
}

// adviseWillNeed asks the kernel to read n bytes of fd from off into the
// page cache in the background. Nothing depends on it: an error only means
// the reads will wait after all.
func adviseWillNeed(fd int, off, n int64) {
	unix.Fadvise(fd, off, n, unix.FADV_WILLNEED)
}
