//go:build linux

package lanes_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/results"
	"github.com/blasbatch/blasbatch/threads"
)

// TestProcessesEqualInProcess: the same tasks through worker processes
// (two lanes of one CPU, one lane of two CPUs with two BLAS threads) give
// the records of an in-process run: the same ids, the same failures (a
// file overwritten with garbage after the scan, a file deleted, a NaN
// matrix), a file name that is not UTF-8, the same singular values to
// 1e-12 relative; the lanes write the save files; nothing is warned.
func TestProcessesEqualInProcess(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "stack.npy")
	writeStack(t, stack, 7, 30, 20, 1)
	mat := filepath.Join(dir, "mat.npy")
	writeStack(t, mat, 0, 50, 45, 2)
	garbage := filepath.Join(dir, "garbage.npy")
	writeStack(t, garbage, 2, 3, 3, 3)
	missing := filepath.Join(dir, "missing.npy")
	writeStack(t, missing, 0, 4, 4, 4)
	latin1 := filepath.Join(dir, "latin1-\xe9t\xe9.npy")
	writeStack(t, latin1, 2, 5, 6, 5)
	nan := filepath.Join(dir, "nan.npy")
	writeMats(t, nan, 2, 2, [][]float64{{1, 2, 3, 4}, {1, math.NaN(), 3, 4}}, true)
	spec := lookup(t, "svd")
	scanned, bad := scan(t, spec, stack, mat, garbage, missing, latin1, nan)
	if len(scanned) != 6 || len(bad) != 0 {
		t.Fatalf("scan: %d tasks, bad %q", len(scanned), bad)
	}
	tasks := []lanes.Task{part(scanned[0], 0, 3), scanned[1], part(scanned[0], 3, 2), scanned[2], part(scanned[0], 5, 2), scanned[3], scanned[4], scanned[5]}
	if err := os.WriteFile(garbage, []byte("not numpy"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(missing); err != nil {
		t.Fatal(err)
	}

	var ref lineWriter
	refCounts, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Out: &ref}, tasks)
	if err != nil {
		t.Fatal(err)
	}
	want := records(t, ref.bytes())
	if refCounts.OK != 11 || refCounts.Failed != 4 || len(want) != 15 {
		t.Fatalf("in process: %+v, %d records; want 11 ok, 4 failed", refCounts, len(want))
	}

	c := cpus(t, 2)
	for _, split := range [][][]int{{{c[0]}, {c[1]}}, {{c[0], c[1]}}} {
		t.Run(fmt.Sprint(split), func(t *testing.T) {
			var out lineWriter
			var warns lines
			save := filepath.Join(t.TempDir(), "save")
			if err := os.Mkdir(save, 0o777); err != nil {
				t.Fatal(err)
			}
			got, err := lanes.Run(context.Background(), nil, lanes.Options{
				Kernel: spec, Process: true, Exe: exe(t), Outer: len(split), Inner: len(split[0]), CPUs: split,
				Save: save, Out: &out, Warn: warns.add,
			}, tasks)
			if err != nil || out.err() != nil {
				t.Fatal(err, out.err())
			}
			if w := warns.get(); len(w) > 0 {
				t.Errorf("warnings: %q", w)
			}
			if got.OK != refCounts.OK || got.Failed != refCounts.Failed || got.Abandoned != 0 {
				t.Errorf("counts %+v, in process %+v", got, refCounts)
			}
			recs := records(t, out.bytes())
			if len(recs) != len(want) {
				t.Errorf("%d records, in process %d", len(recs), len(want))
			}
			for id, w := range want {
				g, ok := recs[id]
				if !ok {
					t.Errorf("no record for %s", id)
					continue
				}
				gv, wv := floats(t, g, "singular_values"), floats(t, w, "singular_values")
				if g.OK != w.OK || g.Error != w.Error || g.Rows != w.Rows || g.Cols != w.Cols || len(gv) != len(wv) {
					t.Errorf("%s: %+v, in process %+v", id, g, w)
					continue
				}
				if g.Lane < 0 || g.Lane >= len(split) {
					t.Errorf("%s: lane %d", id, g.Lane)
				}
				for i := range wv {
					if !relClose(gv[i], wv[i], wv[0], 1e-12) {
						t.Errorf("%s σ[%d] = %v, in process %v", id, i, gv[i], wv[i])
					}
				}
			}
			for _, id := range []string{stack + "[6]", mat} {
				if _, err := os.Stat(filepath.Join(save, lanes.SafeName(id)+".U.npy")); err != nil {
					t.Errorf("save of %s: %v", id, err)
				}
			}
		})
	}
}

// TestLaneKilledMidItem: a lane process killed (SIGKILL) while it computes
// an item gives exactly that item a failed record naming the lane, its
// CPU and the signal; every other item is computed; the lane is restarted
// once, the other not at all; Run returns normally and leaves no process.
func TestLaneKilledMidItem(t *testing.T) {
	c := cpus(t, 2)
	dir := t.TempDir()
	big := filepath.Join(dir, "big.npy")
	bigSums := writeProbe(t, big, 4, 8, 8, 3, map[int]probeItem{2: {actKill, 2}})
	small := filepath.Join(dir, "small.npy")
	smallSums := writeProbe(t, small, 6, 3, 3, 4, nil)
	spec := probeSpec(false)
	scanned, _ := scan(t, spec, big, small)
	var ps pids
	var out lineWriter
	var warns lines
	counts, err := lanes.Run(context.Background(), nil, lanes.Options{
		Kernel: spec, Process: true, Exe: exe(t), Outer: 2, CPUs: [][]int{{c[0]}, {c[1]}},
		Out: &out, OnStart: ps.onStart, Warn: warns.add,
	}, []lanes.Task{scanned[0], part(scanned[1], 0, 3), part(scanned[1], 3, 3)})
	if err != nil || out.err() != nil {
		t.Fatal(err, out.err())
	}
	got := records(t, out.bytes())
	killedID := big + "[2]"
	killed := got[killedID].Lane
	if killed != 0 && killed != 1 {
		t.Fatalf("the killed item's record: %+v", got[killedID])
	}
	cause := fmt.Sprintf("lane %d (CPU %d) died: signal: killed", killed, c[killed])
	for id, r := range got {
		switch {
		case id == killedID:
			if r.OK || r.Error != id+": "+cause || r.Rows != 8 || r.Cols != 8 {
				t.Errorf("the item in flight: %+v, want the failure %q", r, id+": "+cause)
			}
		case !r.OK:
			t.Errorf("%s failed: %s", id, r.Error)
		}
	}
	checkSums(t, got, big, bigSums, 2)
	checkSums(t, got, small, smallSums, -1)
	if len(got) != 10 || counts.OK != 9 || counts.Failed != 1 {
		t.Errorf("%d records, counts %+v; want 10, 9 ok", len(got), counts)
	}
	if n := ps.starts(killed); n != 2 {
		t.Errorf("lane %d started %d times, want 2 (a restart)", killed, n)
	}
	if n := ps.starts(1 - killed); n != 1 {
		t.Errorf("the other lane started %d times, want 1", n)
	}
	if w := warns.get(); len(w) != 1 || w[0] != cause+"; restarting it in 100ms" {
		t.Errorf("warnings %q, want one of the restart", w)
	}
	noneAlive(t, ps.all())
}

// checkSums checks the probe sums of the ok records of path's items
// (except item skip).
func checkSums(t *testing.T, got map[string]results.Record, path string, sums []float64, skip int) {
	t.Helper()
	for i, s := range sums {
		if i == skip {
			continue
		}
		id := fmt.Sprintf("%s[%d]", path, i)
		v := floats(t, got[id], "sum")
		if len(v) != 1 || !relClose(v[0], s, s, 1e-12) {
			t.Errorf("%s: sum %v, want %v", id, v, s)
		}
	}
}

// TestLanePinnedWithThreads: while a lane process computes, every thread
// of it (OpenBLAS's included) may run only on its CPUs, and its
// environment holds each BLAS thread variable once, set to the lane's
// inner count whatever the parent's environment said.
func TestLanePinnedWithThreads(t *testing.T) {
	c := cpus(t, 2)
	for _, set := range [][]int{{c[1]}, {c[0], c[1]}} {
		t.Run(threads.FormatCPUList(set), func(t *testing.T) {
			dir := probeDir(t, 1)
			for _, v := range []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} {
				t.Setenv(v, "7")
			}
			in := filepath.Join(dir, "a.npy")
			writeProbe(t, in, 2, 4, 4, 5, map[int]probeItem{0: {actBlock, 1}})
			spec := probeSpec(false)
			tasks, _ := scan(t, spec, in)
			var ps pids
			var out lineWriter
			done := runAsync(context.Background(), nil, lanes.Options{
				Kernel: spec, Process: true, Exe: exe(t), Outer: 1, Inner: len(set), CPUs: [][]int{set},
				Out: &out, OnStart: ps.onStart,
			}, tasks)
			pid := waitMarker(t, dir, "started", 1)
			if pid != ps.current(0) {
				t.Errorf("the item runs in process %d, OnStart said %d", pid, ps.current(0))
			}
			want := threads.FormatCPUList(set)
			statuses, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
			if err != nil || len(statuses) == 0 {
				t.Errorf("threads of %d: %v", pid, err)
			}
			for _, f := range statuses {
				if got := cpusAllowed(t, f); got != want {
					t.Errorf("%s: Cpus_allowed_list %q, want %q", f, got, want)
				}
			}
			env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			if err != nil {
				t.Fatal(err)
			}
			vars := strings.Split(string(env), "\x00")
			for _, name := range []string{"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"} {
				var values []string
				for _, v := range vars {
					if rest, ok := strings.CutPrefix(v, name+"="); ok {
						values = append(values, rest)
					}
				}
				if !slices.Equal(values, []string{fmt.Sprint(len(set))}) {
					t.Errorf("the lane's %s: %q, want only %d", name, values, len(set))
				}
			}
			release(t, dir, 1, pid)
			r := <-done
			if r.err != nil || r.c.OK != 2 {
				t.Fatal(r.c, r.err)
			}
		})
	}
}

func cpusAllowed(t *testing.T, status string) string {
	t.Helper()
	b, err := os.ReadFile(status)
	if err != nil {
		t.Errorf("reading %s: %v", status, err)
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Errorf("%s: no Cpus_allowed_list", status)
	return ""
}

// interruptFiles writes the inputs of the interruption and abandon tests:
// a.npy (3 items, item blockA blocks as probe item 1), b.npy (2 items,
// item blockB blocks as item 2) and c.npy (3 items).
func interruptFiles(t *testing.T, dir string, blockA, blockB int) (a, b, c string, tasks []lanes.Task) {
	t.Helper()
	a, b, c = filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy"), filepath.Join(dir, "c.npy")
	writeProbe(t, a, 3, 4, 4, 1, map[int]probeItem{blockA: {actBlock, 1}})
	writeProbe(t, b, 2, 4, 4, 2, map[int]probeItem{blockB: {actBlock, 2}})
	writeProbe(t, c, 3, 4, 4, 3, nil)
	tasks, _ = scan(t, probeSpec(false), a, b, c)
	return a, b, c, tasks
}

// TestInterruptWaitsForItemsInFlight: cancelling ctx while both lanes
// compute (items blocked until the test lets them go) stops the lanes
// after their items, however long those take: once the lanes have been
// told to stop (they saw SIGTERM) Run has not returned, and items let go
// only then still resume and get ok records — with a Grace of 1ns, which
// applies only to the end of the work. Items never started get no record;
// Run returns ctx's error and leaves no process.
func TestInterruptWaitsForItemsInFlight(t *testing.T) {
	c := cpus(t, 2)
	dir := probeDir(t, 1, 2)
	a, b, cfile, tasks := interruptFiles(t, dir, 2, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var ps pids
	var out lineWriter
	done := runAsync(ctx, nil, lanes.Options{
		Kernel: probeSpec(false), Process: true, Exe: exe(t), Outer: 2, CPUs: [][]int{{c[0]}, {c[1]}},
		Out: &out, OnStart: ps.onStart, Grace: time.Nanosecond,
	}, tasks)
	pid1 := waitMarker(t, dir, "started", 1)
	pid2 := waitMarker(t, dir, "started", 2)
	cancel()
	for _, pid := range []int{pid1, pid2} {
		term := filepath.Join(dir, fmt.Sprintf("sigterm-%d", pid))
		wait(t, "lane process "+fmt.Sprint(pid)+" to be told to stop", func() bool { return exists(term) || gone(pid) })
		if !exists(term) {
			t.Fatalf("lane process %d ended after the interruption before it could say it was told to stop: killed?", pid)
		}
	}
	select {
	case r := <-done:
		t.Fatalf("Run returned %+v, %v while its items were in flight", r.c, r.err)
	default:
	}
	release(t, dir, 1, pid1)
	release(t, dir, 2, pid2)
	r := <-done
	if !errors.Is(r.err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", r.err)
	}
	for _, k := range []int{1, 2} {
		if !exists(filepath.Join(dir, fmt.Sprintf("resumed-%d", k))) {
			t.Errorf("item %d was not let finish", k)
		}
	}
	got := records(t, out.bytes())
	var ids []string
	for id, rec := range got {
		ids = append(ids, id)
		if !rec.OK {
			t.Errorf("%s: %s", id, rec.Error)
		}
	}
	slices.Sort(ids)
	want := []string{a + "[0]", a + "[1]", a + "[2]", b + "[0]", b + "[1]"}
	if !slices.Equal(ids, want) {
		t.Errorf("records for %q, want %q (none of %s)", ids, want, cfile)
	}
	if r.c.OK != 5 || r.c.Failed != 0 || r.c.Abandoned != 0 || r.c.OK+r.c.Failed+r.c.Abandoned >= total(tasks) {
		t.Errorf("counts %+v, want 5 ok of %d", r.c, total(tasks))
	}
	if all := ps.all(); len(all) != 2 {
		t.Errorf("lane processes %v, want 2", all)
	}
	noneAlive(t, ps.all())
}

// TestAbandon: closing abandon while lanes compute kills worker processes
// at once (their blocked items never resume) and leaves in-process lanes
// to finish with their records dropped; either way Run returns
// ErrAbandoned at once with the items in flight in Counts.Abandoned (and
// the items finished before it in Counts.OK, with their records), and no
// process is left.
func TestAbandon(t *testing.T) {
	t.Run("processes", func(t *testing.T) {
		c := cpus(t, 2)
		dir := probeDir(t, 1, 2)
		a, b, _, tasks := interruptFiles(t, dir, 1, 1)
		abandon := make(chan struct{})
		var ps pids
		var out lineWriter
		done := runAsync(context.Background(), abandon, lanes.Options{
			Kernel: probeSpec(false), Process: true, Exe: exe(t), Outer: 2, CPUs: [][]int{{c[0]}, {c[1]}},
			Out: &out, OnStart: ps.onStart,
		}, tasks)
		// Abandoned as soon as the items block, whether or not the parent
		// has read what the lanes wrote before (their started lines, the
		// records of their first items): it counts what they wrote.
		waitMarker(t, dir, "started", 1)
		waitMarker(t, dir, "started", 2)
		close(abandon)
		r := <-done
		if !errors.Is(r.err, lanes.ErrAbandoned) {
			t.Errorf("Run = %+v, %v, want ErrAbandoned; records %s", r.c, r.err, out.bytes())
		}
		if r.c.Abandoned != 2 || r.c.OK != 2 || r.c.Failed != 0 {
			t.Errorf("counts %+v, want 2 ok, 2 abandoned", r.c)
		}
		got := records(t, out.bytes())
		if len(got) != 2 || !got[a+"[0]"].OK || !got[b+"[0]"].OK {
			t.Errorf("records %v, want only %s[0] and %s[0]", got, a, b)
		}
		noneAlive(t, ps.all())
		for _, k := range []int{1, 2} {
			if exists(filepath.Join(dir, fmt.Sprintf("resumed-%d", k))) {
				t.Errorf("item %d resumed: its lane was not killed", k)
			}
		}
	})
	t.Run("in process", func(t *testing.T) {
		dir := probeDir(t, 1)
		in := filepath.Join(dir, "a.npy")
		writeProbe(t, in, 3, 4, 4, 1, map[int]probeItem{1: {actBlock, 1}})
		spec := probeSpec(false)
		tasks, _ := scan(t, spec, in)
		abandon := make(chan struct{})
		var out lineWriter
		done := runAsync(context.Background(), abandon, lanes.Options{Kernel: spec, Outer: 1, ChunkItems: 1, Out: &out}, tasks)
		waitMarker(t, dir, "started", 1)
		close(abandon)
		r := <-done
		if !errors.Is(r.err, lanes.ErrAbandoned) || r.c.Abandoned != 1 || r.c.OK != 1 {
			t.Errorf("Run = %+v, %v; want 1 ok, 1 abandoned, ErrAbandoned", r.c, r.err)
		}
		before := out.bytes()
		release(t, dir, 1, 0)
		// The lane finishes its item, whose record is dropped: wait for
		// the kernel's end (the lane's goroutine ends just after).
		wait(t, "the abandoned item to end", func() bool {
			b, _ := os.ReadFile(filepath.Join(dir, "events"))
			return strings.Count(string(b), "end ") == 2
		})
		if got := records(t, out.bytes()); len(got) != 1 || !got[in+"[0]"].OK || string(out.bytes()) != string(before) {
			t.Errorf("records %v, want only %s[0]", got, in)
		}
	})
}

// TestNoLaneLeft: lanes that cannot start are given up after MaxDeaths
// tries; every item gets a failed record saying why, and Run an error.
func TestNoLaneLeft(t *testing.T) {
	c := cpus(t, 1)
	dir := t.TempDir()
	in := filepath.Join(dir, "a.npy")
	writeProbe(t, in, 3, 4, 4, 7, nil)
	spec := probeSpec(false)
	tasks, _ := scan(t, spec, in)
	var ps pids
	var out lineWriter
	var warns lines
	counts, err := lanes.Run(context.Background(), nil, lanes.Options{
		Kernel: spec, Process: true, Exe: filepath.Join(dir, "no-such-program"), Outer: 2, CPUs: [][]int{c, c},
		Out: &out, OnStart: ps.onStart, Warn: warns.add,
	}, []lanes.Task{part(tasks[0], 1, 2), part(tasks[0], 0, 1)})
	if err == nil || !strings.Contains(err.Error(), "every lane is gone, 3 items not run") {
		t.Errorf("Run = %v, want every lane gone", err)
	}
	got := records(t, out.bytes())
	if len(got) != 3 || counts.Failed != 3 || counts.OK != 0 {
		t.Fatalf("%d records, counts %+v; want 3 failed", len(got), counts)
	}
	for id, r := range got {
		if r.OK || r.Lane != -1 || !strings.HasPrefix(r.Error, id+": not run: no lane is left (last: lane ") ||
			!strings.Contains(r.Error, "could not start") || r.Rows != 4 {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if all := ps.all(); len(all) != 0 {
		t.Errorf("OnStart told of %v", all)
	}
	if w := warns.get(); len(w) != 6 {
		t.Errorf("%d warnings, want one per failed start (6): %q", len(w), w)
	}
}

// TestLaneDeaths: each death of a lane is one warning line naming the
// lane and the cause (a Go panic's message, never its traceback, which
// goes to Debug line by line), and the lane is started again only after
// that warning; a lane that finishes an item between deaths is restarted
// every time, one that dies at once is restarted after back-offs that
// double, then given up.
func TestLaneDeaths(t *testing.T) {
	c := cpus(t, 1)
	t.Run("crash between items", func(t *testing.T) {
		dir := t.TempDir()
		in := filepath.Join(dir, "a.npy")
		writeProbe(t, in, 4, 4, 4, 1, map[int]probeItem{0: {actCrash, 0}, 2: {actCrash, 2}})
		spec := probeSpec(false)
		tasks, _ := scan(t, spec, in)
		var order, debug lines
		var out lineWriter
		counts, err := lanes.Run(context.Background(), nil, lanes.Options{
			Kernel: spec, Process: true, Exe: exe(t), Outer: 1, CPUs: [][]int{c}, MaxDeaths: 2,
			Out: &out, Debug: debug.add,
			OnStart: func(int, int) { order.add("start") },
			Warn:    func(s string) { order.add("warn: " + s) },
		}, tasks)
		if err != nil {
			t.Fatal(err)
		}
		cause := func(k int) string {
			return fmt.Sprintf("lane 0 (CPU %d) died: exit status 2: panic: probe crash %d", c[0], k)
		}
		want := []string{"start", "warn: " + cause(0) + "; restarting it in 100ms", "start", "warn: " + cause(2) + "; restarting it in 100ms", "start"}
		if got := order.get(); !slices.Equal(got, want) {
			t.Errorf("starts and warnings:\n%q\nwant\n%q", got, want)
		}
		got := records(t, out.bytes())
		for i := range 4 {
			id := fmt.Sprintf("%s[%d]", in, i)
			r := got[id]
			switch {
			case i%2 == 0 && (r.OK || r.Error != id+": "+cause(i)):
				t.Errorf("%s: %+v, want the failure %q", id, r, id+": "+cause(i))
			case i%2 == 1 && !r.OK:
				t.Errorf("%s: %+v", id, r)
			}
		}
		if counts.OK != 2 || counts.Failed != 2 {
			t.Errorf("counts %+v", counts)
		}
		d := debug.get()
		traceback, last := 0, 0
		for _, s := range d {
			if strings.HasPrefix(s, fmt.Sprintf("lane 0 (CPU %d): goroutine ", c[0])) {
				traceback++
			}
			if strings.Contains(s, "its last standard error lines:") && strings.Contains(s, "goroutine ") {
				last++
			}
		}
		if traceback < 2 || last != 2 {
			t.Errorf("debug: %d traceback lines, %d summaries of standard error; want each death's:\n%s", traceback, last, strings.Join(d, "\n"))
		}
	})
	t.Run("dies at once", func(t *testing.T) {
		in := filepath.Join(t.TempDir(), "a.npy")
		writeProbe(t, in, 2, 4, 4, 1, nil)
		spec := probeSpec(false)
		tasks, _ := scan(t, spec, in)
		var order, debug lines
		var out lineWriter
		counts, err := lanes.Run(context.Background(), nil, lanes.Options{
			Kernel: spec, Process: true, Exe: script(t, "echo boom >&2; exit 3\n"), Outer: 1, CPUs: [][]int{c},
			Out: &out, Debug: debug.add,
			OnStart: func(int, int) { order.add("start") },
			Warn:    func(s string) { order.add("warn: " + s) },
		}, tasks)
		cause := fmt.Sprintf("lane 0 (CPU %d) died: exit status 3: boom", c[0])
		if err == nil || !strings.Contains(err.Error(), cause) {
			t.Errorf("Run = %v, want an error saying %q", err, cause)
		}
		want := []string{"start", "warn: " + cause + "; restarting it in 100ms", "start", "warn: " + cause + "; restarting it in 200ms",
			"start", "warn: " + cause + "; not restarted: it died 3 times in a row without finishing an item"}
		if got := order.get(); !slices.Equal(got, want) {
			t.Errorf("starts and warnings:\n%q\nwant\n%q", got, want)
		}
		if counts.Failed != 2 || counts.OK != 0 || len(records(t, out.bytes())) != 2 {
			t.Errorf("counts %+v", counts)
		}
		if d := debug.get(); !slices.Contains(d, fmt.Sprintf("lane 0 (CPU %d): boom", c[0])) {
			t.Errorf("debug %q lacks the lane's standard error", d)
		}
	})
}

// TestTaskNotStartedIsNotLost: a lane that dies after a task was sent to
// it but before it said it started it loses no item: the task goes whole
// to the restarted lane. Its unexpected output goes to Debug, not Out.
func TestTaskNotStartedIsNotLost(t *testing.T) {
	c := cpus(t, 1)
	dir := probeDir(t)
	t.Setenv("LANES_TEST_BIN", exe(t))
	in := filepath.Join(dir, "a.npy")
	writeProbe(t, in, 6, 4, 4, 10, nil)
	spec := probeSpec(false)
	tasks, _ := scan(t, spec, in)
	// The first start says it is ready, prints junk, reads its task and
	// dies; later starts are the real thing.
	fake := script(t, `if mkdir "$LANES_TEST_DIR/first" 2>/dev/null; then
  read config; echo '{"lane_ready":0}'; echo junk; read task; exit 3
fi
exec "$LANES_TEST_BIN"
`)
	var ps pids
	var out lineWriter
	var warns, debug lines
	counts, err := lanes.Run(context.Background(), nil, lanes.Options{
		Kernel: spec, Process: true, Exe: fake, Outer: 1, CPUs: [][]int{c},
		Out: &out, OnStart: ps.onStart, Warn: warns.add, Debug: debug.add,
	}, []lanes.Task{part(tasks[0], 0, 2), part(tasks[0], 2, 4)})
	if err != nil || out.err() != nil {
		t.Fatal(err, out.err())
	}
	got := records(t, out.bytes())
	if counts.OK != 6 || counts.Failed != 0 || len(got) != 6 {
		t.Errorf("counts %+v, %d records; want 6 ok", counts, len(got))
	}
	if n := ps.starts(0); n != 2 {
		t.Errorf("the lane started %d times, want 2", n)
	}
	want := fmt.Sprintf("lane 0 (CPU %d) died: exit status 3; restarting it in 100ms", c[0])
	if w := warns.get(); !slices.Equal(w, []string{want}) {
		t.Errorf("warnings %q, want %q", w, want)
	}
	if d := debug.get(); !slices.Contains(d, fmt.Sprintf(`lane 0 (CPU %d): unexpected output "junk"`, c[0])) {
		t.Errorf("debug %q lacks the junk", d)
	}
}

// TestParentKilledTakesLanes kills a parent with SIGKILL, so that Run
// cannot stop its lanes: the kernel must (PR_SET_PDEATHSIG). The lanes are
// stand-ins that would otherwise sleep for a minute.
func TestParentKilledTakesLanes(t *testing.T) {
	c := cpus(t, 2)
	in := filepath.Join(t.TempDir(), "a.npy")
	writeStack(t, in, 2, 2, 2, 11)
	parent := exec.Command(exe(t))
	parent.Env = append(os.Environ(), helperEnv+"=parent", "LANES_TEST_INPUT="+in,
		"LANES_TEST_EXE="+script(t, "exec sleep 60\n"), fmt.Sprintf("LANES_TEST_CPUS=%d,%d", c[0], c[1]))
	stdout, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	parent.Stderr = os.Stderr
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	var lanePIDs []int
	sc := bufio.NewScanner(stdout)
	for len(lanePIDs) < 2 && sc.Scan() {
		var pid int
		if _, err := fmt.Sscanf(sc.Text(), "lane pid %d", &pid); err == nil {
			lanePIDs = append(lanePIDs, pid)
		}
	}
	parent.Process.Kill()
	parent.Wait()
	if len(lanePIDs) != 2 {
		t.Fatalf("the helper reported lanes %v", lanePIDs)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, pid := range lanePIDs {
		for !gone(pid) {
			if time.Now().After(deadline) {
				t.Errorf("lane process %d outlived its killed parent", pid)
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestFileChangedProcesses: files changed between the scan and the read
// give, through worker processes, the records they give in process.
func TestFileChangedProcesses(t *testing.T) {
	fc := fileChangedCases(t)
	var ref lineWriter
	if _, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: fc.spec, Out: &ref}, fc.tasks); err != nil {
		t.Fatal(err)
	}
	want := records(t, ref.bytes())
	var out lineWriter
	counts, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: fc.spec, Process: true, Exe: exe(t), Outer: 2, Out: &out}, fc.tasks)
	if err != nil || out.err() != nil {
		t.Fatal(err, out.err())
	}
	got := records(t, out.bytes())
	fc.check(t, counts, got)
	for id, w := range want {
		if g := got[id]; g.OK != w.OK || g.Error != w.Error || g.Rows != w.Rows || g.Cols != w.Cols {
			t.Errorf("%s: %+v, in process %+v", id, g, w)
		}
	}
}

// TestKernelPanicProcesses: a kernel's panic in a worker process is its
// item's failed record as in process, its stack reaches Debug through the
// protocol, and the lane goes on (it is not restarted).
func TestKernelPanicProcesses(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.npy")
	writeProbe(t, p, 5, 3, 3, 1, map[int]probeItem{1: {actPanic, 1}, 3: {actPanic, 3}})
	spec := probeSpec(false)
	tasks, _ := scan(t, spec, p)
	var ps pids
	var out lineWriter
	var debug, warn lines
	c, err := lanes.Run(context.Background(), nil, lanes.Options{
		Kernel: spec, Process: true, Exe: exe(t), Outer: 1, Out: &out, Debug: debug.add, Warn: warn.add, OnStart: ps.onStart,
	}, tasks)
	if err != nil {
		t.Fatal(err)
	}
	checkPanicRecords(t, p, c, records(t, out.bytes()))
	var d []string // the debug lines but those of tasks started
	for _, l := range debug.get() {
		if !strings.Contains(l, " started task ") {
			d = append(d, l)
		}
	}
	if len(d) != 2 {
		t.Fatalf("debug lines %q, want one per panic", d)
	}
	for i, k := range []int{1, 3} {
		if !strings.HasPrefix(d[i], fmt.Sprintf("lane 0: %s[%d]: probe panic %d\n", p, k, k)) || !strings.Contains(d[i], "probeWorker).Run") {
			t.Errorf("debug line for the panic of item %d: %q, want the lane, the id, the value and the stack", k, d[i])
		}
	}
	if w := warn.get(); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	if n := ps.starts(0); n != 1 {
		t.Errorf("the lane started %d times", n)
	}
}

// TestBudgetAcrossProcesses: with a budget that one task's Bytes fill, a
// second lane is never handed a task while the first computes, yet every
// item completes; an item that alone exceeds the budget is a failed
// record naming the budget and its shape.
//
// The first task blocks until the test lets it go, and the test does so
// only after writing a sentinel line into each lane's input (through
// /proc/PID/fd/0) once the parent has handled that lane's ready line: a
// lane's tap (see tap) logs the order of what it read, so a task written
// to an idle lane while the first computes would come before the
// sentinel. The probe's event log shows besides that no two items ever
// computed at once.
func TestBudgetAcrossProcesses(t *testing.T) {
	c := cpus(t, 2)
	dir := probeDir(t, 1)
	t.Setenv(tapEnv, "1")
	a, b, big := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy"), filepath.Join(dir, "big.npy")
	writeProbe(t, a, 2, 4, 4, 1, map[int]probeItem{0: {actBlock, 1}})
	writeProbe(t, b, 2, 4, 4, 2, nil)
	writeProbe(t, big, 1, 40, 40, 3, nil)
	spec := probeSpec(false)
	tasks, _ := scan(t, spec, a, b, big)
	budget := spec.ItemBytes(4, 4)
	if tasks[0].Bytes != budget || tasks[1].Bytes != budget || tasks[2].Bytes <= budget {
		t.Fatalf("task bytes %d, %d, %d with a budget of %d", tasks[0].Bytes, tasks[1].Bytes, tasks[2].Bytes, budget)
	}
	var ps pids
	var out lineWriter
	tapped := make(chan error, 2)
	debug := func(s string) {
		if !strings.HasSuffix(s, ": tap ready") {
			return
		}
		var lane int
		if _, err := fmt.Sscanf(s, "lane %d", &lane); err != nil {
			tapped <- fmt.Errorf("debug line %q: %v", s, err)
			return
		}
		f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/0", ps.current(lane)), os.O_WRONLY, 0)
		if err == nil {
			_, err = f.Write([]byte(`{"lane_sentinel":1}` + "\n"))
			err = errors.Join(err, f.Close())
		}
		tapped <- err
	}
	done := runAsync(context.Background(), nil, lanes.Options{
		Kernel: spec, Process: true, Exe: exe(t), Outer: 2, CPUs: [][]int{{c[0]}, {c[1]}}, Budget: budget,
		Out: &out, OnStart: ps.onStart, Debug: debug,
	}, tasks)
	for range 2 {
		if err := <-tapped; err != nil {
			t.Fatal(err)
		}
	}
	release(t, dir, 1, waitMarker(t, dir, "started", 1))
	r := <-done
	if r.err != nil || r.c.OK != 4 || r.c.Failed != 1 {
		t.Fatalf("Run = %+v, %v; want 4 ok, 1 failed", r.c, r.err)
	}
	got := records(t, out.bytes())
	for _, id := range []string{a + "[0]", a + "[1]", b + "[0]", b + "[1]"} {
		if !got[id].OK {
			t.Errorf("%s: %+v", id, got[id])
		}
	}
	checkBudgetRecord(t, got[big+"[0]"], big+"[0]", spec.ItemBytes(40, 40), budget)

	before := 0
	for _, pid := range ps.all() {
		b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("tap-%d", pid)))
		if err != nil {
			t.Fatal(err)
		}
		log := strings.Fields(string(b))
		i := slices.Index(log, "sentinel")
		if i < 0 || log[0] != "config" {
			t.Fatalf("lane process %d read %q", pid, log)
		}
		before += strings.Count(strings.Join(log[:i], " "), "task")
	}
	if before != 1 {
		t.Errorf("%d tasks handed out while the first computed, want 1: the budget fits one", before)
	}
	ev, err := os.ReadFile(filepath.Join(dir, "events"))
	if err != nil {
		t.Fatal(err)
	}
	running := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(ev)), "\n") {
		what, pid, _ := strings.Cut(line, " ")
		running[pid] = what == "start"
		n := 0
		for _, r := range running {
			if r {
				n++
			}
		}
		if n > 1 {
			t.Errorf("two lanes computing at once: %q", ev)
			break
		}
	}
}

// TestOOMKillRecorded: a lane killed by SIGKILL after Options.OOMKills has
// risen is recorded as out of memory with the cgroup limit in real units;
// without a rise (or without OOMKills) but with a limit, as probably out
// of memory.
func TestOOMKillRecorded(t *testing.T) {
	c := cpus(t, 1)
	const limit = 3 << 29
	for _, withCount := range []bool{true, false} {
		t.Run(fmt.Sprint("OOMKills=", withCount), func(t *testing.T) {
			dir := probeDir(t)
			in := filepath.Join(dir, "a.npy")
			writeProbe(t, in, 4, 4, 4, 1, map[int]probeItem{0: {actOOM, 0}, 2: {actKill, 2}})
			spec := probeSpec(false)
			tasks, _ := scan(t, spec, in)
			opt := lanes.Options{Kernel: spec, Process: true, Exe: exe(t), Outer: 1, CPUs: [][]int{c}, MemoryLimit: limit}
			if withCount {
				opt.OOMKills = func() int64 {
					m, _ := filepath.Glob(filepath.Join(dir, "oom-*"))
					return int64(len(m))
				}
			}
			var out lineWriter
			opt.Out = &out
			counts, err := lanes.Run(context.Background(), nil, opt, tasks)
			if err != nil || counts.OK != 2 || counts.Failed != 2 {
				t.Fatal(counts, err)
			}
			got := records(t, out.bytes())
			lane := fmt.Sprintf("lane 0 (CPU %d) died: signal: killed: ", c[0])
			probably := "probably out of memory (cgroup memory limit 1.5 GiB)"
			first := probably
			if withCount {
				first = "out of memory — the kernel's OOM killer ended it (cgroup memory limit 1.5 GiB)"
			}
			for i, want := range map[int]string{0: first, 2: probably} {
				id := fmt.Sprintf("%s[%d]", in, i)
				if r := got[id]; r.OK || r.Error != id+": "+lane+want {
					t.Errorf("%s: %+v, want the failure %q", id, r, id+": "+lane+want)
				}
			}
		})
	}
	t.Run("no limit", func(t *testing.T) {
		dir := probeDir(t)
		in := filepath.Join(dir, "a.npy")
		writeProbe(t, in, 1, 4, 4, 1, map[int]probeItem{0: {actOOM, 0}})
		spec := probeSpec(false)
		tasks, _ := scan(t, spec, in)
		var out lineWriter
		_, err := lanes.Run(context.Background(), nil, lanes.Options{Kernel: spec, Process: true, Exe: exe(t), Outer: 1, CPUs: [][]int{c}, Out: &out}, tasks)
		if err != nil {
			t.Fatal(err)
		}
		id := in + "[0]"
		want := fmt.Sprintf("%s: lane 0 (CPU %d) died: signal: killed", id, c[0])
		if r := records(t, out.bytes())[id]; r.Error != want {
			t.Errorf("%s: %+v, want the failure %q", id, r, want)
		}
	})
}
