package lanes

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/blasbatch/blasbatch/internal/exec"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// The protocol between the parent (Run) and a worker process (Serve): JSON
// Lines over the child's standard input and output. Only task
// descriptions cross the pipe, never matrices: a lane reads its input files
// itself. Every control line is an object whose first key starts with
// "lane_"; every other line a lane writes is a record (results.Decode
// reads it), so the two never collide. Paths travel escaped as ids are
// (matio.EscapeID), since a JSON string cannot hold bytes that are not
// UTF-8.
//
//	parent → lane  {"lane_config":{…}}                              once, first: what to run and how
//	parent → lane  {"lane_task":SEQ,"task":{…}}                     a Task
//	lane → parent  {"lane_ready":PID,"cpus":"0-1","blas_threads":2}  once, after the configuration
//	lane → parent  {"lane_task_started":SEQ}                         the task was read
//	lane → parent  {"input":…}                                       a record, as each item finishes, in item order
//	lane → parent  {"lane_task_done":SEQ,"records":K}                the task's K records are all out
//	lane → parent  {"lane_warning":"…"} / {"lane_debug":"…"}         for the parent's Warn / Debug
//
// The parent sends a task only to an idle lane (after its ready or done
// line), so a lane holds at most one task and its input never fills. When
// told to stop (SIGTERM) a lane finishes the item it is computing and exits
// with status 0; at the end of its input it exits 0 too.

// childConfig is what a worker process is told first.
type childConfig struct {
	Lane    int             `json:"lane"`
	Kernel  string          `json:"kernel"`
	Options kernels.Options `json:"options"`
	Shape   []int           `json:"shape,omitempty"`
	Save    string          `json:"save,omitempty"` // escaped
	Inputs  []safefile.ID   `json:"inputs,omitempty"`
	Budget  int64           `json:"budget,omitempty"`
	Inner   int             `json:"inner"`
	Exec    *exec.Config    `json:"exec,omitempty"`
}

type configLine struct {
	Config childConfig `json:"lane_config"`
}

func (p *pool) configLine(l *lane) []byte {
	c := childConfig{
		Lane: p.opt.FirstLane + l.id, Kernel: p.opt.Kernel.Name, Options: p.opt.KernelOptions,
		Shape: p.opt.Read.Shape, Save: matio.EscapeID(p.opt.Save), Budget: p.opt.Budget, Inner: max(p.opt.Inner, 1),
		Exec: p.opt.Exec,
	}
	for id := range p.opt.Inputs {
		c.Inputs = append(c.Inputs, id)
	}
	return appendJSON(nil, configLine{c})
}

// taskWire is a Task on the pipe.
type taskWire struct {
	Seq  int  `json:"lane_task"`
	Task Task `json:"task"`
}

func taskLine(seq int, t Task) []byte {
	t.Path, t.PairWith = matio.EscapeID(t.Path), matio.EscapeID(t.PairWith)
	return appendJSON(nil, taskWire{seq, t})
}

func parseTask(b []byte) (int, Task, error) {
	var w taskWire
	if err := json.Unmarshal(b, &w); err != nil {
		return 0, Task{}, fmt.Errorf("malformed task %s: %v", quote(b), err)
	}
	t := w.Task
	var err1, err2 error
	t.Path, err1 = matio.UnescapeID(t.Path)
	t.PairWith, err2 = matio.UnescapeID(t.PairWith)
	if err1 != nil || err2 != nil || t.Path == "" || t.First < 0 || t.Count < 1 || t.Start > t.First {
		return 0, Task{}, fmt.Errorf("malformed task %s", quote(b))
	}
	return w.Seq, t, nil
}

// control is any control line a lane writes.
type control struct {
	Ready       *int    `json:"lane_ready"`
	CPUs        *string `json:"cpus"`
	BLASThreads int     `json:"blas_threads"`
	Started     *int    `json:"lane_task_started"`
	Done        *int    `json:"lane_task_done"`
	Records     int     `json:"records"`
	Warning     string  `json:"lane_warning"`
	Debug       string  `json:"lane_debug"`
}

// isControl reports whether a line a lane wrote is a control line.
func isControl(b []byte) bool { return bytes.HasPrefix(b, []byte(`{"lane_`)) }

func parseControl(b []byte) (control, error) {
	var c control
	err := json.Unmarshal(b, &c)
	return c, err
}

func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed types of this file are marshalled
	}
	return append(append(b, j...), '\n')
}

// Run runs tasks — the items of one phase — on lanes, and returns what
// they did: opt.Outer goroutines of this process, or with opt.Process
// worker processes. Records go to opt.Out as items finish, whole records
// in each Write.
//
// Cancelling ctx is an interruption: no new item is started, and the items
// in flight are finished and recorded, however long they take (worker
// processes are told to stop after their item). Closing abandon (which may
// be nil) gives up the items in flight: worker processes are killed,
// in-process lanes left to finish their C call with their records dropped;
// Run returns at once, counting them in Counts.Abandoned. Items neither
// recorded nor abandoned were not started; the caller counts them from the
// tasks.
//
// Run returns an error for failures of the run itself — writing to Out,
// no worker process left — and ctx's error, or ErrAbandoned, when it was
// stopped. Bad items are failed records, never errors.
func Run(ctx context.Context, abandon <-chan struct{}, opt Options, tasks []Task) (Counts, error) {
	for _, t := range tasks {
		if t.First < 0 || t.Count < 1 {
			return Counts{}, fmt.Errorf("lanes: task %s: bad First (%d) or Count (%d)", t.Path, t.First, t.Count)
		}
	}
	if opt.Process || opt.Exec != nil {
		opt.Process = true
		return runProcesses(ctx, abandon, opt, tasks)
	}
	return runInProcess(ctx, abandon, opt, tasks)
}
