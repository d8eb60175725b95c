package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/lanes"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// executor runs a plan's phases one after the other.
type executor struct {
	host      host
	spec      kernels.Spec
	save      string
	out       io.Writer
	readAhead int
	pin       bool
	opt       kernels.Options
	read      matio.Options
	budget    int64 // bytes for items and workspace in flight; 0 = no limit
	maxItem   int64 // the largest item to compute that fits the budget
	warn      func(string)
	progress  func(batch.Summary)
}

// run gives each phase its share of the items, in the order of ins (big
// first), and runs it in-process or on process lanes. The last phase takes
// whatever is left, so items the planner could not see (unreadable ones)
// are never dropped.
func (ex executor) run(ctx context.Context, phases []threads.Phase, ins []inputFile) (batch.Summary, error) {
	start := time.Now()
	ex.maxItem = maxItemBytes(ex.spec, ins, ex.budget)
	rest := sourcesOf(ins)
	var total batch.Summary
	for i, ph := range phases {
		var part []batch.Source
		if i == len(phases)-1 {
			part, rest = rest, nil
		} else {
			part, rest = takeItems(rest, ph.Items)
		}
		if len(part) == 0 {
			continue
		}
		base := total
		prog := func(s batch.Summary) {
			s.OK += base.OK
			s.Failed += base.Failed
			s.Elapsed = time.Since(start)
			ex.progress(s)
		}
		var s batch.Summary
		var err error
		if ph.Process {
			s, err = ex.runLanes(ctx, ph, part, prog)
		} else {
			s, err = ex.runInProcess(ctx, ph, part, prog)
		}
		total.OK += s.OK
		total.Failed += s.Failed
		if total.FirstError == "" {
			total.FirstError = s.FirstError
		}
		if err != nil {
			total.Elapsed = time.Since(start)
			return total, err
		}
	}
	total.Elapsed = time.Since(start)
	return total, nil
}

func (ex executor) runInProcess(ctx context.Context, ph threads.Phase, part []batch.Source, prog func(batch.Summary)) (batch.Summary, error) {
	blas.SetThreads(ph.Inner)
	outer, readAhead, warning := fitMemory(ex.budget, ex.maxItem, ph.Outer, ex.readAhead)
	if warning != "" {
		ex.warn(warning)
	}
	cfg := batch.Config{
		Sources: part, Kernel: ex.spec, Outer: outer, Save: ex.save, Out: ex.out,
		ReadAhead: readAhead, Warn: ex.warn, Progress: prog,
		MaxItemBytes: ex.budget, ItemBytes: ex.spec.ItemBytes,
		Options: ex.opt, Read: ex.read,
	}
	if ex.pin && ph.Inner == 1 && outer > 1 && outer <= len(ex.host.usable.Preferred) {
		cfg.CPUs = ex.host.usable.Preferred[:outer]
	}
	return batch.Run(ctx, cfg)
}

func (ex executor) runLanes(ctx context.Context, ph threads.Phase, part []batch.Source, prog func(batch.Summary)) (batch.Summary, error) {
	exe, err := selfExe()
	if err != nil {
		return batch.Summary{}, fmt.Errorf("process lanes need the blasbatch binary: %w", err)
	}
	return lanes.Run(ctx, lanes.Config{
		Exe: exe, Kernel: ex.spec.Name, Save: ex.save,
		Lanes:        laneCPUs(ex.host.usable, ph.Outer, ph.Inner),
		Tasks:        splitTasks(part, ph.Outer),
		Out:          ex.out,
		Progress:     prog,
		Warn:         ex.warn,
		MaxItemBytes: ex.budget,
		Options:      ex.opt,
		Read:         ex.read,
	})
}

// laneCPUs gives each lane its own inner CPUs; a forced split larger than
// the machine wraps around the preferred CPUs (and is oversubscribed, as
// the user was warned).
func laneCPUs(u threads.Usable, outer, inner int) [][]int {
	if l := u.LaneCPUs(outer, inner); l != nil {
		return l
	}
	pref := u.Preferred
	if len(pref) == 0 {
		pref = u.CPUs
	}
	out := make([][]int, outer)
	for j := range out {
		for t := range inner {
			c := pref[(j*inner+t)%len(pref)]
			if !containsInt(out[j], c) {
				out[j] = append(out[j], c)
			}
		}
	}
	return out
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// sourcesOf lists the items still to compute of ins, in order.
func sourcesOf(ins []inputFile) []batch.Source {
	s := make([]batch.Source, 0, len(ins))
	for _, in := range ins {
		s = append(s, in.todo...)
	}
	return s
}

// takeItems splits srcs after n items.
func takeItems(srcs []batch.Source, n int) (head, tail []batch.Source) {
	for i, s := range srcs {
		if n <= 0 {
			return head, append(tail, srcs[i:]...)
		}
		if s.Count <= n {
			head = append(head, s)
			n -= s.Count
			continue
		}
		head = append(head, batch.Source{Path: s.Path, PairWith: s.PairWith, First: s.First, Count: n})
		tail = append(tail, batch.Source{Path: s.Path, PairWith: s.PairWith, First: s.First + n, Count: s.Count - n})
		tail = append(tail, srcs[i+1:]...)
		return head, tail
	}
	return head, nil
}

// splitTasks cuts sources into lane tasks small enough to balance the lanes:
// about four tasks per lane, at most 1024 items each.
func splitTasks(srcs []batch.Source, lanes int) []batch.Source {
	total := 0
	for _, s := range srcs {
		total += s.Count
	}
	size := min(1024, max(1, total/(4*max(lanes, 1))))
	var out []batch.Source
	for _, s := range srcs {
		for first, left := s.First, s.Count; left > 0; {
			n := min(size, left)
			out = append(out, batch.Source{Path: s.Path, PairWith: s.PairWith, First: first, Count: n})
			first += n
			left -= n
		}
	}
	return out
}

func totalItems(ins []inputFile) int {
	n := 0
	for _, in := range ins {
		n += in.items
	}
	return n
}

// describePhases is the summary line's account of the split.
func describePhases(phases []threads.Phase) string {
	var s []string
	for i, ph := range phases {
		d := fmt.Sprintf("%d outer × %d inner", ph.Outer, ph.Inner)
		if ph.Process {
			d += " in lane processes"
		}
		if i > 0 {
			d = fmt.Sprintf("then %s for the last %d", d, ph.Items)
		}
		s = append(s, d)
	}
	return strings.Join(s, ", ")
}

// maxItemBytes is the memory of the largest item still to compute that fits
// the budget (larger ones fail alone and hold nothing).
func maxItemBytes(spec kernels.Spec, ins []inputFile, budget int64) int64 {
	var m int64
	for _, in := range ins {
		if in.items == 0 {
			continue
		}
		for _, r := range in.runs {
			b := spec.ItemBytes(r.rows, r.cols)
			if b > m && (budget <= 0 || b <= budget) {
				m = b
			}
		}
	}
	return m
}
