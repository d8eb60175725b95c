//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris)

package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// openThrough: writing through to devices and FIFOs is implemented only on
// Unix systems.
func openThrough(name string, appendTo bool) (*os.File, error) {
	return nil, fmt.Errorf("%w: writing to devices and FIFOs is not supported on this system", ErrUnsupportedTarget)
}

// TryLock takes an exclusive lock on f. It is implemented only on Unix
// systems; here it returns an error wrapping errors.ErrUnsupported.
func TryLock(f *os.File) error {
	return fmt.Errorf("safefile: lock %s: %w", f.Name(), errors.ErrUnsupported)
}

// Unlock drops the lock TryLock took. It is implemented only on Unix
// systems; here it returns an error wrapping errors.ErrUnsupported.
func Unlock(f *os.File) error {
	return fmt.Errorf("safefile: unlock %s: %w", f.Name(), errors.ErrUnsupported)
}

// IdentityOf returns the ID of the file fi describes. Only Unix systems have
// device and inode numbers; here it returns false.
func IdentityOf(fi fs.FileInfo) (ID, bool) { return ID{}, false }
