package inputs

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/matio"
)

// pairCase is a case of TestPairs: files written into a directory, then
// either -pair A,B (b set) or the archive a scanned pairwise.
type pairCase struct {
	name  string
	write func(t *testing.T, dir string)
	a, b  string
	// What the one run must be: count items, ids with "[i]" (stack) or
	// not, the shapes of the two sides; or the error it wraps, the side
	// the error names ("a" or "b"), and whether OpenPair opens the pair
	// all the same (a second array is seen only by the scan).
	count                    int
	stack                    bool
	rows, cols, rows2, cols2 int
	err                      error
	named                    string
	opens                    bool
}

// TestPairs: -pair A,B of two stacks gives k items "A,B[i]" (paths
// escaped), of two 2-D files one item "A,B"; an archive's members a and
// b, in any order among others, give items "PATH[i]"; a missing member,
// counts that differ (files or members), a -pair file holding a second
// array, and a missing file are each one failed item, wrapping ErrPair
// (or fs.ErrNotExist) and naming the file; OpenPair refuses the same
// mismatches and otherwise stands at both first items.
func TestPairs(t *testing.T) {
	npy := func(p string, shape ...int) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { writeNpy(t, filepath.Join(dir, p), shape...) }
	}
	npz := func(p string, ms ...member) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { writeNpz(t, filepath.Join(dir, p), ms...) }
	}
	all := func(fs ...func(t *testing.T, dir string)) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			for _, f := range fs {
				f(t, dir)
			}
		}
	}
	m := func(name string, shape ...int) member { return member{name: name + ".npy", shape: shape} }
	a, b := "a\tx.npy", "b,\xff.npy" // ids escape them
	for _, c := range []pairCase{
		{name: "two stacks", write: all(npy(a, 3, 2, 4), npy(b, 3, 4, 5)), a: a, b: b,
			count: 3, stack: true, rows: 2, cols: 4, rows2: 4, cols2: 5},
		{name: "two 2-D files", write: all(npy(a, 2, 3), npy(b, 3, 3)), a: a, b: b,
			count: 1, rows: 2, cols: 3, rows2: 3, cols2: 3},
		{name: "stacks of different counts", write: all(npy(a, 3, 2, 2), npy(b, 4, 2, 2)), a: a, b: b, err: ErrPair, named: "a"},
		{name: "2-D beside a stack", write: all(npy(a, 2, 2), npy(b, 2, 2, 2)), a: a, b: b, err: ErrPair, named: "a"},
		{name: "a -pair file with two arrays", write: all(npz(a, m("x", 2, 2, 2), m("y", 2, 2, 2)), npy(b, 2, 2, 2)), a: a, b: b, err: ErrPair, named: "a", opens: true},
		{name: "a -pair file with a bad second member", write: all(npy(a, 2, 2, 2), npz(b, m("x", 2, 2, 2), member{name: "y.npy", raw: []byte("x")})), a: a, b: b, err: ErrPair, named: "b", opens: true},
		{name: "a -pair archive of one array", write: all(npz(a, m("x", 2, 2, 3)), npy(b, 2, 3, 2)), a: a, b: b,
			count: 2, stack: true, rows: 2, cols: 3, rows2: 3, cols2: 2},
		{name: "missing B", write: npy(a, 2, 2), a: a, b: b, err: fs.ErrNotExist, named: "b"},
		{name: "archive a, b", write: npz("z.npz", m("a", 4, 2, 3), m("b", 4, 3, 1)), a: "z.npz",
			count: 4, stack: true, rows: 2, cols: 3, rows2: 3, cols2: 1},
		{name: "archive b, c, a", write: npz("z.npz", m("b", 2, 3), m("c", 5, 5), m("a", 2, 2)), a: "z.npz",
			count: 1, rows: 2, cols: 2, rows2: 2, cols2: 3},
		{name: "archive without b", write: npz("z.npz", m("a", 2, 2), m("c", 2, 2)), a: "z.npz", err: ErrPair, named: "a"},
		{name: "archive with members of different counts", write: npz("z.npz", m("a", 2, 2, 2), m("b", 3, 2, 2)), a: "z.npz", err: ErrPair, named: "a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.write(t, dir)
			pa := filepath.Join(dir, c.a)
			pb := ""
			if c.b != "" {
				pb = filepath.Join(dir, c.b)
			}
			var set Set
			if pb != "" {
				within(t, "ScanPairs", func() { set = ScanPairs([][2]string{{pa, pb}}, Options{}) })
			} else {
				set = scan(t, []string{pa}, true, Options{})
			}
			checkSet(t, &set)
			if len(set.Files) != 1 || set.Files[0].Path != pa || set.Files[0].PairWith != pb || len(set.Files[0].Runs) != 1 {
				t.Fatalf("set %+v", set.Files)
			}
			r := set.Files[0].Runs[0]
			ra, rb, ia, ib, err := OpenPair(pa, pb, matio.Options{})
			if err == nil {
				defer ra.Close()
				defer rb.Close()
			}
			if c.err != nil {
				named := pa
				if c.named == "b" {
					named = pb
				}
				if !errors.Is(r.Err, c.err) || !strings.Contains(r.Err.Error(), Quote(named)) || r.Count != 1 {
					t.Errorf("run %+v (error %v), want one item failing with %v naming %s", r, r.Err, c.err, named)
				}
				if r.ID0 != PairID(pa, pb, 0, false) {
					t.Errorf("failed pair's id %q, want %q", r.ID0, PairID(pa, pb, 0, false))
				}
				if c.opens != (err == nil) || !c.opens && !errors.Is(err, c.err) {
					t.Errorf("OpenPair: %v, want %v", err, map[bool]error{true: nil, false: c.err}[c.opens])
				}
				return
			}
			if r.Err != nil || err != nil {
				t.Fatalf("run %+v (error %v), OpenPair %v", r, r.Err, err)
			}
			prefix := matio.EscapeID(pa)
			if pb != "" {
				prefix += "," + matio.EscapeID(pb)
			}
			var got []string
			for i := range r.Count {
				got = append(got, r.ID(i))
			}
			var want []string
			for i := range c.count {
				if c.stack {
					want = append(want, prefix+"["+strconv.Itoa(i)+"]")
				} else {
					want = append(want, prefix)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("ids %q, want %q", got, want)
			}
			for i := range r.Count {
				if got := PairID(pa, pb, i, r.Stack); got != want[i] {
					t.Errorf("PairID(%d) = %q, want %q", i, got, want[i])
				}
			}
			if r.Rows != c.rows || r.Cols != c.cols || r.Rows2 != c.rows2 || r.Cols2 != c.cols2 {
				t.Errorf("shapes %d×%d, %d×%d, want %d×%d, %d×%d", r.Rows, r.Cols, r.Rows2, r.Cols2, c.rows, c.cols, c.rows2, c.cols2)
			}
			if ia.Rows != c.rows || ia.Cols != c.cols || ib.Rows != c.rows2 || ib.Cols != c.cols2 || 1+ra.Following() != c.count || 1+rb.Following() != c.count {
				t.Errorf("OpenPair stands at %+v and %+v, %d and %d following", ia, ib, ra.Following(), rb.Following())
			}
		})
	}
}

// TestAppendChecksIDs: the files of -pair sets appended to a scanned set
// are checked against it: a pair whose id "A,B" is a scanned file's (a
// file literally named "A,B") fails, the first keeps its id; the counts
// are redone.
func TestAppendChecksIDs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeNpy(t, "p.npy", 2, 2)
	writeNpy(t, "q.npy", 2, 2)
	writeNpy(t, "p.npy,q.npy", 2, 2)
	var set Set
	var err error
	within(t, "Scan", func() { set, err = Scan(context.Background(), []string{"p.npy,q.npy"}, nil, false, Options{}) })
	if err != nil {
		t.Fatal(err)
	}
	set.Append(ScanPairs([][2]string{{"p.npy", "q.npy"}, {"q.npy", "p.npy"}}, Options{}))
	checkSet(t, &set)
	if len(set.Files) != 3 || set.Items() != 3 {
		t.Fatalf("files %+v", set.Files)
	}
	for i, f := range set.Files {
		failed := errors.Is(f.Runs[0].Err, ErrDuplicateID)
		if failed != (i == 1) {
			t.Errorf("file %d (%s,%s): %+v (error %v), want failed for its id: %v", i, f.Path, f.PairWith, f.Runs[0], f.Runs[0].Err, i == 1)
		}
	}
}
