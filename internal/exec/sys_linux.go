//go:build linux

package exec

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/threads"
)

// procAttr starts a command in its own process group (so a timeout kills
// all of it) and has the kernel kill it if the lane dies first.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// checkAffinity reads the worker's threads' CPU affinity once it has
// computed its first item, the moment a library that resets it (the
// question's OpenBLAS, loaded by the worker's import) has done so: any
// thread that drifted from the lane's CPUs is pinned back, with one warning
// naming the library when /proc/PID/maps shows a likely one.
func (w *lineWorker) checkAffinity() {
	if len(w.lane.CPUs) == 0 || w.proc == nil {
		return
	}
	pid := w.proc.Process.Pid
	want := threads.FormatCPUList(w.lane.CPUs)
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*", pid))
	var drifted []string
	var set unix.CPUSet
	for _, c := range w.lane.CPUs {
		set.Set(c)
	}
	for _, t := range tasks {
		got := cpusAllowed(filepath.Join(t, "status"))
		if got == "" || got == want {
			continue
		}
		tid, err := strconv.Atoi(filepath.Base(t))
		if err != nil {
			continue
		}
		if unix.SchedSetaffinity(tid, &set) == nil {
			drifted = append(drifted, got)
		}
	}
	if len(drifted) == 0 || w.warned || w.lane.Warn == nil {
		return
	}
	w.warned = true
	lib := ""
	if l := affinityLibrary(pid); l != "" {
		lib = " (" + l + " is loaded in it, and such libraries set the affinity of the process when they load)"
	}
	w.lane.Warn(fmt.Sprintf("the worker of lane %d had its CPU affinity reset to %s%s: pinned back to %s", w.lane.ID, drifted[0], lib, want))
}

// cpusAllowed is a /proc status file's Cpus_allowed_list.
func cpusAllowed(status string) string {
	b, err := os.ReadFile(status)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// affinityLibrary names a mapped library known to set the process's CPU
// affinity when it loads (OpenBLAS builds with affinity, OpenMP runtimes,
// MKL), or "".
func affinityLibrary(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return ""
	}
	for _, pat := range []string{"libopenblas", "libgomp", "libiomp", "libomp", "libmkl", "libblis"} {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 6 && strings.Contains(filepath.Base(f[5]), pat) {
				return filepath.Base(f[5])
			}
		}
	}
	return ""
}
