//go:build linux

package blasbatch_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/blasbatch/blasbatch"
)

// openDescriptors counts this process's open file descriptors.
func openDescriptors(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestNoDescriptorLeft: the scan keeps small files open for the readers
// (inputs.Options.KeepOpen); whatever way a run ends — finished, resumed
// over items it skips, cancelled with items not started, planned by
// measuring on real items, run on worker processes, or refused after the
// scan — it leaves no descriptor open, and every item is recorded once.
func TestNoDescriptorLeft(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	const total = 300
	writeMatrices(t, in, total, 64, 64, nil) // 16 to a chunk: the cancelled run stops early
	os.WriteFile(filepath.Join(in, "bad.npy"), []byte("not a matrix"), 0o644)
	base := func(res string) blasbatch.Job {
		return blasbatch.Job{Kernel: svdvals(t), Inputs: []string{in}, ResultsFile: res}
	}
	cases := []struct {
		name string
		run  func(t *testing.T, res string)
	}{
		{"finished", func(t *testing.T, res string) {
			if _, err := blasbatch.Run(context.Background(), base(res)); err != nil {
				t.Fatal(err)
			}
		}},
		{"cancelled then resumed", func(t *testing.T, res string) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			job := base(res)
			job.Outer, job.Inner = 2, 1
			job.Progress = func(p blasbatch.Progress) {
				if p.Done >= 20 {
					cancel()
				}
			}
			sum, err := blasbatch.Run(ctx, job)
			if !errors.Is(err, context.Canceled) || sum.NotStarted == 0 {
				t.Fatalf("cancelled run: %v, %+v", err, sum)
			}
			job.Progress, job.Resume = nil, true
			if _, err := blasbatch.Run(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}},
		{"measured", func(t *testing.T, res string) {
			job := base(res)
			job.Plan, job.Wisdom = blasbatch.PlanMeasure, filepath.Join(dir, "wisdom.json")
			if _, err := blasbatch.Run(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}},
		{"worker processes", func(t *testing.T, res string) {
			job := base(res)
			job.Isolate = true
			if _, err := blasbatch.Run(context.Background(), job); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := filepath.Join(t.TempDir(), "r.jsonl")
			before := openDescriptors(t)
			c.run(t, res)
			if after := openDescriptors(t); after != before {
				t.Errorf("%d descriptors open before the run, %d after", before, after)
			}
			seen := map[string]int{}
			for _, r := range readRecords(t, res) {
				seen[r.Input]++
				if r.OK == (filepath.Base(r.Input) == "bad.npy") {
					t.Errorf("record %+v", r)
				}
			}
			if len(seen) != total+1 {
				t.Errorf("%d items recorded, want %d", len(seen), total+1)
			}
		})
	}
	// Refused after the scan: the results file is a directory's.
	t.Run("refused", func(t *testing.T) {
		before := openDescriptors(t)
		job := base(filepath.Join(dir, "r.jsonl"))
		job.SaveDir = filepath.Join(in, "m0000.npy") // a file, not a directory
		if _, err := blasbatch.Run(context.Background(), job); err == nil {
			t.Fatal("a save directory that is a file was accepted")
		}
		if after := openDescriptors(t); after != before {
			t.Errorf("%d descriptors open before the run, %d after", before, after)
		}
	})
}
