//go:build unix && !linux

package inputs

import "errors"

// canReadCached is false here: no system call reads only what memory holds.
const canReadCached = false

var (
	errNotCached     = errors.New("not in the page cache")
	errNoCachedRead  = errors.New("no reads of what memory holds only on this file system")
	errNoCachedReads = errors.New("no reads of what memory holds only")
)

func readCached(int, []byte) (int, error) { return 0, errNoCachedReads }

func adviseWillNeed(int, int64, int64) {}
