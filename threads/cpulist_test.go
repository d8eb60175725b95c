package threads

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// naiveCPUList is an independent reading of the CPU list format: expand
// every range into a set, then sort.
func naiveCPUList(parts [][2]int) []int {
	set := map[int]bool{}
	for _, p := range parts {
		for c := p[0]; c <= p[1]; c++ {
			set[c] = true
		}
	}
	out := []int{}
	for c := range set {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// TestParseCPUListAgainstNaive compares ParseCPUList with naiveCPUList on
// random lists of overlapping, repeated and out-of-order ranges, with ids
// up to MaxCPUID and across word boundaries of the bitset.
func TestParseCPUListAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		var parts [][2]int
		var text []string
		for range 1 + rng.IntN(8) {
			a := rng.IntN(MaxCPUID + 1)
			if rng.IntN(3) == 0 {
				a = rng.IntN(200) // crowd the low words so ranges overlap
			}
			b := min(a+rng.IntN(150), MaxCPUID)
			if rng.IntN(3) == 0 {
				b = a
				text = append(text, fmt.Sprint(a))
			} else {
				text = append(text, fmt.Sprintf("%d-%d", a, b))
			}
			parts = append(parts, [2]int{a, b})
		}
		in := strings.Join(text, ",")
		got, err := ParseCPUList(in)
		if want := naiveCPUList(parts); err != nil || !slices.Equal(got, want) {
			t.Fatalf("case %d: ParseCPUList(%q) = %v, %v; want %v", i, in, got, err, want)
		}
	}
}

// allocated returns the bytes one call of f allocates: the average of 10
// calls after a warm-up one, as testing.AllocsPerRun counts allocations.
func allocated(f func()) uint64 {
	const runs = 10
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestParseCPUListHostile: a list that repeats a huge range costs what one
// copy costs, and one beyond MaxCPUID is refused before anything is
// allocated for it. Memory and allocation counts, not time, are asserted
// (the machine is shared).
func TestParseCPUListHostile(t *testing.T) {
	all := strings.TrimSuffix(strings.Repeat("0-65535,", 64), ",")
	var got []int
	var err error
	bytes := allocated(func() { got, err = ParseCPUList(all) })
	if err != nil || len(got) != MaxCPUID+1 || got[0] != 0 || got[MaxCPUID] != MaxCPUID {
		t.Fatalf("64 × 0-65535: %d CPUs, %v", len(got), err)
	}
	// The result (65536 ints) plus an 8 KiB bitset and its growth.
	if limit := uint64(8*(MaxCPUID+1) + 64<<10); bytes > limit {
		t.Errorf("64 × 0-65535 allocated %d bytes, want at most %d (one copy's result and the bitset)", bytes, limit)
	}
	if n := testing.AllocsPerRun(5, func() { ParseCPUList(all) }); n > 20 {
		t.Errorf("64 × 0-65535: %v allocations, want at most 20", n)
	}

	huge := strings.TrimSuffix(strings.Repeat("0-1048576,", 16), ",")
	bytes = allocated(func() { _, err = ParseCPUList(huge) })
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "1048576") {
		t.Fatalf("16 × 0-1048576: %v, want a *ParseError quoting the id", err)
	}
	if bytes > 4<<10 {
		t.Errorf("refusing 16 × 0-1048576 allocated %d bytes, want at most 4 KiB", bytes)
	}
}

// TestParseErrorsNameTheFile: a bad list or value in any file the FS readers
// parse comes back as a *ParseError naming that file.
func TestParseErrorsNameTheFile(t *testing.T) {
	const hostile = "0-1048576,0-1048576\n"
	v2 := map[string]string{
		"sys/devices/system/cpu/online":       "0-1\n",
		"proc/self/cgroup":                    "0::/\n",
		"proc/self/mountinfo":                 "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		"sys/fs/cgroup/cpu.max":               "max 100000\n",
		"sys/fs/cgroup/cpuset.cpus.effective": "0-1\n",
	}
	v1 := map[string]string{
		"sys/devices/system/cpu/online":               "0-1\n",
		"proc/self/cgroup":                            "3:cpu,cpuacct:/\n",
		"proc/self/mountinfo":                         "30 22 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
		"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us":  "100000\n",
		"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
	}
	for _, c := range []struct {
		base    map[string]string
		file    string // the file made bad
		content string
		call    string // "Topology" or "Cgroup"
	}{
		{v2, "sys/devices/system/cpu/online", hostile, "Topology"},
		{v2, "sys/devices/system/cpu/cpu1/topology/thread_siblings_list", hostile, "Topology"},
		{v2, "sys/devices/system/node/node0/cpulist", hostile, "Topology"},
		{v2, "sys/devices/system/cpu/cpu0/cache/index2/shared_cpu_list", hostile, "Topology"},
		{v2, "sys/fs/cgroup/cpuset.cpus.effective", hostile, "Cgroup"},
		{v2, "sys/fs/cgroup/cpu.max", "lots 100000\n", "Cgroup"},
		{v1, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "lots\n", "Cgroup"},
		{v1, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "0\n", "Cgroup"},
	} {
		dir := t.TempDir()
		for name, content := range c.base {
			if err := writeFile(dir, name, content); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Contains(c.file, "cache/index2") {
			writeFile(dir, "sys/devices/system/cpu/cpu0/cache/index2/level", "2\n")
			writeFile(dir, "sys/devices/system/cpu/cpu0/cache/index2/size", "1024K\n")
		}
		if err := writeFile(dir, c.file, c.content); err != nil {
			t.Fatal(err)
		}
		fsys := FS{Root: dir}
		var err error
		if c.call == "Topology" {
			_, err = fsys.Topology()
		} else {
			_, err = fsys.Cgroup()
		}
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.HasSuffix(pe.File, c.file) || !strings.Contains(err.Error(), c.file) {
			t.Errorf("%s with a bad %s: %v; want a *ParseError naming the file", c.call, c.file, err)
		}
		if _, uerr := fsys.Usable(nil); !errors.As(uerr, &pe) {
			t.Errorf("Usable with a bad %s: %v; want the *ParseError", c.file, uerr)
		}
	}
}
