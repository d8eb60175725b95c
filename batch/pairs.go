package batch

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// ErrPair means the items of a pair kernel could not be paired up.
var ErrPair = errors.New("cannot pair the inputs")

// runPair runs a pair kernel's worker on the two matrices of e.
func runPair(w kernels.Worker, e *entry, a, b []float64, save bool) (kernels.Result, error) {
	pw, ok := w.(kernels.PairWorker)
	if !ok {
		return kernels.Result{}, fmt.Errorf("%w: the kernel takes one matrix", ErrPair)
	}
	return pw.RunPair(e.rows, e.cols, a, e.rows2, e.cols2, b, save)
}

// PairID is the record id of pair i of a source: "A,B" for two files (or
// "A,B[i]" when they hold stacks), the .npz's path (or "PATH[i]") for its
// members a and b.
func PairID(s Source, i int, stack bool) string {
	id := s.Path
	if s.PairWith != "" {
		id += "," + s.PairWith
	}
	if stack {
		id += "[" + strconv.Itoa(i) + "]"
	}
	return id
}

// OpenPair opens the two sides of a pair source — the files Path and
// PairWith, or the members a and b of the .npz Path — and advances each to
// its first item, which it returns (its data not yet read).
func OpenPair(s Source, opt matio.Options) (a, b *matio.Reader, ia, ib matio.Item, err error) {
	if s.PairWith != "" {
		if a, ia, err = openFirst(s.Path, "", opt); err != nil {
			return nil, nil, ia, ib, err
		}
		if b, ib, err = openFirst(s.PairWith, "", opt); err != nil {
			a.Close()
			return nil, nil, ia, ib, err
		}
		return a, b, ia, ib, nil
	}
	if a, ia, err = openFirst(s.Path, "a", opt); err != nil {
		return nil, nil, ia, ib, err
	}
	if b, ib, err = openFirst(s.Path, "b", opt); err != nil {
		a.Close()
		return nil, nil, ia, ib, err
	}
	return a, b, ia, ib, nil
}

// openFirst opens path and advances to its first item, or with member to
// the first item of that .npz member.
func openFirst(path, member string, opt matio.Options) (*matio.Reader, matio.Item, error) {
	r, err := matio.OpenWith(path, opt)
	if err != nil {
		return nil, matio.Item{}, err
	}
	for {
		it, err := r.Next()
		switch {
		case err == io.EOF && member != "":
			r.Close()
			return nil, it, fmt.Errorf("%w: no member %q: a pair kernel needs pairs (an .npz with members a and b, or -pair A,B)", ErrPair, member)
		case member == "" || err == nil && (it.ID == path+":"+member || it.ID == path+":"+member+"[0]"):
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

// pairFile reads the pairs of s into chunks: item i of each side makes one
// entry holding both matrices.
func (r *reader) pairFile(s Source) {
	ra, rb, ia, ib, err := OpenPair(s, r.read)
	if err != nil {
		r.fail(PairID(s, 0, false), err)
		return
	}
	defer ra.Close()
	defer rb.Close()
	stack := strings.HasSuffix(ia.ID, "]") || strings.HasSuffix(ib.ID, "]")
	for i := 0; (s.Count == 0 || i < s.First+s.Count) && r.ctx.Err() == nil; i++ {
		var errA, errB error
		if i > 0 {
			ia, errA = ra.Next()
			ib, errB = rb.Next()
		}
		if errA == io.EOF && errB == io.EOF {
			return
		}
		id := PairID(s, i, stack)
		if i < s.First {
			continue
		}
		switch {
		case errA == io.EOF || errB == io.EOF:
			r.fail(id, fmt.Errorf("%w: the two sides hold different numbers of matrices", ErrPair))
			return
		case errA != nil:
			r.fail(id, errA)
			continue
		case errB != nil:
			r.fail(id, errB)
			continue
		}
		na, nb := ia.Rows*ia.Cols, ib.Rows*ib.Cols
		c := r.take(na + nb)
		if c == nil {
			return
		}
		off := c.used()
		if err := ra.Read(c.slab[off : off+na]); err != nil {
			c.entries = append(c.entries, entry{id: id, off: off, err: err})
			continue
		}
		if err := rb.Read(c.slab[off+na : off+na+nb]); err != nil {
			c.entries = append(c.entries, entry{id: id, off: off, err: err})
			continue
		}
		c.entries = append(c.entries, entry{id: id, rows: ia.Rows, cols: ia.Cols, off: off, rows2: ib.Rows, cols2: ib.Cols, off2: off + na})
	}
}
