//go:build !unix

package inputs

import (
	"os"

	"github.com/blasbatch/blasbatch/internal/safefile"

	"github.com/blasbatch/blasbatch/matio"
)

const headBytes = 1 << 10

// scanHead declines here: files are opened the careful way.
func scanHead(string, matio.Options, []byte, *keeper, *prefetch) ([]Run, uint64, *Kept, bool, bool) {
	return nil, 0, nil, false, false
}

// scanOpen is never called here: the listing opens nothing (openStat).
func scanOpen(string, int, int64, uint64, matio.Options, []byte, *keeper, *prefetch) ([]Run, uint64, *Kept, bool, bool) {
	return nil, 0, nil, false, false
}

// prefetch reads nothing ahead here: nothing is read by descriptor.
type prefetch struct{}

func newPrefetch(int64) *prefetch { return nil }

// openStat declines here: the listing stats every file.
func openStat(string, *keeper) (stat, bool) { return stat{}, false }

// closeFD does nothing: nothing is opened by descriptor here.
func closeFD(int) {}

// Kept holds nothing here: the scan keeps no file open.
type Kept struct{}

// Take returns false: nothing is kept.
func (k *Kept) Take() (int, bool) { return -1, false }

// Close does nothing.
func (k *Kept) Close() {}

type keeper struct{}

// statOf stats p, following links, keeping only what Expand needs.
func statOf(p string) stat {
	fi, err := os.Stat(p)
	if err != nil {
		return stat{path: p, err: err}
	}
	id, ok := safefile.IdentityOf(fi)
	return stat{path: p, mode: fi.Mode(), id: id, idOK: ok}
}

func newKeeper() *keeper { return nil }
