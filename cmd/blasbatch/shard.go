package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/kernels"
)

// shard is one part of a run split across machines: index I of N.
type shard struct {
	index, count int
	from         string // where it came from: "-shard", "Slurm array", "Kubernetes"
}

func (s shard) active() bool { return s.count > 1 || s.from != "" }

// parseShard reads -shard: "I/N", "auto" (from the environment), or "".
// With auto, a Slurm array task's SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN
// and SLURM_ARRAY_TASK_MAX (or SLURM_ARRAY_TASK_COUNT) give the shard; a
// Kubernetes Indexed Job's JOB_COMPLETION_INDEX gives it with -shards N.
// Outside both, auto means no sharding.
func parseShard(flag string, shards int, getenv func(string) string) (shard, error) {
	switch flag {
	case "":
		return shard{index: 0, count: 1}, nil
	case "auto":
		if id := getenv("SLURM_ARRAY_TASK_ID"); id != "" {
			i, err1 := strconv.Atoi(id)
			lo, err2 := atoiDefault(getenv("SLURM_ARRAY_TASK_MIN"), 0)
			n := 0
			var err3 error
			if c := getenv("SLURM_ARRAY_TASK_COUNT"); c != "" {
				n, err3 = strconv.Atoi(c)
			} else if hi := getenv("SLURM_ARRAY_TASK_MAX"); hi != "" {
				var h int
				h, err3 = strconv.Atoi(hi)
				n = h - lo + 1
			} else {
				err3 = fmt.Errorf("neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is set")
			}
			if err1 != nil || err2 != nil || err3 != nil || n < 1 || i < lo || i-lo >= n {
				return shard{}, fmt.Errorf("-shard auto: a Slurm array task, but SLURM_ARRAY_TASK_ID=%q, MIN=%q, MAX=%q, COUNT=%q do not make a shard", id, getenv("SLURM_ARRAY_TASK_MIN"), getenv("SLURM_ARRAY_TASK_MAX"), getenv("SLURM_ARRAY_TASK_COUNT"))
			}
			return shard{index: i - lo, count: n, from: "Slurm array"}, nil
		}
		if id := getenv("JOB_COMPLETION_INDEX"); id != "" {
			i, err := strconv.Atoi(id)
			if err != nil || shards < 1 || i < 0 || i >= shards {
				return shard{}, fmt.Errorf("-shard auto: JOB_COMPLETION_INDEX=%q needs -shards N with 0 ≤ index < N", id)
			}
			return shard{index: i, count: shards, from: "Kubernetes"}, nil
		}
		return shard{index: 0, count: 1}, nil
	}
	a, b, ok := strings.Cut(flag, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf("-shard %q: want I/N with 0 ≤ I < N, or auto", flag)
	}
	return shard{index: i, count: n, from: "-shard"}, nil
}

func atoiDefault(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

// shardPath is a shard's results file beside path: results.jsonl →
// results.shard-0003-of-0016.jsonl.
func shardPath(path string, s shard) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s.shard-%04d-of-%04d%s", strings.TrimSuffix(path, ext), s.index, s.count, ext)
}

// applyShard keeps, of every input's items still to compute, those of
// shard s. Items are dealt by estimated cost, not by count or by file:
// every item, largest first (ties in input order), goes to the shard with
// the least cost so far (ties to the lowest index). The deal depends only
// on the inputs' headers, the kernel and N, so every shard computes the
// same deal and together they cover each item exactly once.
func applyShard(ins []inputFile, s shard, spec kernels.Spec) {
	type it struct {
		file, index int
		cost        float64
	}
	var items []it
	for f, in := range ins {
		idx := 0
		for _, run := range in.runs {
			c := 1.0 // an unreadable item costs little but must be dealt too
			if run.rows > 0 {
				c = spec.Flops(run.rows, run.cols) + 1
			}
			for range run.count {
				items = append(items, it{file: f, index: idx, cost: c})
				idx++
			}
		}
	}
	// Largest first, stably: ties keep input order.
	sort.SliceStable(items, func(a, b int) bool { return items[a].cost > items[b].cost })
	load := make([]float64, s.count)
	mine := make([]map[int]bool, len(ins))
	for _, x := range items {
		k := 0
		for j := range load {
			if load[j] < load[k] {
				k = j
			}
		}
		load[k] += x.cost
		if k == s.index {
			if mine[x.file] == nil {
				mine[x.file] = map[int]bool{}
			}
			mine[x.file][x.index] = true
		}
	}
	for f := range ins {
		in := &ins[f]
		keep := mine[f]
		var todo []batch.Source
		n := 0
		for _, src := range in.todo {
			for i := src.First; i < src.First+src.Count; i++ {
				if !keep[i] {
					continue
				}
				n++
				if k := len(todo); k > 0 && todo[k-1].First+todo[k-1].Count == i {
					todo[k-1].Count++
					continue
				}
				todo = append(todo, batch.Source{Path: in.path, PairWith: in.pairWith, First: i, Count: 1})
			}
		}
		in.todo, in.items = todo, n
	}
}

// defaultShard is -shard's default: auto inside a Slurm array task, where
// running the whole batch in every task would be a mistake; else none.
func defaultShard() string {
	if os.Getenv("SLURM_ARRAY_TASK_ID") != "" {
		return "auto"
	}
	return ""
}
