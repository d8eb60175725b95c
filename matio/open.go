package matio

import (
	"io/fs"
	"os"
)

// openRegular opens path for reading if it is a regular file or a symbolic
// link to one, and returns it with its FileInfo. Anything else fails,
// without blocking and without a byte being read, with an error wrapping
// ErrNotRegular (a directory's also wraps ErrNotNumPy); other failures
// return the cause without the *fs.PathError around it.
//
// The path is checked with stat before it is opened, so that a named pipe
// or a device is not even opened in the ordinary case, and it is opened
// with O_NONBLOCK (where the system has it), so that a path replaced by a
// named pipe after the check still cannot block open(2); the opened
// descriptor is then checked again with fstat, which settles what was
// opened. O_NONBLOCK has no effect on reading a regular file.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, unwrapPath(err)
	}
	if err := checkRegular(fi.Mode()); err != nil {
		return nil, nil, err
	}
	return openChecked(path)
}

// openChecked opens path without blocking and returns it if the opened
// descriptor is a regular file; otherwise it closes it and fails as
// openRegular does.
func openChecked(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, nil, unwrapPath(err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkRegular(fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, nil, unwrapPath(err)
	}
	return f, fi, nil
}

// checkRegular returns nil for a regular file's mode and otherwise an error
// wrapping ErrNotRegular that says what the file is.
func checkRegular(m fs.FileMode) error {
	var what string
	switch {
	case m.IsRegular():
		return nil
	case m.IsDir():
		return &detailError{kind: ErrNotRegular, cause: ErrNotNumPy, msg: "is a directory, not a NumPy file"}
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeCharDevice != 0:
		what = "a character device"
	case m&fs.ModeDevice != 0:
		what = "a block device"
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	default:
		what = "an irregular file"
	}
	return errorf(ErrNotRegular, "not a regular file (%s)", what)
}
