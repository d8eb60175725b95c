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
// first item, which it returns (its data not yet read). The two arrays
// must hold as many items (1 + Following): item i of one is paired with
// item i of the other. Errors are *matio.Error naming the file; one
// wrapping ErrPair when a member is missing or the counts differ.
func OpenPair(a, b string, opt matio.Options) (ra, rb *matio.Reader, ia, ib matio.Item, err error) {
	ma, mb, pb := "", "", b
	if b == "" {
		ma, mb, pb = "a", "b", a
	}
	if ra, ia, err = openFirst(a, ma, opt); err != nil {
		return nil, nil, ia, ib, err
	}
	if rb, ib, err = openFirst(pb, mb, opt); err != nil {
		ra.Close()
		return nil, nil, ia, ib, err
	}
	if na, nb := 1+ra.Following(), 1+rb.Following(); na != nb {
		ra.Close()
		rb.Close()
		what := fmt.Sprintf("%s holds %d matrices and %s %d", Quote(a), na, Quote(b), nb)
		if b == "" {
			what = fmt.Sprintf("member a holds %d matrices and member b %d", na, nb)
		}
		return nil, nil, ia, ib, &matio.Error{Path: a, Err: fmt.Errorf("%w: %s: a pair kernel pairs item i of one with item i of the other", ErrPair, what)}
	}
	return ra, rb, ia, ib, nil
}

// onlyArray fails, wrapping ErrPair, if the file r reads (named path, and
// standing at its first item) holds items after its first array: one side
// of -pair A,B is one 2-D array or one 3-D stack, and the items of any
// other array would be lost. It moves r on.
func onlyArray(r *matio.Reader, path string) error {
	if err := r.Skip(r.Following()); err != nil {
		return nil // cannot happen: Following items follow
	}
	it, err := r.Next()
	if err == io.EOF {
		return nil
	}
	id := matio.ErrorID(path, err)
	if err == nil {
		id = it.ID
	}
	return &matio.Error{Path: path, Err: fmt.Errorf("%w: it holds more than one array (%s follows the first): each side of -pair A,B must be one 2-D array or one 3-D stack", ErrPair, id)}
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
			return nil, it, &matio.Error{Path: path, Err: fmt.Errorf("%w: no member %q: a pair kernel needs pairs (an .npz with members a and b, or -pair A,B)", ErrPair, member+".npy")}
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
