package threads

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// maxCPUID bounds the CPU numbers ParseCPUList accepts, so that a hostile or
// corrupt "0-999999999" cannot make it allocate gigabytes. Linux's
// NR_CPUS is at most 8192 today.
const maxCPUID = 1 << 20

// ParseCPUList parses the kernel's CPU list format, as in
// /sys/devices/system/cpu/online or cpuset.cpus: comma-separated CPU numbers
// and inclusive ranges, "0-3,8,10-11". Surrounding white space (the file's
// trailing newline) is ignored, and "" gives an empty, non-nil list. The
// result is sorted and has no duplicates. Errors are *[ParseError] values
// that quote the whole input.
func ParseCPUList(s string) ([]int, error) {
	in := s
	s = strings.TrimSpace(s)
	cpus := []int{}
	if s == "" {
		return cpus, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parseCPUNumber(lo)
		if err != nil {
			return nil, parseErr("CPU list", in, err.Error())
		}
		b := a
		if isRange {
			if b, err = parseCPUNumber(hi); err != nil {
				return nil, parseErr("CPU list", in, err.Error())
			}
			if b < a {
				return nil, parseErr("CPU list", in, "range "+strconv.Quote(part)+" ends before it starts")
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

func parseCPUNumber(s string) (int, error) {
	if s == "" {
		return 0, errors.New("empty CPU number")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("CPU number " + strconv.Quote(s) + " is not a non-negative decimal")
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > maxCPUID {
		return 0, errors.New("CPU number " + strconv.Quote(s) + " is too large")
	}
	return n, nil
}

// FormatCPUList is the inverse of [ParseCPUList]: it writes cpus in the
// kernel's list format, runs of two or more consecutive CPUs as ranges
// ("0-3,8,10-11"). The input need not be sorted and may repeat CPUs; it is
// not modified. An empty list gives "".
func FormatCPUList(cpus []int) string {
	cs := normalize(cpus)
	var b strings.Builder
	for i := 0; i < len(cs); {
		j := i
		for j+1 < len(cs) && cs[j+1] == cs[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cs[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cs[j]))
		}
		i = j + 1
	}
	return b.String()
}

// normalize returns a sorted copy of cpus without duplicates.
func normalize(cpus []int) []int {
	cs := slices.Clone(cpus)
	slices.Sort(cs)
	return slices.Compact(cs)
}

// intersect returns the CPUs of sorted, duplicate-free a that are also in
// sorted, duplicate-free b, as a new slice.
func intersect(a, b []int) []int {
	out := []int{}
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// difference returns the CPUs of sorted a that are not in sorted b.
func difference(a, b []int) []int {
	out := []int{}
	for _, c := range a {
		if _, found := slices.BinarySearch(b, c); !found {
			out = append(out, c)
		}
	}
	return out
}
