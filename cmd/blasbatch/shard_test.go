package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/results"
)

func TestParseShard(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		flag   string
		shards int
		env    map[string]string
		i, n   int
		err    bool
	}{
		{"", 0, nil, 0, 0, false}, // not sharded
		{"3/16", 0, nil, 3, 16, false},
		{"16/16", 0, nil, 0, 0, true},
		{"x/2", 0, nil, 0, 0, true},
		{"auto", 0, nil, 0, 0, false}, // outside Slurm and Kubernetes: not sharded
		{"auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8"}, 4, 8, false},
		{"auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, 2, 4, false},
		{"auto", 0, map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_COUNT": "4"}, 0, 0, true},
		{"auto", 3, map[string]string{"JOB_COMPLETION_INDEX": "2"}, 2, 3, false},
		{"auto", 0, map[string]string{"JOB_COMPLETION_INDEX": "2"}, 0, 0, true},
	} {
		s, err := parseShard(c.flag, c.shards, env(c.env))
		if (err != nil) != c.err || err == nil && (s.Index != c.i || s.Count != c.n) {
			t.Errorf("%q %v: %+v %v; want %d/%d err=%v", c.flag, c.env, s, err, c.i, c.n, c.err)
		}
	}
	if got := results.ShardPath("out/results.jsonl", 3, 16); got != "out/results.shard-0003-of-0016.jsonl" {
		t.Errorf("shardPath: %s", got)
	}
}

// TestShardsCoverAndMerge: shards of a run (one big stack spread across
// them, plus files of mixed sizes) cover every item exactly once, balanced
// by cost; merge rebuilds the single run's records and reports missing
// shards and items.
func TestShardsCoverAndMerge(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 30, 5)
	if code, _, stderr := runCLI(t, "gen", "-size", "12", "-count", "40", "-stack", filepath.Join(in, "stack.npy")); code != 0 {
		t.Fatal(stderr)
	}
	single := filepath.Join(dir, "single.jsonl")
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-jsonl", single, in); code != 0 {
		t.Fatal(stderr)
	}
	want := readJournal(t, single)

	out := filepath.Join(dir, "results.jsonl")
	seen := map[string]int{}
	for i := range 3 {
		code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-shard", []string{"0/3", "1/3", "2/3"}[i], "-jsonl", out, in)
		if code != 0 {
			t.Fatal(stderr)
		}
		recs := readJournal(t, results.ShardPath(out, i, 3))
		stackItems := 0
		for _, r := range recs {
			seen[r.Input]++
			if strings.Contains(r.Input, "stack.npy[") {
				stackItems++
			}
		}
		if stackItems == 0 || stackItems == 40 {
			t.Errorf("shard %d has %d of the stack's 40 items: not spread by item", i, stackItems)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("shards cover %d items, the single run %d", len(seen), len(want))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s computed by %d shards", id, n)
		}
	}

	code, _, stderr := runCLI(t, "merge", "-jsonl", out, in)
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	merged := map[string][]float64{}
	for _, r := range readJournal(t, out) {
		merged[r.Input] = r.SingularValues
	}
	for _, r := range want {
		m, ok := merged[r.Input]
		if !ok || len(m) != len(r.SingularValues) {
			t.Fatalf("merged lacks %s", r.Input)
		}
		for k := range m {
			if m[k] != r.SingularValues[k] {
				t.Fatalf("%s σ[%d]: merged %v, single run %v", r.Input, k, m[k], r.SingularValues[k])
			}
		}
	}

	// A lost shard: merge says which, and which items, and exits 1.
	os.Remove(results.ShardPath(out, 1, 3))
	code, _, stderr = runCLI(t, "merge", "-jsonl", out, in)
	if code != exitFailed || !strings.Contains(stderr, "shard 1 of 3: no file") || !strings.Contains(stderr, "no record in any shard") {
		t.Fatalf("merge without shard 1: exit %d, %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "merge"); code != exitUsage {
		t.Fatalf("merge without -jsonl: exit %d", code)
	}
}

// TestShardResume: -resume inside a shard keeps to the shard's items.
func TestShardResume(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	genFiles(t, in, 8, 12)
	out := filepath.Join(dir, "r.jsonl")
	for range 2 { // the second run resumes a complete shard: nothing to add
		if code, _, stderr := runCLI(t, "run", "-quiet", "-resume", "-kernel", "svdvals", "-shard", "1/3", "-jsonl", out, in); code != 0 {
			t.Fatal(stderr)
		}
	}
	if n := len(readJournal(t, results.ShardPath(out, 1, 3))); n != 4 {
		t.Fatalf("shard 1 of 3 over 12 equal items holds %d records, want 4", n)
	}
}

// TestMergeEmptyShardsNeedTheKernel: when no shard holds a record, which
// inputs are items depends on the kernel (an exec run's are every file):
// merge refuses to guess, and with -kernel exec counts every file missing.
// The exec array's merge script names the kernel itself.
func TestMergeEmptyShardsNeedTheKernel(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	for _, name := range []string{"a.txt", "b.txt", "c.txt"} {
		os.WriteFile(filepath.Join(in, name), []byte(name), 0o644)
	}
	res := filepath.Join(dir, "r.jsonl")
	for i := range 2 {
		os.WriteFile(results.ShardPath(res, i, 2), nil, 0o644)
	}
	code, _, stderr := runCLI(t, "merge", "-jsonl", res, in)
	if code != exitUsage || !strings.Contains(stderr, "-kernel") {
		t.Fatalf("merge of empty shards without -kernel: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "merge", "-jsonl", res, "-kernel", "exec", in)
	if code != exitFailed || strings.Count(stderr, "no record in any shard") != 3 {
		t.Fatalf("merge -kernel exec of empty shards: exit %d, want 1 with every file missing:\n%s", code, stderr)
	}
	run, err := parseSlurmExec([]string{"-jsonl", res, "-py", "m:f", ":::", in}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(run.merge, "exec") {
		t.Errorf("the exec array's merge does not name its kernel: %q", run.merge)
	}
}
