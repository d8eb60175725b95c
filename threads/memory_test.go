package threads

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestTotalMemory compares TotalMemory with /proc/meminfo's MemTotal, an
// independent source, where there is one.
func TestTotalMemory(t *testing.T) {
	got := TotalMemory()
	if runtime.GOOS != "linux" {
		if got != 0 {
			t.Errorf("TotalMemory() = %d on %s, want 0 (unknown)", got, runtime.GOOS)
		}
		return
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	var kib int64
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kib, err = strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("MemTotal line %q: %v", line, err)
			}
		}
	}
	if kib == 0 {
		t.Fatalf("no MemTotal in /proc/meminfo")
	}
	if want := kib << 10; got != want {
		t.Errorf("TotalMemory() = %d, /proc/meminfo MemTotal = %d bytes", got, want)
	}
}

func TestOOMKills(t *testing.T) {
	v2 := map[string]string{
		"proc/self/cgroup":    "0::/job\n",
		"proc/self/mountinfo": "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
	}
	v1 := map[string]string{
		"proc/self/cgroup":    "4:memory:/slurm/job1\n3:cpu,cpuacct:/\n",
		"proc/self/mountinfo": "31 22 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
	}
	for _, c := range []struct {
		name  string
		base  map[string]string
		file  string // written with content, unless ""
		body  string
		want  int64
		isErr func(error) bool
	}{
		{"v2 memory.events", v2, "sys/fs/cgroup/job/memory.events", "low 0\nhigh 4\nmax 9\noom 2\noom_kill 1\noom_group_kill 0\n", 1, nil},
		{"v1 memory.oom_control", v1, "sys/fs/cgroup/memory/slurm/job1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", 3, nil},
		{"kernel without the count", v1, "sys/fs/cgroup/memory/slurm/job1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n", 0, nil},
		{"no memory.events", v2, "", "", 0, nil},
		{"malformed count", v2, "sys/fs/cgroup/job/memory.events", "oom_kill lots\n", 0, func(err error) bool {
			var pe *ParseError
			return errors.As(err, &pe) && strings.HasSuffix(pe.File, "job/memory.events") && strings.Contains(err.Error(), `"oom_kill lots"`)
		}},
		{"no cgroup", map[string]string{}, "", "", 0, func(err error) bool { return errors.Is(err, ErrNoCgroup) }},
		{"no memory controller", map[string]string{
			"proc/self/cgroup":    "3:cpu,cpuacct:/\n",
			"proc/self/mountinfo": "31 22 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
		}, "", "", 0, func(err error) bool { return errors.Is(err, ErrNoCgroup) }},
	} {
		dir := t.TempDir()
		for name, content := range c.base {
			if err := writeFile(dir, name, content); err != nil {
				t.Fatal(err)
			}
		}
		if c.file != "" {
			if err := writeFile(dir, c.file, c.body); err != nil {
				t.Fatal(err)
			}
		}
		got, err := FS{Root: dir}.OOMKills()
		switch {
		case c.isErr == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.isErr != nil && !c.isErr(err):
			t.Errorf("%s: error %v is not the one wanted", c.name, err)
		case got != c.want:
			t.Errorf("%s: OOMKills() = %d, want %d", c.name, got, c.want)
		}
	}
	// The live machine: a count or a known "no cgroup", never a parse error.
	if _, err := (FS{}).OOMKills(); err != nil && !errors.Is(err, ErrNoCgroup) {
		t.Errorf("live OOMKills: %v", err)
	}
}
