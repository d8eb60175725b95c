package lanes

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/results"
)

// TestLose checks which item a dead lane is charged with — item got of
// its task, with the id and shape the scan gave it — and what is queued
// again: the rest of the task, at the front, unless the run is stopping.
func TestLose(t *testing.T) {
	stack := Task{Path: "s.npy", First: 1, Count: 3, Start: 0,
		Runs: []inputs.Run{{ID0: "s.npy[0]", Stack: true, Rows: 2, Cols: 3, Count: 5}}}
	// Two runs from item 2 of an .npz: member a (2×3) then member m (4×4).
	npz := Task{Path: "z.npz", First: 2, Count: 2, Start: 2,
		Runs: []inputs.Run{{ID0: "z.npz:a", Rows: 2, Cols: 3, Count: 1}, {ID0: "z.npz:m", Rows: 4, Cols: 4, Count: 1}}}
	spec, err := kernels.Lookup("svd")
	if err != nil {
		t.Fatal(err)
	}
	const cause = "lane 3 (CPU 1) died: signal: killed"
	for _, c := range []struct {
		task      Task
		got       int
		stopping  bool
		failed    string // "" none
		rows      int
		requeued  []Task
		requeueID string // the id of the first item queued again
	}{
		{stack, 0, false, "s.npy[1]", 2, []Task{{Path: "s.npy", First: 2, Count: 2, Runs: stack.Runs}}, "s.npy[2]"},
		{stack, 1, false, "s.npy[2]", 2, []Task{{Path: "s.npy", First: 3, Count: 1, Runs: stack.Runs}}, "s.npy[3]"},
		{stack, 2, false, "s.npy[3]", 2, nil, ""},
		{stack, 3, false, "", 0, nil, ""}, // after the task's last item
		{stack, 0, true, "s.npy[1]", 2, nil, ""},
		{npz, 0, false, "z.npz:a", 2, []Task{{Path: "z.npz", First: 3, Count: 1, Start: 2, Runs: npz.Runs}}, "z.npz:m"},
		{npz, 1, false, "z.npz:m", 4, nil, ""},
	} {
		name := fmt.Sprintf("%s from %d, got %d, stopping %v", c.task.Path, c.task.First, c.got, c.stopping)
		var out bytes.Buffer
		p := &pool{opt: Options{Kernel: spec, FirstLane: 2}, out: &out, stopping: c.stopping}
		l := &lane{id: 1, name: "lane 3 (CPU 1)"}
		p.lose(l, &c.task, c.got, cause)
		if c.failed == "" {
			if out.Len() != 0 || p.c.Failed != 0 {
				t.Errorf("%s: charged %s", name, out.String())
			}
		} else {
			r, err := results.Decode(out.Bytes())
			if err != nil || r.OK || r.Input != c.failed || r.Rows != c.rows || r.Lane != 3 || r.Kernel != "svd" ||
				r.Error != c.failed+": "+cause || p.c.Failed != 1 || p.c.FirstError != r.Error || bytes.Count(out.Bytes(), []byte("\n")) != 1 {
				t.Errorf("%s: record %s (%v), want %s failed, %d rows, lane 3", name, out.String(), err, c.failed, c.rows)
			}
		}
		if !slices.EqualFunc(p.queue, c.requeued, sameTask) {
			t.Errorf("%s: queued %+v, want %+v", name, p.queue, c.requeued)
		}
		if len(p.queue) > 0 && p.queue[0].ID(0) != c.requeueID {
			t.Errorf("%s: the rest starts with %s, want %s", name, p.queue[0].ID(0), c.requeueID)
		}
	}
}

func sameTask(a, b Task) bool {
	return a.Path == b.Path && a.First == b.First && a.Count == b.Count && a.Start == b.Start && slices.EqualFunc(a.Runs, b.Runs, func(x, y inputs.Run) bool {
		return x.ID0 == y.ID0 && x.Count == y.Count && x.Rows == y.Rows && x.Cols == y.Cols
	})
}

// TestTaskID: a task's items take their ids from the runs it carries,
// counted from Start; an index beyond them falls back to PATH[i].
func TestTaskID(t *testing.T) {
	task := Task{Path: "z.npz", First: 2, Count: 4, Start: 1,
		Runs: []inputs.Run{{ID0: "z.npz:a[0]", Stack: true, Count: 2}, {ID0: "z.npz:m", Count: 1}}}
	for n, want := range []string{"z.npz:a[1]", "z.npz:m", "z.npz[4]", "z.npz[5]"} {
		if got := task.ID(n); got != want {
			t.Errorf("ID(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestLaneEnv: the thread variables (the user's values dropped) each once,
// set to inner (at least 1), and the lane marker never passed on.
func TestLaneEnv(t *testing.T) {
	env := []string{"PATH=/bin", "OMP_NUM_THREADS=8", "OMP_NUM_THREADS_X=keep", childEnv + "=1", "MKL_NUM_THREADS=", "HOME=/h"}
	for _, inner := range []int{0, 1, 3} {
		got := LaneEnv(env, inner)
		k := fmt.Sprint(max(inner, 1))
		want := []string{"PATH=/bin", "OMP_NUM_THREADS_X=keep", "HOME=/h"}
		for _, v := range []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"} {
			want = append(want, v+"="+k)
		}
		if !slices.Equal(got, want) {
			t.Errorf("inner %d: %q, want %q", inner, got, want)
		}
	}
	if env[1] != "OMP_NUM_THREADS=8" {
		t.Errorf("LaneEnv changed its argument: %q", env)
	}
}
