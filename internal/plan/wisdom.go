package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/blasbatch/blasbatch/internal/safefile"
)

// Wisdom is what measuring taught the planner, kept between runs like
// FFTW's wisdom: the cost of one item per machine, BLAS build, kernel and
// shape class. The zero value is empty and ready to use.
type Wisdom struct {
	Entries map[string]WisdomEntry `json:"entries"`
}

// WisdomEntry is one measured cost.
type WisdomEntry struct {
	Cost
	Rows, Cols int       `json:",omitempty"` // the item measured
	Measured   time.Time `json:"measured"`
	// Outer and Inner, for a user's command (blasbatch exec), are the
	// split that computed the most items per second; Seconds1 is then the
	// seconds per item at that split.
	Outer, Inner int `json:",omitempty"`
}

// WisdomKey names a cost: the CPU model, the cores the planner may use, the
// BLAS build (its configuration string), the kernel, and the shape class —
// rows and columns rounded to half-octaves, so 1000×1000 and 1024×1024
// share an entry while 500×500 does not.
func WisdomKey(cpuModel string, cores int, blasConfig, kernel string, rows, cols int) string {
	return fmt.Sprintf("%s|cores=%d|%s|%s|%s×%s", cpuModel, cores, blasConfig, kernel, sizeClass(rows), sizeClass(cols))
}

func sizeClass(n int) string {
	if n <= 1 {
		return "1"
	}
	return fmt.Sprintf("~%d", int(math.Round(math.Pow(2, math.Round(2*math.Log2(float64(n)))/2))))
}

// ErrBadWisdom is wrapped by the errors of [LoadWisdom], [Wisdom.Save] and
// [UpdateWisdom] for an entry whose numbers cannot be a measured cost (a
// hand-edited file, say); the error names the file and the entry's key.
var ErrBadWisdom = errors.New("bad wisdom entry")

// ErrNoWisdomPath is wrapped by the error of [DefaultWisdomPath] when the
// environment gives no usable cache directory.
var ErrNoWisdomPath = errors.New("no default wisdom file")

// wisdomLockWait bounds how long UpdateWisdom waits for another process's
// lock on the same wisdom file.
const wisdomLockWait = 10 * time.Second

// check reports what makes e impossible as a measured cost: Seconds1 must
// be positive and finite, Parallel in [0, 1), Saturated finite and not
// negative, SaturatedAt, Rows and Cols not negative.
func (e WisdomEntry) check() error {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case !finite(e.Seconds1) || e.Seconds1 <= 0:
		return fmt.Errorf("%w: Seconds1 %v is not a positive, finite number of seconds", ErrBadWisdom, e.Seconds1)
	case !finite(e.Parallel) || e.Parallel < 0 || e.Parallel >= 1:
		return fmt.Errorf("%w: Parallel %v is outside [0, 1)", ErrBadWisdom, e.Parallel)
	case !finite(e.Saturated) || e.Saturated < 0:
		return fmt.Errorf("%w: Saturated %v is not a finite, non-negative number of seconds", ErrBadWisdom, e.Saturated)
	case e.SaturatedAt < 0:
		return fmt.Errorf("%w: SaturatedAt %d is negative", ErrBadWisdom, e.SaturatedAt)
	case e.Rows < 0 || e.Cols < 0:
		return fmt.Errorf("%w: shape %d×%d is negative", ErrBadWisdom, e.Rows, e.Cols)
	case e.Outer < 0 || e.Inner < 0 || (e.Outer == 0) != (e.Inner == 0):
		return fmt.Errorf("%w: split %d × %d is not one", ErrBadWisdom, e.Outer, e.Inner)
	}
	return nil
}

// check checks every entry, in key order, naming the file and the first bad
// entry's key.
func (w Wisdom) check(file string) error {
	keys := make([]string, 0, len(w.Entries))
	for k := range w.Entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := w.Entries[k].check(); err != nil {
			return fmt.Errorf("wisdom file %s: entry %q: %w", file, k, err)
		}
	}
	return nil
}

// LoadWisdom reads a wisdom file. A missing file, or one holding only white
// space (an empty file, /dev/null), is empty wisdom, not an error. A file
// that is not wisdom is an error naming it; so is an entry that cannot be a
// measured cost (see [ErrBadWisdom]), naming its key too: one bad entry
// makes the whole file suspect.
func LoadWisdom(path string) (Wisdom, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Wisdom{}, nil
	}
	if err != nil {
		return Wisdom{}, fmt.Errorf("wisdom file: %w", err)
	}
	return parseWisdom(path, b)
}

// parseWisdom parses and checks the contents b of the wisdom file named file.
func parseWisdom(file string, b []byte) (Wisdom, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return Wisdom{}, nil
	}
	var w Wisdom
	if err := json.Unmarshal(b, &w); err != nil {
		return Wisdom{}, fmt.Errorf("wisdom file %s: %w", file, err)
	}
	if err := w.check(file); err != nil {
		return Wisdom{}, err
	}
	return w, nil
}

// Save writes the wisdom to path with [safefile.WriteFile] (atomically for
// a regular file; /dev/null and other devices are written through, never
// replaced), creating its directory. It overwrites what is there: to add to
// a file other runs may be writing, use [UpdateWisdom]. Bad entries are an
// error wrapping [ErrBadWisdom], and nothing is written.
func (w Wisdom) Save(path string) error {
	if err := w.check(path); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("wisdom file %s: %w", path, err)
	}
	return w.write(path)
}

func (w Wisdom) write(path string) error {
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return fmt.Errorf("wisdom file %s: %w", path, err)
	}
	return safefile.WriteFile(path, func(out io.Writer) error {
		_, err := out.Write(append(b, '\n'))
		return err
	})
}

// UpdateWisdom adds to the wisdom file at path what learn records, without
// losing what other processes (two "-plan measure" runs sharing a file)
// write meanwhile: it takes an exclusive lock, re-reads the file, calls
// learn on what is there, and writes the result with [safefile.WriteFile],
// creating the file's directory if needed.
//
// The lock is flock(2) on a sidecar file PATH.lock beside the file (after
// following symbolic links, so that two names of one file share it). It is
// created if missing and never removed (removing it would let two
// processes lock different files of the same name). UpdateWisdom tries the
// lock without blocking and retries for up to 10 s: another update holds it
// only while it re-reads and rewrites the file, so a longer wait means a
// stuck process, and UpdateWisdom then returns an error wrapping
// [safefile.ErrLocked] rather than hang a run.
//
// A path that exists and is a character device or FIFO (/dev/null), or a
// magic link (/dev/stdout), is not locked or re-read: learn starts from
// empty wisdom and the result is written through to it. A directory is an error, and nothing is created.
// A file on disk that is not wisdom, or has a bad entry, is an error and is
// left as it is; so is a bad entry that learn adds (wrapping
// [ErrBadWisdom]).
func UpdateWisdom(path string, learn func(*Wisdom)) error {
	return updateWisdom(path, learn, wisdomLockWait)
}

// updateWisdom is UpdateWisdom waiting up to wait for the lock.
func updateWisdom(path string, learn func(*Wisdom), wait time.Duration) error {
	target, fi, err := safefile.Resolve(path)
	if err != nil {
		return fmt.Errorf("wisdom file %s: %w", path, err)
	}
	if fi != nil && fi.IsDir() {
		return fmt.Errorf("wisdom file %s is a directory, not a file", path)
	}
	// A device, a FIFO, or a magic link such as /dev/stdout (Resolve
	// leaves target a link then): no lock file beside it, nothing to
	// re-read.
	through := fi != nil && !fi.Mode().IsRegular()
	if lfi, err := os.Lstat(target); err == nil && lfi.Mode()&fs.ModeSymlink != 0 {
		through = true
	}
	if through {
		var w Wisdom
		learn(&w)
		if err := w.check(path); err != nil {
			return err
		}
		return w.write(path)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("wisdom file %s: %w", path, err)
	}
	lock, err := lockWisdom(target+".lock", wait)
	if err != nil {
		return fmt.Errorf("wisdom file %s: %w", path, err)
	}
	defer lock.Close() // closing drops the lock
	w, err := LoadWisdom(target)
	if err != nil {
		return err
	}
	learn(&w)
	if err := w.check(path); err != nil {
		return err
	}
	return w.write(target)
}

// lockWisdom opens (creating) the lock file and takes its lock, retrying
// for up to wait.
func lockWisdom(name string, wait time.Duration) (*os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for pause := time.Millisecond; ; pause = min(2*pause, 50*time.Millisecond) {
		err := safefile.TryLock(f)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, safefile.ErrLocked) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, safefile.ErrLocked) {
				return nil, fmt.Errorf("waited %v: %w", wait, err)
			}
			return nil, err
		}
		time.Sleep(pause) // a retry's back-off, not synchronisation
	}
}

// Lookup returns the entry for key.
func (w Wisdom) Lookup(key string) (WisdomEntry, bool) {
	e, ok := w.Entries[key]
	return e, ok
}

// Learn records an entry, replacing any older one for key.
func (w *Wisdom) Learn(key string, e WisdomEntry) {
	if w.Entries == nil {
		w.Entries = map[string]WisdomEntry{}
	}
	w.Entries[key] = e
}

// DefaultWisdomPath is the wisdom file under the user's cache directory:
// $XDG_CACHE_HOME/blasbatch/wisdom.json, or $HOME/.cache/blasbatch/... when
// XDG_CACHE_HOME is unset or empty ($HOME/Library/Caches/... on macOS,
// %LocalAppData%\... on Windows), as os.UserCacheDir chooses. It returns an
// error wrapping [ErrNoWisdomPath] that says which variable is at fault when
// neither is set, when XDG_CACHE_HOME is a relative path (the XDG base
// directory specification allows only absolute ones; os.UserCacheDir
// refuses it too), or when HOME is relative (which os.UserCacheDir would
// accept, making the file's place depend on the working directory).
func DefaultWisdomPath() (string, error) {
	return defaultWisdomPath(runtime.GOOS, os.Getenv)
}

func defaultWisdomPath(goos string, getenv func(string) string) (string, error) {
	fail := func(format string, a ...any) (string, error) {
		return "", fmt.Errorf("%w: %s; name a wisdom file explicitly", ErrNoWisdomPath, fmt.Sprintf(format, a...))
	}
	home := func(v string) (string, error) {
		h := getenv(v)
		switch {
		case h == "":
			return "", fmt.Errorf("$%s is not set", v)
		case !isAbs(goos, h):
			return "", fmt.Errorf("$%s=%q is not an absolute path", v, h)
		}
		return h, nil
	}
	var dir string
	switch goos {
	case "windows":
		d, err := home("LocalAppData")
		if err != nil {
			return fail("%v", err)
		}
		dir = d
	case "darwin", "ios":
		h, err := home("HOME")
		if err != nil {
			return fail("%v", err)
		}
		dir = h + "/Library/Caches"
	case "plan9":
		h, err := home("home")
		if err != nil {
			return fail("%v", err)
		}
		dir = h + "/lib/cache"
	default:
		xdg := getenv("XDG_CACHE_HOME")
		switch {
		case xdg != "" && !isAbs(goos, xdg):
			return fail("$XDG_CACHE_HOME=%q is a relative path, which the XDG base directory specification does not allow", xdg)
		case xdg != "":
			dir = xdg
		case getenv("HOME") == "":
			return fail("neither $XDG_CACHE_HOME nor $HOME is set")
		default:
			h, err := home("HOME")
			if err != nil {
				return fail("$XDG_CACHE_HOME is not set and %v", err)
			}
			dir = h + "/.cache"
		}
	}
	return filepath.Join(dir, "blasbatch", "wisdom.json"), nil
}

// isAbs is filepath.IsAbs for goos: on Windows a drive or UNC path, elsewhere
// a leading slash.
func isAbs(goos, p string) bool {
	if goos == "windows" {
		return len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') || strings.HasPrefix(p, `\\`)
	}
	return strings.HasPrefix(p, "/")
}

// FitCost derives a Cost from measured times of one item: t1 on one
// thread and tk on k threads, solving Amdahl's law for the parallel
// fraction (clamped to [0, 0.99]).
func FitCost(t1, tk float64, k int) Cost {
	c := Cost{Seconds1: t1}
	if k > 1 && t1 > 0 {
		p := (1 - tk/t1) / (1 - 1/float64(k))
		c.Parallel = math.Max(0, math.Min(0.99, p))
	}
	return c
}
