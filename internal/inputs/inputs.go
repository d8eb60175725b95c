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
	"hash/fnv"
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
	"sync/atomic"

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
	// KeepOpen lets Scan leave small files of one item open (File.Kept)
	// for the reader, which then need not open them again; whoever scans
	// with it closes the Set.
	KeepOpen bool
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
	// Head is a hash of the file's first bytes, up to where its data
	// begins, for a file whose items a reader may read into place itself
	// (Run.Direct): the reader checks the file still starts as scanned.
	Head uint64
	// Kept, when not nil, holds the file open as the scan found it
	// (Options.KeepOpen).
	Kept *Kept
}

// Run is a run of a file's items that share one shape: one 2-D array, a
// 3-D stack, a pair, or one bad item (Err set, shape 0×0 unless known).
type Run struct {
	// ID0 is the first item's id. With Stack, ID0 ends in "[0]" and item
	// i's id is ID0 with "[i]" for it (see ID). Scan sets Stack for a 3-D
	// array of more than one item; a stack of one is one item whose id is
	// ID0, as a 2-D array's is, since an id ending in "[0]" does not tell
	// the two apart.
	ID0   string `json:"id"`
	Stack bool   `json:"stack,omitempty"`
	// Rows, Cols is the shape (of the first matrix of a pair); Rows2,
	// Cols2 the second matrix's shape of a pair.
	Rows  int `json:"rows"`
	Cols  int `json:"cols"`
	Rows2 int `json:"rows2,omitempty"`
	Cols2 int `json:"cols2,omitempty"`
	Count int `json:"count"`
	// Direct says the run's items are little-endian float64 in C order at
	// Offset in the file, one after the other (matio.Reader.Contiguous):
	// a reader may read them into place with one system call.
	Direct bool  `json:"-"`
	Offset int64 `json:"-"`
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
	if i < 0 {
		return Run{}, 0, false
	}
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
// hard link — is kept once, at its first place, with a warning. Entries
// of a directory that are not regular files (named pipes, sockets,
// devices) are skipped with a warning per directory that counts them; an
// argument that is one is kept, so that its item fails saying so. A
// missing argument is kept too (its item fails naming it).
//
// ids[i] is the identity of paths[i] when it is a regular file (or a link
// to one), and zero otherwise: Scan opens only those the fast way.
func Expand(args []string, opt Options) (paths []string, ids []safefile.ID, warnings []string) {
	l := expandWith(args, opt, nil)
	return l.Paths, l.IDs, l.Warnings
}

// Listing is what List found: the paths, identities and warnings of
// [Expand], and the files it opened on the way (Options.KeepOpen), which
// its Scan reads without opening them again. Whoever lists closes it.
type Listing struct {
	Paths    []string
	IDs      []safefile.ID
	Warnings []string
	// Prefetch is how many bytes of files Scan may ask the kernel to read
	// into memory ahead of their reading, when their first bytes are not
	// in memory already (files written long ago, or paged out): those
	// files' heads are read after the others', by when the disk has had
	// all their reads at once. 0: none; Scan then reads each file's head
	// as it comes to it, waiting for the disk. Set it before Scan; it
	// should be memory the run can spare, since the readers read what is
	// read ahead only once the scan and the plan are done.
	Prefetch int64
	opt      Options
	kp       *keeper
	open     []opened // by path; nil when none was opened
}

// opened is a file the listing opened: its descriptor + 1 (0 for none, or
// once Scan or Close has taken it) and its size then.
type opened struct {
	fd   int
	size int64
}

// List is [Expand] for a run that goes on to [Listing.Scan]: with
// Options.KeepOpen (and not AnyFile), a regular matrix file of a directory
// is opened and fstat'ed instead of stat'ed — the open the scan would make
// anyway, and the identity of the very file scanned —, within the bounds
// Scan keeps files open by.
func List(args []string, opt Options) *Listing {
	var kp *keeper
	if opt.KeepOpen && !opt.AnyFile {
		kp = newKeeper()
	}
	return expandWith(args, opt, kp)
}

// Scan is [Scan] of what l lists, reading the files l opened through
// their descriptors (it takes them: Close closes only what it did not
// read), and reading ahead up to l.Prefetch bytes of the files whose
// heads are not in memory.
func (l *Listing) Scan(ctx context.Context, pairwise bool) (Set, error) {
	return scanWith(ctx, l.Paths, l.IDs, l.open, l.kp, pairwise, l.opt, newPrefetch(l.Prefetch))
}

// Close closes the files l opened that Scan did not take. It may be called
// more than once.
func (l *Listing) Close() {
	for i := range l.open {
		if fd := l.open[i].fd; fd > 0 {
			l.open[i].fd = 0
			closeFD(fd - 1)
		}
	}
}

// expandWith is Expand, opening regular files of directories (fastScan says
// which) within kp's bounds when kp is not nil.
func expandWith(args []string, opt Options, kp *keeper) *Listing {
	l := &Listing{opt: opt, kp: kp}
	var paths []string
	var ids []safefile.ID
	var warnings []string
	seen := map[safefile.ID]string{}
	dups := 0
	var dupEx string
	add := func(p string, st stat) {
		var id safefile.ID
		if st.err == nil && st.mode.IsRegular() && st.idOK {
			id = st.id
			if first, dup := seen[id]; dup {
				dups++
				if dupEx == "" {
					dupEx = fmt.Sprintf("%s is %s", Quote(p), Quote(first))
				}
				if st.fd > 0 {
					closeFD(st.fd - 1)
				}
				return
			}
			seen[id] = p
		}
		if st.fd > 0 {
			if l.open == nil {
				l.open = make([]opened, len(paths), cap(paths))
			}
			l.open = append(l.open, opened{fd: st.fd, size: st.size})
		} else if l.open != nil {
			l.open = append(l.open, opened{})
		}
		paths = append(paths, p)
		ids = append(ids, id)
	}
	missing := stat{err: fs.ErrNotExist}
	skipped := map[string]int{}
	var inside []safefile.ID // the directories being listed, outermost first
	var walk func(dir string, dst stat)
	walk = func(dir string, dst stat) {
		// A link back to a directory being listed (d/loop -> ..) would
		// list it again, a level deeper each time, until the system
		// refuses the path (ELOOP): its files are listed already.
		if dst.idOK {
			if slices.Contains(inside, dst.id) {
				return
			}
			inside = append(inside, dst.id)
			defer func() { inside = inside[:len(inside)-1] }()
		}
		entries, err := readEntries(dir)
		if err != nil {
			add(dir, missing) // fails on opening, naming the directory
			return
		}
		paths = slices.Grow(paths, len(entries))
		ids = slices.Grow(ids, len(entries))
		if l.open != nil {
			l.open = slices.Grow(l.open, len(entries))
		}
		stats := statAll(dir, entries, func(name string) bool {
			return kp != nil && matio.Listed(name) && fastScan(name, opt)
		}, kp)
		for k, e := range entries {
			name := e.name
			if strings.HasPrefix(name, ".") {
				continue
			}
			st := stats[k]
			if st.err != nil {
				if opt.AnyFile || matio.Listed(name) {
					add(st.path, missing) // a dangling link: its item says so
				}
				continue
			}
			switch {
			case st.mode.IsDir():
				if opt.Recursive {
					walk(st.path, st)
				}
			case !opt.AnyFile && !matio.Listed(name):
			case !st.mode.IsRegular():
				skipped[dir]++
			default:
				add(st.path, st)
			}
		}
	}
	for _, arg := range args {
		st := statOf(arg)
		switch {
		case st.err == nil && st.mode.IsDir():
			walk(arg, st)
		case st.err == nil:
			add(arg, st)
		default:
			add(arg, missing)
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
		warnings = append(warnings, fmt.Sprintf("skipped %d entr%s of %s that %s (named pipes, sockets or devices)", skipped[d], plural(skipped[d], "y", "ies"), Quote(d), plural(skipped[d], "is not a regular file", "are not regular files")))
	}
	l.Paths, l.IDs, l.Warnings = paths, ids, warnings
	return l
}

// stat is what os.Stat said of a path (links followed): only what Expand
// needs, so that 100,000 entries do not hold 100,000 fs.FileInfo. A file
// opened instead (fstat'ed) has fd, its descriptor + 1, and its size.
type stat struct {
	path string
	mode fs.FileMode
	id   safefile.ID
	idOK bool
	err  error
	fd   int
	size int64
}

// dirent is a directory entry: its name, and whether the directory says it
// is a regular file (never so for a link; not known everywhere).
type dirent struct {
	name    string
	regular bool
}

// readEntries lists the entries of dir, sorted by name.
func readEntries(dir string) ([]dirent, error) {
	entries, err := readDirents(dir)
	slices.SortFunc(entries, func(a, b dirent) int { return strings.Compare(a.name, b.name) })
	return entries, err
}

// fastScan reports whether Scan reads a regular file of this name through
// its first bytes (scanHead) rather than the careful way: every matrix file
// but a raw .f64, whose .shape sidecar only matio.OpenWith reads (unless
// Read.Shape is given).
func fastScan(path string, opt Options) bool {
	return len(opt.Read.Shape) > 0 || !strings.EqualFold(filepath.Ext(path), ".f64")
}

// statAll stats the entries of dir not starting with ".", in order; a
// large directory on as many goroutines as Go may run at once (each stat
// is a system call that walks the path). An entry the directory says is a
// regular file and open accepts is opened and fstat'ed instead, within
// kp's bounds (openStat), for the scan to read.
func statAll(dir string, entries []dirent, open func(name string) bool, kp *keeper) []stat {
	out := make([]stat, len(entries))
	one := func(k int) {
		e := entries[k]
		if strings.HasPrefix(e.name, ".") {
			return
		}
		p := filepath.Join(dir, e.name)
		if e.regular && open(e.name) {
			if st, ok := openStat(p, kp); ok {
				out[k] = st
				return
			}
		}
		out[k] = statOf(p)
	}
	workers := min(runtime.GOMAXPROCS(0), runtime.NumCPU(), len(entries)/256)
	if workers < 2 {
		for k := range entries {
			one(k)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := int(next.Add(1) - 1); k < len(entries); k = int(next.Add(1) - 1) {
				one(k)
			}
		}()
	}
	wg.Wait()
	return out
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
// then returns ctx's error and no set; a ctx already done when Scan is
// called (even with no paths) scans nothing.
func Scan(ctx context.Context, paths []string, ids []safefile.ID, pairwise bool, opt Options) (Set, error) {
	var kp *keeper
	if opt.KeepOpen {
		kp = newKeeper()
	}
	return scanWith(ctx, paths, ids, nil, kp, pairwise, opt, nil)
}

// scanWith is Scan, with the files open lists already open (Listing.Scan).
func scanWith(ctx context.Context, paths []string, ids []safefile.ID, open []opened, kp *keeper, pairwise bool, opt Options, pf *prefetch) (Set, error) {
	if err := ctx.Err(); err != nil {
		return Set{}, err
	}
	files := make([]File, len(paths))
	// later is a file put off because memory did not hold its head (pf):
	// its index, and the descriptor the listing opened, if any.
	type later struct{ i, fd int }
	// Workers take the next file by counting, not from a channel: a
	// handoff per file costs as much as a small file's scan.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), runtime.NumCPU(), max(1, len(paths))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, headBytes)
			var cold []later
			// one scans file i, or, with pf, puts it off (cold) when its
			// head is not in memory; fd is the listing's descriptor a file
			// put off kept, or -1 (then the file's own is taken, if the
			// listing opened it and the scan reads through it).
			one := func(i, fd int, pf *prefetch) {
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
				case f.ID != (safefile.ID{}) && fastScan(f.Path, opt):
					// A regular file: its headers from its first bytes,
					// with the fewest system calls, through the
					// descriptor the listing opened if it did.
					var runs []Run
					var head uint64
					var kept *Kept
					var ok, isCold bool
					if fd < 0 && i < len(open) && open[i].fd > 0 {
						fd = open[i].fd - 1
						open[i].fd = 0
					}
					if fd >= 0 {
						runs, head, kept, ok, isCold = scanOpen(f.Path, fd, open[i].size, f.ID.Dev, opt.Read, buf, kp, pf)
					} else {
						runs, head, kept, ok, isCold = scanHead(f.Path, opt.Read, buf, kp, pf)
					}
					if isCold {
						cold = append(cold, later{i, fd})
						return
					}
					if ok {
						f.Runs, f.Head, f.Kept = runs, head, kept
						break
					}
					f.Runs = scanFile(paths[i], opt.Read)
				default:
					f.Runs = scanFile(paths[i], opt.Read)
				}
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) || ctx.Err() != nil {
					break
				}
				one(i, -1, pf)
			}
			// The files put off, now read ahead: in the order they were
			// asked for, waiting if they have not arrived.
			for k, c := range cold {
				if ctx.Err() != nil {
					for _, c := range cold[k:] {
						if c.fd >= 0 {
							closeFD(c.fd)
						}
					}
					return
				}
				one(c.i, c.fd, nil)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		(&Set{Files: files}).Close() // what it kept open for readers none will be
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

// Append adds the files of t to s and checks the ids of the whole set as
// Scan does (an item of t whose id an item of s has fails, wrapping
// ErrDuplicateID). It sets every file's Todo to all its items again: call
// it before resume or sharding take items away.
func (s *Set) Append(t Set) {
	s.Files = append(s.Files, t.Files...)
	s.Warnings = append(s.Warnings, t.Warnings...)
	s.finish()
}

// Close closes the files the scan left open (File.Kept) that no reader
// took. It may be called more than once.
func (s *Set) Close() {
	for i := range s.Files {
		s.Files[i].Kept.Close()
	}
}

// finish fails items whose id another item of the set already has, then
// counts items and sets Todo to every item.
func (s *Set) finish() {
	s.checkIDs()
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
}

// ErrDuplicateID means an item's id is already another item's of the same
// set (a file literally named "x.npy[3]" beside a stack x.npy, a 2-D
// member "a[0].npy" beside a 3-D member "a.npy" of one archive): the item
// fails rather than be confused with the other in resume and merge.
var ErrDuplicateID = errors.New("duplicate item id")

// checkIDs makes every id of the set unique. Items are taken in the set's
// order, and the first to have an id keeps it: a later run holding an id
// already taken — a 2-D item whose id is an earlier item's or falls in an
// earlier stack's range, a stack one of whose ids is taken — becomes one
// failed item (a whole stack too, since a run's items go together) wrapping
// ErrDuplicateID, whose id is its own (its first item's) with the suffix
// \#F, F the file's index in the set (then \#F\#2, ... if that is taken:
// such an id ends in a digit, so it never falls in a stack's range), and
// whose message names the file that holds the other item. This holds
// within one file as well as across files: matio keeps an archive's
// member ids apart (NAME\#k), but a member "a[0].npy" has the id of item 0
// of a member "a.npy". Failed runs keep their shape.
func (s *Set) checkIDs() {
	type stack struct {
		file, count int
	}
	single := make(map[string]int, len(s.Files)) // the id of every 1-item run → the file that has it first
	stacks := map[string]stack{}                 // a kept stack's prefix → its file and count
	low := map[string][2]int{}                   // prefix P → least i and its file, of kept 1-item ids P[i]
	type clash struct{ file, run, other int }
	var clashes []clash
	for fi := range s.Files {
		for ri, r := range s.Files[fi].Runs {
			if r.Stack {
				p := strings.TrimSuffix(r.ID0, "[0]")
				if st, ok := stacks[p]; ok {
					clashes = append(clashes, clash{fi, ri, st.file})
					continue
				}
				if l, ok := low[p]; ok && l[0] < r.Count {
					clashes = append(clashes, clash{fi, ri, l[1]})
					continue
				}
				stacks[p] = stack{fi, r.Count}
				continue
			}
			if other, ok := single[r.ID0]; ok {
				clashes = append(clashes, clash{fi, ri, other})
				continue
			}
			single[r.ID0] = fi
			if p, idx, ok := stackItem(r.ID0); ok {
				if st, ok := stacks[p]; ok && idx < st.count {
					clashes = append(clashes, clash{fi, ri, st.file})
					continue
				}
				if l, ok := low[p]; !ok || idx < l[0] {
					low[p] = [2]int{idx, fi}
				}
			}
		}
	}
	for _, c := range clashes {
		f := &s.Files[c.file]
		r := &f.Runs[c.run]
		id := r.ID0 + `\#` + strconv.Itoa(c.file)
		for k := 2; ; k++ {
			if _, taken := single[id]; !taken {
				break
			}
			id = r.ID0 + `\#` + strconv.Itoa(c.file) + `\#` + strconv.Itoa(k)
		}
		single[id] = c.file
		what := "its id " + r.ID0 + " is"
		if r.Stack {
			what = fmt.Sprintf("the ids of its %d items, %s to %s, include one that is", r.Count, r.ID(0), r.ID(r.Count-1))
		}
		where := "an item of " + Quote(s.Files[c.other].Path)
		if c.other == c.file {
			where = "another item of the same file"
		}
		*r = Run{ID0: id, Rows: r.Rows, Cols: r.Cols, Rows2: r.Rows2, Cols2: r.Cols2, Count: 1,
			Err: &matio.Error{Path: f.Path, Err: fmt.Errorf("%w: %s already that of %s: rename one of them", ErrDuplicateID, what, where)}}
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
	runs := scanReader(p, r)
	for i := range runs {
		runs[i].Direct = false
	}
	return runs
}

// scanReader lists the items of an open file.
func scanReader(p string, r *matio.Reader) []Run {
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
		// A stack of one is not marked Stack (see Run): a member
		// "a[0].npy" has the id of item 0 of a member "a.npy".
		run := Run{ID0: it.ID, Stack: n > 1, Rows: it.Rows, Cols: it.Cols, Count: n}
		run.Offset, run.Direct = r.Contiguous() // kept only by scanHead, which hashes the head
		runs = append(runs, run)
	}
}

// scanPair reads the headers of a pair source: the members a and b of the
// .npz a (with b ""), or the files a and b. Its items are the pairs, with
// ids as PairID gives them. It is one failed item, wrapping ErrPair, when
// the sides hold different numbers of items, or when a file of -pair A,B
// holds more than one array (whose other items would not be paired).
func scanPair(a, b string, opt matio.Options) Run {
	ra, rb, ia, ib, err := OpenPair(a, b, opt)
	if err != nil {
		return Run{ID0: PairID(a, b, 0, false), Count: 1, Err: err}
	}
	defer ra.Close()
	defer rb.Close()
	stack := strings.HasSuffix(ia.ID, "]")
	run := Run{ID0: PairID(a, b, 0, stack), Stack: stack, Rows: ia.Rows, Cols: ia.Cols, Rows2: ib.Rows, Cols2: ib.Cols, Count: 1 + ra.Following()}
	if b != "" {
		for _, side := range []struct {
			r    *matio.Reader
			path string
		}{{ra, a}, {rb, b}} {
			if err := onlyArray(side.r, side.path); err != nil {
				return Run{ID0: PairID(a, b, 0, false), Rows: ia.Rows, Cols: ia.Cols, Rows2: ib.Rows, Cols2: ib.Cols, Count: 1, Err: err}
			}
		}
	}
	return run
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

// HeadHash is the hash File.Head holds of a file's first bytes.
func HeadHash(b []byte) uint64 {
	f := fnv.New64a()
	f.Write(b)
	return f.Sum64()
}
