package main

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// defaultMemoryBudget is the smaller of the cgroup's memory limit and half
// of the machine's RAM; 0 when neither is known.
func defaultMemoryBudget(cgroupLimit int64) int64 {
	var budget int64
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err == nil {
		budget = int64(si.Totalram) * int64(si.Unit) / 2
	}
	if cgroupLimit > 0 && (budget == 0 || cgroupLimit < budget) {
		budget = cgroupLimit
	}
	return budget
}

// parseBytes reads a size such as "512MiB", "4G", "1.5GiB" or a plain byte
// count; "0" and "none" mean no limit (0).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if t == "none" || t == "0" {
		return 0, nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("-max-memory %q: want a size such as 512MiB, 4GiB or none", s)
	}
	return int64(v * float64(mult)), nil
}

// fitMemory limits how many items a phase holds at once — its workers plus
// read-ahead, each with one item of at most maxItem bytes — to the budget.
// It returns the outer workers and read-ahead to use (read-ahead -1: none)
// and a warning when it had to cut them.
func fitMemory(budget, maxItem int64, outer, readAhead int) (int, int, string) {
	if budget <= 0 || maxItem <= 0 {
		return outer, readAhead, ""
	}
	allowed := int(min(budget/maxItem, 1<<20))
	switch {
	case allowed >= outer+readAhead:
		return outer, readAhead, ""
	case allowed > outer:
		return outer, allowed - outer, ""
	default:
		o := max(1, allowed)
		return o, -1, fmt.Sprintf("the memory budget of %d MiB holds %d item(s) of %d MiB at once: running %d outer worker(s) instead of %d, with no read-ahead", budget>>20, max(1, allowed), maxItem>>20, o, outer)
	}
}
