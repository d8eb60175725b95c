package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Fit is a phase's split after the memory budget.
type Fit struct {
	// Outer and Inner are the split to run: when the budget holds fewer
	// items than the phase's outer workers, the outer workers are cut and
	// the cores they free become inner threads of those that remain.
	Outer, Inner int
	// ReadAhead is the read-ahead to use: -1 for none.
	ReadAhead int
	// Warning says what was cut, or is "".
	Warning string
}

// FitMemory limits how many items a phase holds at once — its outer
// workers plus read-ahead, each with one item of at most maxItem bytes — to
// budget (0: no limit). cores is how many threads may be busy: a cut to o
// outer workers gives each max(inner, cores/o) inner threads, when the BLAS
// has threads (innerThreads); a kernel that gains nothing from inner
// threads (memoryBound) keeps its inner count.
func FitMemory(budget, maxItem int64, outer, inner, readAhead, cores int, innerThreads, memoryBound bool) Fit {
	f := Fit{Outer: outer, Inner: inner, ReadAhead: readAhead}
	if budget <= 0 || maxItem <= 0 {
		return f
	}
	allowed := int(min(budget/maxItem, 1<<20))
	switch {
	case allowed >= outer+readAhead:
		return f
	case allowed > outer:
		f.ReadAhead = allowed - outer
		return f
	case allowed == outer:
		// The split stands; only the read-ahead goes. (A warning here
		// said "running 2 × 1 instead of 2 × 1".)
		f.ReadAhead = -1
		return f
	}
	f.Outer, f.ReadAhead = max(1, allowed), -1
	if f.Outer < outer && innerThreads && !memoryBound {
		f.Inner = max(inner, cores/f.Outer)
	}
	f.Warning = fmt.Sprintf("the memory budget of %s holds %d item(s) of %s at once: running %d outer × %d inner instead of %d × %d, with no read-ahead",
		FormatBytes(budget), max(1, allowed), FormatBytes(maxItem), f.Outer, f.Inner, outer, inner)
	return f
}

// ParseBytes reads a size such as "512MiB", "4G", "1.5GiB" or a plain byte
// count; "none" means no limit (0). Zero is refused (say none), as is a
// size under one KiB, which is surely a mistake.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if t == "none" {
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
	switch {
	case err != nil || v < 0 || v != v || v*float64(mult) > 1<<62:
		return 0, fmt.Errorf("%q: want a size such as 512MiB, 4GiB or none", s)
	case v == 0:
		return 0, fmt.Errorf("%q: a budget of nothing would fail every item; for no limit say none", s)
	case v*float64(mult) < 1<<10:
		return 0, fmt.Errorf("%q is %s: too small to hold any item (sizes are in bytes unless a unit follows: 512MiB, 4GiB)", s, FormatBytes(int64(v*float64(mult))))
	}
	return int64(v * float64(mult)), nil
}

// FormatBytes writes a size for a message: "512 B", "3.5 KiB", "275 MiB".
func FormatBytes(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return fmt.Sprintf("%.3g KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.4g MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.4g GiB", float64(n)/(1<<30))
	}
}
