package inputs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
)

// TestExpandSameFileOnce: a file named several times — relative, with
// "./", absolute, through a symlink, through a hard link, and through the
// directory that holds it — is listed once, at its first place, with its
// identity, and one warning counts the other names and quotes one pair of
// names of the same file; a copy is another file and is kept.
func TestExpandSameFileOnce(t *testing.T) {
	root := t.TempDir()
	t.Chdir(root)
	writeNpy(t, "d/a.npy", 3, 2)
	if b, err := os.ReadFile("d/a.npy"); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile("copy.npy", b, 0o644); err != nil { // same bytes, another file
		t.Fatal(err)
	}
	if err := os.Symlink("d/a.npy", "link.npy"); err != nil {
		t.Fatal(err)
	}
	if err := os.Link("d/a.npy", "hard.npy"); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(root, "d", "a.npy")
	idA, err := safefile.Identity(abs)
	if err != nil {
		t.Fatal(err)
	}
	idCopy, err := safefile.Identity("copy.npy")
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name  string
		args  []string
		want  []string // the paths kept, in order
		ids   []safefile.ID
		dups  int      // names dropped
		names []string // the names the warning may quote for the dropped one
	}{
		{"every name", []string{"d/a.npy", "./d/a.npy", abs, "link.npy", "hard.npy", "d", "copy.npy"},
			[]string{"d/a.npy", "copy.npy"}, []safefile.ID{idA, idCopy}, 5,
			[]string{"./d/a.npy", abs, "link.npy", "hard.npy"}},
		{"directory first", []string{"d", "hard.npy", "link.npy"},
			[]string{filepath.Join("d", "a.npy")}, []safefile.ID{idA}, 2, []string{"hard.npy", "link.npy"}},
		{"link first", []string{"link.npy", "d/a.npy"}, []string{"link.npy"}, []safefile.ID{idA}, 1, []string{"d/a.npy"}},
		{"directory twice", []string{"d", "./d", abs}, []string{filepath.Join("d", "a.npy")}, []safefile.ID{idA}, 2,
			[]string{filepath.Join("d", "a.npy"), abs}},
		{"copy is another file", []string{"copy.npy", "d/a.npy"}, []string{"copy.npy", "d/a.npy"}, []safefile.ID{idCopy, idA}, 0, nil},
		{"once", []string{"d/a.npy"}, []string{"d/a.npy"}, []safefile.ID{idA}, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			paths, ids, warnings := expand(t, c.args, Options{})
			if !slices.Equal(paths, c.want) || !slices.Equal(ids, c.ids) {
				t.Fatalf("Expand(%q) = %q %v, want %q %v", c.args, paths, ids, c.want, c.ids)
			}
			if c.dups == 0 {
				if len(warnings) != 0 {
					t.Fatalf("warnings %q, want none", warnings)
				}
				return
			}
			if len(warnings) != 1 {
				t.Fatalf("warnings %q, want one", warnings)
			}
			w := warnings[0]
			if !strings.HasPrefix(w, strconv.Itoa(c.dups)+" input") {
				t.Errorf("warning %q does not start with the count %d", w, c.dups)
			}
			if !strings.Contains(w, Quote(c.want[0])) || !slices.ContainsFunc(c.names, func(n string) bool { return strings.Contains(w, Quote(n)) }) {
				t.Errorf("warning %q names no pair: want %q and one of %q", w, c.want[0], c.names)
			}
		})
	}
}

// tree makes the directory tree of TestExpandDirectory under root.
func tree(t *testing.T, root string) {
	t.Helper()
	for _, p := range []string{"b.npy", "a.npy", "A.NPY", "sub/y.npy", "sub.npy", ".hidden.npy", ".hid/x.npy", "sub/.h.npy", "sub/deeper/w.npy"} {
		writeNpy(t, filepath.Join(root, p), 2, 2)
	}
	writeNpz(t, filepath.Join(root, "sub/deeper/z.npz"), member{name: "m.npy", shape: []int{2, 3}})
	for _, p := range []string{"c.txt", "notes", "sub/deeper/r.txt"} {
		writeFile(t, filepath.Join(root, p), []byte("not a matrix\n"))
	}
	for link, target := range map[string]string{"gone.npy": "nowhere.npy", "gone.txt": "nowhere.txt", "sub/deeper/up.npy": "../../.hidden.npy"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
}

// refExpand lists the files of one directory as Expand's contract says,
// independently: filepath.WalkDir (lexical order, depth first), names
// starting with '.' skipped, directories followed only when recursive,
// regular files (after links) with a matrix extension, or every one with
// anyFile, and links that lead nowhere kept when their name qualifies.
func refExpand(t *testing.T, root string, recursive, anyFile bool) []string {
	t.Helper()
	var out []string
	exts := []string{".npy", ".npz", ".mtx", ".csv", ".tsv", ".f64"}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !recursive {
				return filepath.SkipDir
			}
			return nil
		}
		named := anyFile || slices.Contains(exts, strings.ToLower(filepath.Ext(p)))
		fi, err := os.Stat(p)
		switch {
		case err != nil && named:
			out = append(out, p)
		case err != nil || !named:
		case fi.Mode().IsRegular():
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExpandDirectory: a directory stands for its files in sorted order,
// hidden names never, matrix extensions (any case) only unless AnyFile,
// subdirectories only with Recursive (depth first, sorted), links that
// lead nowhere kept; the lists equal refExpand's and the ones written out
// here from the tree, and each kept file carries its identity (zero for a
// dangling link).
func TestExpandDirectory(t *testing.T) {
	root := t.TempDir()
	tree(t, root)
	for _, c := range []struct {
		name string
		opt  Options
		want []string
	}{
		{"flat", Options{}, []string{"A.NPY", "a.npy", "b.npy", "gone.npy", "sub.npy"}},
		{"recursive", Options{Recursive: true},
			[]string{"A.NPY", "a.npy", "b.npy", "gone.npy", "sub/deeper/up.npy", "sub/deeper/w.npy", "sub/deeper/z.npz", "sub/y.npy", "sub.npy"}},
		{"any file", Options{AnyFile: true},
			[]string{"A.NPY", "a.npy", "b.npy", "c.txt", "gone.npy", "gone.txt", "notes", "sub.npy"}},
		{"any file recursive", Options{AnyFile: true, Recursive: true},
			[]string{"A.NPY", "a.npy", "b.npy", "c.txt", "gone.npy", "gone.txt", "notes", "sub/deeper/r.txt", "sub/deeper/up.npy", "sub/deeper/w.npy", "sub/deeper/z.npz", "sub/y.npy", "sub.npy"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			paths, ids, warnings := expand(t, []string{root}, c.opt)
			var want []string
			for _, p := range c.want {
				want = append(want, filepath.Join(root, p))
			}
			if !slices.Equal(paths, want) {
				t.Errorf("Expand = %q\nwant     %q", paths, want)
			}
			if ref := refExpand(t, root, c.opt.Recursive, c.opt.AnyFile); !slices.Equal(paths, ref) {
				t.Errorf("Expand = %q\nrefExpand %q", paths, ref)
			}
			if len(warnings) != 0 {
				t.Errorf("warnings %q, want none", warnings)
			}
			for i, p := range paths {
				id, err := safefile.Identity(p)
				if err != nil {
					id = safefile.ID{}
				}
				if ids[i] != id {
					t.Errorf("%s: id %v, want %v", p, ids[i], id)
				}
			}
		})
	}

	// The dangling link is an item that fails saying the file is missing;
	// the others are read.
	set := scan(t, []string{root}, false, Options{})
	checkSet(t, &set)
	for _, f := range set.Files {
		failed := slices.ContainsFunc(f.Runs, func(r Run) bool { return r.Err != nil })
		if gone := filepath.Base(f.Path) == "gone.npy"; failed != gone {
			t.Errorf("%s: runs %+v", f.Path, f.Runs)
		} else if gone && (!errors.Is(f.Runs[0].Err, fs.ErrNotExist) || !strings.Contains(f.Runs[0].Err.Error(), Quote(f.Path))) {
			t.Errorf("%s: error %v, want one naming the link and wrapping fs.ErrNotExist", f.Path, f.Runs[0].Err)
		}
	}
}

// TestExpandRecursiveLinkLoop: with Recursive, links to directories are
// followed, but not one back to a directory being listed: each file is
// listed once, under its shortest name, and no file counts as named twice.
func TestExpandRecursiveLinkLoop(t *testing.T) {
	root := t.TempDir()
	writeNpy(t, filepath.Join(root, "d", "a.npy"), 2, 2)
	if err := os.Symlink("..", filepath.Join(root, "d", "loop")); err != nil {
		t.Fatal(err)
	}
	paths, _, warnings := expand(t, []string{filepath.Join(root, "d")}, Options{Recursive: true})
	if want := []string{filepath.Join(root, "d", "a.npy")}; !slices.Equal(paths, want) || len(warnings) != 0 {
		t.Errorf("Expand = %q %q, want %q and no warning", paths, warnings, want)
	}
}

// TestExpandMissing: a missing argument is kept, with no identity, and its
// one item fails naming it; an argument with no matrix name is kept too
// (named explicitly, it is read by content).
func TestExpandMissing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.npy")
	byContent := filepath.Join(dir, "matrix.bin")
	writeFile(t, byContent, npyBytes(t, 1, 2, 3))
	paths, ids, warnings := expand(t, []string{missing, byContent}, Options{})
	if !slices.Equal(paths, []string{missing, byContent}) || ids[0] != (safefile.ID{}) || ids[1] == (safefile.ID{}) || len(warnings) != 0 {
		t.Fatalf("Expand = %q %v %q", paths, ids, warnings)
	}
	set := scan(t, []string{missing, byContent}, false, Options{})
	checkSet(t, &set)
	runs := runsOf(t, &set, missing)
	if len(runs) != 1 || runs[0].Err == nil || !errors.Is(runs[0].Err, fs.ErrNotExist) ||
		!strings.Contains(runs[0].Err.Error(), missing) || runs[0].ID0 != matio.EscapeID(missing) {
		t.Errorf("missing file: runs %+v (error %v)", runs, runs[0].Err)
	}
	if runs := runsOf(t, &set, byContent); len(runs) != 1 || runs[0].Err != nil || runs[0].Rows != 2 || runs[0].Cols != 3 {
		t.Errorf("file read by content: runs %+v", runs)
	}
}
