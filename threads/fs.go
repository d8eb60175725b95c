package threads

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// FS reads topology and cgroup files from the tree under Root: "/" on a real
// machine, or a fake tree holding only the proc/ and sys/ files that a test
// needs. The zero value reads the live machine.
//
// An FS whose Root is "" or "/" is the live machine: only there are the CPU's
// cpuid instructions consulted (for the cache sizes and model name when sysfs
// and /proc lack them), and only there, on systems other than Linux, are
// "unknown" results returned instead of reading files.
type FS struct {
	Root string // "" means "/"
}

// live reports whether fs reads the machine this process runs on.
func (fsys FS) live() bool {
	return fsys.Root == "" || filepath.Clean(fsys.Root) == "/"
}

// path returns the file name of p (a slash-separated path relative to the
// root, with or without a leading "/") under the root.
func (fsys FS) path(p string) string {
	root := fsys.Root
	if root == "" {
		root = "/"
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// read returns the contents of p under the root. A missing file gives
// ok == false and no error; other failures are errors.
func (fsys FS) read(p string) (s string, ok bool, err error) {
	b, err := os.ReadFile(fsys.path(p))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

// readCPUList reads and parses a file in CPU list format.
func (fsys FS) readCPUList(p string) (cpus []int, ok bool, err error) {
	s, ok, err := fsys.read(p)
	if !ok || err != nil {
		return nil, ok, err
	}
	cpus, err = ParseCPUList(s)
	if err != nil {
		return nil, false, inFile(err, fsys.path(p))
	}
	return cpus, true, nil
}

// readInt reads and parses a file holding one integer.
func (fsys FS) readInt(p string) (n int, ok bool, err error) {
	s, ok, err := fsys.read(p)
	if !ok || err != nil {
		return 0, ok, err
	}
	n, err = parseIntValue(filepath.Base(p), s)
	if err != nil {
		return 0, false, inFile(err, fsys.path(p))
	}
	return n, true, nil
}
