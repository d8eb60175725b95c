// Package testpy finds Debian's Python with NumPy for tests that compare
// with it: a test that needs it skips where it is missing, and fails
// instead under BLASBATCH_REQUIRE_NUMPY=1, as make test and CI set, so that
// a machine without it cannot pass them by skipping.
package testpy

import (
	"os"
	"os/exec"
	"testing"
)

// Python is the interpreter the tests use: Debian's, whose NumPy is built
// on the same OpenBLAS.
const Python = "/usr/bin/python3"

// NumPy returns Python once it can import numpy and each of modules (such
// as "scipy"); otherwise it skips t, or fails it under
// BLASBATCH_REQUIRE_NUMPY=1.
func NumPy(t testing.TB, modules ...string) string {
	t.Helper()
	for _, m := range append([]string{"numpy"}, modules...) {
		out, err := exec.Command(Python, "-c", "import "+m).CombinedOutput()
		if err == nil {
			continue
		}
		if os.Getenv("BLASBATCH_REQUIRE_NUMPY") == "1" {
			t.Fatalf("%s is required (BLASBATCH_REQUIRE_NUMPY=1; make deps installs it) but %s cannot import it: %v\n%s", m, Python, err, out)
		}
		t.Skipf("%s cannot import %s (%v); make deps installs it", Python, m, err)
	}
	return Python
}
