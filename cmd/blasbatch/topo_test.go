package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestTopoOnFakeTrees(t *testing.T) {
	for tree, want := range map[string]struct {
		cores  int
		phrase string
	}{
		"smt16":      {16, "16 physical"},
		"quota2of64": {2, "quota 2.00 CPUs"},
		"slurm4":     {4, "4-7"},
		"numa2":      {16, "2 NUMA node(s)"},
	} {
		root := "../../threads/testdata/" + tree
		code, stdout, stderr := runCLI(t, "topo", "-root", root)
		if code != 0 || !strings.Contains(stdout, want.phrase) {
			t.Errorf("%s: exit %d, %q %s; want %q", tree, code, stdout, stderr, want.phrase)
		}
		// One answer: the count printed is the planner's (Usable.Cores),
		// physical cores on the SMT trees, not logical CPUs.
		if busy := fmt.Sprintf("keep %d busy", want.cores); !strings.Contains(stdout, busy) {
			t.Errorf("%s: output does not say %q:\n%s", tree, busy, stdout)
		}
		code, stdout, _ = runCLI(t, "topo", "-json", "-root", root)
		var r topoReport
		if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 0 {
			t.Fatalf("%s: %v", tree, err)
		}
		if r.Cores != want.cores {
			t.Errorf("%s: %d BLAS cores, want %d", tree, r.Cores, want.cores)
		}
	}
	if code, stdout, _ := runCLI(t, "topo"); code != 0 || !strings.Contains(stdout, "usable") {
		t.Errorf("live topo: %d %q", code, stdout)
	}
}
