//go:build linux

package results

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing the n bytes at off of f
// to disk now, without waiting (sync_file_range SYNC_FILE_RANGE_WRITE: no
// durability, only an early start), so that the fsync that makes them
// durable has little left to wait for. Failure is harmless: the fsync
// writes them anyway.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
