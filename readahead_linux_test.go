package blasbatch_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/internal/pagecache"
	"github.com/blasbatch/blasbatch/kernels"
)

// TestRunReadsAheadOnlyWhatItReads: a run over files the page cache does
// not hold reads ahead only files it goes on to read. A shard scans every
// file (to deal the items) but reads its own: the other shards' files stay
// out of memory but for the first pages the scan read; a run that
// resumes reads none of the files recorded already. (Only what must stay
// out of memory is checked: a host may page out what was read at once.)
func TestRunReadsAheadOnlyWhatItReads(t *testing.T) {
	dir := t.TempDir()
	paths := writeMatrices(t, dir, 24, 512, 64, nil) // 256 KiB each: 65 pages
	spec, _ := kernels.Lookup("svdvals")
	whole := func(p string) bool {
		in, pages := pagecache.Resident(t, p)
		return in == pages
	}
	for _, p := range paths {
		pagecache.Evict(t, p)
	}
	out := filepath.Join(dir, "r.jsonl")
	sum, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: spec, Inputs: []string{dir}, ResultsFile: out, Shard: blasbatch.Shard{Index: 0, Count: 2}})
	if err != nil || sum.OK == 0 || sum.OK == len(paths) {
		t.Fatalf("shard 0 of 2: %+v, %v", sum, err)
	}
	mine := map[string]bool{}
	for _, r := range readRecords(t, sum.ResultsFile) {
		mine[r.Input] = true
	}
	for _, p := range paths {
		if !mine[p] && whole(p) {
			t.Errorf("%s: another shard's file, in memory whole after the run", p)
		}
	}

	// Resuming a finished run: the files recorded ok are scanned, not read.
	all := filepath.Join(dir, "all.jsonl")
	if sum, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: spec, Inputs: []string{dir}, ResultsFile: all}); err != nil || sum.OK != len(paths) {
		t.Fatalf("the whole run: %+v, %v", sum, err)
	}
	for _, p := range paths {
		pagecache.Evict(t, p)
	}
	sum, err = blasbatch.Run(context.Background(), blasbatch.Job{Kernel: spec, Inputs: []string{dir}, ResultsFile: all, Resume: true})
	if err != nil || sum.OK != 0 || sum.Skipped != len(paths) {
		t.Fatalf("resuming a finished run: %+v, %v", sum, err)
	}
	for _, p := range paths {
		if whole(p) {
			t.Errorf("%s: read whole by a run that had nothing to compute", p)
		}
	}
}
