package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
)

// TestEnvReportsBLASVariables: a user's thread counts and OPENBLAS_CORETYPE
// are shown with what became of them, in text and in JSON.
func TestEnvReportsBLASVariables(t *testing.T) {
	t.Setenv("OMP_NUM_THREADS", "3")
	t.Setenv("OPENBLAS_CORETYPE", "garbage")
	code, stdout, stderr := runCLI(t, "env")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	core := blas.Runtime().CoreName
	coreEffect := "not checked"
	if core != "" {
		coreEffect = "not accepted: OpenBLAS runs its " + core + " kernels"
	}
	for _, want := range []string{
		"environment  OMP_NUM_THREADS=3: overridden: blasbatch sets each worker's BLAS threads",
		"environment  OPENBLAS_CORETYPE=garbage: " + coreEffect,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("env output lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = runCLI(t, "env", "-json")
	if code != 0 {
		t.Fatalf("env -json: exit %d: %s", code, stderr)
	}
	var r envReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range r.BLAS.Env {
		got[e.Name+"="+e.Value] = e.Effect
	}
	if !strings.HasPrefix(got["OMP_NUM_THREADS=3"], "overridden") || !strings.HasPrefix(got["OPENBLAS_CORETYPE=garbage"], coreEffect) {
		t.Errorf("env -json environment = %+v", r.BLAS.Env)
	}
	if r.Cores != r.Usable.Cores() || r.Cores < 1 {
		t.Errorf("env -json blas_cores %d, Usable.Cores() %d", r.Cores, r.Usable.Cores())
	}
}

// TestReportsListNoVariablesAsEmpty: with no BLAS variable set, env -json
// and plan -json still have their "environment" field, an empty list, so
// that a reader need not tell a missing field from an empty one.
func TestReportsListNoVariablesAsEmpty(t *testing.T) {
	for _, kv := range os.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		if len(blas.EnvSettings([]string{kv}, "")) > 0 {
			os.Unsetenv(name)
			t.Cleanup(func() { os.Setenv(name, value) })
		}
	}
	dir := t.TempDir()
	genFiles(t, dir, 3, 1)
	for _, args := range [][]string{{"env", "-json"}, {"plan", "-json", dir}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, stderr)
		}
		var r map[string]json.RawMessage
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		if args[0] == "env" {
			if err := json.Unmarshal(r["blas"], &r); err != nil {
				t.Fatal(err)
			}
		}
		if got := string(r["environment"]); got != "[]" {
			t.Errorf("%q: environment is %q, want []", args, got)
		}
	}
}
