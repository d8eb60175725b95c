package blasbatch

import (
	"context"
	"io"
	"os"

	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/kernels"
)

// Explain makes the plan Run would make for job, without running it: the
// split, its phases, the reasons and every candidate. It reads the inputs'
// headers only; with PlanMeasure it also runs the trials (their records
// are discarded) and saves what they teach as wisdom. Job's results file,
// save directory and shard are ignored.
func Explain(ctx context.Context, job Job) (Decision, error) {
	job.ResultsFile, job.Resume, job.SaveDir, job.Records = "", false, "", nil
	r, err := prepare(ctx, job, false)
	if err != nil {
		if r != nil {
			r.abort()
		}
		return Decision{}, err
	}
	defer r.abort()
	r.explain = true
	r.out = io.Discard
	tasks, _ := r.tasks()
	var c lanes.Counts
	_, dec, err := r.decide(ctx, &tasks, &c)
	return dec, err
}

func openRead(path string) (*os.File, error) { return os.Open(path) }

// Suggest is the split the planner would choose for count items of
// rows×cols with the kernel spec on this machine (flop-count estimates, no
// wisdom): what `blasbatch env` reports as the default.
func Suggest(spec kernels.Spec, rows, cols, count int) ([]Phase, error) {
	h, err := probeHost()
	if err != nil {
		return nil, err
	}
	r := &run{spec: spec, host: h}
	shapes := []shapeClass{{rows: rows, cols: cols, count: count}}
	costs, _ := r.costs(shapes, plan.Wisdom{})
	return plan.Choose(r.machine(), []plan.Shape{{Rows: rows, Cols: cols, Count: count}}, costs).Phases, nil
}
