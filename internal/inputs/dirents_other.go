//go:build !linux

package inputs

import "os"

// readDirents lists the names in dir, unsorted; none is known to be a
// regular file here, so every entry is stat'ed.
func readDirents(dir string) ([]dirent, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	out := make([]dirent, len(names))
	for i, n := range names {
		out[i] = dirent{name: n}
	}
	return out, err
}
