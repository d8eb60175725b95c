//go:build linux

package lanes_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/safefile"
)

// where is a table of the two ways to run lanes.
var where = []struct {
	name    string
	process bool
}{{"in process", false}, {"processes", true}}

// saveOptions are the options of an svd run saving to save, in process or
// on one worker process.
func saveOptions(t *testing.T, save string, process bool, out *lineWriter) lanes.Options {
	return lanes.Options{Kernel: lookup(t, "svd"), Save: save, Process: process, Exe: exe(t), Outer: 1, Out: out}
}

// saveNames lists the save files of ids, sorted.
func saveNames(ids ...string) []string {
	var names []string
	for _, id := range ids {
		for _, o := range []string{"S", "U", "Vt"} {
			names = append(names, lanes.SafeName(id)+"."+o+".npy")
		}
	}
	slices.Sort(names)
	return names
}

// listDir lists dir's names, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// umask reads this process's umask from /proc/self/status, without
// changing it.
func umask(t *testing.T) fs.FileMode {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			if err != nil {
				t.Fatal(err)
			}
			return fs.FileMode(m)
		}
	}
	t.Skip("no Umask in /proc/self/status (Linux before 4.7)")
	return 0
}

// readNpy reads a 1-D or 2-D little-endian float64 .npy file (format 1.0
// or 2.0), independently of matio, which reads matrices only: a vector of
// n is 1×n; a Fortran-ordered matrix is returned row-major.
func readNpy(t *testing.T, path string) (rows, cols int, data []float64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:6]) != "\x93NUMPY" {
		t.Fatalf("%s: not a .npy file", path)
	}
	var hlen, off int
	switch b[6] {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		hlen, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	default:
		t.Fatalf("%s: .npy version %d", path, b[6])
	}
	header := string(b[off : off+hlen])
	m := regexp.MustCompile(`'descr': '<f8', 'fortran_order': (True|False), 'shape': \((\d+),(?: (\d+))?\)`).FindStringSubmatch(header)
	if m == nil {
		t.Fatalf("%s: header %q", path, header)
	}
	rows, cols = 1, 0
	cols, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		rows = cols
		cols, _ = strconv.Atoi(m[3])
	}
	raw := b[off+hlen:]
	if len(raw) != 8*rows*cols {
		t.Fatalf("%s: %d bytes of data for %d×%d", path, len(raw), rows, cols)
	}
	data = make([]float64, rows*cols)
	for i := range data {
		v := math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		if m[1] == "True" {
			data[(i%rows)*cols+i/rows] = v
		} else {
			data[i] = v
		}
	}
	return rows, cols, data
}

// TestSaveWritesEveryOutput: every output of every item is saved as
// SafeName(id).NAME.npy, nothing else is left in the directory, the files
// hold the item's decomposition (S is the record's singular values, U·S·Vᵀ
// rebuilds the input) and have mode 0666 less the umask.
func TestSaveWritesEveryOutput(t *testing.T) {
	mask := umask(t)
	for _, w := range where {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.npy")
			mats := writeStack(t, in, 2, 4, 3, 4)
			save := filepath.Join(dir, "save")
			if err := os.Mkdir(save, 0o777); err != nil {
				t.Fatal(err)
			}
			tasks, _ := scan(t, lookup(t, "svd"), in)
			var out lineWriter
			c, err := lanes.Run(context.Background(), nil, saveOptions(t, save, w.process, &out), tasks)
			if err != nil || c.OK != 2 {
				t.Fatal(c, err)
			}
			ids := []string{in + "[0]", in + "[1]"}
			if got, want := listDir(t, save), saveNames(ids...); !slices.Equal(got, want) {
				t.Fatalf("saved %q, want %q", got, want)
			}
			got := records(t, out.bytes())
			for i, id := range ids {
				base := filepath.Join(save, lanes.SafeName(id))
				for _, o := range []string{"S", "U", "Vt"} {
					fi, err := os.Stat(base + "." + o + ".npy")
					if err != nil {
						t.Fatal(err)
					}
					if fi.Mode().Perm() != 0o666&^mask {
						t.Errorf("%s.%s.npy: mode %v, want %v (umask %03o)", base, o, fi.Mode().Perm(), 0o666&^mask, mask)
					}
				}
				one, ns, s := readNpy(t, base+".S.npy")
				um, uk, u := readNpy(t, base+".U.npy")
				vk, vn, vt := readNpy(t, base+".Vt.npy")
				if !slices.Equal(s, floats(t, got[id], "singular_values")) || one != 1 || ns != 3 || um != 4 || uk != 3 || vk != 3 || vn != 3 {
					t.Fatalf("%s: S %v (record %v), U %d×%d, Vt %d×%d", id, s, floats(t, got[id], "singular_values"), um, uk, vk, vn)
				}
				for r := range 4 {
					for c := range 3 {
						var a float64
						for k := range 3 {
							a += u[r*3+k] * s[k] * vt[k*3+c]
						}
						if !relClose(a, mats[i][r*3+c], s[0], 1e-12) {
							t.Errorf("%s: (U·S·Vᵀ)[%d,%d] = %v, want %v", id, r, c, a, mats[i][r*3+c])
						}
					}
				}
			}
		})
	}
}

// TestSaveHonoursUmask: save files get mode 0666 less the umask of the
// process that writes them, in process and on worker processes (which
// inherit it). The umask is set in a helper process only.
func TestSaveHonoursUmask(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.npy")
	writeStack(t, in, 2, 4, 3, 5)
	for _, mask := range []fs.FileMode{0o077, 0o002, 0o027} {
		t.Run(fmt.Sprintf("%03o", mask), func(t *testing.T) {
			save := t.TempDir()
			cmd := exec.Command(exe(t))
			cmd.Env = append(os.Environ(), helperEnv+"=save", fmt.Sprintf("LANES_TEST_UMASK=%o", mask), "LANES_TEST_INPUT="+in, "LANES_TEST_SAVE="+save)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("helper: %v\n%s", err, b)
			}
			for _, sub := range []string{"inprocess", "process"} {
				d := filepath.Join(save, sub)
				names := listDir(t, d)
				if !slices.Equal(names, saveNames(in+"[0]", in+"[1]")) {
					t.Errorf("%s: saved %q", sub, names)
				}
				for _, n := range names {
					fi, err := os.Stat(filepath.Join(d, n))
					if err != nil {
						t.Fatal(err)
					}
					if fi.Mode().Perm() != 0o666&^mask {
						t.Errorf("%s/%s: mode %v, want %v", sub, n, fi.Mode().Perm(), 0o666&^mask)
					}
				}
			}
		})
	}
}

// TestSaveOutputFails: an item whose second output cannot be written (its
// target is a directory) is a failed record naming the target, and its
// first output is removed again; the items around it are saved whole.
func TestSaveOutputFails(t *testing.T) {
	for _, w := range where {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.npy")
			writeStack(t, in, 3, 4, 3, 6)
			save := filepath.Join(dir, "save")
			blocked := filepath.Join(save, lanes.SafeName(in+"[1]")+".U.npy")
			if err := os.MkdirAll(blocked, 0o777); err != nil {
				t.Fatal(err)
			}
			tasks, _ := scan(t, lookup(t, "svd"), in)
			var out lineWriter
			c, err := lanes.Run(context.Background(), nil, saveOptions(t, save, w.process, &out), tasks)
			if err != nil || c.OK != 2 || c.Failed != 1 {
				t.Fatal(c, err)
			}
			id := in + "[1]"
			r := records(t, out.bytes())[id]
			if r.OK || !strings.HasPrefix(r.Error, id+": --save: ") || !strings.Contains(r.Error, blocked) || !strings.Contains(r.Error, "is a directory") {
				t.Errorf("%s: %+v, want a failure naming %s", id, r, blocked)
			}
			want := append(saveNames(in+"[0]", in+"[2]"), filepath.Base(blocked))
			slices.Sort(want)
			if got := listDir(t, save); !slices.Equal(got, want) {
				t.Errorf("save directory %q, want %q (item 1's S removed, nothing temporary)", got, want)
			}
		})
	}
}

// TestSaveOverInput: a save target that is one of Options.Inputs — a hard
// link to an input as the second output, a symbolic link to it as the
// first — fails its item, saying so, and leaves the input as it was; the
// output written before is removed.
func TestSaveOverInput(t *testing.T) {
	for _, w := range where {
		t.Run(w.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in.npy")
			writeStack(t, in, 2, 4, 3, 7)
			orig, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			id, err := safefile.Identity(in)
			if err != nil {
				t.Fatal(err)
			}
			save := filepath.Join(dir, "save")
			if err := os.Mkdir(save, 0o777); err != nil {
				t.Fatal(err)
			}
			hard := filepath.Join(save, lanes.SafeName(in+"[0]")+".U.npy")
			soft := filepath.Join(save, lanes.SafeName(in+"[1]")+".S.npy")
			if err := os.Link(in, hard); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(in, soft); err != nil {
				t.Fatal(err)
			}
			tasks, _ := scan(t, lookup(t, "svd"), in)
			var out lineWriter
			opt := saveOptions(t, save, w.process, &out)
			opt.Inputs = map[safefile.ID]bool{id: true}
			c, err := lanes.Run(context.Background(), nil, opt, tasks)
			if err != nil || c.Failed != 2 {
				t.Fatal(c, err)
			}
			got := records(t, out.bytes())
			for item, target := range map[string]string{in + "[0]": hard, in + "[1]": soft} {
				r := got[item]
				if r.OK || !strings.Contains(r.Error, target) || !strings.Contains(r.Error, lanes.ErrSaveInput.Error()) {
					t.Errorf("%s: %+v, want a failure saying %s would overwrite an input", item, r, target)
				}
			}
			if b, err := os.ReadFile(in); err != nil || string(b) != string(orig) {
				t.Errorf("the input changed (%v)", err)
			}
			if names := listDir(t, save); !slices.Equal(names, []string{filepath.Base(hard), filepath.Base(soft)}) {
				t.Errorf("save directory %q, want the two links only", names)
			}
		})
	}
}
