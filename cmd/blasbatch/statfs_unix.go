//go:build unix

package main

import (
	"path/filepath"

	"golang.org/x/sys/unix"
)

// freeSpace is the space left to an unprivileged writer on the file system
// that holds path, or would hold it: the nearest directory that exists.
func freeSpace(path string) (int64, bool) {
	for p := path; ; p = filepath.Dir(p) {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil {
			return int64(st.Bavail) * int64(st.Bsize), true
		}
		if p == filepath.Dir(p) {
			return 0, false
		}
	}
}
