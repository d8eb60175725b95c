package blasbatch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
)

// TestMain makes the test binary a program like any user's: it serves as
// a worker process when started as one (LaneMain, with this package's own
// kernels), and otherwise runs the tests.
func TestMain(m *testing.M) {
	blasbatch.LaneMain(traceSpec(), pidSpec(), waitSpec())
	goleak.VerifyTestMain(m)
}

// pidSpec is a kernel that records the pid of the process computing it.
func pidSpec() kernels.Spec {
	return kernels.Spec{Name: "pid", NewWith: func(blas.LAPACK, kernels.Options) kernels.Worker { return pidWorker{} }}
}

type pidWorker struct{}

func (pidWorker) Run(rows, cols int, a []float64, save bool) (kernels.Result, error) {
	return kernels.Result{Scalars: []kernels.Scalar{{Name: "pid", Value: float64(os.Getpid())}}}, nil
}

// waitSpec is a kernel that, for an item whose first element is 777,
// creates the file named by $WAIT_STARTED and waits until the file
// $WAIT_RELEASE exists (at most a minute), then creates $WAIT_STARTED.done:
// an item the test holds in flight.
func waitSpec() kernels.Spec {
	return kernels.Spec{Name: "wait", NewWith: func(blas.LAPACK, kernels.Options) kernels.Worker { return waitWorker{} }}
}

type waitWorker struct{}

func (waitWorker) Run(rows, cols int, a []float64, save bool) (kernels.Result, error) {
	if a[0] == 777 {
		started, release := os.Getenv("WAIT_STARTED"), os.Getenv("WAIT_RELEASE")
		os.WriteFile(started, nil, 0o644)
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			if _, err := os.Stat(release); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		os.WriteFile(started+".done", nil, 0o644)
	}
	return kernels.Result{Scalars: []kernels.Scalar{{Name: "first", Value: a[0]}}}, nil
}

// writeMatrices writes count random m×n matrices as files in dir and
// returns their paths; the first element of matrix i is first(i) when
// first is not nil.
func writeMatrices(t testing.TB, dir string, count, m, n int, first func(i int) float64) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(count), uint64(m*n)))
	var paths []string
	for i := range count {
		a := make([]float64, m*n)
		for j := range a {
			a[j] = rng.NormFloat64()
		}
		if first != nil {
			a[0] = first(i)
		}
		p := filepath.Join(dir, fmt.Sprintf("m%04d.npy", i))
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := matio.WriteNpy(f, m, n, a, false); err != nil {
			t.Fatal(err)
		}
		f.Close()
		paths = append(paths, p)
	}
	return paths
}

// readRecords decodes a results file; a line that is not a record fails.
func readRecords(t testing.TB, path string) []results.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := results.NewDecoder(f)
	var out []results.Record
	for {
		_, r, err := d.Next()
		if err == io.EOF {
			if d.Torn > 0 {
				t.Fatalf("%s ends in a torn line", path)
			}
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

func svdvals(t testing.TB) kernels.Spec {
	s, err := kernels.Lookup("svdvals")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCountsAddUp: good files, a text file, a truncated file and a missing
// path: each bad one a failed record naming it, the good ones computed,
// and Items = OK + Failed.
func TestCountsAddUp(t *testing.T) {
	dir := t.TempDir()
	good := writeMatrices(t, filepath.Join(dir, "in"), 5, 6, 4, nil)
	os.WriteFile(filepath.Join(dir, "in", "text.npy"), []byte("hello"), 0o644)
	b, _ := os.ReadFile(good[0])
	os.WriteFile(filepath.Join(dir, "in", "short.npy"), b[:len(b)-8], 0o644)
	missing := filepath.Join(dir, "missing.npy")
	res := filepath.Join(dir, "r.jsonl")
	sum, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: svdvals(t), Inputs: []string{filepath.Join(dir, "in"), missing}, ResultsFile: res})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Items != 8 || sum.OK != 5 || sum.Failed != 3 || sum.NotStarted != 0 || sum.Abandoned != 0 || sum.ResultsFile != res {
		t.Fatalf("summary %+v", sum)
	}
	recs := readRecords(t, res)
	if len(recs) != 8 {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		if !r.OK && !strings.Contains(r.Error, filepath.Base(r.Input)) {
			t.Errorf("failure does not name its file: %+v", r)
		}
	}
}

// TestInterruptThenResume: a run cancelled (from its progress callback,
// so at a known point whatever the machine's speed) stops after the items
// in flight; its summary counts the rest as not started; a run with Resume
// computes exactly the rest — in-process and on worker processes.
func TestInterruptThenResume(t *testing.T) {
	for _, isolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			const total = 40
			writeMatrices(t, in, total, 200, 200, nil)
			res := filepath.Join(dir, "r.jsonl")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			const stopAt = 5
			job := blasbatch.Job{Kernel: svdvals(t), Inputs: []string{in}, ResultsFile: res, Isolate: isolate, Outer: 1, Inner: 1,
				Progress: func(p blasbatch.Progress) {
					if p.Done >= stopAt {
						cancel()
					}
				}}
			sum, err := blasbatch.Run(ctx, job)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: %v", err)
			}
			recs := readRecords(t, res)
			if sum.OK < stopAt || sum.OK >= total || sum.OK != len(recs) || sum.OK+sum.Failed+sum.Abandoned+sum.NotStarted != total {
				t.Fatalf("summary %+v, %d records", sum, len(recs))
			}
			job.Progress, job.Resume = nil, true
			sum2, err := blasbatch.Run(context.Background(), job)
			if err != nil {
				t.Fatal(err)
			}
			if sum2.Skipped != sum.OK || sum2.OK != total-sum.OK || sum2.Items != total {
				t.Fatalf("resume %+v after %+v", sum2, sum)
			}
			seen := map[string]int{}
			for _, r := range readRecords(t, res) {
				if !r.OK {
					t.Fatalf("failed: %+v", r)
				}
				seen[r.Input]++
			}
			if len(seen) != total {
				t.Fatalf("%d items recorded", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Fatalf("%s recorded %d times: finished work was redone", id, n)
				}
			}
		})
	}
}

// TestCustomKernelOnWorkerProcesses: a kernel of the program's own runs
// in-process and, with Isolate, in other processes of this program.
func TestCustomKernelOnWorkerProcesses(t *testing.T) {
	dir := t.TempDir()
	writeMatrices(t, dir, 4, 3, 3, nil)
	for _, isolate := range []bool{false, true} {
		var out bytes.Buffer
		sum, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: pidSpec(), Inputs: []string{dir}, Records: &out, Isolate: isolate})
		if err != nil || sum.OK != 4 {
			t.Fatalf("isolate=%v: %+v %v", isolate, sum, err)
		}
		d := results.NewDecoder(&out)
		for {
			_, r, err := d.Next()
			if err != nil {
				break
			}
			pid, _ := r.Float("pid")
			if mine := int(pid) == os.Getpid(); mine == isolate {
				t.Errorf("isolate=%v: item %s computed by pid %v (this process is %d)", isolate, r.Input, pid, os.Getpid())
			}
		}
	}
}

// TestOutputIsInput: a results file that is one of the inputs — by a
// relative or absolute path, a symlink or a hard link — is a job error and
// nothing is written.
func TestOutputIsInput(t *testing.T) {
	dir := t.TempDir()
	in := writeMatrices(t, filepath.Join(dir, "d"), 2, 3, 3, nil)
	before, _ := os.ReadFile(in[0])
	link := filepath.Join(dir, "link.npy")
	os.Symlink(in[0], link)
	hard := filepath.Join(dir, "hard.npy")
	os.Link(in[0], hard)
	wd, _ := os.Getwd()
	rel, _ := filepath.Rel(wd, in[0])
	for _, out := range []string{in[0], rel, link, hard} {
		_, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: svdvals(t), Inputs: []string{filepath.Join(dir, "d")}, ResultsFile: out})
		if !errors.Is(err, blasbatch.ErrJob) || !strings.Contains(err.Error(), "one of the inputs") {
			t.Errorf("-jsonl %s: %v", out, err)
		}
		if after, _ := os.ReadFile(in[0]); !bytes.Equal(after, before) {
			t.Fatalf("-jsonl %s changed the input", out)
		}
	}
}

// TestResultsFileHeld: while a run holds its results file, a second run
// on it fails at once (a job error naming it) and changes nothing; the
// first completes whole.
func TestResultsFileHeld(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeMatrices(t, in, 4, 3, 3, func(i int) float64 { return map[bool]float64{true: 777, false: 1}[i == 2] })
	started, release := filepath.Join(dir, "started"), filepath.Join(dir, "release")
	t.Setenv("WAIT_STARTED", started)
	t.Setenv("WAIT_RELEASE", release)
	res := filepath.Join(dir, "r.jsonl")
	var wg sync.WaitGroup
	var first blasbatch.Summary
	var firstErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		first, firstErr = blasbatch.Run(context.Background(), blasbatch.Job{Kernel: waitSpec(), Inputs: []string{in}, ResultsFile: res, Outer: 1})
	}()
	waitFor(t, started)
	before, _ := os.ReadFile(res)
	for _, resume := range []bool{false, true} {
		_, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: waitSpec(), Inputs: []string{in}, ResultsFile: res, Resume: resume})
		if !errors.Is(err, results.ErrLocked) || !errors.Is(err, blasbatch.ErrJob) || !strings.Contains(err.Error(), res) {
			t.Errorf("second run (resume=%v): %v", resume, err)
		}
	}
	if after, _ := os.ReadFile(res); !bytes.Equal(after, before) {
		t.Error("the refused run changed the held file")
	}
	os.WriteFile(release, nil, 0o644)
	wg.Wait()
	if firstErr != nil || first.OK != 4 || len(readRecords(t, res)) != 4 {
		t.Fatalf("first run: %+v %v", first, firstErr)
	}
}

// waitFor waits until path exists, failing after a minute.
func waitFor(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestFailureBeforeComputingLeavesResults: a job error found after the
// results file was opened (the save directory held by another run; inputs
// with no items) leaves the file byte-identical.
func TestFailureBeforeComputingLeavesResults(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeMatrices(t, in, 2, 3, 3, nil)
	res := filepath.Join(dir, "keep.jsonl")
	if _, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: svdvals(t), Inputs: []string{in}, ResultsFile: res}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(res)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	held := filepath.Join(dir, "save")
	os.Mkdir(held, 0o755)
	d, err := os.Open(held)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := safefile.TryLock(d); err != nil {
		t.Fatal(err)
	}
	for name, job := range map[string]blasbatch.Job{
		"no items":      {Kernel: svdvals(t), Inputs: []string{empty}, ResultsFile: res},
		"save dir held": {Kernel: svdvals(t), Inputs: []string{in}, ResultsFile: res, SaveDir: held},
		"resume, held":  {Kernel: svdvals(t), Inputs: []string{in}, ResultsFile: res, SaveDir: held, Resume: true},
	} {
		if _, err := blasbatch.Run(context.Background(), job); !errors.Is(err, blasbatch.ErrJob) {
			t.Errorf("%s: %v", name, err)
		}
		if after, _ := os.ReadFile(res); !bytes.Equal(after, before) {
			t.Fatalf("%s: the results file changed", name)
		}
	}
}

// TestSplitIsTheJobs: a job's inner threads are the job's, not the
// process's: Run sets them for its phase and puts back what was there.
func TestSplitIsTheJobs(t *testing.T) {
	if blas.Runtime().Threading == blas.Serial {
		t.Skip("a BLAS without threads")
	}
	dir := t.TempDir()
	writeMatrices(t, dir, 2, 4, 4, nil)
	blas.SetThreads(1)
	defer blas.SetThreads(blas.Threads())
	var during int
	spec := kernels.Spec{Name: "threads", NewWith: func(blas.LAPACK, kernels.Options) kernels.Worker {
		return workerFunc(func(int, int, []float64, bool) (kernels.Result, error) {
			during = blas.Threads()
			return kernels.Result{}, nil
		})
	}}
	if _, err := blasbatch.Run(context.Background(), blasbatch.Job{Kernel: spec, Inputs: []string{dir}, Outer: 1, Inner: 2}); err != nil {
		t.Fatal(err)
	}
	if during != 2 || blas.Threads() != 1 {
		t.Fatalf("during the run %d threads (want 2), after it %d (want 1 again)", during, blas.Threads())
	}
}

type workerFunc func(rows, cols int, a []float64, save bool) (kernels.Result, error)

func (f workerFunc) Run(rows, cols int, a []float64, save bool) (kernels.Result, error) {
	return f(rows, cols, a, save)
}

// TestAbandon: interrupting and then abandoning a run whose item is held
// in flight returns at once; every item is counted once — ok, abandoned
// (in flight, no record) or not started — in-process and on worker
// processes.
func TestAbandon(t *testing.T) {
	for _, isolate := range []bool{false, true} {
		t.Run(fmt.Sprintf("isolate=%v", isolate), func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			writeMatrices(t, in, 4, 3, 3, func(i int) float64 { return map[bool]float64{true: 777, false: 1}[i == 2] })
			started, release := filepath.Join(dir, "started"), filepath.Join(dir, "release")
			t.Setenv("WAIT_STARTED", started)
			t.Setenv("WAIT_RELEASE", release)
			defer func() {
				// An abandoned in-process item ends once released (a
				// worker process was killed).
				os.WriteFile(release, nil, 0o644)
				if !isolate {
					waitFor(t, started+".done")
				}
			}()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			abandon := make(chan struct{})
			go func() {
				waitFor(t, started)
				cancel()
				close(abandon)
			}()
			res := filepath.Join(dir, "r.jsonl")
			sum, err := blasbatch.Run(ctx, blasbatch.Job{Kernel: waitSpec(), Inputs: []string{in}, ResultsFile: res, Outer: 1, Isolate: isolate, Abandon: abandon})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v", err)
			}
			recs := readRecords(t, res)
			if sum.Abandoned < 1 || sum.OK != len(recs) || sum.OK+sum.Failed+sum.Abandoned+sum.NotStarted != 4 {
				t.Fatalf("summary %+v with %d records", sum, len(recs))
			}
			for _, r := range recs {
				if v, _ := r.Float("first"); v == 777 {
					t.Fatalf("the abandoned item has a record: %+v", r)
				}
			}
		})
	}
}
