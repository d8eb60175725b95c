package lanes

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/matio"
)

// TestLose checks which item a dead lane is charged with and what is
// queued again, for tasks of each kind.
func TestLose(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "s.npy")
	f, _ := os.Create(stack)
	matio.WriteNpyHeader(f, []int{5, 2, 3}, false)
	matio.WriteFloat64s(f, make([]float64, 30))
	f.Close()
	npz := filepath.Join(dir, "z.npz")
	f, _ = os.Create(npz)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("bad.npy")
	w.Write([]byte("junk"))
	w, _ = zw.Create("m.npy")
	matio.WriteNpyHeader(w, []int{4, 4}, false)
	matio.WriteFloat64s(w, make([]float64, 16))
	zw.Close()
	f.Close()
	missing := filepath.Join(dir, "missing.npy")

	for _, c := range []struct {
		src      batch.Source
		got      int
		failed   string // "" none
		rows     int
		requeued []batch.Source
	}{
		{batch.Source{Path: stack, First: 1, Count: 3}, 1, stack + "[2]", 2, []batch.Source{{Path: stack, First: 3, Count: 1}}},
		{batch.Source{Path: stack, First: 1, Count: 3}, 2, stack + "[3]", 2, nil},
		{batch.Source{Path: stack, First: 1, Count: 3}, 3, "", 0, nil}, // after the task's last item
		{batch.Source{Path: stack, First: 2}, 0, stack + "[2]", 2, []batch.Source{{Path: stack, First: 3}}},
		{batch.Source{Path: stack, First: 2}, 3, "", 0, nil}, // after the file's last item
		{batch.Source{Path: npz}, 0, npz + ":bad", 0, []batch.Source{{Path: npz, First: 1}}},
		{batch.Source{Path: npz}, 1, npz + ":m", 4, []batch.Source{{Path: npz, First: 2}}},
		{batch.Source{Path: missing}, 0, missing, 0, nil},
	} {
		var out bytes.Buffer
		p := &pool{cfg: Config{Kernel: "svd"}, out: &out}
		l := &lane{id: 1, name: "lane 1 (CPU 1)"}
		p.lose(l, &task{src: c.src}, c.got, "lane 1 (CPU 1) died: signal: killed")
		var r struct {
			Input, Error string
			OK           bool
			Rows, Lane   int
		}
		if c.failed == "" {
			if out.Len() != 0 || p.sum.Failed != 0 {
				t.Errorf("%+v got %d: charged %s", c.src, c.got, out.String())
			}
		} else if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.OK || r.Input != c.failed || r.Rows != c.rows || r.Lane != 1 ||
			r.Error != c.failed+": lane 1 (CPU 1) died: signal: killed" || p.sum.Failed != 1 {
			t.Errorf("%+v got %d: record %s (%v), want %s failed", c.src, c.got, out.String(), err, c.failed)
		}
		if len(p.queue) != len(c.requeued) || len(c.requeued) > 0 && p.queue[0] != c.requeued[0] {
			t.Errorf("%+v got %d: queued %+v, want %+v", c.src, c.got, p.queue, c.requeued)
		}
	}
}
