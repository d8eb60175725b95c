//go:build linux

package lanes_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/kernels"
)

// Helper parents: the test binary started again with helperEnv set, for
// what a test cannot do to its own process (be killed, change its umask).
// Their inputs come in LANES_TEST_* variables.

// helperParent is the parent TestParentKilledTakesLanes kills: it runs a
// phase on two lanes of LANES_TEST_EXE, pinned to the CPUs of
// LANES_TEST_CPUS ("a,b"), and prints "lane pid N" as each starts. The
// stand-in lanes never say they are ready, so Run never returns.
func helperParent() int {
	var a, b int
	if _, err := fmt.Sscanf(os.Getenv("LANES_TEST_CPUS"), "%d,%d", &a, &b); err != nil {
		fmt.Fprintln(os.Stderr, "helper parent:", err)
		return 2
	}
	tasks, err := helperTasks(os.Getenv("LANES_TEST_INPUT"), "svd")
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper parent:", err)
		return 2
	}
	spec, _ := kernels.Lookup("svd")
	_, err = lanes.Run(context.Background(), nil, lanes.Options{
		Kernel: spec, Process: true, Exe: os.Getenv("LANES_TEST_EXE"), Outer: 2, Inner: 1, CPUs: [][]int{{a}, {b}},
		OnStart: func(_, pid int) { fmt.Printf("lane pid %d\n", pid) },
	}, tasks)
	fmt.Fprintln(os.Stderr, "helper parent: Run returned:", err)
	return 1
}

// helperSave sets the umask to LANES_TEST_UMASK (octal), then saves the
// svd outputs of LANES_TEST_INPUT in LANES_TEST_SAVE/inprocess (in this
// process) and LANES_TEST_SAVE/process (on a worker process, which
// inherits the umask).
func helperSave() int {
	mask, err := strconv.ParseUint(os.Getenv("LANES_TEST_UMASK"), 8, 32)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper save:", err)
		return 2
	}
	syscall.Umask(int(mask))
	tasks, err := helperTasks(os.Getenv("LANES_TEST_INPUT"), "svd")
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper save:", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper save:", err)
		return 2
	}
	spec, _ := kernels.Lookup("svd")
	for _, process := range []bool{false, true} {
		dir := filepath.Join(os.Getenv("LANES_TEST_SAVE"), map[bool]string{false: "inprocess", true: "process"}[process])
		if err := os.Mkdir(dir, 0o777); err != nil {
			fmt.Fprintln(os.Stderr, "helper save:", err)
			return 2
		}
		var out strings.Builder
		c, err := lanes.Run(context.Background(), nil, lanes.Options{
			Kernel: spec, Save: dir, Process: process, Exe: exe, Out: &out,
		}, tasks)
		if err != nil || c.Failed != 0 || c.OK == 0 {
			fmt.Fprintf(os.Stderr, "helper save: process=%v: %+v %v\n%s", process, c, err, out.String())
			return 1
		}
	}
	return 0
}

// helperTasks scans path: one task per run, as the tests' scan does.
func helperTasks(path, kernel string) ([]lanes.Task, error) {
	spec, err := kernels.Lookup(kernel)
	if err != nil {
		return nil, err
	}
	set, err := inputs.Scan(context.Background(), []string{path}, nil, false, inputs.Options{})
	if err != nil {
		return nil, err
	}
	var tasks []lanes.Task
	for _, f := range set.Files {
		start := 0
		for _, r := range f.Runs {
			if r.Err != nil {
				return nil, r.Err
			}
			tasks = append(tasks, lanes.Task{Path: f.Path, First: start, Count: r.Count, Start: start, Runs: []inputs.Run{r}, Bytes: spec.ItemBytes(r.Rows, r.Cols)})
			start += r.Count
		}
	}
	return tasks, nil
}
