package results

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ShardPath is the results file of shard index (from 0) of count, beside
// path: results.jsonl → results.shard-0003-of-0016.jsonl, res →
// res.shard-0003-of-0016.
func ShardPath(path string, index, count int) string {
	ext := filepath.Ext(path)
	return fmt.Sprintf("%s.shard-%04d-of-%04d%s", strings.TrimSuffix(path, ext), index, count, ext)
}

// ParseShardName reports whether name (a file name, no directory) is
// exactly what ShardPath gives for the results file named base, and for
// which shard. Nothing else counts: "r.shard-0003-of-0064.bak.jsonl" is not
// a shard of "r.jsonl", nor is "r.shard-3-of-64.jsonl".
func ParseShardName(base, name string) (index, count int, ok bool) {
	ext := filepath.Ext(base)
	rest, ok := strings.CutPrefix(name, strings.TrimSuffix(base, ext)+".shard-")
	if !ok {
		return 0, 0, false
	}
	rest, ok = strings.CutSuffix(rest, ext)
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "-of-")
	if !ok {
		return 0, 0, false
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n || fmt.Sprintf("%04d", i) != a || fmt.Sprintf("%04d", n) != b {
		return 0, 0, false
	}
	return i, n, true
}

// ShardFile is one shard's results file.
type ShardFile struct {
	Path         string
	Index, Count int
}

// FindShards lists the shard files of the results file path in its
// directory, by parsing every name there (the user's file name is never a
// glob pattern), sorted by count then index.
func FindShards(path string) ([]ShardFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []ShardFile
	for _, e := range entries {
		if i, n, ok := ParseShardName(base, e.Name()); ok && !e.IsDir() {
			out = append(out, ShardFile{Path: filepath.Join(filepath.Dir(path), e.Name()), Index: i, Count: n})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Count != out[b].Count {
			return out[a].Count < out[b].Count
		}
		return out[a].Index < out[b].Index
	})
	return out, nil
}
