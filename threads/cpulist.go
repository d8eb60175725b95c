package threads

import (
	"errors"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// MaxCPUID is the largest CPU number [ParseCPUList] accepts. Linux's
// NR_CPUS is at most 8192 today; the bound leaves room for growth while
// keeping what a hostile or corrupt list can cost small: ParseCPUList marks
// CPUs in a bitset of at most (MaxCPUID+1)/8 = 8 KiB, so "0-65535" repeated
// any number of times costs no more memory than once, and its result holds
// at most MaxCPUID+1 CPUs.
const MaxCPUID = 1<<16 - 1

// ParseCPUList parses the kernel's CPU list format, as in
// /sys/devices/system/cpu/online or cpuset.cpus: comma-separated CPU numbers
// and inclusive ranges, "0-3,8,10-11". Surrounding white space (the file's
// trailing newline) is ignored, and "" gives an empty, non-nil list. The
// result is sorted and has no duplicates; ranges may overlap and repeat.
// A CPU number above [MaxCPUID] is an error. Errors are *[ParseError]
// values that quote the whole input.
//
// Work is linear in the length of the input (a range costs at most
// (MaxCPUID+1)/64 word operations), and memory is bounded by MaxCPUID
// whatever the input: the input is validated range by range before the
// result is allocated.
func ParseCPUList(s string) ([]int, error) {
	in := s
	s = strings.TrimSpace(s)
	if s == "" {
		return []int{}, nil
	}
	var set []uint64 // bit c%64 of set[c/64]: CPU c is in the list
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
		if need := b/64 + 1; need > len(set) {
			set = append(set, make([]uint64, need-len(set))...)
		}
		setRange(set, a, b)
	}
	n := 0
	for _, w := range set {
		n += bits.OnesCount64(w)
	}
	cpus := make([]int, 0, n)
	for i, w := range set {
		for w != 0 {
			cpus = append(cpus, i*64+bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
	return cpus, nil
}

// setRange sets bits a through b (inclusive) of set, a word at a time.
func setRange(set []uint64, a, b int) {
	for a <= b {
		w, bit := a/64, a%64
		top := min(b-w*64, 63) // the last bit to set in this word
		set[w] |= (^uint64(0) >> (63 - top)) &^ (1<<bit - 1)
		a = w*64 + 64
	}
}

// parseCPUNumber parses one CPU number: decimal digits only, at most
// MaxCPUID.
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
	if err != nil || n > MaxCPUID {
		return 0, errors.New("CPU number " + strconv.Quote(s) + " is above the limit of " + strconv.Itoa(MaxCPUID))
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
