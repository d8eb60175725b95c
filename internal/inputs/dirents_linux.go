//go:build linux

package inputs

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// readDirents lists the names in dir, unsorted, each with whether the
// directory says it is a regular file (its d_type: a link, a directory,
// anything else and an unknown type say no), from getdents64 directly:
// os.ReadDir would make a DirEntry for each, and Readdirnames drops the
// types.
func readDirents(dir string) ([]dirent, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fd := int(f.Fd())
	var out []dirent
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return out, &os.PathError{Op: "getdents", Path: dir, Err: err}
		}
		if n <= 0 {
			return out, nil
		}
		out = parseDirents(buf[:n], out)
	}
}

// parseDirents appends the entries of a getdents64 buffer (struct
// linux_dirent64: ino, off, reclen, type, name NUL-terminated) to out,
// leaving out "." and ".."; it stops at a record that does not fit.
func parseDirents(b []byte, out []dirent) []dirent {
	const head = 19 // 8 ino + 8 off + 2 reclen + 1 type
	for len(b) >= head {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < head || reclen > len(b) {
			break
		}
		regular := b[18] == unix.DT_REG
		name := b[head:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if s := string(name); s != "." && s != ".." && s != "" {
			out = append(out, dirent{name: s, regular: regular})
		}
		b = b[reclen:]
	}
	return out
}
