//go:build cgo && !purego && linux

package blas

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// fdTable is FDSize of /proc/self/status: the size of the process's table
// of descriptors.
func fdTable(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "FDSize:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no FDSize in /proc/self/status")
	return 0
}

// TestDescriptorTableReserved: by the time Go runs, the table of
// descriptors holds 4096 entries, or as many as the hard limit on open
// files allows (the soft limit may be lower: it is raised only for the
// moment); under hard limits of 1024, 4095 and 4096 (the test binary run
// again under prlimit), and in this process.
func TestDescriptorTableReserved(t *testing.T) {
	check := func() error {
		var l syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return err
		}
		want := int(min(l.Max, 4096))
		if got := fdTable(t); got < want {
			return fmt.Errorf("hard limit %d: the table holds %d descriptors, want at least %d", l.Max, got, want)
		}
		return nil
	}
	if os.Getenv("BLASBATCH_TEST_FDTABLE") == "1" {
		if err := check(); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := check(); err != nil {
		t.Error(err)
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Fatalf("prlimit (util-linux) is needed to try lower limits: %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, hard := range []int{1024, 4095, 4096} {
		cmd := exec.Command(prlimit, fmt.Sprintf("--nofile=256:%d", hard), exe, "-test.run=^TestDescriptorTableReserved$", "-test.count=1")
		cmd.Env = append(os.Environ(), "BLASBATCH_TEST_FDTABLE=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("hard limit %d: %v\n%s", hard, err, out)
		}
	}
}
