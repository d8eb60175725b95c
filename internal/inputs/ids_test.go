package inputs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/blasbatch/blasbatch/matio"
)

// TestIDsInjective: files whose names differ only in bytes that are not
// valid UTF-8 (which JSON would turn into the same U+FFFD) or that hold
// control characters get different ids, each valid one-line UTF-8 and
// turned back into its path by matio.UnescapeID; Quote of such a path,
// and every warning and error naming one, is one line.
func TestIDsInjective(t *testing.T) {
	dir := t.TempDir()
	names := []string{"lat\xe8.npy", "lat\xe9.npy", "lat\xef\xbf\xbd.npy", "new\nline.npy", "tab\there.npy", `back\slash.npy`, "c1\u0085.npy", "x\\xe8.npy"}
	var made []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, npyBytes(t, 3, 2, 2), 0o644); err != nil {
			if errors.Is(err, syscall.EILSEQ) || errors.Is(err, syscall.EINVAL) {
				t.Logf("the file system refuses the name %q: %v", n, err)
				continue
			}
			t.Fatal(err)
		}
		made = append(made, p)
	}
	bad := filepath.Join(dir, "bad\n\xff.npy") // a broken file: its error names it
	writeFile(t, bad, []byte("\x93NUMPY garbage"))
	made = append(made, bad)

	// Each file named twice, so the warning quotes such names.
	args := append(slices.Clone(made), made...)
	set := scan(t, args, false, Options{})
	checkSet(t, &set)
	if len(set.Files) != len(made) || len(set.Warnings) != 1 {
		t.Fatalf("files %q, warnings %q: want %d files and one warning", pathsOf(&set), set.Warnings, len(made))
	}
	seen := map[string]string{}
	for _, f := range set.Files {
		if len(f.Runs) != 1 {
			t.Fatalf("%q: runs %+v", f.Path, f.Runs)
		}
		id := f.Runs[0].ID0
		if other, dup := seen[id]; dup {
			t.Errorf("%q and %q have the same id %q", f.Path, other, id)
		}
		seen[id] = f.Path
		if back, err := matio.UnescapeID(id); err != nil || back != f.Path {
			t.Errorf("%q: UnescapeID(%q) = %q, %v", f.Path, id, back, err)
		}
		if q := Quote(f.Path); !oneLine(q) || q != id {
			t.Errorf("Quote(%q) = %q, want the id %q, one line", f.Path, q, id)
		}
		if (f.Path == bad) != (f.Runs[0].Err != nil) {
			t.Errorf("%q: runs %+v", f.Path, f.Runs)
		}
	}
	if err := runsOf(t, &set, bad)[0].Err; err == nil || !strings.Contains(err.Error(), Quote(bad)) {
		t.Errorf("broken file: error %v does not name %s", err, Quote(bad))
	}
}

// collide is a case of TestCheckIDs: files written into a directory, the
// arguments in order, and the runs that must fail for their id.
type collide struct {
	name  string
	write func(t *testing.T, dir string)
	args  []string
	fail  map[string]int // argument → index of its failed run
	other string         // the argument a failure names as holding the id
	items int            // the set's item count
}

// TestCheckIDs: an item whose id another item of the set already has —
// a 2-D file literally named "x.npy[3]" beside a stack x.npy of 5, a 2-D
// member "a[0].npy" beside a 3-D member "a.npy" of one archive, a stack
// file named like an archive's stack member — is one failed run wrapping
// ErrDuplicateID that names the other file, whichever comes second; ids
// that only look alike ("x.npy[7]" beside a stack of 5, "x.npy[05]") are
// no collision; ids stay unique across the set, the renamed failures'
// too.
func TestCheckIDs(t *testing.T) {
	stack5 := func(p string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { writeNpy(t, filepath.Join(dir, p), 5, 2, 2) }
	}
	both := func(fs ...func(t *testing.T, dir string)) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			for _, f := range fs {
				f(t, dir)
			}
		}
	}
	flat := func(p string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { writeNpy(t, filepath.Join(dir, p), 3, 3) }
	}
	npz := func(p string, ms ...member) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { writeNpz(t, filepath.Join(dir, p), ms...) }
	}
	m2 := func(name string) member { return member{name: name, shape: []int{3, 3}} }
	m3 := func(name string, k int) member { return member{name: name, shape: []int{k, 2, 2}} }
	for _, c := range []collide{
		{"file x.npy[3] after stack x.npy", both(stack5("x.npy"), flat("x.npy[3]")),
			[]string{"x.npy", "x.npy[3]"}, map[string]int{"x.npy[3]": 0}, "x.npy", 6},
		{"stack x.npy after file x.npy[3]", both(stack5("x.npy"), flat("x.npy[3]")),
			[]string{"x.npy[3]", "x.npy"}, map[string]int{"x.npy": 0}, "x.npy[3]", 2},
		{"file x.npy[0] after stack x.npy", both(stack5("x.npy"), flat("x.npy[0]")),
			[]string{"x.npy", "x.npy[0]"}, map[string]int{"x.npy[0]": 0}, "x.npy", 6},
		{"file x.npy[4] after stack x.npy", both(stack5("x.npy"), flat("x.npy[4]")),
			[]string{"x.npy", "x.npy[4]"}, map[string]int{"x.npy[4]": 0}, "x.npy", 6},
		{"no collision: x.npy[7], x.npy[05], x.npy[-1]", both(stack5("x.npy"), flat("x.npy[7]"), flat("x.npy[05]"), flat("x.npy[-1]")),
			[]string{"x.npy", "x.npy[7]", "x.npy[05]", "x.npy[-1]"}, nil, "", 8},
		{"member a[0] before stack member a", npz("z.npz", m2("a[0].npy"), m3("a.npy", 5)),
			[]string{"z.npz"}, map[string]int{"z.npz": 1}, "z.npz", 2},
		{"stack member a before member a[0]", npz("z.npz", m3("a.npy", 5), m2("a[0].npy")),
			[]string{"z.npz"}, map[string]int{"z.npz": 1}, "z.npz", 6},
		{"stack member a of one before member a[0]", npz("z.npz", m3("a.npy", 1), m2("a[0].npy")),
			[]string{"z.npz"}, map[string]int{"z.npz": 1}, "z.npz", 2},
		{"no collision: member a[5] beside stack member a of 5", npz("z.npz", m3("a.npy", 5), m2("a[5].npy")),
			[]string{"z.npz"}, nil, "", 6},
		{"stack file z.npz:a after stack member a", both(npz("z.npz", m3("a.npy", 3)), stack5("z.npz:a")),
			[]string{"z.npz", "z.npz:a"}, map[string]int{"z.npz:a": 0}, "z.npz", 4},
		{"file z.npz:a before member a", both(npz("z.npz", m2("a.npy"), m2("b.npy")), flat("z.npz:a")),
			[]string{"z.npz:a", "z.npz"}, map[string]int{"z.npz": 0}, "z.npz:a", 3},
		// The third file's renamed failure would be z.npz:a[0]\#2, the id
		// of the archive's second member a[0].
		{"renamed failure meets a duplicate member's id", both(flat("f0.npy"), flat("f1.npy"), npz("z.npz", m3("a.npy", 3), m2("a[0].npy"), m2("a[0].npy"))),
			[]string{"f0.npy", "f1.npy", "z.npz"}, map[string]int{"z.npz": 1}, "z.npz", 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.write(t, dir)
			var args []string
			for _, a := range c.args {
				args = append(args, filepath.Join(dir, a))
			}
			set := scan(t, args, false, Options{})
			checkSet(t, &set)
			if n := set.Items(); n != c.items {
				t.Errorf("%d items, want %d (runs %+v)", n, c.items, set.Files)
			}
			for fi, f := range set.Files {
				want, fails := c.fail[c.args[fi]]
				for ri, r := range f.Runs {
					dup := errors.Is(r.Err, ErrDuplicateID)
					switch {
					case dup != (fails && ri == want):
						t.Errorf("%s run %d: %+v (error %v), want failed for its id: %v", c.args[fi], ri, r, r.Err, fails && ri == want)
					case dup:
						other := filepath.Join(dir, c.other)
						if msg := r.Err.Error(); !strings.Contains(msg, " already that of ") || !strings.Contains(msg, Quote(other)) || !strings.HasPrefix(msg, Quote(f.Path)) {
							t.Errorf("%s run %d: error %q does not name %s", c.args[fi], ri, msg, other)
						}
					case r.Err != nil:
						t.Errorf("%s run %d: unexpected error %v", c.args[fi], ri, r.Err)
					}
				}
			}
		})
	}
}
