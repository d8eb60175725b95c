package threads

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func seq(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

func tree(name string) FS { return FS{Root: "testdata/" + name} }

// onePerCore checks that cpus use distinct physical cores of topo.
func onePerCore(t *testing.T, topo Topology, cpus []int) {
	t.Helper()
	coreOf := map[int]int{}
	for i, c := range topo.Cores {
		for _, s := range c.Siblings {
			coreOf[s] = i
		}
	}
	used := map[int]int{}
	for _, c := range cpus {
		i, ok := coreOf[c]
		if !ok {
			t.Fatalf("CPU %d is on no core", c)
		}
		if prev, dup := used[i]; dup {
			t.Errorf("CPUs %d and %d share core %+v", prev, c, topo.Cores[i])
		}
		used[i] = c
	}
}

func TestSMT16(t *testing.T) {
	fs := tree("smt16")
	topo, err := fs.Topology()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(topo.LogicalCPUs, seq(0, 31)) {
		t.Errorf("LogicalCPUs = %v", topo.LogicalCPUs)
	}
	if len(topo.Cores) != 16 || topo.Sockets != 1 || topo.NUMANodes != 1 {
		t.Errorf("%d cores, %d sockets, %d nodes; want 16, 1, 1", len(topo.Cores), topo.Sockets, topo.NUMANodes)
	}
	for i, c := range topo.Cores {
		want := Core{ID: i, Socket: 0, Node: 0, Siblings: []int{i, i + 16}}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("Cores[%d] = %+v, want %+v", i, c, want)
		}
	}
	if topo.CacheL2 != 2<<20 || topo.CacheL2CPUs != 2 || topo.CacheL3 != 36<<20 || topo.CacheL3CPUs != 32 {
		t.Errorf("caches: L2 %d shared by %d, L3 %d shared by %d", topo.CacheL2, topo.CacheL2CPUs, topo.CacheL3, topo.CacheL3CPUs)
	}
	if topo.Model != "Fake Xeon 16-Core" {
		t.Errorf("Model = %q", topo.Model)
	}

	cg, err := fs.Cgroup()
	if err != nil {
		t.Fatal(err)
	}
	want := Cgroup{Version: 2, Cpuset: seq(0, 31), Dir: "/sys/fs/cgroup"}
	if !reflect.DeepEqual(cg, want) {
		t.Errorf("Cgroup = %+v, want %+v", cg, want)
	}

	u, err := fs.Usable(nil)
	if err != nil {
		t.Fatal(err)
	}
	// 32 logical CPUs but 16 physical cores: 16 threads to keep busy.
	if !reflect.DeepEqual(u.CPUs, seq(0, 31)) || u.Cores() != 16 {
		t.Errorf("CPUs %v, Cores() %d; want 0-31, 16", u.CPUs, u.Cores())
	}
	if !reflect.DeepEqual(u.Preferred, seq(0, 31)) {
		t.Errorf("Preferred = %v", u.Preferred)
	}
	onePerCore(t, topo, u.Preferred[:16])
	if len(u.Reasons) != 2 || !strings.HasPrefix(u.Reasons[0], "not limited") ||
		!strings.Contains(u.Reasons[1], "keep 16 thread(s) busy: one per physical core (16 cores for 32 CPUs") {
		t.Errorf("Reasons = %q", u.Reasons)
	}

	// An affinity mask of two cores' threads, given unsorted.
	u, err = fs.Usable([]int{17, 0, 16, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.CPUs, []int{0, 1, 16, 17}) || u.Cores() != 2 || !reflect.DeepEqual(u.Preferred, []int{0, 1, 16, 17}) {
		t.Errorf("with affinity: CPUs %v, Cores() %d, Preferred %v; want 2 cores", u.CPUs, u.Cores(), u.Preferred)
	}
	if len(u.Reasons) != 2 || !strings.Contains(u.Reasons[0], "affinity mask 0-1,16-17 allows 4 of 32") {
		t.Errorf("Reasons = %q", u.Reasons)
	}

	// An affinity mask outside the online CPUs.
	if _, err := fs.Usable([]int{40}); !errors.Is(err, ErrNoCPUs) {
		t.Errorf("Usable([40]) error = %v, want ErrNoCPUs", err)
	}
	if _, err := fs.Usable([]int{}); !errors.Is(err, ErrNoCPUs) {
		t.Errorf("Usable([]) error = %v, want ErrNoCPUs", err)
	}
}

func TestQuota2of64(t *testing.T) {
	fs := tree("quota2of64")
	topo, err := fs.Topology()
	if err != nil {
		t.Fatal(err)
	}
	// No per-CPU topology files: each CPU is its own core in socket 0.
	if len(topo.LogicalCPUs) != 64 || len(topo.Cores) != 64 || topo.Sockets != 1 || topo.NUMANodes != 1 {
		t.Errorf("%d CPUs, %d cores, %d sockets, %d nodes", len(topo.LogicalCPUs), len(topo.Cores), topo.Sockets, topo.NUMANodes)
	}
	if c := topo.Cores[5]; !reflect.DeepEqual(c, Core{ID: 5, Siblings: []int{5}}) {
		t.Errorf("Cores[5] = %+v", c)
	}
	if topo.CacheL2 != 0 || topo.CacheL3 != 0 || topo.Model != "Fake EPYC 64-Core" {
		t.Errorf("caches %d %d, model %q: want no caches (cpuid is for the live machine only)", topo.CacheL2, topo.CacheL3, topo.Model)
	}

	cg, err := fs.Cgroup()
	if err != nil {
		t.Fatal(err)
	}
	want := Cgroup{
		Version:     2,
		QuotaCPUs:   2, // the container's 2, not the pod's 4
		Cpuset:      seq(0, 63),
		MemoryLimit: 2 << 30, // the pod's, the container's being "max"
		Dir:         "/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice/cri-ctr1.scope",
	}
	if !reflect.DeepEqual(cg, want) {
		t.Errorf("Cgroup = %+v\nwant %+v", cg, want)
	}

	u, err := fs.Usable(seq(0, 63))
	if err != nil {
		t.Fatal(err)
	}
	if len(u.CPUs) != 64 || u.Cores() != 2 {
		t.Errorf("%d CPUs, Cores() %d; want 64, 2", len(u.CPUs), u.Cores())
	}
	if !reflect.DeepEqual(u.Preferred, seq(0, 63)) {
		t.Errorf("Preferred = %v", u.Preferred)
	}
	if len(u.Reasons) != 2 || !strings.Contains(u.Reasons[0], "cgroup v2 CPU quota 2.00 CPUs, rounded up to 2") ||
		!strings.Contains(u.Reasons[1], "keep 2 thread(s) busy: the CPU quota's 2, below the 64 physical core(s)") {
		t.Errorf("Reasons = %q", u.Reasons)
	}
}

func TestSlurm4(t *testing.T) {
	fs := tree("slurm4")
	topo, err := fs.Topology()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.LogicalCPUs) != 32 || len(topo.Cores) != 32 || topo.Sockets != 1 || topo.NUMANodes != 1 {
		t.Errorf("%d CPUs, %d cores, %d sockets, %d nodes", len(topo.LogicalCPUs), len(topo.Cores), topo.Sockets, topo.NUMANodes)
	}
	if topo.CacheL2 != 1<<20 || topo.CacheL2CPUs != 1 || topo.CacheL3 != 32<<20 || topo.CacheL3CPUs != 32 {
		t.Errorf("caches: L2 %d shared by %d, L3 %d shared by %d", topo.CacheL2, topo.CacheL2CPUs, topo.CacheL3, topo.CacheL3CPUs)
	}

	cg, err := fs.Cgroup()
	if err != nil {
		t.Fatal(err)
	}
	want := Cgroup{Version: 1, Cpuset: []int{4, 5, 6, 7}, MemoryLimit: 4 << 30, Dir: "/sys/fs/cgroup/cpu,cpuacct"}
	if !reflect.DeepEqual(cg, want) {
		t.Errorf("Cgroup = %+v\nwant %+v", cg, want)
	}

	u, err := fs.Usable(seq(0, 31))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.CPUs, []int{4, 5, 6, 7}) || u.Cores() != 4 || !reflect.DeepEqual(u.Preferred, []int{4, 5, 6, 7}) {
		t.Errorf("CPUs %v, Cores() %d, Preferred %v", u.CPUs, u.Cores(), u.Preferred)
	}
	if len(u.Reasons) != 2 || !strings.Contains(u.Reasons[0], "cgroup v1 cpuset 4-7 allows 4 of 32 CPUs") ||
		u.Reasons[1] != "keep 4 thread(s) busy: one per usable CPU" {
		t.Errorf("Reasons = %q", u.Reasons)
	}
}

func TestNUMA2(t *testing.T) {
	fs := tree("numa2")
	topo, err := fs.Topology()
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.LogicalCPUs) != 32 || len(topo.Cores) != 16 || topo.Sockets != 2 || topo.NUMANodes != 2 {
		t.Errorf("%d CPUs, %d cores, %d sockets, %d nodes; want 32, 16, 2, 2", len(topo.LogicalCPUs), len(topo.Cores), topo.Sockets, topo.NUMANodes)
	}
	for i, c := range topo.Cores {
		want := Core{ID: i % 8, Socket: i / 8, Node: i / 8, Siblings: []int{i, i + 16}}
		if !reflect.DeepEqual(c, want) {
			t.Errorf("Cores[%d] = %+v, want %+v", i, c, want)
		}
	}
	if topo.CacheL2 != 1<<20 || topo.CacheL2CPUs != 2 || topo.CacheL3 != 11<<20 || topo.CacheL3CPUs != 16 {
		t.Errorf("caches: L2 %d shared by %d, L3 %d shared by %d", topo.CacheL2, topo.CacheL2CPUs, topo.CacheL3, topo.CacheL3CPUs)
	}

	cg, err := fs.Cgroup()
	if !errors.Is(err, ErrNoCgroup) || !reflect.DeepEqual(cg, Cgroup{}) {
		t.Errorf("Cgroup = %+v, %v; want zero, ErrNoCgroup", cg, err)
	}

	u, err := fs.Usable(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.CPUs) != 32 || u.Cores() != 16 {
		t.Errorf("%d CPUs, Cores() %d; want 32, 16", len(u.CPUs), u.Cores())
	}
	// First one thread per core, socket 0's cores before socket 1's.
	if !reflect.DeepEqual(u.Preferred[:16], seq(0, 15)) || !reflect.DeepEqual(u.Preferred[16:], seq(16, 31)) {
		t.Errorf("Preferred = %v", u.Preferred)
	}
	onePerCore(t, topo, u.Preferred[:16])

	u, err = fs.Usable([]int{24, 16, 8, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(u.Preferred, []int{0, 1, 8, 16, 24}) {
		t.Errorf("Preferred with affinity = %v", u.Preferred)
	}
	// 0 and 16 share a core, as do 8 and 24.
	if u.Cores() != 3 {
		t.Errorf("Cores() with affinity 0,1,8,16,24 = %d, want 3", u.Cores())
	}
}

// TestCoresOneAnswer: Cores is derived from the exported fields alone, so a
// hand-built Usable and one decoded from JSON answer as FS.Usable's does,
// and it is what the last reason says.
func TestCoresOneAnswer(t *testing.T) {
	smt := func(n int) []Core { // n cores, siblings i and i+n
		var cs []Core
		for i := range n {
			cs = append(cs, Core{ID: i, Siblings: []int{i, i + n}})
		}
		return cs
	}
	for _, c := range []struct {
		name  string
		u     Usable
		cores int
	}{
		{"no topology: every CPU a core", Usable{CPUs: seq(0, 7)}, 8},
		{"SMT: physical cores", Usable{CPUs: seq(0, 7), Topology: Topology{Cores: smt(4)}}, 4},
		{"SMT, one thread of each core usable", Usable{CPUs: seq(0, 3), Topology: Topology{Cores: smt(4)}}, 4},
		{"quota below the cores", Usable{CPUs: seq(0, 7), Topology: Topology{Cores: smt(4)}, Cgroup: Cgroup{QuotaCPUs: 2}}, 2},
		{"fractional quota rounds up", Usable{CPUs: seq(0, 7), Cgroup: Cgroup{QuotaCPUs: 1.5}}, 2},
		{"quota under one CPU: one thread", Usable{CPUs: seq(0, 7), Cgroup: Cgroup{QuotaCPUs: 0.25}}, 1},
		{"quota above the logical CPUs, SMT", Usable{CPUs: seq(0, 7), Topology: Topology{Cores: smt(4)}, Cgroup: Cgroup{QuotaCPUs: 6}}, 4},
		{"CPU missing from the topology", Usable{CPUs: []int{0, 4, 9}, Topology: Topology{Cores: smt(4)}}, 2},
		{"zero value", Usable{}, 1},
	} {
		if got := c.u.Cores(); got != c.cores {
			t.Errorf("%s: Cores() = %d, want %d", c.name, got, c.cores)
		}
	}
	for _, name := range []string{"smt16", "quota2of64", "slurm4", "numa2"} {
		u, err := tree(name).Usable(nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		var back Usable
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.Cores() != u.Cores() {
			t.Errorf("%s: Cores() %d after a JSON round trip, %d before", name, back.Cores(), u.Cores())
		}
		last := u.Reasons[len(u.Reasons)-1]
		if want := fmt.Sprintf("keep %d thread(s) busy", u.Cores()); !strings.HasPrefix(last, want) {
			t.Errorf("%s: last reason %q, want it to begin %q", name, last, want)
		}
		if strings.Contains(string(b), `"Limit"`) {
			t.Errorf("%s: the JSON still carries a Limit beside Cores: %s", name, b)
		}
	}
}

func TestMalformedTree(t *testing.T) {
	dir := t.TempDir()
	fs := FS{Root: dir}
	if _, err := fs.Topology(); err == nil {
		t.Error("Topology of an empty tree: no error")
	}
	if _, err := fs.Cgroup(); !errors.Is(err, ErrNoCgroup) {
		t.Errorf("Cgroup of an empty tree: %v, want ErrNoCgroup", err)
	}
	write := func(name, content string) {
		t.Helper()
		if err := writeFile(dir, name, content); err != nil {
			t.Fatal(err)
		}
	}
	write("sys/devices/system/cpu/online", "0-x\n")
	_, err := fs.Topology()
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.HasSuffix(pe.File, "online") || pe.Input != "0-x\n" {
		t.Errorf("Topology with a bad online file: %v", err)
	}
	write("sys/devices/system/cpu/online", "0-1\n")
	write("sys/devices/system/cpu/cpu1/topology/core_id", "one\n")
	if _, err := fs.Topology(); !errors.As(err, &pe) || !strings.Contains(err.Error(), `"one\n"`) {
		t.Errorf("Topology with a bad core_id: %v", err)
	}

	write("proc/self/cgroup", "0::/\n")
	write("proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	if cg, err := fs.Cgroup(); err != nil || !reflect.DeepEqual(cg, Cgroup{Version: 2, Dir: "/sys/fs/cgroup"}) {
		t.Errorf("Cgroup with no limit files = %+v, %v", cg, err)
	}
	write("sys/fs/cgroup/cpu.max", "lots 100000\n")
	if _, err := fs.Cgroup(); !errors.As(err, &pe) || !strings.Contains(err.Error(), `"lots 100000\n"`) {
		t.Errorf("Cgroup with a bad cpu.max: %v", err)
	}
	write("proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n")
	if _, err := fs.Cgroup(); !errors.Is(err, ErrNoCgroup) {
		t.Errorf("Cgroup with no cgroup mount: %v, want ErrNoCgroup", err)
	}
	write("proc/self/cgroup", "zero::/\n")
	if _, err := fs.Cgroup(); !errors.As(err, &pe) || !strings.HasSuffix(pe.File, "cgroup") {
		t.Errorf("Cgroup with a bad /proc/self/cgroup: %v", err)
	}
}

func TestLiveMachine(t *testing.T) {
	aff, err := Affinity()
	if err != nil {
		t.Fatal(err)
	}
	u, err := FS{}.Usable(aff)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.CPUs) < 1 || u.Cores() < 1 || u.Cores() > len(u.CPUs) {
		t.Errorf("CPUs %v, Cores() %d", u.CPUs, u.Cores())
	}
	p := slices.Clone(u.Preferred)
	slices.Sort(p)
	if !reflect.DeepEqual(p, u.CPUs) {
		t.Errorf("Preferred %v is not a permutation of CPUs %v", u.Preferred, u.CPUs)
	}
	topo := u.Topology
	t.Logf("model %q; online %s; %d cores, %d sockets, %d NUMA nodes; L2 %d KiB (%d CPUs), L3 %d KiB (%d CPUs)",
		topo.Model, FormatCPUList(topo.LogicalCPUs), len(topo.Cores), topo.Sockets, topo.NUMANodes,
		topo.CacheL2>>10, topo.CacheL2CPUs, topo.CacheL3>>10, topo.CacheL3CPUs)
	t.Logf("cgroup %+v", u.Cgroup)
	t.Logf("affinity %s; usable %s; Cores() %d; Preferred %v", FormatCPUList(aff), FormatCPUList(u.CPUs), u.Cores(), u.Preferred)
	for _, r := range u.Reasons {
		t.Logf("reason: %s", r)
	}
}
