//go:build unix && !linux

package inputs

// canReadCached is false here: no system call reads only what memory holds.
const canReadCached = false

func readCached(int, []byte) (int, error) { return 0, errNoCachedReads }

func adviseWillNeed(int, int64, int64) {}
