package blasbatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blasbatch/blasbatch/internal/exec"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/results"
)

// validFunction reports whether s is MODULE:FUNC.
func validFunction(s string) bool {
	mod, fn, ok := strings.Cut(s, ":")
	return ok && mod != "" && fn != "" && !strings.ContainsAny(s, " \t\n")
}

// execConfig is the job's command as lanes run it.
func (r *run) execConfig() *exec.Config {
	c := r.job.Command
	cfg := &exec.Config{Args: c.Args, Function: c.Python, PythonExe: c.PythonExe, Dir: c.Dir,
		Timeout: c.Timeout, Retries: c.Retries, MaxResult: c.MaxResult}
	switch {
	case c.Python != "":
		cfg.Mode = exec.Python
	case c.Worker:
		cfg.Mode = exec.Worker
	}
	if cfg.Dir == "" {
		cfg.Dir, _ = os.Getwd()
	}
	return cfg
}

// commandKey names a command in the wisdom file: its mode and arguments,
// hashed, with the machine.
func (r *run) commandKey() string {
	c := r.execConfig()
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s\x00", c.Mode, c.Function, c.PythonExe)
	for _, a := range c.Args {
		fmt.Fprintf(h, "%s\x00", a)
	}
	return fmt.Sprintf("exec|%s|cores=%d|%s", r.host.usable.Topology.Model, r.host.cores(), hex.EncodeToString(h.Sum(nil))[:16])
}

// execSplit completes a split for a command: every usable core a lane of
// one thread when there are at least as many items as cores, else fewer
// lanes with more threads; a forced outer or inner takes the rest of the
// cores for the other.
func execSplit(outer, inner, items, cores int) (int, int) {
	cores = max(cores, 1)
	switch {
	case outer == 0 && inner == 0:
		outer = max(1, min(items, cores))
		inner = max(1, cores/outer)
	case outer == 0:
		outer = max(1, cores/inner)
	case inner == 0:
		inner = max(1, cores/outer)
	}
	return outer, inner
}

// decideExec chooses the split for a command: forced, from wisdom, by
// measuring (PlanMeasure), or the default.
func (r *run) decideExec(ctx context.Context, tasks *[]lanes.Task, c *lanes.Counts) ([]Phase, Decision, error) {
	cores := r.host.cores()
	items := 0
	for _, t := range *tasks {
		items += t.Count
	}
	dec := Decision{Cores: cores, Items: items, Usable: r.host.usable}
	outer, inner := execSplit(r.job.Outer, r.job.Inner, items, cores)
	switch {
	case r.job.Outer != 0 || r.job.Inner != 0:
		dec.Reasons = append(dec.Reasons, fmt.Sprintf("forced: %d lane(s) of %d thread(s)", outer, inner))
	default:
		path, w := r.loadWisdom(&dec)
		e, known := w.Lookup(r.commandKey())
		switch {
		case r.job.Plan == PlanMeasure:
			best, notes, err := r.measureExec(ctx, tasks, c)
			dec.Notes = append(dec.Notes, notes...)
			if err != nil {
				return nil, dec, err
			}
			if best.Outer > 0 {
				outer, inner = best.Outer, best.Inner
				dec.Reasons = append(dec.Reasons, fmt.Sprintf("measured: %d lane(s) of %d thread(s) computed the most files per second", outer, inner))
				if path != "" {
					err := plan.UpdateWisdom(path, func(on *plan.Wisdom) { on.Learn(r.commandKey(), best) })
					if err != nil {
						r.warn(fmt.Sprintf("could not save wisdom: %v", err))
					} else {
						dec.Notes = append(dec.Notes, "wisdom saved to "+path)
					}
				}
			}
		case known && e.Outer > 0:
			outer, inner = min(e.Outer, max(items, 1)), e.Inner
			dec.Reasons = append(dec.Reasons, fmt.Sprintf("from wisdom (measured %s): %d lane(s) of %d thread(s)", e.Measured.Format("2006-01-02"), e.Outer, e.Inner))
		case items >= cores:
			dec.Reasons = append(dec.Reasons, "at least as many files as cores: every core a lane of one thread")
		default:
			dec.Reasons = append(dec.Reasons, fmt.Sprintf("%d files on %d cores: %d lane(s) of %d thread(s), so no core idles", items, cores, outer, inner))
		}
	}
	if outer*inner > cores {
		r.warn(fmt.Sprintf("%d lanes × %d threads = %d threads on %d usable cores: oversubscribed, expect it to be slower", outer, inner, outer*inner, cores))
	}
	dec.Items = 0
	for _, t := range *tasks {
		dec.Items += t.Count
	}
	ph := Phase{Outer: outer, Inner: inner, Items: dec.Items, Process: true}
	dec.Phases = []Phase{ph}
	dec.LaneCPUs = [][][]int{laneCPUs(r.host.usable, outer, inner)}
	return dec.Phases, dec, nil
}

// measureExec times the command at candidate splits on real items — every
// core a lane of one thread, then half as many lanes of twice the threads,
// and so on — each a wave of one item per lane, whose records are results
// like any other. It stops when a split is clearly slower than the best so
// far, or when the next wave would take more than a quarter of the items.
// Items per second are lanes / the median item's time.
func (r *run) measureExec(ctx context.Context, tasks *[]lanes.Task, c *lanes.Counts) (plan.WisdomEntry, []string, error) {
	cores := r.host.cores()
	total := 0
	for _, t := range *tasks {
		total += t.Count
	}
	var best plan.WisdomEntry
	bestRate := 0.0
	var notes, tried []string
	used := 0
	for inner := 1; inner <= cores; inner *= 2 {
		outer := max(1, cores/inner)
		if used+outer > total/4 {
			notes = append(notes, fmt.Sprintf("%d × %d not tried: %d item(s) left is too few to measure without slowing the run", outer, inner, total-used))
			break
		}
		part := takeFirst(tasks, outer)
		used += outer
		secs, err := r.execTrial(ctx, part, c, outer, inner)
		if err != nil {
			return best, notes, err
		}
		if secs <= 0 {
			notes = append(notes, fmt.Sprintf("%d × %d: its trial items failed", outer, inner))
			continue
		}
		rate := float64(outer) / secs
		tried = append(tried, fmt.Sprintf("%d × %d: %.3gs per file, %.3g files/s", outer, inner, secs, rate))
		if rate > bestRate {
			bestRate = rate
			best = plan.WisdomEntry{Cost: plan.Cost{Seconds1: 1 / rate}, Outer: outer, Inner: inner, Measured: time.Now().UTC()}
		} else if rate < 0.9*bestRate {
			notes = append(notes, fmt.Sprintf("stopped: %d × %d is slower than %d × %d, and fewer lanes would be slower still", outer, inner, best.Outer, best.Inner))
			break
		}
		if inner == cores {
			break
		}
	}
	if len(tried) > 0 {
		notes = append([]string{fmt.Sprintf("measured on %d real files (kept as results): %s", used, strings.Join(tried, "; "))}, notes...)
	}
	return best, notes, nil
}

// takeFirst takes the first n items out of tasks.
func takeFirst(tasks *[]lanes.Task, n int) []lanes.Task {
	head, tail := takeItems(*tasks, n)
	*tasks = tail
	return head
}

// execTrial runs part as one wave of outer lanes of inner threads and
// returns the median item time of those that succeeded (0 when none did).
func (r *run) execTrial(ctx context.Context, part []lanes.Task, c *lanes.Counts, outer, inner int) (float64, error) {
	var mu sync.Mutex
	var secs []float64
	out := writerFunc(func(b []byte) (int, error) {
		if rec, err := results.Decode(b); err == nil && rec.OK {
			mu.Lock()
			secs = append(secs, rec.Seconds)
			mu.Unlock()
		}
		return r.write(b)
	})
	exe := r.job.LaneExe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return 0, err
		}
	}
	opt := lanes.Options{Kernel: r.spec, Exec: r.execConfig(), Outer: outer, Inner: inner, Process: true, Exe: exe,
		CPUs: laneCPUs(r.host.usable, outer, inner), Out: out, Warn: r.warn, Debug: r.debug}
	d, err := lanes.Run(ctx, r.job.Abandon, opt, part)
	c.Add(d)
	if err != nil || len(secs) == 0 {
		return 0, err
	}
	sort.Float64s(secs)
	return secs[len(secs)/2], nil
}
