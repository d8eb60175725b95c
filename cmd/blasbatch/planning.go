package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// inputFile is one input's items, read from its headers (no data).
type inputFile struct {
	path     string
	pairWith string         // the second file of a pair (pairwise kernels)
	runs     []itemRun      // the file's items in order, in runs of one array
	todo     []batch.Source // the items to compute: all, or those not yet done
	items    int            // how many todo holds
	flops    float64        // of its largest item, for ordering big files first
}

// itemRun is a run of a file's items that share a shape: one 2-D array, one
// 3-D stack, or one bad item.
type itemRun struct {
	id0        string // the first item's record id
	stack      bool   // id0 ends in "[0]": item i of the run is prefix[i]
	rows, cols int    // 0×0 for a bad item
	count      int
}

// id returns the record id of item i of the run.
func (r itemRun) id(i int) string {
	if !r.stack {
		return r.id0
	}
	return strings.TrimSuffix(r.id0, "[0]") + "[" + strconv.Itoa(i) + "]"
}

// scanInputs reads every input's headers, on as many goroutines as Go may
// run at once (opening thousands of small files costs more in system calls
// than in parsing). A file that cannot be opened counts as one bad item (it
// will be one failed record).
func scanInputs(files []string, spec kernels.Spec, opt matio.Options) []inputFile {
	out := make([]inputFile, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(files))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if spec.Pairwise {
					out[i] = scanPair(batch.Source{Path: files[i]}, spec, opt)
				} else {
					out[i] = scanInput(files[i], spec, opt)
				}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// scanInput reads one input's headers.
func scanInput(p string, spec kernels.Spec, opt matio.Options) inputFile {
	in := inputFile{path: p}
	r, err := matio.OpenWith(p, opt)
	if err != nil {
		in.runs = []itemRun{{id0: p, count: 1}}
	} else {
		for {
			it, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				in.runs = append(in.runs, itemRun{id0: matio.ErrorID(p, err), count: 1})
				continue
			}
			// The rest of a stack has the same shape: count it, skip it.
			n := 1 + r.Following()
			if n > 1 {
				if err := r.Skip(n - 1); err != nil {
					n = 1 // cannot happen for a checked stack
				}
			}
			in.runs = append(in.runs, itemRun{id0: it.ID, stack: strings.HasSuffix(it.ID, "[0]"), rows: it.Rows, cols: it.Cols, count: n})
			in.flops = max(in.flops, spec.Flops(it.Rows, it.Cols))
		}
		r.Close()
	}
	for _, run := range in.runs {
		in.items += run.count
	}
	if in.items > 0 {
		in.todo = []batch.Source{{Path: p, Count: in.items}}
	}
	return in
}

// scanPair reads the headers of a pair source (an .npz with members a and
// b, or two files): its items are the pairs, shaped as their first side.
func scanPair(s batch.Source, spec kernels.Spec, opt matio.Options) inputFile {
	in := inputFile{path: s.Path, pairWith: s.PairWith}
	ra, rb, ia, _, err := batch.OpenPair(s, opt)
	if err != nil {
		in.runs = []itemRun{{id0: batch.PairID(s, 0, false), count: 1}}
	} else {
		stack := strings.HasSuffix(ia.ID, "]")
		in.runs = []itemRun{{id0: batch.PairID(s, 0, stack), stack: stack, rows: ia.Rows, cols: ia.Cols, count: 1 + ra.Following()}}
		in.flops = spec.Flops(ia.Rows, ia.Cols)
		ra.Close()
		rb.Close()
	}
	in.items = in.runs[0].count
	in.todo = []batch.Source{{Path: s.Path, PairWith: s.PairWith, Count: in.items}}
	return in
}

// scanPairs scans the pairs given with -pair.
func scanPairs(pairs [][2]string, spec kernels.Spec, opt matio.Options) []inputFile {
	var out []inputFile
	for _, p := range pairs {
		out = append(out, scanPair(batch.Source{Path: p[0], PairWith: p[1]}, spec, opt))
	}
	return out
}

// skipDone drops the items done says are done from each input's todo (the
// rest of todo is kept as it is, a shard's selection included) and returns
// how many it dropped.
func skipDone(ins []inputFile, done func(id string) bool) int {
	skipped := 0
	for k := range ins {
		in := &ins[k]
		var todo []batch.Source
		idx := 0
		add := func(i int) {
			if n := len(todo); n > 0 && todo[n-1].First+todo[n-1].Count == i {
				todo[n-1].Count++
				return
			}
			todo = append(todo, batch.Source{Path: in.path, PairWith: in.pairWith, First: i, Count: 1})
		}
		// Only the items still to compute (a shard's, say) are looked at.
		want := map[int]bool{}
		for _, s := range in.todo {
			for i := s.First; i < s.First+s.Count; i++ {
				want[i] = true
			}
		}
		for _, run := range in.runs {
			for i := range run.count {
				switch {
				case !want[idx]:
				case done(run.id(i)):
					skipped++
				default:
					add(idx)
				}
				idx++
			}
		}
		in.todo = todo
		in.items = 0
		for _, s := range todo {
			in.items += s.Count
		}
	}
	return skipped
}

// bigFirst orders inputs by their largest item, largest first (stable, so
// equal files keep their order): big items start first and small ones fill
// in behind them.
func bigFirst(ins []inputFile) []inputFile {
	s := append([]inputFile(nil), ins...)
	sort.SliceStable(s, func(a, b int) bool { return s[a].flops > s[b].flops })
	return s
}

// shapeClasses merges the shapes of the items still to compute into one
// Shape per distinct size.
func shapeClasses(ins []inputFile) []threads.Shape {
	idx := map[[2]int]int{}
	var out []threads.Shape
	for _, in := range ins {
		for _, src := range in.todo {
			lo, hi, start := src.First, src.First+src.Count, 0
			for _, run := range in.runs {
				n := max(0, min(hi, start+run.count)-max(lo, start))
				start += run.count
				if n == 0 || run.rows == 0 {
					continue
				}
				k := [2]int{run.rows, run.cols}
				if i, ok := idx[k]; ok {
					out[i].Count += n
					continue
				}
				idx[k] = len(out)
				out = append(out, threads.Shape{Rows: run.rows, Cols: run.cols, Count: n})
			}
		}
	}
	return out
}

// planner holds what planning needs to know about the machine and the BLAS.
type planner struct {
	host  host
	spec  kernels.Spec
	lanes bool          // process lanes are available for hybrid splits
	read  matio.Options // how inputs are opened (-shape)
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
				scale := pl.spec.Flops(sh.Rows, sh.Cols) / f
				c.Seconds1 *= scale
				c.Saturated *= scale
			}
			costs[i] = c
			measured++
			continue
		}
		costs[i] = threads.Estimate(pl.spec.Flops(sh.Rows, sh.Cols), sh.Rows, sh.Cols)
		if pl.spec.MemoryBound {
			costs[i] = threads.EstimateMemoryBound(pl.spec.Flops(sh.Rows, sh.Cols))
		}
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
	if pl.spec.Pairwise {
		return []string{"-plan measure does not time pair kernels yet: estimating"}, nil
	}
	defer blas.SetThreads(blas.Threads())
	for _, sh := range order[:min(3, len(order))] {
		a, err := firstItem(ins, sh, pl.read)
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
		if pl.spec.MemoryBound && cores > 1 {
			// Every core at once on its own copy: what the shared memory
			// bandwidth allows each item.
			c.Saturated, c.SaturatedAt = pl.timeConcurrent(sh, a, cores), cores
			notes = append(notes, fmt.Sprintf("measured %d×%d with %d at once: %.4gs each (%.4gs alone)", sh.Rows, sh.Cols, cores, c.Saturated, t1))
		}
		w.Learn(pl.key(sh.Rows, sh.Cols), threads.WisdomEntry{Cost: c, Rows: sh.Rows, Cols: sh.Cols, Measured: time.Now().UTC()})
		notes = append(notes, fmt.Sprintf("measured %d×%d: %.4gs on 1 thread, %.4gs on %d (parallel fraction %.2f)", sh.Rows, sh.Cols, t1, tk, k, c.Parallel))
	}
	return notes, nil
}

// timeConcurrent runs the kernel on n copies of a at once, each on its own
// locked thread pinned to its own CPU, and returns the slowest one's time.
func (pl planner) timeConcurrent(sh threads.Shape, a []float64, n int) float64 {
	times := make([]float64, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for j := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // exits with the goroutine: the pin goes too
			if j < len(pl.host.usable.Preferred) {
				threads.Pin([]int{pl.host.usable.Preferred[j]})
			}
			w := pl.spec.New(blas.Default())
			buf := make([]float64, len(a))
			<-start
			copy(buf, a)
			t0 := time.Now()
			w.Run(sh.Rows, sh.Cols, buf, false)
			times[j] = time.Since(t0).Seconds()
		}()
	}
	close(start)
	wg.Wait()
	worst := 0.0
	for _, t := range times {
		worst = max(worst, t)
	}
	return worst
}

// firstItem reads the data of the first item of shape sh.
func firstItem(ins []inputFile, sh threads.Shape, opt matio.Options) ([]float64, error) {
	for _, in := range ins {
		for _, s := range in.runs {
			if s.rows != sh.Rows || s.cols != sh.Cols {
				continue
			}
			r, err := matio.OpenWith(in.path, opt)
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
