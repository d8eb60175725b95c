package threads

import (
	"errors"
	"fmt"
	"math"
)

// Usable is what this process may use: which CPUs, how many threads it
// should keep busy at once ([Usable.Cores], the one answer to that), and in
// which order to hand CPUs out.
//
// There is deliberately no field for "logical CPUs capped by the quota":
// that count overcounts SMT siblings, and callers that used it next to
// Cores disagreed with the planner. Cores is derived from the fields below,
// so a Usable decoded from JSON or built by hand answers the same.
type Usable struct {
	// CPUs is online ∩ affinity ∩ cgroup cpuset, sorted.
	CPUs []int
	// Preferred holds CPUs reordered so that any first k of them use as
	// many distinct physical cores as possible: one thread per core
	// (socket by socket, in core order) before any SMT sibling. Lanes
	// take their CPUs from Preferred[:Cores()].
	Preferred []int
	// Reasons are human-readable lines saying what limited CPUs and
	// Cores, or that nothing did; the last says how many threads to keep
	// busy and why.
	Reasons []string
	// Topology and Cgroup are what Usable was computed from; Cores reads
	// Topology.Cores and Cgroup.QuotaCPUs.
	Topology Topology
	Cgroup   Cgroup
}

// Usable combines [FS.Topology], [FS.Cgroup] and an affinity mask (normally
// from [Affinity]; nil means unknown, so not restricting, while an empty
// non-nil mask allows nothing):
//
//   - CPUs = online ∩ affinity ∩ cpuset. An empty result is an error
//     wrapping [ErrNoCPUs]. A missing cgroup ([ErrNoCgroup]) means no cgroup
//     limit; any other error from Topology or Cgroup is returned.
//
//   - The threads to keep busy, [Usable.Cores]: one per physical core
//     among CPUs, capped by ceil(QuotaCPUs), at least 1. Rounding policy: a
//     fractional quota is rounded UP, as Go's runtime has done for the
//     default GOMAXPROCS since Go 1.25 (runtime.adjustCgroupGOMAXPROCS:
//     limit = ceil(quota)), so that a 1.5-CPU quota gives 2 busy threads,
//     each getting 75% of a CPU, rather than leaving half a CPU unused.
//     Unlike Go's runtime we do not raise the result to a minimum of 2: Go
//     does that for its own benefit (GC workers and the scheduler need room
//     beside one busy goroutine), whereas our threads are compute-bound
//     BLAS threads, and a second one under a quota of 1 CPU or less only
//     gets both throttled by the CFS bandwidth controller. So the minimum
//     is 1.
//
//     Cores does not read runtime.GOMAXPROCS. Since Go 1.25 GOMAXPROCS
//     already follows the same quota (identical for quotas of 2 CPUs or
//     more), so it adds nothing there; an explicit GOMAXPROCS setting is an
//     input for the caller to apply to its Go-side workers, but it does not
//     bound the C threads that a BLAS library starts, which Cores is meant
//     to bound as well.
//
//   - Preferred: see [Usable.Preferred]. Cores are visited in Topology order
//     (socket by socket), so a contiguous run of Preferred stays within one
//     socket while it can, which keeps a group of inner BLAS threads on one
//     shared L3 and local memory. CPUs missing from the topology count as
//     cores of their own, after the known ones.
func (fsys FS) Usable(affinity []int) (Usable, error) {
	topo, err := fsys.Topology()
	if err != nil {
		return Usable{}, err
	}
	cg, err := fsys.Cgroup()
	if err != nil && !errors.Is(err, ErrNoCgroup) {
		return Usable{}, err
	}
	u := Usable{Topology: topo, Cgroup: cg}

	cpus := normalize(topo.LogicalCPUs)
	if affinity != nil {
		allowed := intersect(cpus, normalize(affinity))
		if len(allowed) < len(cpus) {
			u.Reasons = append(u.Reasons, fmt.Sprintf("affinity mask %s allows %d of %d online CPUs (excluded: %s)",
				FormatCPUList(affinity), len(allowed), len(cpus), FormatCPUList(difference(cpus, allowed))))
		}
		cpus = allowed
	}
	if cg.Cpuset != nil {
		allowed := intersect(cpus, normalize(cg.Cpuset))
		if len(allowed) < len(cpus) {
			u.Reasons = append(u.Reasons, fmt.Sprintf("cgroup v%d cpuset %s allows %d of %d CPUs",
				cg.Version, FormatCPUList(cg.Cpuset), len(allowed), len(cpus)))
		}
		cpus = allowed
	}
	if len(cpus) == 0 {
		return Usable{}, fmt.Errorf("%w: online %s, affinity %s, cpuset %s", ErrNoCPUs,
			FormatCPUList(topo.LogicalCPUs), cpuListOrAll(affinity), cpuListOrAll(cg.Cpuset))
	}
	u.CPUs = cpus

	limit := quotaLimit(cg.QuotaCPUs, len(cpus))
	if limit < len(cpus) {
		u.Reasons = append(u.Reasons, fmt.Sprintf("cgroup v%d CPU quota %.2f CPUs, rounded up to %d: at most %d of %d CPUs busy",
			cg.Version, cg.QuotaCPUs, limit, limit, len(cpus)))
	}
	if len(u.Reasons) == 0 {
		u.Reasons = append(u.Reasons, fmt.Sprintf("not limited: all %d online CPUs usable", len(cpus)))
	}
	u.Preferred = preferredOrder(topo.Cores, cpus)
	phys, cores := u.physicalCores(), u.Cores()
	var why string
	switch {
	case cores < phys:
		why = fmt.Sprintf("the CPU quota's %d, below the %d physical core(s)", cores, phys)
	case phys < len(cpus):
		why = fmt.Sprintf("one per physical core (%d cores for %d CPUs: SMT siblings share a core's floating-point units)", phys, len(cpus))
	default:
		why = "one per usable CPU"
	}
	u.Reasons = append(u.Reasons, fmt.Sprintf("keep %d thread(s) busy: %s", cores, why))
	return u, nil
}

func cpuListOrAll(cpus []int) string {
	if cpus == nil {
		return "(any)"
	}
	return `"` + FormatCPUList(cpus) + `"`
}

// quotaLimit applies the rounding policy documented on FS.Usable: ceil of a
// positive quota, at least 1, at most n; n when there is no quota.
func quotaLimit(quota float64, n int) int {
	if quota <= 0 || math.IsNaN(quota) {
		return n
	}
	q := max(math.Ceil(quota), 1)
	if q >= float64(n) {
		return n
	}
	return int(q)
}

// preferredOrder orders cpus (sorted) by rounds: the first usable thread of
// every core, in core order, then the second thread of every core that has
// one, and so on.
func preferredOrder(cores []Core, cpus []int) []int {
	usable := make(map[int]bool, len(cpus))
	for _, c := range cpus {
		usable[c] = true
	}
	placed := make(map[int]bool, len(cpus))
	var groups [][]int
	for _, core := range cores {
		var g []int
		for _, s := range core.Siblings {
			if usable[s] && !placed[s] {
				g = append(g, s)
				placed[s] = true
			}
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	for _, c := range cpus {
		if !placed[c] {
			groups = append(groups, []int{c})
		}
	}
	out := make([]int, 0, len(cpus))
	for round := 0; len(out) < len(cpus); round++ {
		for _, g := range groups {
			if round < len(g) {
				out = append(out, g[round])
			}
		}
	}
	return out
}

// Cores is the number of threads to keep busy, the one answer blasbatch
// uses everywhere (the planner's [Machine.Cores], "keep N busy" in its
// reports): one per physical core among the usable CPUs (SMT siblings share
// a core's floating-point units, so BLAS threads gain little from them),
// capped by the CPU quota rounded up (see [FS.Usable] for the policy), and
// at least 1. A CPU the topology does not describe counts as a core of its
// own; so, with no topology (other systems), every usable CPU does.
func (u Usable) Cores() int {
	return max(1, min(u.physicalCores(), quotaLimit(u.Cgroup.QuotaCPUs, len(u.CPUs))))
}

// physicalCores counts the physical cores that have a CPU in u.CPUs.
func (u Usable) physicalCores() int {
	in := make(map[int]bool, len(u.CPUs))
	for _, c := range u.CPUs {
		in[c] = true
	}
	phys := 0
	seen := map[int]bool{}
	for _, core := range u.Topology.Cores {
		for _, c := range core.Siblings {
			if in[c] {
				phys++
				for _, s := range core.Siblings {
					seen[s] = true
				}
				break
			}
		}
	}
	for _, c := range u.CPUs {
		if !seen[c] {
			phys++ // a CPU the topology does not describe counts alone
		}
	}
	return phys
}

// LaneCPUs hands out u.Preferred to the lanes of a phase: lane j gets
// inner consecutive CPUs of Preferred, so a lane's threads share a socket
// while they can. It returns nil when there are not enough CPUs.
func (u Usable) LaneCPUs(outer, inner int) [][]int {
	if outer*inner > len(u.Preferred) {
		return nil
	}
	lanes := make([][]int, outer)
	for j := range lanes {
		lanes[j] = append([]int(nil), u.Preferred[j*inner:(j+1)*inner]...)
	}
	return lanes
}
