// Package threads finds out how many CPUs blasbatch may keep busy and which
// ones: the machine's topology (logical CPUs, physical cores, sockets, NUMA
// nodes, caches), the cgroup it runs in (CPU quota, cpuset, memory limit),
// the thread's affinity mask, and it pins OS threads to CPUs.
//
// Everything that reads files goes through [FS], whose Root is "/" on a real
// machine and a fake /proc and /sys tree under testdata/ in tests (the way
// uber-go/automaxprocs and prometheus/procfs test). The parsers work on
// strings and byte slices, apart from any I/O (the way Go's
// internal/runtime/cgroup does), so they are tested on literal inputs.
//
// The package keeps no state between calls: every call reads the files again.
//
// How many threads to keep busy has one answer, [Usable.Cores]: physical
// cores among the usable CPUs, capped by the CPU quota.
//
// On Linux, [Affinity] and [Pin] use sched_getaffinity(2) and
// sched_setaffinity(2), and [TotalMemory] sysinfo(2), through
// golang.org/x/sys/unix, so the package builds with CGO_ENABLED=0. On other
// systems they return "unknown" (nil, 0) results and no errors, and FS{}
// (the live machine) reports the runtime's CPU count with no topology and
// no cgroup; an FS whose Root names a fake tree is read the same way on
// every system.
//
// The planner's [Wisdom] lives here too: [UpdateWisdom] adds to a wisdom
// file under a lock, so runs sharing one lose nothing, and writes it with
// internal/safefile.
package threads
