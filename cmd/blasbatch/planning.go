package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// inputFile is one input's items, read from its headers (no data).
type inputFile struct {
	path   string
	shapes []threads.Shape // in file order, runs of one shape
	items  int
	flops  float64 // of its largest item, for ordering big files first
}

// scanInputs reads every input's headers. A file that cannot be opened
// counts as one item (it will be one failed record).
func scanInputs(files []string, spec kernels.Spec) []inputFile {
	out := make([]inputFile, 0, len(files))
	for _, p := range files {
		in := inputFile{path: p}
		r, err := matio.Open(p)
		if err != nil {
			in.items = 1
			out = append(out, in)
			continue
		}
		for {
			it, err := r.Next()
			if err == io.EOF {
				break
			}
			in.items++
			if err != nil {
				continue
			}
			// The rest of a stack has the same shape: count it, skip it.
			n := 1 + r.Following()
			if n > 1 {
				if err := r.Skip(n - 1); err != nil {
					n = 1 // cannot happen for a checked stack; count as Next would
				}
			}
			in.items += n - 1
			if k := len(in.shapes) - 1; k >= 0 && in.shapes[k].Rows == it.Rows && in.shapes[k].Cols == it.Cols {
				in.shapes[k].Count += n
			} else {
				in.shapes = append(in.shapes, threads.Shape{Rows: it.Rows, Cols: it.Cols, Count: n})
			}
			in.flops = max(in.flops, spec.Flops(it.Rows, it.Cols))
		}
		r.Close()
		out = append(out, in)
	}
	return out
}

// bigFirst orders inputs by their largest item, largest first (stable, so
// equal files keep their order): big items start first and small ones fill
// in behind them.
func bigFirst(ins []inputFile) []inputFile {
	s := append([]inputFile(nil), ins...)
	sort.SliceStable(s, func(a, b int) bool { return s[a].flops > s[b].flops })
	return s
}

// shapeClasses merges the inputs' shapes into one Shape per distinct size.
func shapeClasses(ins []inputFile) []threads.Shape {
	idx := map[[2]int]int{}
	var out []threads.Shape
	for _, in := range ins {
		for _, sh := range in.shapes {
			k := [2]int{sh.Rows, sh.Cols}
			if i, ok := idx[k]; ok {
				out[i].Count += sh.Count
				continue
			}
			idx[k] = len(out)
			out = append(out, sh)
		}
	}
	return out
}

// planner holds what planning needs to know about the machine and the BLAS.
type planner struct {
	host  host
	spec  kernels.Spec
	lanes bool // process lanes are available for hybrid splits
}

func (pl planner) machine() threads.Machine {
	return threads.Machine{
		Cores:        pl.host.usable.Cores(),
		InnerThreads: pl.host.blas.Threading != blas.Serial,
		ThreadSafe:   pl.host.blas.ThreadSafe(),
		ProcessLanes: pl.lanes,
	}
}

func (pl planner) key(rows, cols int) string {
	return threads.WisdomKey(pl.host.usable.Topology.Model, pl.machine().Cores, pl.host.blas.Config, pl.spec.Name, rows, cols)
}

// costs returns each shape's cost: measured wisdom where there is some for
// its class, else the flop-count estimate. notes say which.
func (pl planner) costs(shapes []threads.Shape, w threads.Wisdom) ([]threads.Cost, []string) {
	costs := make([]threads.Cost, len(shapes))
	var measured, estimated int
	for i, sh := range shapes {
		if e, ok := w.Lookup(pl.key(sh.Rows, sh.Cols)); ok {
			// Scale the measured item's time to this shape by flops.
			c := e.Cost
			if f := pl.spec.Flops(e.Rows, e.Cols); f > 0 {
				c.Seconds1 *= pl.spec.Flops(sh.Rows, sh.Cols) / f
			}
			costs[i] = c
			measured++
			continue
		}
		costs[i] = threads.Estimate(pl.spec.Flops(sh.Rows, sh.Cols), sh.Rows, sh.Cols)
		estimated++
	}
	var notes []string
	if measured > 0 {
		notes = append(notes, fmt.Sprintf("costs of %d shape(s) from wisdom (measured), %d estimated from flop counts", measured, estimated))
	} else {
		notes = append(notes, "costs estimated from flop counts (run with -plan measure to time them)")
	}
	return costs, notes
}

// measure times one real item of each of the largest shape classes (at
// most three) at 1 inner thread and at every core, fits Amdahl's law, and
// records the result in w. It returns a line per measurement.
func (pl planner) measure(ins []inputFile, shapes []threads.Shape, w *threads.Wisdom) ([]string, error) {
	impl := blas.Default()
	cores := pl.machine().Cores
	order := append([]threads.Shape(nil), shapes...)
	sort.Slice(order, func(a, b int) bool {
		return pl.spec.Flops(order[a].Rows, order[a].Cols)*float64(order[a].Count) > pl.spec.Flops(order[b].Rows, order[b].Cols)*float64(order[b].Count)
	})
	var notes []string
	defer blas.SetThreads(blas.Threads())
	for _, sh := range order[:min(3, len(order))] {
		a, err := firstItem(ins, sh)
		if err != nil {
			return notes, err
		}
		w1 := pl.spec.New(impl)
		t1, err := timeItem(w1, sh, a, 1)
		if err != nil {
			return notes, fmt.Errorf("measuring %d×%d: %w", sh.Rows, sh.Cols, err)
		}
		tk := t1
		k := 1
		if pl.machine().InnerThreads && cores > 1 {
			k = cores
			if tk, err = timeItem(pl.spec.New(impl), sh, a, k); err != nil {
				return notes, err
			}
		}
		c := threads.FitCost(t1, tk, k)
		w.Learn(pl.key(sh.Rows, sh.Cols), threads.WisdomEntry{Cost: c, Rows: sh.Rows, Cols: sh.Cols, Measured: time.Now().UTC()})
		notes = append(notes, fmt.Sprintf("measured %d×%d: %.4gs on 1 thread, %.4gs on %d (parallel fraction %.2f)", sh.Rows, sh.Cols, t1, tk, k, c.Parallel))
	}
	return notes, nil
}

// firstItem reads the data of the first item of shape sh.
func firstItem(ins []inputFile, sh threads.Shape) ([]float64, error) {
	for _, in := range ins {
		for _, s := range in.shapes {
			if s.Rows != sh.Rows || s.Cols != sh.Cols {
				continue
			}
			r, err := matio.Open(in.path)
			if err != nil {
				return nil, err
			}
			defer r.Close()
			for {
				it, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil || it.Rows != sh.Rows || it.Cols != sh.Cols {
					continue
				}
				a := make([]float64, it.Rows*it.Cols)
				return a, r.Read(a)
			}
		}
	}
	return nil, fmt.Errorf("no readable %d×%d item", sh.Rows, sh.Cols)
}

// timeItem runs the kernel on copies of a with k BLAS threads, repeating
// until 20 ms have passed (tiny items) and keeping the fastest run.
func timeItem(w kernels.Worker, sh threads.Shape, a []float64, k int) (float64, error) {
	blas.SetThreads(k)
	buf := make([]float64, len(a))
	best := 0.0
	var spent time.Duration
	for rep := 0; rep < 3 || spent < 20*time.Millisecond; rep++ {
		copy(buf, a)
		t0 := time.Now()
		if _, err := w.Run(sh.Rows, sh.Cols, buf, false); err != nil {
			return 0, err
		}
		d := time.Since(t0)
		spent += d
		if best == 0 || d.Seconds() < best {
			best = d.Seconds()
		}
		if rep >= 1000 {
			break
		}
	}
	return best, nil
}

// processLanesAvailable says whether hybrid splits can run as worker
// processes: the lanes are this same binary, so they need to find it.
func processLanesAvailable() bool {
	_, err := selfExe()
	return err == nil
}

// selfExe is the blasbatch binary that lanes and scale's runs start: the
// one named by $BLASBATCH_EXE if set (tests, where this process is the test
// binary), else this program.
func selfExe() (string, error) {
	if exe := os.Getenv(exeEnv); exe != "" {
		return exe, nil
	}
	return os.Executable()
}
