package main

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"runtime/pprof"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/results"
)

// startProfile starts the Go CPU profile of -cpuprofile FILE for job. The
// profile is kept in memory and written to FILE only by the stop function
// (through safefile.WriteFile: atomically, mode from the umask, a device
// written through), so a run that is refused leaves FILE as it was. FILE
// may not be one of the job's inputs or its results file, by any path.
func startProfile(path string, job blasbatch.Job) (stop func() error, err error) {
	if _, fi, err := safefile.Resolve(path); err == nil && fi != nil && !fi.Mode().IsRegular() {
		return profileTo(path) // a device or a FIFO, written through
	}
	others := []string{job.ResultsFile}
	if job.ResultsFile != "" && job.Shard.Active() {
		others = append(others, results.ShardPath(job.ResultsFile, job.Shard.Index, job.Shard.Count))
	}
	for _, p := range job.Pairs {
		others = append(others, p[0], p[1])
	}
	for _, o := range others {
		if o != "" && sameFile(path, o) {
			return nil, fmt.Errorf("%s is the run's results file or an input: give another FILE", inputs.Quote(path))
		}
	}
	if id, err := safefile.Identity(path); err == nil {
		_, ids, _ := inputs.Expand(job.Inputs, inputs.Options{Read: job.Read})
		for _, in := range ids {
			if in == id {
				return nil, fmt.Errorf("%s is one of the inputs: give another FILE", inputs.Quote(path))
			}
		}
	}
	return profileTo(path)
}

// profileTo starts the profile, to be written to path by stop.
func profileTo(path string) (stop func() error, err error) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return safefile.WriteFile(path, func(w io.Writer) error {
			_, err := w.Write(buf.Bytes())
			return err
		})
	}, nil
}

// sameFile reports whether a and b name one file: the same identity when
// both exist, else the same absolute path once symbolic links are followed
// (a file not yet created, such as a new results file).
func sameFile(a, b string) bool {
	ia, errA := safefile.Identity(a)
	ib, errB := safefile.Identity(b)
	if errA == nil && errB == nil {
		return ia == ib
	}
	abs := func(p string) string {
		if t, _, err := safefile.Resolve(p); err == nil {
			p = t
		}
		if q, err := filepath.Abs(p); err == nil {
			return q
		}
		return filepath.Clean(p)
	}
	return abs(a) == abs(b)
}
