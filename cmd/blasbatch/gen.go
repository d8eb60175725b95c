package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// workload is what gen writes: count random rows×cols matrices from seed.
type workload struct {
	Rows  int    `json:"rows"`
	Cols  int    `json:"cols"`
	Count int    `json:"count"`
	Seed  uint64 `json:"seed"`
	Stack bool   `json:"stack,omitempty"`
}

// names are the files gen -dir writes for w, in order.
func (w workload) names() []string {
	out := make([]string, w.Count)
	for i := range out {
		out[i] = fmt.Sprintf("m%05d.npy", i)
	}
	return out
}

// check refuses a workload whose sizes overflow or do not fit: one matrix
// is held in memory (within half of RAM), and the files must fit the
// file system they go to.
func (w workload) check(dir string) error {
	if w.Rows < 1 || w.Cols < 1 || w.Count < 1 {
		return errors.New("sizes and -count must be positive")
	}
	hi, cells := bits.Mul64(uint64(w.Rows), uint64(w.Cols))
	if hi != 0 || cells > 1<<60/8 {
		return fmt.Errorf("%d×%d matrices have more elements than memory can hold", w.Rows, w.Cols)
	}
	one := int64(cells) * 8
	if limit, of := memoryForOne(); limit > 0 && one > limit {
		return fmt.Errorf("one %d×%d matrix needs %s, more than gen may hold (%s: half of %s)", w.Rows, w.Cols, plan.FormatBytes(one), plan.FormatBytes(limit), of)
	}
	hi, total := bits.Mul64(uint64(one), uint64(w.Count))
	if hi != 0 || total > 1<<62 {
		return fmt.Errorf("%d matrices of %s overflow any file system", w.Count, plan.FormatBytes(one))
	}
	if free, ok := freeSpace(dir); ok && int64(total) > free {
		return fmt.Errorf("%d matrices of %s need %s, and %s has %s free", w.Count, plan.FormatBytes(one), plan.FormatBytes(int64(total)), inputs.Quote(dir), plan.FormatBytes(free))
	}
	return nil
}

// memoryForOne is the most one matrix of gen may take: half of the
// memory this process may use — the machine's, or its cgroup's limit when
// that is lower (there an allocation over it is an OOM kill, not an error) —
// and what that memory is, for the message.
func memoryForOne() (int64, string) {
	ram := threads.TotalMemory()
	of := "this machine's memory, " + plan.FormatBytes(ram)
	if cg, err := (threads.FS{}).Cgroup(); err == nil && cg.MemoryLimit > 0 && (ram <= 0 || cg.MemoryLimit < ram) {
		ram, of = cg.MemoryLimit, "the cgroup's memory limit, "+plan.FormatBytes(cg.MemoryLimit)
	}
	return ram / 2, of
}

func cmdGen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int("size", 1000, "rows and columns of each matrix")
	rows := fs.Int("rows", 0, "rows of each matrix (overrides -size)")
	cols := fs.Int("cols", 0, "columns of each matrix (overrides -size)")
	count := fs.Int("count", 16, "number of matrices")
	dir := fs.String("dir", "", "write one .npy file per matrix (m00000.npy, …) into `DIR`")
	stack := fs.String("stack", "", "write all matrices as one 3-D .npy stack of shape (count, rows, cols) to `FILE`")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch gen [flags] (-dir DIR | -stack FILE)

Writes the question's workload: matrices offset + stretch × uniform(0,1),
with offset an integer in [1,9] and stretch in [0.1,2.1) drawn per matrix,
from a seeded generator (the same seed gives the same files).

gen never writes over a file it cannot prove it wrote: it keeps a manifest
(%s) beside its files, with the size and time of each, and refuses a
target that exists and is not in it unchanged. Sizes are checked before
anything is written: a matrix that would not fit in memory, or files that
would not fit on the disk, are a usage error.

Flags:
`, manifestName)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch gen: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected arguments %q (see -h)", fs.Args())
	}
	w := workload{Rows: *size, Cols: *size, Count: *count, Seed: *seed, Stack: *stack != ""}
	if *rows < 0 || *cols < 0 {
		// 0 is the default (take -size); a negative count is a mistake,
		// not a request for 1000 × 1000.
		return usageErr("-rows and -cols must be positive")
	}
	if *rows > 0 {
		w.Rows = *rows
	}
	if *cols > 0 {
		w.Cols = *cols
	}
	if (*dir == "") == (*stack == "") {
		return usageErr("give exactly one of -dir or -stack")
	}
	target := *dir
	if w.Stack {
		target = filepath.Dir(*stack)
	}
	if err := w.check(target); err != nil {
		return usageErr("%v", err)
	}
	var err error
	if w.Stack {
		err = genStack(*stack, w)
	} else {
		err = genDir(*dir, w)
	}
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		return usageErr("%v", err)
	case err != nil:
		fmt.Fprintf(stderr, "blasbatch gen: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// matrices calls each with every matrix of w in turn (a reused buffer).
func (w workload) matrices(each func(a []float64) error) error {
	rng := rand.New(rand.NewPCG(w.Seed, 0x626c6173))
	a := make([]float64, w.Rows*w.Cols)
	for range w.Count {
		offset := float64(1 + rng.IntN(9))
		stretch := 2*rng.Float64() + 0.1
		for i := range a {
			a[i] = offset + stretch*rng.Float64()
		}
		if err := each(a); err != nil {
			return err
		}
	}
	return nil
}

func genDir(dir string, w workload) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	man, err := openManifest(dir)
	if err != nil {
		return err
	}
	defer man.close()
	names := w.names()
	if err := man.mayWrite(names); err != nil {
		return err
	}
	if err := man.begin(names, w); err != nil {
		return err
	}
	i := 0
	err = w.matrices(func(a []float64) error {
		path := filepath.Join(dir, names[i])
		i++
		return safefile.WriteFile(path, func(f io.Writer) error { return matio.WriteNpy(f, w.Rows, w.Cols, a, false) })
	})
	if err != nil {
		return err
	}
	return man.finish()
}

func genStack(path string, w workload) error {
	man, err := openManifest(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer man.close()
	name := []string{filepath.Base(path)}
	if err := man.mayWrite(name); err != nil {
		return err
	}
	if err := man.begin(name, w); err != nil {
		return err
	}
	err = safefile.WriteFile(path, func(f io.Writer) error {
		if err := matio.WriteNpyHeader(f, []int{w.Count, w.Rows, w.Cols}, false); err != nil {
			return err
		}
		return w.matrices(func(a []float64) error { return matio.WriteFloat64s(f, a) })
	})
	if err != nil {
		return err
	}
	return man.finish()
}

// manifestName is the file gen keeps in a directory it writes into: which
// files it wrote there, so that it (and scale) never write over a file they
// did not write. Its leading dot keeps it out of run's inputs.
const manifestName = ".blasbatch-gen.json"

// manifestEntry proves a file is gen's: its size and modification time as
// gen left it. Pending entries are files gen was writing when it stopped;
// each is written whole or not at all, so one that exists is gen's.
type manifestEntry struct {
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime_ns"`
	Pending bool  `json:"pending,omitempty"`
}

type manifestFile struct {
	Workload workload                 `json:"workload"`
	Files    map[string]manifestEntry `json:"files"`
}

// manifest is a directory's manifest, held under its lock while gen writes.
type manifest struct {
	dir  string
	lock *os.File
	m    manifestFile
}

func openManifest(dir string) (*manifest, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := safefile.TryLock(d); err != nil {
		d.Close()
		return nil, &refusedError{fmt.Sprintf("%s: another blasbatch gen or scale is writing into it", inputs.Quote(dir))}
	}
	man := &manifest{dir: dir, lock: d}
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		man.close()
		return nil, err
	default:
		if err := json.Unmarshal(b, &man.m); err != nil {
			man.close()
			return nil, &refusedError{fmt.Sprintf("%s is not gen's manifest (%v): remove it, or use another directory", inputs.Quote(filepath.Join(dir, manifestName)), err)}
		}
	}
	if man.m.Files == nil {
		man.m.Files = map[string]manifestEntry{}
	}
	return man, nil
}

func (man *manifest) close() {
	safefile.Unlock(man.lock)
	man.lock.Close()
}

// ours reports whether the file name in the directory is one gen wrote and
// nobody changed since.
func (man *manifest) ours(name string) bool {
	e, ok := man.m.Files[name]
	if !ok {
		return false
	}
	fi, err := os.Lstat(filepath.Join(man.dir, name))
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	if !fi.Mode().IsRegular() {
		return false
	}
	if e.Pending {
		// gen stopped before it could record this file: it is gen's only if
		// it is what gen writes for the workload it was writing — a user's
		// file put there since, under a name gen had planned, is not.
		return man.m.Workload.wrote(filepath.Join(man.dir, name), fi.Size())
	}
	return fi.Size() == e.Size && fi.ModTime().UnixNano() == e.ModTime
}

// wrote reports whether the file at path (of size bytes) is one gen writes
// for w: its exact .npy header for w's shape, and the size that implies.
func (w workload) wrote(path string, size int64) bool {
	shape := []int{w.Rows, w.Cols}
	if w.Stack {
		shape = []int{w.Count, w.Rows, w.Cols}
	}
	var h bytes.Buffer
	if w.Rows < 1 || w.Cols < 1 || matio.WriteNpyHeader(&h, shape, false) != nil {
		return false
	}
	cells := int64(w.Rows) * int64(w.Cols)
	if w.Stack {
		cells *= int64(w.Count)
	}
	if size != int64(h.Len())+8*cells {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	got := make([]byte, h.Len())
	_, err = io.ReadFull(f, got)
	return err == nil && bytes.Equal(got, h.Bytes())
}

// mayWrite refuses, before anything is written, when a target exists and
// is not gen's.
func (man *manifest) mayWrite(names []string) error {
	var theirs []string
	for _, name := range names {
		if _, err := os.Lstat(filepath.Join(man.dir, name)); err == nil && !man.ours(name) {
			theirs = append(theirs, name)
		}
	}
	if len(theirs) == 0 {
		return nil
	}
	sort.Strings(theirs)
	more := ""
	if len(theirs) > 3 {
		more = fmt.Sprintf(" and %d more", len(theirs)-3)
		theirs = theirs[:3]
	}
	return &refusedError{fmt.Sprintf("%s already holds %s%s, which gen did not write (or which changed since): refusing to overwrite; give an empty or new directory",
		inputs.Quote(man.dir), strings.Join(theirs, ", "), more)}
}

// begin records the names about to be written as pending.
func (man *manifest) begin(names []string, w workload) error {
	man.m.Workload = w
	for _, n := range names {
		e := man.m.Files[n]
		e.Pending = true
		man.m.Files[n] = e
	}
	return man.save()
}

// finish records the size and time of every pending file.
func (man *manifest) finish() error {
	for name, e := range man.m.Files {
		fi, err := os.Lstat(filepath.Join(man.dir, name))
		if err != nil {
			delete(man.m.Files, name)
			continue
		}
		man.m.Files[name] = manifestEntry{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
		_ = e
	}
	return man.save()
}

func (man *manifest) save() error {
	b, err := json.MarshalIndent(man.m, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(filepath.Join(man.dir, manifestName), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// holds reports whether the directory holds exactly w's files, gen's and
// unchanged.
func (man *manifest) holds(w workload) bool {
	if man.m.Workload != w {
		return false
	}
	for _, name := range w.names() {
		e, ok := man.m.Files[name]
		if !ok || e.Pending || !man.ours(name) {
			return false
		}
		if _, err := os.Lstat(filepath.Join(man.dir, name)); err != nil {
			return false
		}
	}
	return true
}

// refusedError is a refusal to write: the user's files are in the way.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }
