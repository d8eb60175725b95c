//go:build !linux

package threads

import (
	"runtime"
)

// haveSysfs reports whether the live machine has /proc and /sys to read.
const haveSysfs = false

// Affinity returns the CPU affinity mask of the calling OS thread. Only Linux
// is supported; here the mask is unknown: nil, nil.
func Affinity() ([]int, error) { return nil, nil }

// Pin sets the affinity of the calling OS thread. Only Linux is supported;
// here it does nothing and returns nil.
func Pin(cpus []int) error { return nil }

// unknownTopology returns the live machine's topology where there is no
// sysfs, and true: runtime.NumCPU() logical CPUs, no cores, sockets or nodes,
// and what cpuid says about caches and the model.
func unknownTopology() (Topology, bool) {
	t := Topology{LogicalCPUs: make([]int, runtime.NumCPU())}
	for i := range t.LogicalCPUs {
		t.LogicalCPUs[i] = i
	}
	fillFromCPUID(&t)
	return t, true
}
