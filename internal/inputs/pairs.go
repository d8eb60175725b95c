package inputs

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/blasbatch/blasbatch/matio"
)

// ErrPair means the items of a pair kernel could not be paired up.
var ErrPair = errors.New("cannot pair the inputs")

// PairID is the record id of pair i of a pair source: "A,B" for two files
// (or "A,B[i]" when they hold stacks), the .npz's path (or "PATH[i]") for
// its members a and b; paths escaped as in every id (matio.EscapeID).
func PairID(a, b string, i int, stack bool) string {
	id := matio.EscapeID(a)
	if b != "" {
		id += "," + matio.EscapeID(b)
	}
	if stack {
		id += "[" + strconv.Itoa(i) + "]"
	}
	return id
}

// OpenPair opens the two sides of a pair source — the files a and b, or
// with b "" the members a and b of the .npz a — and advances each to its
// first item, which it returns (its data not yet read).
func OpenPair(a, b string, opt matio.Options) (ra, rb *matio.Reader, ia, ib matio.Item, err error) {
	if b != "" {
		if ra, ia, err = openFirst(a, "", opt); err != nil {
			return nil, nil, ia, ib, err
		}
		if rb, ib, err = openFirst(b, "", opt); err != nil {
			ra.Close()
			return nil, nil, ia, ib, err
		}
		return ra, rb, ia, ib, nil
	}
	if ra, ia, err = openFirst(a, "a", opt); err != nil {
		return nil, nil, ia, ib, err
	}
	if rb, ib, err = openFirst(a, "b", opt); err != nil {
		ra.Close()
		return nil, nil, ia, ib, err
	}
	return ra, rb, ia, ib, nil
}

// openFirst opens path and advances to its first item, or with member to
// the first item of that .npz member.
func openFirst(path, member string, opt matio.Options) (*matio.Reader, matio.Item, error) {
	r, err := matio.OpenWith(path, opt)
	if err != nil {
		return nil, matio.Item{}, err
	}
	want := matio.EscapeID(path) + ":" + member
	for {
		it, err := r.Next()
		switch {
		case err == io.EOF && member != "":
			r.Close()
			return nil, it, fmt.Errorf("%w: no member %q: a pair kernel needs pairs (an .npz with members a and b, or -pair A,B)", ErrPair, member)
		case member == "" || err == nil && (it.ID == want || it.ID == want+"[0]"):
			if err != nil {
				r.Close()
				return nil, it, err
			}
			return r, it, nil
		case err == nil && r.Following() > 0:
			r.Skip(r.Following()) // the rest of another member's stack
		}
	}
}
