package threads

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// This file holds the parsers. They take the contents of a file (or one
// value) and do no I/O; fs.go and friends read the files and call them.

// parseCPUMax parses cgroup v2 cpu.max, "<quota> <period>\n" in microseconds,
// where quota may be "max". It returns the quota in CPUs (quota/period), or
// 0 for "max" (no limit).
func parseCPUMax(s string) (float64, error) {
	const what = "cpu.max"
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, parseErr(what, s, `want "<quota> <period>" or "max <period>"`)
	}
	period, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || period <= 0 {
		return 0, parseErr(what, s, "period is not a positive integer")
	}
	if f[0] == "max" {
		return 0, nil
	}
	quota, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || quota <= 0 {
		return 0, parseErr(what, s, `quota is neither "max" nor a positive integer`)
	}
	return float64(quota) / float64(period), nil
}

// parseCFS parses cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us (each one
// integer in microseconds) and returns the quota in CPUs, or 0 when the quota
// is -1 (or any negative value: no limit).
func parseCFS(quotaFile, periodFile string) (float64, error) {
	q := strings.TrimSpace(quotaFile)
	quota, err := strconv.ParseInt(q, 10, 64)
	if err != nil || quota == 0 {
		return 0, parseErr("cpu.cfs_quota_us", quotaFile, "want a non-zero integer, -1 for no limit")
	}
	if quota < 0 {
		return 0, nil
	}
	p := strings.TrimSpace(periodFile)
	period, err := strconv.ParseInt(p, 10, 64)
	if err != nil || period <= 0 {
		return 0, parseErr("cpu.cfs_period_us", periodFile, "want a positive integer")
	}
	return float64(quota) / float64(period), nil
}

// parseMemoryMax parses cgroup v2 memory.max: bytes, or "max" (returned as 0,
// no limit).
func parseMemoryMax(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "max" {
		return 0, nil
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, parseErr("memory.max", s, `want bytes or "max"`)
	}
	return n, nil
}

// v1MemoryUnlimited: cgroup v1 has no "max"; an unlimited
// memory.limit_in_bytes reads as LONG_MAX rounded down to a page
// (9223372036854771712 with 4 KiB pages). Anything at or above 2^62 bytes is
// taken to mean "no limit".
const v1MemoryUnlimited = 1 << 62

// parseMemoryLimitV1 parses cgroup v1 memory.limit_in_bytes, returning 0 for
// no limit.
func parseMemoryLimitV1(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "-1" {
		return 0, nil
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, parseErr("memory.limit_in_bytes", s, "want bytes")
	}
	if err != nil || n >= v1MemoryUnlimited {
		return 0, nil // beyond 2^64 or 2^62: unlimited
	}
	return int64(n), nil
}

// cgroupEntry is one line of /proc/self/cgroup.
type cgroupEntry struct {
	ID          int      // hierarchy ID; 0 is the cgroup v2 unified hierarchy
	Controllers []string // v1 controllers ("cpu", "cpuacct", "name=systemd"); empty for v2
	Path        string   // cgroup path relative to the hierarchy's root; starts with "/"
}

// parseProcCgroup parses /proc/self/cgroup, whose lines are
// "hierarchy-ID:controller-list:cgroup-path" (see cgroups(7)). Blank lines
// are skipped.
func parseProcCgroup(s string) ([]cgroupEntry, error) {
	const what = "/proc/self/cgroup line"
	var out []cgroupEntry
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		id, rest, ok1 := strings.Cut(line, ":")
		ctrls, path, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 {
			return nil, parseErr(what, line, `want "hierarchy-ID:controllers:path"`)
		}
		n, err := strconv.Atoi(id)
		if err != nil || n < 0 {
			return nil, parseErr(what, line, "hierarchy ID is not a non-negative integer")
		}
		if !strings.HasPrefix(path, "/") {
			return nil, parseErr(what, line, `cgroup path does not start with "/"`)
		}
		e := cgroupEntry{ID: n, Path: path}
		if ctrls != "" {
			e.Controllers = strings.Split(ctrls, ",")
		}
		out = append(out, e)
	}
	return out, nil
}

// mountEntry is the part of a /proc/self/mountinfo line that finding a
// cgroup needs.
type mountEntry struct {
	Root         string   // (4) root of the mount within its filesystem
	MountPoint   string   // (5) mount point, relative to the process's root
	FSType       string   // (9) "cgroup", "cgroup2", ...
	SuperOptions []string // (11) comma-separated; v1 cgroup mounts list their controllers here
}

// parseMountinfo parses /proc/self/mountinfo (see proc_pid_mountinfo(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//	(1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
//
// Field (7) is zero or more optional fields, ended by the "-" separator (8).
// Paths have space, tab, newline and backslash escaped as \ooo octal; they are
// unescaped. Blank lines are skipped.
func parseMountinfo(s string) ([]mountEntry, error) {
	const what = "mountinfo line"
	var out []mountEntry
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+3 >= len(f) {
			return nil, parseErr(what, line, `want 6 fields, optional fields, "-", then 3 fields`)
		}
		root, err := unescapeMountPath(f[3])
		if err != nil {
			return nil, parseErr(what, line, err.Error())
		}
		mnt, err := unescapeMountPath(f[4])
		if err != nil {
			return nil, parseErr(what, line, err.Error())
		}
		if !strings.HasPrefix(root, "/") || !strings.HasPrefix(mnt, "/") {
			return nil, parseErr(what, line, "mount root or mount point is not an absolute path")
		}
		out = append(out, mountEntry{
			Root:         root,
			MountPoint:   mnt,
			FSType:       f[sep+1],
			SuperOptions: strings.Split(f[sep+3], ","),
		})
	}
	return out, nil
}

// unescapeMountPath undoes the kernel's \ooo octal escapes in mountinfo paths.
func unescapeMountPath(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+4 > len(s) {
			return "", errors.New("truncated escape in path " + strconv.Quote(s))
		}
		v, err := strconv.ParseUint(s[i+1:i+4], 8, 8)
		if err != nil {
			return "", errors.New("bad escape in path " + strconv.Quote(s))
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

// parseCacheSize parses a sysfs cache size such as "32K", "32768K", "1M" or
// "1024" (bytes) into bytes. The kernel writes "%uK"; M and G (binary, like
// K) are accepted too.
func parseCacheSize(s string) (int, error) {
	const what = "cache size"
	t := strings.TrimSpace(s)
	mult := 1
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, strings.TrimSuffix(t, "G")
	}
	n, err := strconv.ParseUint(t, 10, 32)
	if err != nil {
		return 0, parseErr(what, s, `want a decimal number of bytes, optionally followed by K, M or G`)
	}
	if n > uint64(math.MaxInt/mult) {
		return 0, parseErr(what, s, "too large")
	}
	return int(n) * mult, nil
}

// parseIntValue parses a sysfs file holding one integer (core_id,
// physical_package_id, level; these may be -1 on some machines).
func parseIntValue(what, s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, parseErr(what, s, "want an integer")
	}
	return n, nil
}

// parseCPUInfoModel returns the first "model name" in /proc/cpuinfo, or "".
func parseCPUInfoModel(s string) string {
	for line := range strings.SplitSeq(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// parseOOMKill returns the "oom_kill N" count of a cgroup v2 memory.events
// or v1 memory.oom_control file ("key value" lines), or 0 when the file has
// no such line.
func parseOOMKill(s string) (int64, error) {
	for line := range strings.SplitSeq(s, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "oom_kill" {
			continue
		}
		if len(f) != 2 {
			return 0, parseErr("oom_kill line", line, `want "oom_kill <count>"`)
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || n < 0 {
			return 0, parseErr("oom_kill line", line, "count is not a non-negative integer")
		}
		return n, nil
	}
	return 0, nil
}
