package threads

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Cgroup is what the process's cgroup allows it.
type Cgroup struct {
	Version     int     // 1 or 2: the hierarchy holding the cpu controller (else cpuset's, else memory's); 0 if none found
	QuotaCPUs   float64 // CPU bandwidth limit in CPUs: cpu.max (v2) or cfs_quota_us/cfs_period_us (v1); 0 means no limit
	Cpuset      []int   // cpuset.cpus.effective (v2) / cpuset.effective_cpus or cpuset.cpus (v1), as read; nil means no cpuset (not restricted)
	MemoryLimit int64   // bytes: memory.max (v2) / memory.limit_in_bytes (v1); 0 means no limit
	Dir         string  // the cpu controller's cgroup directory, as the process sees it (not prefixed by Root); "" if none
}

// Cgroup finds the process's cgroups and reads their limits.
//
// It reads Root/proc/self/cgroup for the process's cgroup path in each
// hierarchy, and Root/proc/self/mountinfo for where each hierarchy is
// mounted, as automaxprocs and Go's runtime do. Each controller (cpu, cpuset,
// memory) is looked up separately, so hybrid v1/v2 systems work: a v1
// hierarchy listing the controller wins, otherwise the v2 unified hierarchy
// (ID 0) is used. A hierarchy mounted from a root the cgroup is not under,
// or a path outside the cgroup namespace ("/.."), is skipped; of several
// matching mounts the first is used.
//
// Limits are the most restrictive found walking from the process's cgroup up
// to the top of the mount (the cgroup namespace's root, in a container): a
// parent's cpu.max or memory.max also binds its children. (Go's runtime and
// automaxprocs read only the process's own cgroup; for the common case of a
// limit set on the container's own cgroup the results agree.) A missing limit
// file means no limit at that level. The cpuset is taken from the nearest
// level that has one, since the effective cpuset already accounts for the
// parents.
//
// If the process is in no cgroup it can see, Cgroup returns a zero Cgroup and
// an error wrapping [ErrNoCgroup]. Malformed files give *[ParseError] values.
// On systems other than Linux the live machine has no cgroups: a zero Cgroup
// and no error.
func (fsys FS) Cgroup() (Cgroup, error) {
	if fsys.live() && !haveSysfs {
		return Cgroup{}, nil
	}
	entries, mounts, err := fsys.cgroupTables()
	if err != nil {
		return Cgroup{}, err
	}
	cpu, okCPU := findCgroup(entries, mounts, "cpu")
	set, okSet := findCgroup(entries, mounts, "cpuset")
	mem, okMem := findCgroup(entries, mounts, "memory")
	var cg Cgroup
	switch {
	case okCPU:
		cg.Version = cpu.Version
	case okSet:
		cg.Version = set.Version
	case okMem:
		cg.Version = mem.Version
	default:
		return Cgroup{}, fmt.Errorf("%w: no mounted hierarchy holds the cpu, cpuset or memory controller for the cgroups in %s",
			ErrNoCgroup, fsys.path("proc/self/cgroup"))
	}
	if okCPU {
		cg.Dir = cpu.Dir
		if cg.QuotaCPUs, err = fsys.cpuQuota(cpu); err != nil {
			return Cgroup{}, err
		}
	}
	if okSet {
		if cg.Cpuset, err = fsys.cpuset(set); err != nil {
			return Cgroup{}, err
		}
	}
	if okMem {
		if cg.MemoryLimit, err = fsys.memoryLimit(mem); err != nil {
			return Cgroup{}, err
		}
	}
	return cg, nil
}

// cgroupTables reads and parses /proc/self/cgroup and /proc/self/mountinfo
// under the root. A missing file is an error wrapping ErrNoCgroup.
func (fsys FS) cgroupTables() ([]cgroupEntry, []mountEntry, error) {
	cgText, ok, err := fsys.read("proc/self/cgroup")
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: no %s", ErrNoCgroup, fsys.path("proc/self/cgroup"))
	}
	entries, err := parseProcCgroup(cgText)
	if err != nil {
		return nil, nil, inFile(err, fsys.path("proc/self/cgroup"))
	}
	miText, ok, err := fsys.read("proc/self/mountinfo")
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("%w: no %s", ErrNoCgroup, fsys.path("proc/self/mountinfo"))
	}
	mounts, err := parseMountinfo(miText)
	if err != nil {
		return nil, nil, inFile(err, fsys.path("proc/self/mountinfo"))
	}
	return entries, mounts, nil
}

// OOMKills returns how many processes of the process's memory cgroup (and
// its descendants) the kernel's OOM killer has killed: the "oom_kill" count
// of cgroup v2 memory.events, or of cgroup v1 memory.oom_control. A caller
// compares two readings: a child process that died of SIGKILL while the
// count rose was (probably) killed for memory. The kernel counts a kill in
// the victim's cgroup whichever limit (this cgroup's, a parent's, or the
// machine's) ran out.
//
// It returns 0 and an error wrapping [ErrNoCgroup] when the process is in no
// memory cgroup it can see; 0 and no error when the file or the line is
// missing (kernels before 4.13 do not count) or on systems other than Linux
// for the live machine. A malformed count is a *[ParseError] naming the file.
func (fsys FS) OOMKills() (int64, error) {
	if fsys.live() && !haveSysfs {
		return 0, nil
	}
	entries, mounts, err := fsys.cgroupTables()
	if err != nil {
		return 0, err
	}
	mem, ok := findCgroup(entries, mounts, "memory")
	if !ok {
		return 0, fmt.Errorf("%w: no mounted hierarchy holds the memory controller for the cgroups in %s",
			ErrNoCgroup, fsys.path("proc/self/cgroup"))
	}
	file := mem.Dir + "/memory.events"
	if mem.Version == 1 {
		file = mem.Dir + "/memory.oom_control"
	}
	s, ok, err := fsys.read(file)
	if err != nil || !ok {
		return 0, err
	}
	n, err := parseOOMKill(s)
	if err != nil {
		return 0, inFile(err, fsys.path(file))
	}
	return n, nil
}

// cgroupLoc is where one controller's cgroup for this process is.
type cgroupLoc struct {
	Version int
	Dir     string // the cgroup's directory: mount point + path below the mount's root
	Mount   string // the mount point; Dir is at or below it
}

// ancestors returns l.Dir and its parents up to and including l.Mount.
func (l cgroupLoc) ancestors() []string {
	var dirs []string
	for d := l.Dir; ; d = path.Dir(d) {
		dirs = append(dirs, d)
		if d == l.Mount || d == "/" || d == "." {
			return dirs
		}
	}
}

// findCgroup locates the cgroup of the given controller, following Go's
// internal/runtime/cgroup: a v1 hierarchy listing the controller in
// /proc/self/cgroup wins (a controller cannot be in v1 and v2 at once);
// otherwise the v2 hierarchy (ID 0). The mount is the first mountinfo entry
// of the right type (v1: "cgroup" with the controller among its super
// options; v2: "cgroup2") whose root holds the cgroup path.
func findCgroup(entries []cgroupEntry, mounts []mountEntry, controller string) (cgroupLoc, bool) {
	version, cgPath := 0, ""
	for _, e := range entries {
		if e.ID != 0 && slices.Contains(e.Controllers, controller) {
			version, cgPath = 1, e.Path
			break
		}
		if e.ID == 0 && version == 0 {
			version, cgPath = 2, e.Path
		}
	}
	if version == 0 {
		return cgroupLoc{}, false
	}
	for _, m := range mounts {
		switch {
		case version == 1 && (m.FSType != "cgroup" || !slices.Contains(m.SuperOptions, controller)):
			continue
		case version == 2 && m.FSType != "cgroup2":
			continue
		}
		rel, ok := relativeCgroupPath(cgPath, m.Root)
		if !ok {
			continue
		}
		return cgroupLoc{Version: version, Dir: path.Join(m.MountPoint, rel), Mount: path.Clean(m.MountPoint)}, true
	}
	return cgroupLoc{}, false
}

// relativeCgroupPath returns the part of cgroup path p below mount root r,
// or ok == false when the mount cannot reach p: p is not under r, or p lies
// outside the process's cgroup namespace ("/../..").
func relativeCgroupPath(p, r string) (rel string, ok bool) {
	switch {
	case r == "/":
		rel = p
	case p == r:
		rel = "/"
	case strings.HasPrefix(p, r+"/"):
		rel = p[len(r):]
	default:
		return "", false
	}
	if rel == "/.." || strings.HasPrefix(rel, "/../") {
		return "", false
	}
	return rel, true
}

// cpuQuota returns the tightest CPU quota from l's directory up to its mount,
// or 0 for none.
func (fsys FS) cpuQuota(l cgroupLoc) (float64, error) {
	var limit float64
	for _, d := range l.ancestors() {
		var q float64
		if l.Version == 2 {
			s, ok, err := fsys.read(d + "/cpu.max")
			if err != nil {
				return 0, err
			}
			if !ok {
				continue
			}
			if q, err = parseCPUMax(s); err != nil {
				return 0, inFile(err, fsys.path(d+"/cpu.max"))
			}
		} else {
			qs, ok1, err := fsys.read(d + "/cpu.cfs_quota_us")
			if err != nil {
				return 0, err
			}
			ps, ok2, err := fsys.read(d + "/cpu.cfs_period_us")
			if err != nil {
				return 0, err
			}
			if !ok1 || !ok2 {
				continue
			}
			if q, err = parseCFS(qs, ps); err != nil {
				// parseCFS names the file it rejected in What.
				file := d + "/cpu.cfs_quota_us"
				if pe := (*ParseError)(nil); errors.As(err, &pe) && pe.What == "cpu.cfs_period_us" {
					file = d + "/cpu.cfs_period_us"
				}
				return 0, inFile(err, fsys.path(file))
			}
		}
		if q > 0 && (limit == 0 || q < limit) {
			limit = q
		}
	}
	return limit, nil
}

// cpuset returns the effective cpuset of the nearest level that has one, or
// nil if no level has (or the file is empty).
func (fsys FS) cpuset(l cgroupLoc) ([]int, error) {
	files := []string{"cpuset.cpus.effective"}
	if l.Version == 1 {
		files = []string{"cpuset.effective_cpus", "cpuset.cpus"}
	}
	for _, d := range l.ancestors() {
		for _, f := range files {
			cpus, ok, err := fsys.readCPUList(d + "/" + f)
			if err != nil {
				return nil, err
			}
			if ok {
				if len(cpus) == 0 {
					return nil, nil
				}
				return cpus, nil
			}
		}
	}
	return nil, nil
}

// memoryLimit returns the tightest memory limit from l's directory up to its
// mount, or 0 for none.
func (fsys FS) memoryLimit(l cgroupLoc) (int64, error) {
	file, parse := "memory.max", parseMemoryMax
	if l.Version == 1 {
		file, parse = "memory.limit_in_bytes", parseMemoryLimitV1
	}
	var limit int64
	for _, d := range l.ancestors() {
		s, ok, err := fsys.read(d + "/" + file)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		n, err := parse(s)
		if err != nil {
			return 0, inFile(err, fsys.path(d+"/"+file))
		}
		if n > 0 && (limit == 0 || n < limit) {
			limit = n
		}
	}
	return limit, nil
}
