//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// openThrough opens an existing character device or FIFO (or, with
// appendTo, a regular file, with O_APPEND) for writing, without O_CREAT or
// O_TRUNC. O_NONBLOCK makes the open of a FIFO with no reader fail with
// ENXIO instead of waiting for one; it is cleared again before the file is
// used, so that writes wait for a slow reader rather than failing with
// EAGAIN.
func openThrough(name string, appendTo bool) (*os.File, error) {
	flags := unix.O_WRONLY | unix.O_NONBLOCK | unix.O_NOCTTY | unix.O_CLOEXEC
	if appendTo {
		flags |= unix.O_APPEND
	}
	var fd int
	var err error
	for {
		fd, err = unix.Open(name, flags, 0)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.ENXIO) {
		return nil, fmt.Errorf("%w (opened without waiting for one)", ErrNoReader)
	}
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("clearing O_NONBLOCK: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// TryLock takes an exclusive flock(2) lock on f without waiting. It returns
// nil once f holds the lock, and an error wrapping [ErrLocked] when another
// open file description holds it: another process, or another os.Open of the
// same file in this process (flock locks belong to the open file
// description, not to the process, so two opens contend). The lock goes
// with [Unlock], or when every descriptor of f's open file description is
// closed (closing f, or the process ending).
//
// f may be a regular file opened for reading or writing, or a directory
// opened read-only (os.Open): on Linux and the BSDs flock works on directory
// descriptors, which is how a whole output directory is locked. flock
// locks are advisory: they bind only processes that also lock. Over NFS
// Linux emulates them with POSIX byte-range locks.
func TryLock(f *os.File) error {
	err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return fmt.Errorf("safefile: lock %s: %w", f.Name(), ErrLocked)
	}
	if err != nil {
		return fmt.Errorf("safefile: lock %s: %w", f.Name(), err)
	}
	return nil
}

// Unlock drops the lock [TryLock] took on f. Unlocking a file that holds no
// lock is not an error.
func Unlock(f *os.File) error {
	if err := flock(f, unix.LOCK_UN); err != nil {
		return fmt.Errorf("safefile: unlock %s: %w", f.Name(), err)
	}
	return nil
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Flock(int(fd), how)
			if !errors.Is(ferr, unix.EINTR) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	if ferr != nil {
		return os.NewSyscallError("flock", ferr)
	}
	return nil
}

// IdentityOf returns the ID of the file fi describes (from os.Stat,
// os.Lstat, File.Stat or a fs.DirEntry's Info), and false when fi carries
// no device and inode numbers (a FileInfo not from the operating system).
func IdentityOf(fi fs.FileInfo) (ID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st == nil {
		return ID{}, false
	}
	return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, true
}
