//go:build linux

package lanes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/threads"
)

// taskLine is a task line of the protocol, as the package documentation
// gives it: {"lane_task":SEQ,"task":{…}} (the path is ASCII, so escaping
// leaves it as it is).
func taskLine(t *testing.T, seq int, task lanes.Task) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Seq  int        `json:"lane_task"`
		Task lanes.Task `json:"task"`
	}{seq, task})
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// TestServe drives a lane's side of the protocol directly: after its
// configuration line a lane says it is ready (pid, CPUs, BLAS threads),
// then for each task says it started it, writes its records (numbered
// with the configured lane, equal to an in-process run's) and a done line
// counting them; the end of its input ends it without error.
func TestServe(t *testing.T) {
	defer blas.SetThreads(blas.Threads())
	in := filepath.Join(t.TempDir(), "a.npy")
	writeStack(t, in, 5, 6, 4, 8)
	spec := lookup(t, "svdvals")
	tasks, _ := scan(t, spec, in)
	var ref lineWriter
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &ref}, tasks); err != nil {
		t.Fatal(err)
	}
	want := records(t, ref.bytes())

	input := `{"lane_config":{"lane":3,"kernel":"svdvals","inner":1}}` + "\n" +
		taskLine(t, 7, part(tasks[0], 1, 2)) + taskLine(t, 8, part(tasks[0], 4, 1))
	var out bytes.Buffer
	if err := lanes.Serve(context.Background(), strings.NewReader(input), &out, kernels.All()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	cpus, _ := threads.Affinity()
	wantLines := []string{
		fmt.Sprintf(`{"lane_ready":%d,"cpus":%q,"blas_threads":%d}`, os.Getpid(), threads.FormatCPUList(cpus), blas.Threads()),
		`{"lane_task_started":7}`, "record " + in + "[1]", "record " + in + "[2]", `{"lane_task_done":7,"records":2}`,
		`{"lane_task_started":8}`, "record " + in + "[4]", `{"lane_task_done":8,"records":1}`,
	}
	if len(lines) != len(wantLines) {
		t.Fatalf("output:\n%s\nwant lines like\n%s", out.String(), strings.Join(wantLines, "\n"))
	}
	for i, w := range wantLines {
		id, isRecord := strings.CutPrefix(w, "record ")
		if !isRecord {
			if lines[i] != w {
				t.Errorf("line %d: %s, want %s", i, lines[i], w)
			}
			continue
		}
		r := records(t, []byte(lines[i]))[id]
		if r.Lane != 3 || !r.OK || !slices.Equal(floats(t, r, "singular_values"), floats(t, want[id], "singular_values")) {
			t.Errorf("line %d: %s, want the record of %s from lane 3 (in process: %+v)", i, lines[i], id, want[id])
		}
	}
	if blas.Threads() != 1 {
		t.Errorf("BLAS threads %d after a configuration with inner 1", blas.Threads())
	}
}

// TestServeRefuses: a malformed configuration or task line, an unknown
// kernel and a last line without a newline end Serve with an error saying
// so; an empty input ends it without one; a cancelled ctx ends it with
// ctx's error. No goroutine of Serve's outlives it, whatever input is
// left unread.
func TestServeRefuses(t *testing.T) {
	in := filepath.Join(t.TempDir(), "a.npy")
	writeStack(t, in, 2, 3, 3, 9)
	tasks, _ := scan(t, lookup(t, "svdvals"), in)
	config := `{"lane_config":{"lane":0,"kernel":"svdvals","inner":1}}` + "\n"
	good := taskLine(t, 1, tasks[0])
	bad := part(tasks[0], 0, 0)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name, input string
		ctx         context.Context
		err         string // "" none
	}{
		{"empty", "", nil, ""},
		{"config only", config, nil, ""},
		{"bad config", "hello\n" + config + good, nil, "malformed configuration"},
		{"unknown kernel", `{"lane_config":{"lane":0,"kernel":"nope"}}` + "\n" + good, nil, `kernel "nope" is not one of this program's`},
		{"bad task", config + "hello\n" + good + good, nil, "malformed task"},
		{"count 0", config + taskLine(t, 2, bad) + good, nil, "malformed task"},
		{"no newline", config + strings.TrimSuffix(good, "\n"), nil, "a line without a newline"},
		{"cancelled", config + good + good, cancelled, context.Canceled.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer blas.SetThreads(blas.Threads())
			ctx := c.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			before := goleak.IgnoreCurrent()
			var out bytes.Buffer
			err := lanes.Serve(ctx, strings.NewReader(c.input), &out, kernels.All())
			switch {
			case c.err == "" && err != nil:
				t.Errorf("Serve = %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("Serve = %v, want an error saying %q", err, c.err)
			case c.ctx != nil && !errors.Is(err, context.Canceled):
				t.Errorf("Serve = %v, want context.Canceled", err)
			}
			goleak.VerifyNone(t, before)
		})
	}
}
