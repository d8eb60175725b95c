package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch"
)

// parseShard reads -shard: "I/N", "auto" (from the environment), or "" (no
// sharding). With auto, a Slurm array task's SLURM_ARRAY_TASK_ID,
// SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX (or SLURM_ARRAY_TASK_COUNT)
// give the shard; a Kubernetes Indexed Job's JOB_COMPLETION_INDEX gives it
// with -shards N. Outside both, auto means no sharding.
func parseShard(flag string, shards int, getenv func(string) string) (blasbatch.Shard, error) {
	switch flag {
	case "":
		return blasbatch.Shard{}, nil
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
				return blasbatch.Shard{}, fmt.Errorf("-shard auto: a Slurm array task, but SLURM_ARRAY_TASK_ID=%q, MIN=%q, MAX=%q, COUNT=%q do not make a shard", id, getenv("SLURM_ARRAY_TASK_MIN"), getenv("SLURM_ARRAY_TASK_MAX"), getenv("SLURM_ARRAY_TASK_COUNT"))
			}
			return blasbatch.Shard{Index: i - lo, Count: n}, nil
		}
		if id := getenv("JOB_COMPLETION_INDEX"); id != "" {
			i, err := strconv.Atoi(id)
			if err != nil || shards < 1 || i < 0 || i >= shards {
				return blasbatch.Shard{}, fmt.Errorf("-shard auto: JOB_COMPLETION_INDEX=%q needs -shards N with 0 ≤ index < N", id)
			}
			return blasbatch.Shard{Index: i, Count: shards}, nil
		}
		return blasbatch.Shard{}, nil
	}
	a, b, ok := strings.Cut(flag, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return blasbatch.Shard{}, fmt.Errorf("-shard %q: want I/N with 0 ≤ I < N, or auto", flag)
	}
	return blasbatch.Shard{Index: i, Count: n}, nil
}

func atoiDefault(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

// defaultShard is -shard's default: auto inside a Slurm array task, where
// running the whole batch in every task would be a mistake; else none.
func defaultShard() string {
	if os.Getenv("SLURM_ARRAY_TASK_ID") != "" {
		return "auto"
	}
	return ""
}
