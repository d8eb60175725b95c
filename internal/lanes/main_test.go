//go:build linux

package lanes_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
	"github.com/blasbatch/blasbatch/threads"
)

// The test binary is also the lane executable (os/exec's helper-process
// pattern): started by Run with the lane marker it serves the protocol
// with the built-in kernels and the probe kernel below. With helperEnv set
// it is one of the helper parents instead (see helpers_test.go).
func TestMain(m *testing.M) {
	if lanes.IsChild() {
		os.Exit(childMain())
	}
	switch os.Getenv(helperEnv) {
	case "":
	case "parent":
		os.Exit(helperParent())
	case "save":
		os.Exit(helperSave())
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(2)
	}
	// A race-enabled process sleeps a second before it exits (GORACE's
	// atexit_sleep_ms): not the lanes here, which start by the dozen.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	// No goroutine a test started may outlive the tests.
	goleak.VerifyTestMain(m)
}

const (
	// probeDirEnv names the directory where the probe kernel writes its
	// markers and event log and finds its FIFOs; lanes inherit it.
	probeDirEnv = "LANES_TEST_DIR"
	// tapEnv makes a lane log the lines of its standard input (tap-PID in
	// the probe directory, sentinel lines taken out) and announce, just
	// after its ready line, {"lane_debug":"tap ready"}.
	tapEnv = "LANES_TEST_TAP"
	// helperEnv makes the test binary a helper parent.
	helperEnv = "LANES_TEST_HELPER"
)

// childMain is a lane process's main.
func childMain() int {
	dir := os.Getenv(probeDirEnv)
	if dir != "" {
		// Say when told to stop, so that a test knows the parent has acted
		// on an interruption. ServeChild's own handler gets the signal too.
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		go func() {
			<-term
			touch(dir, "sigterm", os.Getpid())
		}()
	}
	var flushed chan struct{}
	if os.Getenv(tapEnv) != "" && dir != "" {
		flushed = tap(dir)
	}
	code := lanes.ServeChild(append(kernels.All(), probeSpec(true)))
	if flushed != nil {
		os.Stdout.Close()
		<-flushed
	}
	return code
}

// tap puts pipes between ServeChild and the real standard input and
// output. Input lines are logged (tap-PID: "config", "task" or "sentinel")
// and passed on, except sentinels, which a test writes into the lane's
// input through /proc: a sentinel logged before any task proves that no
// task had been written to the lane before it. The returned channel is
// closed once everything ServeChild wrote is out.
func tap(dir string) chan struct{} {
	inR, inW, err1 := os.Pipe()
	outR, outW, err2 := os.Pipe()
	if err := errors.Join(err1, err2); err != nil {
		fmt.Fprintln(os.Stderr, "tap:", err)
		os.Exit(1)
	}
	realIn, realOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = inR, outW
	log, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("tap-%d", os.Getpid())), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tap:", err)
		os.Exit(1)
	}
	go func() {
		br := bufio.NewReader(realIn)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				switch {
				case bytes.HasPrefix(line, []byte(`{"lane_sentinel"`)):
					log.WriteString("sentinel\n")
					continue
				case bytes.HasPrefix(line, []byte(`{"lane_config"`)):
					log.WriteString("config\n")
				case bytes.HasPrefix(line, []byte(`{"lane_task"`)):
					log.WriteString("task\n")
				default:
					log.WriteString("other\n")
				}
				inW.Write(line)
			}
			if err != nil {
				inW.Close()
				return
			}
		}
	}()
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		br := bufio.NewReader(outR)
		for {
			line, err := br.ReadBytes('\n')
			realOut.Write(line)
			if bytes.HasPrefix(line, []byte(`{"lane_ready"`)) {
				realOut.Write([]byte(`{"lane_debug":"tap ready"}` + "\n"))
			}
			if err != nil {
				return
			}
		}
	}()
	return flushed
}

// The probe kernel computes the sum of its matrix, and acts when the
// matrix carries probeMarker as its first element: the second element
// says what to do (an action), the third is the item's number k, which
// names its files in the probe directory.
const probeMarker = -7777.25

type action int

const (
	// actBlock writes started-k, waits until the test opens fifo-k for
	// writing and closes it, then writes resumed-k and computes.
	actBlock action = 1 + iota
	// actKill kills the lane process with SIGKILL.
	actKill
	// actOOM writes oom-k, then kills the lane process with SIGKILL: a
	// stand-in for the kernel's OOM killer whose count is the oom-* files.
	actOOM
	// actPanic panics inside Run (the lane recovers it); the worker
	// refuses every later item, so only a fresh worker computes them.
	actPanic
	// actCrash panics on a new goroutine: the process dies with status 2
	// and a traceback on standard error.
	actCrash
)

// probeSpec is the probe kernel. Actions that end the process are refused
// unless inChild, so that an in-process test cannot kill the test binary.
func probeSpec(inChild bool) kernels.Spec {
	return probeSpecWith(inChild, nil, nil)
}

// probeSpecWith is probeSpec calling made (when not nil) each time a
// worker is made, and seen (when not nil) with each matrix a worker is
// given.
func probeSpecWith(inChild bool, made func(), seen func([]float64)) kernels.Spec {
	newWith := func(_ blas.LAPACK, _ kernels.Options) kernels.Worker {
		if made != nil {
			made()
		}
		return &probeWorker{inChild: inChild, seen: seen}
	}
	return kernels.Spec{
		Name:    "probe",
		Doc:     "the sum of the matrix; acts on a marker (tests only)",
		Field:   "sum",
		Flops:   func(rows, cols int) float64 { return float64(rows) * float64(cols) },
		NewWith: newWith,
	}
}

type probeWorker struct {
	inChild  bool
	poisoned bool
	seen     func([]float64)
	out      [1]float64
}

func (w *probeWorker) Run(rows, cols int, a []float64, save bool) (kernels.Result, error) {
	if w.poisoned {
		return kernels.Result{}, errors.New("probe: a worker used again after it panicked")
	}
	if rows < 0 || cols < 0 || len(a) < rows*cols {
		return kernels.Result{}, kernels.ErrBadShape
	}
	if w.seen != nil {
		w.seen(a)
	}
	dir := os.Getenv(probeDirEnv)
	event(dir, "start")
	defer event(dir, "end")
	if len(a) >= 3 && a[0] == probeMarker {
		k := int(a[2])
		act := action(a[1])
		if !w.inChild && act != actBlock && act != actPanic {
			return kernels.Result{}, fmt.Errorf("probe: action %d refused outside a lane process", act)
		}
		switch act {
		case actBlock:
			touch(dir, "started", k)
			f, err := os.Open(filepath.Join(dir, fmt.Sprintf("fifo-%d", k)))
			if err != nil {
				return kernels.Result{}, err
			}
			io.Copy(io.Discard, f)
			f.Close()
			touch(dir, "resumed", k)
		case actKill:
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case actOOM:
			touch(dir, "oom", k)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case actPanic:
			w.poisoned = true
			panic(fmt.Sprintf("probe panic %d", k))
		case actCrash:
			go func() { panic(fmt.Sprintf("probe crash %d", k)) }()
			select {}
		}
	}
	s := 0.0
	for _, v := range a[:rows*cols] {
		s += v
	}
	w.out[0] = s
	res := kernels.Result{Values: w.out[:], Scalars: []kernels.Scalar{{Name: "pid", Value: float64(os.Getpid())}}}
	if save {
		res.Outputs = []kernels.Output{{Name: "sum", Cols: 1, Data: w.out[:]}}
	}
	return res, nil
}

// touch creates DIR/NAME-K holding this process's pid.
func touch(dir, name string, k int) {
	if dir == "" {
		return
	}
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d", name, k)), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// event appends "WHAT PID" to DIR/events (one write, O_APPEND: whole lines
// from every process).
func event(dir, what string) {
	if dir == "" {
		return
	}
	f, err := os.OpenFile(filepath.Join(dir, "events"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %d\n", what, os.Getpid())
	f.Close()
}

// probeDir makes the probe directory of a test, with FIFOs fifo-K for each
// k, and sets probeDirEnv to it for the test (lanes inherit it).
func probeDir(t *testing.T, fifos ...int) string {
	t.Helper()
	dir := t.TempDir()
	for _, k := range fifos {
		if err := syscall.Mkfifo(filepath.Join(dir, fmt.Sprintf("fifo-%d", k)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(probeDirEnv, dir)
	return dir
}

// wait polls cond until it holds, failing the test after a minute.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// waitMarker waits for DIR/NAME-K and returns the pid it holds.
func waitMarker(t *testing.T, dir, name string, k int) int {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("%s-%d", name, k))
	var pid int
	wait(t, p, func() bool {
		b, err := os.ReadFile(p)
		if err != nil || len(b) == 0 {
			return false
		}
		pid, err = strconv.Atoi(string(b))
		return err == nil
	})
	return pid
}

// release lets the probe item k blocked on fifo-k go on: it opens the
// FIFO for writing as soon as the item has it open for reading, and closes
// it. pid, if not 0, is the process computing the item: the test fails at
// once if it is gone.
func release(t *testing.T, dir string, k, pid int) {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("fifo-%d", k))
	wait(t, "item "+strconv.Itoa(k)+" to open its FIFO", func() bool {
		if pid != 0 && gone(pid) {
			t.Fatalf("item %d: its process %d is gone", k, pid)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			if !errors.Is(err, syscall.ENXIO) {
				t.Fatalf("releasing item %d: %v", k, err)
			}
			return false
		}
		f.Close()
		return true
	})
}

// probeItem is an item of a probe stack that acts.
type probeItem struct {
	act action
	k   int
}

// writeProbe writes n rows×cols matrices of random values as a 3-D .npy;
// item i carries acts[i]'s marker. It returns the items' sums.
func writeProbe(t *testing.T, path string, n, rows, cols int, seed uint64, acts map[int]probeItem) []float64 {
	t.Helper()
	mats := randomMats(n, rows, cols, seed)
	for i, a := range acts {
		mats[i][0], mats[i][1], mats[i][2] = probeMarker, float64(a.act), float64(a.k)
	}
	writeMats(t, path, rows, cols, mats, true)
	sums := make([]float64, n)
	for i, m := range mats {
		for _, v := range m {
			sums[i] += v
		}
	}
	return sums
}

func randomMats(n, rows, cols int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	mats := make([][]float64, n)
	for i := range mats {
		mats[i] = make([]float64, rows*cols)
		for j := range mats[i] {
			mats[i][j] = rng.NormFloat64()
		}
	}
	return mats
}

// writeMats writes mats (each rows×cols) as a 3-D .npy stack, or, with
// stack false and one matrix, as a 2-D .npy.
func writeMats(t *testing.T, path string, rows, cols int, mats [][]float64, stack bool) {
	t.Helper()
	var b bytes.Buffer
	shape := []int{len(mats), rows, cols}
	if !stack {
		shape = shape[1:]
	}
	if err := matio.WriteNpyHeader(&b, shape, false); err != nil {
		t.Fatal(err)
	}
	for _, m := range mats {
		if err := matio.WriteFloat64s(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeStack writes k random m×n matrices as a 3-D .npy (a 2-D one if k is
// 0) and returns them.
func writeStack(t *testing.T, path string, k, m, n int, seed uint64) [][]float64 {
	t.Helper()
	if k == 0 {
		mats := randomMats(1, m, n, seed)
		writeMats(t, path, m, n, mats, false)
		return mats
	}
	mats := randomMats(k, m, n, seed)
	writeMats(t, path, m, n, mats, true)
	return mats
}

// scan scans paths as the root package does (inputs.Scan) and returns one
// task per run of readable items, Bytes from spec, in order, and the ids
// of the items the scan found bad (which get no task).
func scan(t *testing.T, spec kernels.Spec, paths ...string) ([]lanes.Task, []string) {
	t.Helper()
	// Identities as Expand gives them, so regular files are scanned (and
	// read) the fast way, as in a run.
	ids := make([]safefile.ID, len(paths))
	for i, p := range paths {
		ids[i], _ = safefile.Identity(p)
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			ids[i] = safefile.ID{}
		}
	}
	set, err := inputs.Scan(context.Background(), paths, ids, spec.Pairwise, inputs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tasks []lanes.Task
	var bad []string
	for _, f := range set.Files {
		start := 0
		for _, r := range f.Runs {
			if r.Err != nil {
				bad = append(bad, r.ID0)
			} else {
				tasks = append(tasks, lanes.Task{Path: f.Path, PairWith: f.PairWith, First: start, Count: r.Count, Start: start,
					Runs: []inputs.Run{r}, Bytes: spec.ItemBytes(r.Rows, r.Cols), Head: f.Head})
			}
			start += r.Count
		}
	}
	return tasks, bad
}

// part is the part of a one-run task from item first, count items.
func part(task lanes.Task, first, count int) lanes.Task {
	task.First, task.Count = first, count
	return task
}

// total counts the items of tasks.
func total(tasks []lanes.Task) int {
	n := 0
	for _, t := range tasks {
		n += t.Count
	}
	return n
}

// records decodes JSON Lines with results.Decode, failing on anything
// that is not a kernel record and on two records for one item.
func records(t *testing.T, b []byte) map[string]results.Record {
	t.Helper()
	out := map[string]results.Record{}
	for _, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := results.Decode(line)
		if err != nil || r.Kernel == "" {
			t.Fatalf("not a record: %q (%v)", line, err)
		}
		if _, dup := out[r.Input]; dup {
			t.Fatalf("two records for %s", r.Input)
		}
		out[r.Input] = r
	}
	return out
}

// floats decodes the record field name as numbers.
func floats(t *testing.T, r results.Record, name string) []float64 {
	t.Helper()
	raw, ok := r.Fields[name]
	if !ok {
		return nil
	}
	var v []float64
	if err := json.Unmarshal(raw, &v); err != nil {
		var x float64
		if err2 := json.Unmarshal(raw, &x); err2 != nil {
			t.Fatalf("%s: field %s = %s: %v", r.Input, name, raw, err)
		}
		v = []float64{x}
	}
	return v
}

// lineWriter is an Out that checks every Write is whole records and
// calls onLine (if set) with each, under its lock.
type lineWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(results.Record)
	bad    error
	writes int
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if len(p) == 0 || p[len(p)-1] != '\n' {
		w.bad = fmt.Errorf("write of %q is not whole lines", p)
	}
	w.buf.Write(p)
	for _, line := range bytes.SplitAfter(p, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		r, err := results.Decode(line)
		if err != nil {
			w.bad = fmt.Errorf("write of %q: %v", line, err)
			continue
		}
		if w.onLine != nil {
			w.onLine(r)
		}
	}
	return len(p), nil
}

func (w *lineWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.buf.Bytes())
}

func (w *lineWriter) err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bad
}

// pids records the lane processes OnStart reports.
type pids struct {
	mu     sync.Mutex
	byLane map[int][]int
}

func (p *pids) onStart(lane, pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byLane == nil {
		p.byLane = map[int][]int{}
	}
	p.byLane[lane] = append(p.byLane[lane], pid)
}

func (p *pids) all() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var all []int
	for _, l := range p.byLane {
		all = append(all, l...)
	}
	slices.Sort(all)
	return all
}

func (p *pids) starts(lane int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byLane[lane])
}

func (p *pids) current(lane int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.byLane[lane]
	if len(l) == 0 {
		return 0
	}
	return l[len(l)-1]
}

// lines collects Warn or Debug lines.
type lines struct {
	mu sync.Mutex
	s  []string
}

func (l *lines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.s = append(l.s, s)
}

func (l *lines) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.s)
}

// noneAlive fails for each pid that still exists (a zombie counts: it was
// not reaped).
func noneAlive(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("lane process %d still exists after Run", pid)
		}
	}
}

// gone reports whether pid no longer runs: it does not exist, or is a
// zombie left for a reaper.
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// cpus returns the first n CPUs this process may run on, or skips.
func cpus(t *testing.T, n int) []int {
	t.Helper()
	c, err := threads.Affinity()
	if err != nil || len(c) < n {
		t.Skipf("need %d usable CPUs, have %v (%v)", n, c, err)
	}
	return c[:n]
}

// exe is the lane executable: this test binary.
func exe(t *testing.T) string {
	t.Helper()
	p, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// script writes an executable shell script that stands in for a lane.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lane.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// result is what Run returned, for runs on another goroutine.
type result struct {
	c   lanes.Counts
	err error
}

func runAsync(ctx context.Context, abandon <-chan struct{}, opt lanes.Options, tasks []lanes.Task) chan result {
	ch := make(chan result, 1)
	go func() {
		c, err := lanes.Run(ctx, abandon, opt, tasks)
		ch <- result{c, err}
	}()
	return ch
}

// relClose reports whether a and b agree to tol relative to scale.
func relClose(a, b, scale, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(math.Abs(scale), 1e-300)
}
