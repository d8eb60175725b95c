//go:build linux

package threads

import "golang.org/x/sys/unix"

// TotalMemory returns the machine's physical memory in bytes (sysinfo(2)'s
// totalram × mem_unit), or 0 when it is unknown: sysinfo failed, or (in
// memory_other.go) a system other than Linux. It does not read the cgroup:
// the cgroup's limit is [Cgroup.MemoryLimit], and a budget is usually the
// smaller of that and a share of this.
func TotalMemory() int64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return int64(si.Totalram) * int64(si.Unit)
}
