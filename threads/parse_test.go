package threads

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// wantParseError checks that err is a *ParseError whose message quotes input.
func wantParseError(t *testing.T, err error, input string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) for %q is not a *ParseError", err, err, input)
	}
	if !strings.Contains(err.Error(), strconv.Quote(input)) {
		t.Errorf("error %q does not quote the input %q", err, input)
	}
}

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
	}{
		{"", []int{}},
		{"\n", []int{}},
		{"0", []int{0}},
		{"0-3", []int{0, 1, 2, 3}},
		{"0-3,8,10-11\n", []int{0, 1, 2, 3, 8, 10, 11}},
		{"3,1,1-2", []int{1, 2, 3}},
		{"7-7", []int{7}},
		{"65535", []int{MaxCPUID}},
		{"65534-65535,0", []int{0, MaxCPUID - 1, MaxCPUID}},
		{"0-3,0-3,1-2,3", []int{0, 1, 2, 3}},
		{"60-70", seq(60, 70)},
	} {
		got, err := ParseCPUList(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"a", "1-", "-1", "3-1", "1,,2", ",", "1-2-3", "0x1", " 1, 2", "+1", "1:2", "0-99999999999", "65536", "0-65536", "1048576", "0-1048576"} {
		got, err := ParseCPUList(in)
		if err == nil {
			t.Errorf("ParseCPUList(%q) = %v, want error", in, got)
			continue
		}
		wantParseError(t, err, in)
	}
}

func TestFormatCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{
		{nil, ""},
		{[]int{5}, "5"},
		{[]int{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
		{[]int{11, 10, 3, 3, 0, 1, 2, 8}, "0-3,8,10-11"},
		{[]int{0, 2, 4}, "0,2,4"},
	} {
		in := append([]int(nil), tc.in...)
		if got := FormatCPUList(in); got != tc.want {
			t.Errorf("FormatCPUList(%v) = %q, want %q", tc.in, got, tc.want)
		}
		if !reflect.DeepEqual(in, tc.in) {
			t.Errorf("FormatCPUList modified its input: %v", in)
		}
		back, err := ParseCPUList(tc.want)
		if err != nil || FormatCPUList(back) != tc.want {
			t.Errorf("round trip of %q: %v, %v", tc.want, back, err)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
	}{
		{"max 100000\n", 0},
		{"200000 100000\n", 2},
		{"150000 100000", 1.5},
		{"50000 100000", 0.5},
	} {
		got, err := parseCPUMax(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseCPUMax(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "max", "200000", "abc 100000", "200000 0", "200000 -1", "0 100000", "-5 100000", "200000 100000 5", "max max"} {
		_, err := parseCPUMax(in)
		if err == nil {
			t.Errorf("parseCPUMax(%q): no error", in)
			continue
		}
		wantParseError(t, err, in)
	}
}

func TestParseCFS(t *testing.T) {
	for _, tc := range []struct {
		quota, period string
		want          float64
	}{
		{"-1\n", "100000\n", 0},
		{"-1", "garbage", 0}, // no quota: the period is not looked at
		{"400000\n", "100000\n", 4},
		{"150000", "100000", 1.5},
	} {
		got, err := parseCFS(tc.quota, tc.period)
		if err != nil || got != tc.want {
			t.Errorf("parseCFS(%q, %q) = %v, %v; want %v", tc.quota, tc.period, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ quota, period, bad string }{
		{"", "100000", ""},
		{"abc", "100000", "abc"},
		{"0", "100000", "0"},
		{"100000", "0", "0"},
		{"100000", "x", "x"},
	} {
		_, err := parseCFS(tc.quota, tc.period)
		if err == nil {
			t.Errorf("parseCFS(%q, %q): no error", tc.quota, tc.period)
			continue
		}
		wantParseError(t, err, tc.bad)
	}
}

func TestParseMemoryLimits(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"max\n", 0}, {"2147483648\n", 2 << 30}, {"0", 0}} {
		got, err := parseMemoryMax(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseMemoryMax(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "unlimited", "-1", "1.5G"} {
		_, err := parseMemoryMax(in)
		if err == nil {
			t.Errorf("parseMemoryMax(%q): no error", in)
			continue
		}
		wantParseError(t, err, in)
	}
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"9223372036854771712\n", 0},
		{"9223372036854775807", 0},
		{"18446744073709551615", 0},
		{"-1", 0},
		{"4294967296\n", 4 << 30},
	} {
		got, err := parseMemoryLimitV1(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseMemoryLimitV1(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "max", "-2", "4G"} {
		_, err := parseMemoryLimitV1(in)
		if err == nil {
			t.Errorf("parseMemoryLimitV1(%q): no error", in)
			continue
		}
		wantParseError(t, err, in)
	}
}

func TestParseProcCgroup(t *testing.T) {
	in := "12:cpu,cpuacct:/slurm/job_1\n1:name=systemd:/user.slice\n0::/a:b/c\n\n"
	got, err := parseProcCgroup(in)
	want := []cgroupEntry{
		{ID: 12, Controllers: []string{"cpu", "cpuacct"}, Path: "/slurm/job_1"},
		{ID: 1, Controllers: []string{"name=systemd"}, Path: "/user.slice"},
		{ID: 0, Path: "/a:b/c"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseProcCgroup = %+v, %v; want %+v", got, err, want)
	}
	for _, line := range []string{"garbage", "1:cpu", "x:cpu:/", "-1:cpu:/", "1:cpu:relative/path", "0::"} {
		_, err := parseProcCgroup("0::/\n" + line + "\n")
		if err == nil {
			t.Errorf("parseProcCgroup with line %q: no error", line)
			continue
		}
		wantParseError(t, err, line)
	}
}

func TestParseMountinfo(t *testing.T) {
	in := `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
31 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:15 - cgroup cgroup rw,cpu,cpuacct
41 31 0:38 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw
50 1 0:40 /with\040space /mnt/a\134b rw - tmpfs none rw
`
	got, err := parseMountinfo(in)
	want := []mountEntry{
		{Root: "/mnt1", MountPoint: "/mnt2", FSType: "ext3", SuperOptions: []string{"rw", "errors=continue"}},
		{Root: "/", MountPoint: "/sys/fs/cgroup/cpu,cpuacct", FSType: "cgroup", SuperOptions: []string{"rw", "cpu", "cpuacct"}},
		{Root: "/docker/abc", MountPoint: "/sys/fs/cgroup", FSType: "cgroup2", SuperOptions: []string{"rw"}},
		{Root: "/with space", MountPoint: `/mnt/a\b`, FSType: "tmpfs", SuperOptions: []string{"rw"}},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("parseMountinfo = %+v, %v\nwant %+v", got, err, want)
	}
	for _, line := range []string{
		"1 2 3",
		"36 35 98:0 / /mnt rw master:1 ext3 /dev/root rw", // no separator
		"36 35 98:0 / /mnt rw - ext3 /dev/root",           // too few fields after "-"
		`36 35 98:0 /a\09 /mnt rw - ext3 /dev/root rw`,    // bad octal escape
		`36 35 98:0 / /mnt\04 rw - ext3 /dev/root rw`,     // truncated escape
		"36 35 98:0 relative /mnt rw - ext3 /dev/root rw", // relative root
	} {
		_, err := parseMountinfo(line + "\n")
		if err == nil {
			t.Errorf("parseMountinfo(%q): no error", line)
			continue
		}
		wantParseError(t, err, line)
	}
}

func TestParseCacheSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"512K", 512 << 10},
		{"32768K\n", 32 << 20},
		{"1M", 1 << 20},
		{"1G", 1 << 30},
		{"1024", 1024},
	} {
		got, err := parseCacheSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseCacheSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "K", "12Q", "-1K", "+1K", "1.5M", "99999999999K", "12 K", "KB"} {
		_, err := parseCacheSize(in)
		if err == nil {
			t.Errorf("parseCacheSize(%q): no error", in)
			continue
		}
		wantParseError(t, err, in)
	}
}

func TestParseCPUInfoModel(t *testing.T) {
	in := "processor\t: 0\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz\n\nprocessor\t: 1\nmodel name\t: other\n"
	if got, want := parseCPUInfoModel(in), "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz"; got != want {
		t.Errorf("parseCPUInfoModel = %q, want %q", got, want)
	}
	if got := parseCPUInfoModel("processor : 0\nBogoMIPS : 50.00\n"); got != "" {
		t.Errorf("parseCPUInfoModel without a model name = %q", got)
	}
}

func TestRelativeCgroupPath(t *testing.T) {
	for _, tc := range []struct {
		path, root, want string
		ok               bool
	}{
		{"/a/b", "/", "/a/b", true},
		{"/", "/", "/", true},
		{"/a/b", "/a", "/b", true},
		{"/a", "/a", "/", true},
		{"/ab", "/a", "", false},
		{"/b", "/a", "", false},
		{"/../../init", "/", "", false},
		{"/..", "/", "", false},
		{"/..x", "/", "/..x", true},
	} {
		got, ok := relativeCgroupPath(tc.path, tc.root)
		if got != tc.want || ok != tc.ok {
			t.Errorf("relativeCgroupPath(%q, %q) = %q, %v; want %q, %v", tc.path, tc.root, got, ok, tc.want, tc.ok)
		}
	}
}

func TestFindCgroup(t *testing.T) {
	// Hybrid: v2 listed first, but the v1 cpu hierarchy takes precedence.
	entries, err := parseProcCgroup("0::/user.slice\n4:cpu,cpuacct:/docker/c1\n3:cpuset:/docker/c1\n")
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := parseMountinfo(`30 25 0:1 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
31 25 0:2 /docker/c1 /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
32 25 0:3 /other /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset
33 25 0:3 /docker /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		controller string
		want       cgroupLoc
		ok         bool
	}{
		{"cpu", cgroupLoc{Version: 1, Dir: "/sys/fs/cgroup/cpu,cpuacct", Mount: "/sys/fs/cgroup/cpu,cpuacct"}, true},
		{"cpuset", cgroupLoc{Version: 1, Dir: "/sys/fs/cgroup/cpuset/c1", Mount: "/sys/fs/cgroup/cpuset"}, true},
		{"memory", cgroupLoc{Version: 2, Dir: "/sys/fs/cgroup/unified/user.slice", Mount: "/sys/fs/cgroup/unified"}, true},
	} {
		got, ok := findCgroup(entries, mounts, tc.controller)
		if got != tc.want || ok != tc.ok {
			t.Errorf("findCgroup(%q) = %+v, %v; want %+v, %v", tc.controller, got, ok, tc.want, tc.ok)
		}
	}
	// A v1 controller whose hierarchy is not mounted is not found in v2.
	if loc, ok := findCgroup(entries, mounts[:1], "cpu"); ok {
		t.Errorf("findCgroup without the cpu mount = %+v, want none", loc)
	}
	// No v2 line and no v1 controller: nothing.
	if loc, ok := findCgroup(entries[1:], mounts, "memory"); ok {
		t.Errorf("findCgroup(memory) with no v2 entry = %+v, want none", loc)
	}
	want := []string{"/sys/fs/cgroup/cpuset/c1", "/sys/fs/cgroup/cpuset"}
	if got := (cgroupLoc{Dir: want[0], Mount: want[1]}).ancestors(); !reflect.DeepEqual(got, want) {
		t.Errorf("ancestors = %q, want %q", got, want)
	}
}

func TestQuotaLimit(t *testing.T) {
	for _, tc := range []struct {
		quota float64
		n     int
		want  int
	}{
		{0, 8, 8},    // no quota
		{0.1, 8, 1},  // at least 1 (Go's runtime would say 2)
		{0.5, 8, 1},  //
		{1, 8, 1},    //
		{1.5, 8, 2},  // rounded up, as Go's runtime does
		{2, 64, 2},   //
		{2.01, 8, 3}, //
		{12, 8, 8},   // quota above the CPUs: the CPUs
		{8, 8, 8},    //
		{1e300, 4, 4},
	} {
		if got := quotaLimit(tc.quota, tc.n); got != tc.want {
			t.Errorf("quotaLimit(%v, %d) = %d, want %d", tc.quota, tc.n, got, tc.want)
		}
	}
}

func TestPreferredOrder(t *testing.T) {
	cores := []Core{
		{ID: 0, Siblings: []int{0, 4}},
		{ID: 1, Siblings: []int{1, 5}},
		{ID: 2, Siblings: []int{2, 6}},
		{ID: 3, Siblings: []int{3, 7}},
	}
	for _, tc := range []struct {
		cores []Core
		cpus  []int
		want  []int
	}{
		{cores, []int{0, 1, 2, 3, 4, 5, 6, 7}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{cores, []int{0, 4, 5}, []int{0, 5, 4}},
		{cores, []int{4, 5, 6, 7}, []int{4, 5, 6, 7}},
		{cores, []int{0, 1, 4, 9}, []int{0, 1, 9, 4}}, // 9 is unknown: a core of its own, after the known ones
		{nil, []int{3, 5, 8}, []int{3, 5, 8}},
	} {
		if got := preferredOrder(tc.cores, tc.cpus); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("preferredOrder(%v) = %v, want %v", tc.cpus, got, tc.want)
		}
	}
}

func TestParseErrorMessage(t *testing.T) {
	err := inFile(parseErr("cpu.max", "2 x\n", "bad"), "/sys/fs/cgroup/cpu.max")
	want := `threads: /sys/fs/cgroup/cpu.max: bad cpu.max "2 x\n": bad`
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}
