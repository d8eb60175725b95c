//go:build !unix

package inputs

import (
	"hash/fnv"

	"github.com/blasbatch/blasbatch/matio"
)

const headBytes = 4 << 10

// scanHead declines here: files are opened the careful way.
func scanHead(string, matio.Options, []byte) ([]Run, uint64, bool) { return nil, 0, false }

// HeadHash is the hash File.Head holds of a file's first bytes.
func HeadHash(b []byte) uint64 {
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}
