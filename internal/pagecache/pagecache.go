//go:build linux

// Package pagecache tells tests which files the kernel's page cache holds,
// and drops files from it, so that a test can read a file "cold", as one
// written long ago is read.
package pagecache

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Resident returns how many of path's pages the page cache holds, and how
// many pages it has (mincore of a mapping of the whole file).
func Resident(t testing.TB, path string) (in, pages int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 {
		return 0, 0
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (len(m)+page-1)/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatalf("mincore %s: %v", path, e)
	}
	for _, v := range vec {
		in += int(v & 1)
	}
	return in, len(vec)
}

// OnDisk reports whether path is on a disk file system whose pages the
// page cache drops on request and reads back without waiting only when it
// holds them (RWF_NOWAIT): ext2/3/4, XFS or Btrfs. A test may skip a cold
// case elsewhere (tmpfs keeps everything in memory), but not there.
func OnDisk(t testing.TB, path string) bool {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		t.Fatalf("statfs %s: %v", path, err)
	}
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC:
		return true
	}
	return false
}

// Evict writes path out and asks the kernel to drop it from the page cache
// (POSIX_FADV_DONTNEED). When the kernel keeps any of it, it skips t on a
// file system whose pages cannot be dropped (tmpfs: no cold files to test)
// and fails it on a disk (OnDisk), where they can.
func Evict(t testing.TB, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	err = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
	in, _ := Resident(t, path)
	switch {
	case (err != nil || in > 0) && OnDisk(t, path):
		t.Fatalf("%s: %d pages stay in the page cache after POSIX_FADV_DONTNEED (%v), on a disk file system", path, in, err)
	case err != nil:
		t.Skipf("%s cannot be dropped from the page cache (%v): no cold file to test here", path, err)
	case in > 0:
		t.Skipf("%s stays in the page cache after POSIX_FADV_DONTNEED (tmpfs?): no cold file to test here", path)
	}
}
