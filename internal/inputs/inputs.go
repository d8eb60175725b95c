// Package inputs turns a run's arguments into its items: files and
// directories are expanded (each file once, whatever the path it is named
// by), anything that is not a regular file is refused without blocking, and
// every file's headers are scanned for its items' ids and shapes, so that
// the planner knows the whole batch before the first item is computed.
package inputs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
)

// Options say how arguments become items.
type Options struct {
	// Read is how matrix files are opened (the shape of raw .f64 files).
	Read matio.Options
	// AnyFile makes every regular file one item, whatever its name or
	// contents, and reads no headers (blasbatch exec); without it a
	// directory stands for its matrix files (.npy, .npz, .mtx, .csv, .tsv,
	// .f64) and each file's items are its matrices.
	AnyFile bool
	// Recursive descends into subdirectories (sorted, depth first).
	Recursive bool
}

// File is one input file and its items.
type File struct {
	// Path is the file's path as given (or joined to its directory).
	Path string
	// PairWith is the second file of a pair (-pair A,B), or "".
	PairWith string
	// ID is the file's identity; zero when it could not be read.
	ID safefile.ID
	// Runs are the file's items in order, in runs that share a shape.
	Runs []Run
	// Items is how many items the file holds (the sum of the runs').
	Items int
	// Todo is the part of the items still to compute, in order: all of
	// them at first; resume and sharding take some away.
	Todo []Span
}

// Run is a run of a file's items that share one shape: one 2-D array, a
// 3-D stack, a pair, or one bad item (Err set, shape 0×0 unless known).
type Run struct {
	// ID0 is the first item's id; a stack's items are Prefix[i].
	ID0   string `json:"id"`
	Stack bool   `json:"stack,omitempty"`
	// Rows, Cols is the shape (of the first matrix of a pair); Rows2,
	// Cols2 the second matrix's shape of a pair.
	Rows  int `json:"rows"`
	Cols  int `json:"cols"`
	Rows2 int `json:"rows2,omitempty"`
	Cols2 int `json:"cols2,omitempty"`
	Count int `json:"count"`
	// Err is why the item cannot be computed (Count is then 1).
	Err error `json:"-"`
}

// ID returns the id of item i of the run.
func (r Run) ID(i int) string {
	if !r.Stack {
		return r.ID0
	}
	return strings.TrimSuffix(r.ID0, "[0]") + "[" + strconv.Itoa(i) + "]"
}

// Span is Count items from the item at index First.
type Span struct{ First, Count int }

// Item returns the run and the index within it of the file's item i; ok is
// false when the file has no item i.
func (f *File) Item(i int) (Run, int, bool) {
	for _, r := range f.Runs {
		if i < r.Count {
			return r, i, true
		}
		i -= r.Count
	}
	return Run{}, 0, false
}

// TodoItems counts the items of Todo.
func (f *File) TodoItems() int {
	n := 0
	for _, s := range f.Todo {
		n += s.Count
	}
	return n
}

// Set is a run's inputs.
type Set struct {
	Files []File
	// Warnings say what was dropped or merged: a file named twice,
	// directory entries that are not regular files.
	Warnings []string
}

// Items counts every item of the set; Todo the items still to compute.
func (s *Set) Items() int {
	n := 0
	for i := range s.Files {
		n += s.Files[i].Items
	}
	return n
}

// Todo counts the items still to compute.
func (s *Set) Todo() int {
	n := 0
	for i := range s.Files {
		n += s.Files[i].TodoItems()
	}
	return n
}

// Expand turns arguments (files and directories) into the paths of input
// files, in order: a directory stands for its regular files (sorted by
// name; with AnyFile every one, else those matio reads by name; names
// starting with '.' never), recursively with Recursive (following links
// to directories, but not one back to a directory being listed). A file
// named twice — by any path: relative, absolute, through a symlink or a
// hard link — is kept once, at its first place, with a warning. Entries of a directory
// that are not regular files (named pipes, sockets, devices) are skipped
// with a warning that counts them; an argument that is one is kept, so
// that its item fails saying so. A missing argument is kept too (its item
// fails naming it).
func Expand(args []string, opt Options) (paths []string, ids []safefile.ID, warnings []string) {
	seen := map[safefile.ID]string{}
	dups := 0
	var dupEx string
	add := func(p string, fi fs.FileInfo) {
		var id safefile.ID
		if fi != nil {
			var ok bool
			if id, ok = safefile.IdentityOf(fi); ok {
				if first, dup := seen[id]; dup {
					dups++
					if dupEx == "" {
						dupEx = fmt.Sprintf("%s is %s", Quote(p), Quote(first))
					}
					return
				}
				seen[id] = p
			}
		}
		paths = append(paths, p)
		ids = append(ids, id)
	}
	skipped := map[string]int{}
	var inside []safefile.ID // the directories being listed, outermost first
	var walk func(dir string, dfi fs.FileInfo)
	walk = func(dir string, dfi fs.FileInfo) {
		// A link back to a directory being listed (d/loop -> ..) would
		// list it again, a level deeper each time, until the system
		// refuses the path (ELOOP): its files are listed already.
		if id, ok := safefile.IdentityOf(dfi); ok {
			if slices.Contains(inside, id) {
				return
			}
			inside = append(inside, id)
			defer func() { inside = inside[:len(inside)-1] }()
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			add(dir, nil) // fails on opening, naming the directory
			return
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(dir, name)
			fi, err := os.Stat(p) // follows links
			if err != nil {
				if opt.AnyFile || matio.Listed(name) {
					add(p, nil) // a dangling link: its item says so
				}
				continue
			}
			switch {
			case fi.IsDir():
				if opt.Recursive {
					walk(p, fi)
				}
			case !opt.AnyFile && !matio.Listed(name):
			case !fi.Mode().IsRegular():
				skipped[dir]++
			default:
				add(p, fi)
			}
		}
	}
	for _, arg := range args {
		fi, err := os.Stat(arg)
		switch {
		case err == nil && fi.IsDir():
			walk(arg, fi)
		case err == nil:
			add(arg, fi)
		default:
			add(arg, nil)
		}
	}
	if dups > 0 {
		warnings = append(warnings, fmt.Sprintf("%d input(s) named twice, computed once (%s)", dups, dupEx))
	}
	dirs := make([]string, 0, len(skipped))
	for d := range skipped {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		warnings = append(warnings, fmt.Sprintf("skipped %d entr%s of %s that %s not regular files (named pipes, sockets or devices)", skipped[d], plural(skipped[d], "y", "ies"), Quote(d), plural(skipped[d], "is", "are")))
	}
	return paths, ids, warnings
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Scan reads every file's headers (no data), on as many goroutines as Go
// may run at once (opening thousands of small files costs more in system
// calls than in parsing). A file that cannot be opened is one bad item, as
// is each bad item or member inside a file. pairwise makes each item a pair
// (an .npz's members a and b). It stops early when ctx is cancelled, and
// then returns ctx's error.
func Scan(ctx context.Context, paths []string, ids []safefile.ID, pairwise bool, opt Options) (Set, error) {
	files := make([]File, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(paths))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f := &files[i]
				f.Path = paths[i]
				if i < len(ids) {
					f.ID = ids[i]
				}
				switch {
				case opt.AnyFile:
					f.Runs = []Run{anyFile(paths[i])}
				case pairwise:
					f.Runs = []Run{scanPair(paths[i], "", opt.Read)}
				default:
					f.Runs = scanFile(paths[i], opt.Read)
				}
			}
		}()
	}
	var err error
feed:
	for i := range paths {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err != nil {
		return Set{}, err
	}
	s := Set{Files: files}
	s.finish()
	return s, nil
}

// ScanPairs scans the pairs of -pair A,B: each pair of files is one input
// whose items pair item i of A with item i of B.
func ScanPairs(pairs [][2]string, opt Options) Set {
	s := Set{Files: make([]File, len(pairs))}
	for i, p := range pairs {
		s.Files[i] = File{Path: p[0], PairWith: p[1], Runs: []Run{scanPair(p[0], p[1], opt.Read)}}
	}
	s.finish()
	return s
}

// Append adds the files of t to s.
func (s *Set) Append(t Set) {
	s.Files = append(s.Files, t.Files...)
	s.Warnings = append(s.Warnings, t.Warnings...)
}

// finish counts items, sets Todo to every item, and fails items whose id
// another item of the set already has.
func (s *Set) finish() {
	for i := range s.Files {
		f := &s.Files[i]
		f.Items = 0
		for _, r := range f.Runs {
			f.Items += r.Count
		}
		f.Todo = nil
		if f.Items > 0 {
			f.Todo = []Span{{0, f.Items}}
		}
	}
	s.checkIDs()
}

// checkIDs makes every id of the set unique: an item whose id is already an
// earlier item's (a file literally named "x.npy[3]" beside a stack x.npy)
// fails, saying so, instead of being confused with it in resume and merge.
// Ids within one file never repeat (matio makes .npz member ids unique).
func (s *Set) checkIDs() {
	type stack struct {
		file, count int
	}
	single := map[string]int{} // id → file
	stacks := map[string]stack{}
	for fi := range s.Files {
		for _, r := range s.Files[fi].Runs {
			if r.Stack {
				stacks[strings.TrimSuffix(r.ID0, "[0]")] = stack{fi, r.Count}
			}
		}
	}
	for fi := range s.Files {
		f := &s.Files[fi]
		for ri := range f.Runs {
			r := &f.Runs[ri]
			if r.Stack {
				continue
			}
			other, dup := single[r.ID0]
			if !dup {
				if p, idx, ok := stackItem(r.ID0); ok {
					if st, ok := stacks[p]; ok && st.file != fi && idx < st.count {
						other, dup = st.file, true
					}
				}
			}
			if dup && other != fi {
				*r = Run{ID0: r.ID0 + `\#` + strconv.Itoa(fi), Count: 1,
					Err: &matio.Error{Path: f.Path, Err: fmt.Errorf("its id %s is also an item of %s: rename one of them", Quote(r.ID0), Quote(s.Files[other].Path))}}
				continue
			}
			single[r.ID0] = fi
		}
	}
}

// stackItem splits "P[i]" into P and i.
func stackItem(id string) (string, int, bool) {
	if !strings.HasSuffix(id, "]") {
		return "", 0, false
	}
	open := strings.LastIndexByte(id, '[')
	if open < 0 {
		return "", 0, false
	}
	i, err := strconv.Atoi(id[open+1 : len(id)-1])
	if err != nil || i < 0 || strconv.Itoa(i) != id[open+1:len(id)-1] {
		return "", 0, false
	}
	return id[:open], i, true
}

// anyFile is the one item of a file exec runs a command on.
func anyFile(p string) Run {
	r := Run{ID0: matio.EscapeID(p), Count: 1}
	fi, err := os.Stat(p)
	switch {
	case err != nil:
		r.Err = &matio.Error{Path: p, Err: unwrapPath(err)}
	case !fi.Mode().IsRegular():
		r.Err = &matio.Error{Path: p, Err: fmt.Errorf("%w: %s", matio.ErrNotRegular, fileKind(fi.Mode()))}
	}
	return r
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "not a regular file (a named pipe)"
	case m&fs.ModeSocket != 0:
		return "not a regular file (a socket)"
	case m&fs.ModeDevice != 0:
		return "not a regular file (a device)"
	}
	return "not a regular file"
}

// scanFile reads one file's headers.
func scanFile(p string, opt matio.Options) []Run {
	r, err := matio.OpenWith(p, opt)
	if err != nil {
		return []Run{{ID0: matio.ErrorID(p, err), Count: 1, Err: err}}
	}
	defer r.Close()
	var runs []Run
	for {
		it, err := r.Next()
		if err == io.EOF {
			return runs
		}
		if err != nil {
			runs = append(runs, Run{ID0: matio.ErrorID(p, err), Count: 1, Err: err})
			continue
		}
		// The rest of a stack has the same shape: count it, skip it.
		n := 1 + r.Following()
		if n > 1 {
			if err := r.Skip(n - 1); err != nil {
				n = 1 // cannot happen for a checked stack
			}
		}
		runs = append(runs, Run{ID0: it.ID, Stack: strings.HasSuffix(it.ID, "[0]"), Rows: it.Rows, Cols: it.Cols, Count: n})
	}
}

// scanPair reads the headers of a pair source: the members a and b of the
// .npz a (with b ""), or the files a and b. Its items are the pairs, with
// ids as PairID gives them.
func scanPair(a, b string, opt matio.Options) Run {
	ra, rb, ia, ib, err := OpenPair(a, b, opt)
	if err != nil {
		return Run{ID0: PairID(a, b, 0, false), Count: 1, Err: err}
	}
	defer ra.Close()
	defer rb.Close()
	stack := strings.HasSuffix(ia.ID, "]")
	return Run{ID0: PairID(a, b, 0, stack), Stack: stack, Rows: ia.Rows, Cols: ia.Cols, Rows2: ib.Rows, Cols2: ib.Cols, Count: 1 + ra.Following()}
}

// Quote makes a path or id safe for a one-line message: control
// characters and invalid UTF-8 escaped as in ids (matio.EscapeID), so a
// name holding a newline cannot break a summary line.
func Quote(p string) string { return matio.EscapeID(p) }

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
