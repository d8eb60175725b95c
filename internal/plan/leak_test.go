package plan

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine they started is still
// running when they finish. With PLAN_TEST_HELPER set, the test binary is a
// helper process instead (the os/exec tests' pattern; see wisdom_test.go)
// and runs no tests.
func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	goleak.VerifyTestMain(m)
}
