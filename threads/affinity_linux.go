//go:build linux

package threads

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// haveSysfs reports whether the live machine has /proc and /sys to read.
const haveSysfs = true

// unknownTopology returns false: Linux's topology is read from sysfs.
func unknownTopology() (Topology, bool) { return Topology{}, false }

// maxAffinityBits bounds the mask Affinity will try: 2^20 CPUs.
const maxAffinityBits = 1 << 20

// Affinity returns the CPU affinity mask of the calling OS thread
// (sched_getaffinity(0)), sorted. Go threads normally share the process's
// mask, which is inherited from the parent (taskset, Slurm, docker --cpuset);
// a thread pinned with [Pin] reports its own. The mask grows past 1024 CPUs
// as the kernel asks. On systems other than Linux it returns nil, nil.
func Affinity() ([]int, error) {
	for bits := 1024; ; bits *= 2 {
		set := unix.NewCPUSet(bits)
		err := unix.SchedGetaffinityDynamic(0, set)
		if errors.Is(err, unix.EINVAL) && bits < maxAffinityBits {
			continue // the kernel's mask is larger than ours
		}
		if err != nil {
			return nil, os.NewSyscallError("sched_getaffinity", err)
		}
		cpus := make([]int, 0, set.Count())
		for c := range bits {
			if set.IsSet(c) {
				cpus = append(cpus, c)
			}
		}
		return cpus, nil
	}
}

// Pin sets the affinity of the calling OS thread to cpus
// (sched_setaffinity(0, ...), which acts on the thread, not the process).
//
// The caller must have called runtime.LockOSThread first, or the goroutine
// may move to another, unpinned thread and leave this one pinned for
// whatever goroutine runs on it next. While the thread is locked, Go's
// runtime does not clone new threads from it, so the pin does not leak into
// the runtime's threads; C threads started from it (a BLAS library's
// workers) do inherit it. To undo a pin, Pin the mask that [Affinity]
// returned before; if that fails, let the goroutine exit still locked, so the
// runtime discards the thread.
//
// An empty list or a negative CPU is an error; so is (EINVAL from the kernel)
// a list with no CPU that is online and allowed by the cgroup cpuset. On
// systems other than Linux Pin does nothing and returns nil.
func Pin(cpus []int) error {
	if len(cpus) == 0 {
		return errors.New("threads: Pin: empty CPU list")
	}
	top := 0
	for _, c := range cpus {
		if c < 0 || c >= maxAffinityBits {
			return fmt.Errorf("threads: Pin: CPU %d out of range", c)
		}
		top = max(top, c)
	}
	set := unix.NewCPUSet(top + 1)
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinityDynamic(0, set); err != nil {
		return fmt.Errorf("threads: Pin(%s): %w", FormatCPUList(cpus), os.NewSyscallError("sched_setaffinity", err))
	}
	return nil
}
