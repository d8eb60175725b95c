package blasbatch_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/internal/testpy"
)

// numpy returns the path of a Python with NumPy, or skips the test; with
// BLASBATCH_REQUIRE_NUMPY=1 (make test, CI) a missing NumPy fails instead.
func numpy(t *testing.T) string { return testpy.NumPy(t) }

// TestExternalProgram builds testdata/extprog — a program of its own
// module, built against this one with a replace directive, as a user's
// would be — and runs it over a directory with a bad file among good
// ones: a built-in kernel and the program's own, in-process and on worker
// processes that really are other processes of that program, give
// NumPy-correct records and honest counts (testdata/extprog/check.py).
func TestExternalProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program (-short)")
	}
	py := numpy(t)
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root, "testdata", "extprog", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(mod, "main.go"), src, 0o644)
	gomod := "module example.com/extprog\n\ngo 1.26\n\nrequire github.com/blasbatch/blasbatch v0.0.0\n\nreplace github.com/blasbatch/blasbatch => " + root + "\n"
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644)
	sum, _ := os.ReadFile(filepath.Join(root, "go.sum")) // the same dependencies
	os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644)
	exe := filepath.Join(mod, "extprog")
	build := exec.Command("go", "build", "-mod=mod", "-o", exe, ".")
	build.Dir = mod
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if runtime.GOOS != "linux" {
		build.Env = append(build.Env, "CGO_ENABLED=0")
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the external program: %v\n%s", err, out)
	}

	data := t.TempDir()
	writeMatrices(t, data, 3, 7, 5, nil)
	os.WriteFile(filepath.Join(data, "bad.npy"), []byte("\x93NUMPY not really"), 0o644)
	run := exec.Command(exe, data)
	var stderr bytes.Buffer
	run.Stderr = &stderr
	out, err := run.Output()
	if err != nil {
		t.Fatalf("the external program: %v\n%s", err, stderr.String())
	}
	check := exec.Command(py, filepath.Join(root, "testdata", "extprog", "check.py"), data)
	check.Stdin = bytes.NewReader(out)
	if got, err := check.CombinedOutput(); err != nil || strings.TrimSpace(string(got)) != "ok" {
		t.Fatalf("check.py: %v\n%s\noutput:\n%s", err, got, out)
	}
}
