package plan

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch/internal/safefile"
)

func TestWisdomRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "wisdom.json")
	w, err := LoadWisdom(path)
	if err != nil || len(w.Entries) != 0 {
		t.Fatalf("missing file: %v %v", w, err)
	}
	k := WisdomKey("AMD EPYC", 2, "OpenBLAS 0.3.21", "svd", 1000, 1000)
	w.Learn(k, WisdomEntry{Cost: Cost{Seconds1: 0.3, Parallel: 0.55}, Rows: 1000, Cols: 1000})
	if err := w.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadWisdom(path)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := got.Lookup(WisdomKey("AMD EPYC", 2, "OpenBLAS 0.3.21", "svd", 1024, 1024))
	if !ok || e.Seconds1 != 0.3 || e.Parallel != 0.55 {
		t.Fatalf("1024×1024 should share 1000×1000's class: %+v %v", e, ok)
	}
	if _, ok := got.Lookup(WisdomKey("AMD EPYC", 2, "OpenBLAS 0.3.21", "svd", 500, 500)); ok {
		t.Fatal("500×500 found in 1000×1000's class")
	}
	if _, ok := got.Lookup(WisdomKey("AMD EPYC", 4, "OpenBLAS 0.3.21", "svd", 1000, 1000)); ok {
		t.Fatal("a different core count shares wisdom")
	}
	os.WriteFile(path, []byte("not json"), 0o644)
	if _, err := LoadWisdom(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("garbage wisdom: %v, want an error naming the file", err)
	}
	for _, empty := range []string{"", "\n  \n"} {
		os.WriteFile(path, []byte(empty), 0o644)
		if w, err := LoadWisdom(path); err != nil || len(w.Entries) != 0 {
			t.Errorf("a file holding %q: %v, %v; want empty wisdom", empty, w, err)
		}
	}
}

func TestFitCost(t *testing.T) {
	want := Cost{Seconds1: 2, Parallel: 0.6}
	got := FitCost(2, want.Inner(4), 4)
	if math.Abs(got.Parallel-0.6) > 1e-12 || got.Seconds1 != 2 {
		t.Fatalf("%+v", got)
	}
	if c := FitCost(1, 1.3, 2); c.Parallel != 0 {
		t.Fatalf("slower with threads: p = %v, want 0", c.Parallel)
	}
}

// wisdomFile writes a wisdom file holding a good entry and, under key
// "bad", the entry given as JSON fields.
func wisdomFile(t *testing.T, dir, badFields string) string {
	t.Helper()
	p := filepath.Join(dir, "wisdom.json")
	body := `{"entries": {"good": {"Seconds1": 0.5, "Parallel": 0.99, "measured": "2026-01-02T03:04:05Z"},
	                      "bad": {` + badFields + `, "measured": "2026-01-02T03:04:05Z"}}}`
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWisdomBadEntries: a hand-edited entry that cannot be a measured cost
// is refused, naming the file and the key; the edge values allowed pass.
func TestWisdomBadEntries(t *testing.T) {
	for _, c := range []struct {
		fields string
		bad    bool
	}{
		{`"Seconds1": 1`, false},
		{`"Seconds1": 1e-9, "Parallel": 0`, false},
		{`"Seconds1": 1, "Parallel": 0.999, "Saturated": 0, "SaturatedAt": 0`, false},
		{`"Seconds1": 1, "Saturated": 2, "SaturatedAt": 4, "Rows": 10, "Cols": 0`, false},
		{`"Seconds1": -1`, true},
		{`"Seconds1": 0`, true},
		{`"Parallel": 0.5`, true}, // Seconds1 missing: 0
		{`"Seconds1": 1, "Parallel": 1`, true},
		{`"Seconds1": 1, "Parallel": 1.5`, true},
		{`"Seconds1": 1, "Parallel": -0.1`, true},
		{`"Seconds1": 1, "Saturated": -1`, true},
		{`"Seconds1": 1, "Saturated": 1, "SaturatedAt": -2`, true},
		{`"Seconds1": 1, "Rows": -3`, true},
	} {
		path := wisdomFile(t, t.TempDir(), c.fields)
		w, err := LoadWisdom(path)
		if !c.bad {
			if err != nil || len(w.Entries) != 2 {
				t.Errorf("{%s}: %v, %d entries; want it accepted", c.fields, err, len(w.Entries))
			}
			continue
		}
		if !errors.Is(err, ErrBadWisdom) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"bad"`) {
			t.Errorf("{%s}: %v; want ErrBadWisdom naming %s and the key \"bad\"", c.fields, err, path)
		}
		// UpdateWisdom refuses to build on it, and leaves the file alone.
		before, _ := os.ReadFile(path)
		err = UpdateWisdom(path, func(w *Wisdom) { w.Learn("new", WisdomEntry{Cost: Cost{Seconds1: 1}}) })
		after, _ := os.ReadFile(path)
		if !errors.Is(err, ErrBadWisdom) || string(after) != string(before) {
			t.Errorf("{%s}: UpdateWisdom on it: %v, file changed %v", c.fields, err, string(after) != string(before))
		}
	}
	// A number JSON cannot hold in a float64 is a JSON error naming the file.
	path := wisdomFile(t, t.TempDir(), `"Seconds1": 1e400`)
	if _, err := LoadWisdom(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Seconds1 1e400: %v", err)
	}
	// NaN and infinities cannot come from JSON; a caller's can, and is
	// refused before anything is written.
	for _, bad := range []Cost{{Seconds1: math.NaN()}, {Seconds1: math.Inf(1)}, {Seconds1: 1, Parallel: math.NaN()}, {Seconds1: 1, Saturated: math.Inf(1)}} {
		dir := t.TempDir()
		path := filepath.Join(dir, "w.json")
		learn := func(w *Wisdom) { w.Learn("nan key", WisdomEntry{Cost: bad}) }
		if err := UpdateWisdom(path, learn); !errors.Is(err, ErrBadWisdom) || !strings.Contains(err.Error(), `"nan key"`) {
			t.Errorf("UpdateWisdom learning %+v: %v, want ErrBadWisdom naming the key", bad, err)
		}
		var w Wisdom
		learn(&w)
		if err := w.Save(path); !errors.Is(err, ErrBadWisdom) {
			t.Errorf("Save of %+v: %v, want ErrBadWisdom", bad, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("a refused update of %+v wrote %s", bad, path)
		}
	}
}

const helperEnv = "PLAN_TEST_HELPER"

// runHelper is the test binary as a helper process (see TestMain).
func runHelper(name string) int {
	switch name {
	case "wisdom":
		// Wait for the go-ahead on stdin, so that the helpers start
		// together, then add keys PREFIX-0 … PREFIX-(N-1) one update
		// at a time.
		bufio.NewReader(os.Stdin).ReadString('\n')
		path, prefix := os.Getenv("PLAN_TEST_WISDOM"), os.Getenv("THREADS_TEST_PREFIX")
		n, _ := strconv.Atoi(os.Getenv("THREADS_TEST_N"))
		for i := range n {
			key := fmt.Sprintf("%s-%d", prefix, i)
			err := UpdateWisdom(path, func(w *Wisdom) {
				w.Learn(key, WisdomEntry{Cost: Cost{Seconds1: float64(i + 1)}, Measured: time.Unix(int64(i), 0).UTC()})
			})
			if err != nil {
				fmt.Println(err)
				return 1
			}
		}
		return 0
	}
	fmt.Println("unknown helper", name)
	return 2
}

// TestUpdateWisdomConcurrent: two processes adding to one wisdom file at the
// same time both keep their entries (read, modify, write under the lock),
// and so does what was there before.
func TestUpdateWisdomConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache", "wisdom.json")
	if err := UpdateWisdom(path, func(w *Wisdom) { w.Learn("before", WisdomEntry{Cost: Cost{Seconds1: 9}}) }); err != nil {
		t.Fatal(err)
	}
	const n = 12
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   strings.Builder
	}
	var kids []*child
	for _, prefix := range []string{"a", "b"} {
		c := &child{cmd: exec.Command(os.Args[0])}
		c.cmd.Env = append(os.Environ(), helperEnv+"=wisdom", "PLAN_TEST_WISDOM="+path,
			"THREADS_TEST_PREFIX="+prefix, fmt.Sprintf("THREADS_TEST_N=%d", n))
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		var err error
		if c.stdin, err = c.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		kids = append(kids, c)
	}
	for _, c := range kids {
		io.WriteString(c.stdin, "go\n")
		c.stdin.Close()
	}
	for _, c := range kids {
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("helper: %v: %s", err, c.out.String())
		}
	}
	w, err := LoadWisdom(path)
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, k := range []string{"before"} {
		if _, ok := w.Lookup(k); !ok {
			missing = append(missing, k)
		}
	}
	for _, prefix := range []string{"a", "b"} {
		for i := range n {
			k := fmt.Sprintf("%s-%d", prefix, i)
			if e, ok := w.Lookup(k); !ok || e.Seconds1 != float64(i+1) {
				missing = append(missing, k)
			}
		}
	}
	if len(missing) > 0 || len(w.Entries) != 2*n+1 {
		t.Errorf("%d entries, lost %q", len(w.Entries), missing)
	}
	noTemps(t, filepath.Dir(path))
}

// noTemps fails the test if dir holds a temporary file of safefile.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), safefile.TempPrefix) || strings.HasPrefix(e.Name(), ".wisdom-") {
			t.Errorf("temporary file %s left in %s", e.Name(), dir)
		}
	}
}

func TestUpdateWisdomTargets(t *testing.T) {
	learn := func(w *Wisdom) { w.Learn("k", WisdomEntry{Cost: Cost{Seconds1: 1}}) }

	// A directory: a clear error, nothing created beside or in it.
	root := t.TempDir()
	dir := filepath.Join(root, "adir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := UpdateWisdom(dir, learn); err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("UpdateWisdom(DIR): %v, want an error saying it is a directory", err)
	}
	var w Wisdom
	learn(&w)
	if err := w.Save(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Save(DIR): %v, want an error naming it", err)
	}
	for _, d := range []string{root, dir} {
		if ents, _ := os.ReadDir(d); d == root && len(ents) != 1 || d == dir && len(ents) != 0 {
			t.Errorf("%s after writing wisdom to a directory: %v", d, ents)
		}
	}

	// A symbolic link: the target is updated, the link stays, the lock is
	// the target's.
	realDir := filepath.Join(root, "real")
	if err := os.Mkdir(realDir, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link.json")
	if err := os.Symlink(filepath.Join(realDir, "w.json"), link); err != nil {
		t.Fatal(err)
	}
	if err := UpdateWisdom(link, learn); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v, %v", fi, err)
	}
	if w, err := LoadWisdom(filepath.Join(realDir, "w.json")); err != nil || len(w.Entries) != 1 {
		t.Errorf("the link's target: %v, %v", w, err)
	}
	if _, err := os.Stat(filepath.Join(realDir, "w.json.lock")); err != nil {
		t.Errorf("no lock beside the target: %v", err)
	}
	noTemps(t, root)
	noTemps(t, realDir)

	// Held by another open file description: an error wrapping
	// safefile.ErrLocked once the wait is over (here none).
	path := filepath.Join(realDir, "w.json")
	lf, err := os.Open(path + ".lock")
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := safefile.TryLock(lf); err != nil {
		t.Fatal(err)
	}
	if err := updateWisdom(path, learn, 0); !errors.Is(err, safefile.ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Errorf("while locked: %v, want ErrLocked naming the file", err)
	}
	safefile.Unlock(lf)
	if err := updateWisdom(path, learn, 0); err != nil {
		t.Errorf("once unlocked: %v", err)
	}
}

// TestWisdomDevNull: -wisdom /dev/null reads as empty and is written
// through, never replaced by a regular file, and no lock file is made in
// /dev.
func TestWisdomDevNull(t *testing.T) {
	fi, err := os.Stat("/dev/null")
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Skipf("/dev/null is not a character device here (%v)", err)
	}
	_, lockErr := os.Stat("/dev/null.lock")
	learn := func(w *Wisdom) { w.Learn("k", WisdomEntry{Cost: Cost{Seconds1: 1}}) }
	if err := UpdateWisdom("/dev/null", learn); err != nil {
		t.Errorf("UpdateWisdom(/dev/null): %v", err)
	}
	var w Wisdom
	learn(&w)
	if err := w.Save("/dev/null"); err != nil {
		t.Errorf("Save(/dev/null): %v", err)
	}
	if w, err := LoadWisdom("/dev/null"); err != nil || len(w.Entries) != 0 {
		t.Errorf("LoadWisdom(/dev/null) = %v, %v; want empty", w, err)
	}
	if fi, err := os.Stat("/dev/null"); err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is now %v, %v", fi.Mode(), err)
	}
	if _, err := os.Stat("/dev/null.lock"); errors.Is(lockErr, fs.ErrNotExist) && !errors.Is(err, fs.ErrNotExist) {
		t.Error("UpdateWisdom created /dev/null.lock")
	}
}

func TestDefaultWisdomPath(t *testing.T) {
	for _, c := range []struct {
		goos string
		env  map[string]string
		want string // "" for an error
		says string // what the error names
	}{
		{"linux", map[string]string{"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}, "/x/cache/blasbatch/wisdom.json", ""},
		{"linux", map[string]string{"HOME": "/home/u"}, "/home/u/.cache/blasbatch/wisdom.json", ""},
		{"linux", map[string]string{"XDG_CACHE_HOME": "", "HOME": "/home/u"}, "/home/u/.cache/blasbatch/wisdom.json", ""},
		{"linux", map[string]string{"XDG_CACHE_HOME": "/x"}, "/x/blasbatch/wisdom.json", ""},
		{"linux", map[string]string{}, "", "neither $XDG_CACHE_HOME nor $HOME is set"},
		{"linux", map[string]string{"XDG_CACHE_HOME": "rel/cache", "HOME": "/home/u"}, "", `$XDG_CACHE_HOME="rel/cache" is a relative path`},
		{"linux", map[string]string{"HOME": "home/u"}, "", `$HOME="home/u" is not an absolute path`},
		{"freebsd", map[string]string{"HOME": "/usr/home/u"}, "/usr/home/u/.cache/blasbatch/wisdom.json", ""},
		{"darwin", map[string]string{"HOME": "/Users/u", "XDG_CACHE_HOME": "rel"}, "/Users/u/Library/Caches/blasbatch/wisdom.json", ""},
		{"darwin", map[string]string{}, "", "$HOME is not set"},
	} {
		got, err := defaultWisdomPath(c.goos, func(k string) string { return c.env[k] })
		if c.want != "" {
			if err != nil || got != filepath.FromSlash(c.want) {
				t.Errorf("%s %v: %q, %v; want %q", c.goos, c.env, got, err, c.want)
			}
			continue
		}
		if !errors.Is(err, ErrNoWisdomPath) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s %v: %q, %v; want ErrNoWisdomPath saying %q", c.goos, c.env, got, err, c.says)
		}
	}
	// The live environment agrees with os.UserCacheDir where that succeeds
	// and HOME is absolute.
	if d, err := os.UserCacheDir(); err == nil && filepath.IsAbs(d) {
		if got, err := DefaultWisdomPath(); err != nil || got != filepath.Join(d, "blasbatch", "wisdom.json") {
			t.Errorf("DefaultWisdomPath() = %q, %v; os.UserCacheDir() = %q", got, err, d)
		}
	}
}
