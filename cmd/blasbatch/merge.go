package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// shardName matches the files run -shard writes beside -jsonl FILE.
var shardName = regexp.MustCompile(`\.shard-(\d{4,})-of-(\d{4,})\.[^.]*$`)

func cmdMerge(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonl := fs.String("jsonl", "", "the -jsonl `FILE` the shards were run with: reads FILE.shard-*-of-*.jsonl beside it and writes the merged records to FILE")
	kernel := fs.String("kernel", "", "kernel of the records (default: the one they name); needed to read INPUTS")
	shape := fs.String("shape", "", "shape of raw .f64 inputs, as run's -shape")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch merge -jsonl FILE [flags] [INPUTS...]

Merges the results of a sharded run (run -shard I/N -jsonl FILE writes
FILE.shard-000I-of-000N.jsonl) into FILE: one record per item, the ok one
where a resumed or retried shard wrote several. It checks that every shard
is there and that no item was computed ok twice; given the run's INPUTS, it
also checks that every item of the input set appears. Missing shards,
missing items and failed items are listed on standard error.

Exit status: 0 when the set is complete and every item is ok, 1 when
anything is missing or failed (FILE is still written), 2 on usage errors.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *jsonl == "" || *jsonl == "-" {
		fmt.Fprintf(stderr, "blasbatch merge: -jsonl FILE is required (see -h)\n")
		return exitUsage
	}
	ext := filepath.Ext(*jsonl)
	files, _ := filepath.Glob(strings.TrimSuffix(*jsonl, ext) + ".shard-*-of-*" + ext)
	sort.Strings(files)
	if len(files) == 0 {
		fmt.Fprintf(stderr, "blasbatch merge: no shard files %s.shard-*-of-*%s\n", strings.TrimSuffix(*jsonl, ext), ext)
		return exitFailed
	}
	var problems []string
	n := -1
	have := map[int]bool{}
	for _, f := range files {
		m := shardName.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		c, _ := strconv.Atoi(m[2])
		if n >= 0 && c != n {
			fmt.Fprintf(stderr, "blasbatch merge: %s is one of %d shards, others of %d: mixed runs\n", f, c, n)
			return exitFailed
		}
		n = c
		have[i] = true
	}
	for i := range n {
		if !have[i] {
			problems = append(problems, fmt.Sprintf("shard %d of %d: no file %s", i, n, shardPath(*jsonl, shard{index: i, count: n})))
		}
	}

	type rec struct {
		line  []byte
		ok    bool
		shard string
	}
	recs := map[string]rec{}
	var order []string
	kern := *kernel
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "blasbatch merge: %v\n", err)
			return exitFailed
		}
		b = b[:bytes.LastIndexByte(b, '\n')+1] // a torn last line is not a record
		for _, line := range bytes.Split(b, []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var r struct {
				Input, Kernel string
				OK            bool
			}
			if err := json.Unmarshal(line, &r); err != nil || r.Input == "" {
				fmt.Fprintf(stderr, "blasbatch merge: %s: not a blasbatch record: %.60q\n", f, line)
				return exitFailed
			}
			if kern == "" {
				kern = r.Kernel
			}
			if r.Kernel != kern {
				fmt.Fprintf(stderr, "blasbatch merge: %s holds %s records, others %s\n", f, r.Kernel, kern)
				return exitFailed
			}
			old, seen := recs[r.Input]
			switch {
			case !seen:
				order = append(order, r.Input)
			case old.ok && r.OK && old.shard != f:
				problems = append(problems, fmt.Sprintf("%s: computed ok in two shards (%s and %s)", r.Input, old.shard, f))
			case old.ok && !r.OK:
				continue // an ok record is never replaced by a failure
			}
			recs[r.Input] = rec{line: append([]byte(nil), line...), ok: r.OK, shard: f}
		}
	}

	if fs.NArg() > 0 {
		spec, err := kernels.Lookup(kern)
		if err != nil {
			fmt.Fprintf(stderr, "blasbatch merge: %v\n", err)
			return exitUsage
		}
		var read matio.Options
		if *shape != "" {
			if read.Shape, err = matio.ParseShape(*shape); err != nil {
				fmt.Fprintf(stderr, "blasbatch merge: -shape: %v\n", err)
				return exitUsage
			}
		}
		inFiles, inErrs := matio.Expand(fs.Args())
		for _, e := range inErrs {
			problems = append(problems, e.Error())
		}
		for _, in := range scanInputs(inFiles, spec, read) {
			for _, run := range in.runs {
				for i := range run.count {
					if id := run.id(i); recs[id].line == nil {
						problems = append(problems, id+": no record in any shard")
					}
				}
			}
		}
	}

	var okN, failed int
	var out bytes.Buffer
	for _, id := range order {
		r := recs[id]
		out.Write(r.line)
		out.WriteByte('\n')
		if r.ok {
			okN++
		} else {
			failed++
			problems = append(problems, id+": failed (its record says why)")
		}
	}
	if err := writeAtomic(*jsonl, out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "blasbatch merge: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stderr, "blasbatch merge: %d shard file(s) of %d → %s: %d ok, %d failed\n", len(have), n, *jsonl, okN, failed)
	if len(problems) > 0 {
		const show = 20
		for i, p := range problems {
			if i == show {
				fmt.Fprintf(stderr, "  … and %d more\n", len(problems)-show)
				break
			}
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		fmt.Fprintf(stderr, "blasbatch merge: incomplete: %d problem(s)\n", len(problems))
		return exitFailed
	}
	return exitOK
}

// writeAtomic writes b to path through a temporary file renamed into place.
func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".merge-*")
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	_, err = w.Write(b)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}
