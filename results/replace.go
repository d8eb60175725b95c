package results

import (
	"errors"
	"io/fs"
	"os"
)

// holdOutput checks, before merge writes anything, that it may replace the
// file at path — as a fresh run may replace its results file: when it does
// not exist, is not a regular file (a device is written through), is empty,
// or starts with a record — and that no run holds it. It returns the file
// as a Journal, open and locked so that no run starts on it while merge
// writes, for the caller to release after the write (nil when there is
// nothing to hold). Errors are *JournalError naming path, wrapping
// ErrNotResults or ErrLocked.
func holdOutput(path string) (*Journal, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &JournalError{Path: path, Err: unwrapPath(err)}
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil
	}
	j := &Journal{path: path, f: f, regular: true}
	if err := j.lock(); err != nil {
		return nil, err
	}
	if err := j.load(); err != nil {
		j.release()
		return nil, err
	}
	return j, nil
}
