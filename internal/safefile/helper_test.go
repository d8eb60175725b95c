//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || solaris

package safefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The test binary impersonates helper processes (the os/exec tests'
// pattern): with SAFEFILE_TEST_HELPER set, TestMain runs the named helper
// instead of the tests. Helpers take their arguments from the environment
// and report on stdout.
const helperEnv = "SAFEFILE_TEST_HELPER"

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	os.Exit(m.Run())
}

func runHelper(name string) int {
	path := os.Getenv("SAFEFILE_TEST_PATH")
	switch name {
	case "umask":
		// Only this child's umask changes: the test process's own is
		// left alone, since it is process-global.
		mask, err := strconv.ParseUint(os.Getenv("SAFEFILE_TEST_UMASK"), 8, 32)
		if err != nil {
			fmt.Println(err)
			return 2
		}
		syscall.Umask(int(mask))
		if err := WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "umask\n"); return err }); err != nil {
			fmt.Println(err)
			return 1
		}
		fmt.Println("written")
		return 0
	case "lock":
		// Hold the lock on path until stdin closes.
		f, err := os.Open(path)
		if err != nil {
			fmt.Println(err)
			return 2
		}
		defer f.Close()
		if err := TryLock(f); err != nil {
			if errors.Is(err, ErrLocked) {
				fmt.Println("ErrLocked")
				return 0
			}
			fmt.Println(err)
			return 1
		}
		fmt.Println("locked")
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "killed":
		// Start a WriteFile, say so, and wait to be killed mid-write.
		err := WriteFile(path, func(w io.Writer) error {
			if _, err := w.Write(make([]byte, 256<<10)); err != nil { // past the buffer: on disk
				return err
			}
			fmt.Println("writing")
			io.Copy(io.Discard, os.Stdin)
			return errors.New("stdin closed: not killed")
		})
		fmt.Println(err)
		return 1
	}
	fmt.Println("unknown helper", name)
	return 2
}

// helper is a running helper process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startHelper starts the named helper on path with extra environment
// variables; the test's cleanup ends it.
func startHelper(t *testing.T, name, path string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + name, "SAFEFILE_TEST_PATH=" + path}, env...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		h.stdin.Close()
		h.cmd.Process.Kill()
		h.cmd.Wait()
	})
	return h
}

// line reads the helper's next line of output.
func (h *helper) line(t *testing.T) string {
	t.Helper()
	s, err := h.out.ReadString('\n')
	if err != nil {
		t.Fatalf("helper %v: reading its output: %v (got %q)", h.cmd.Env[len(h.cmd.Env)-2:], err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// finish closes the helper's stdin and waits for it to exit.
func (h *helper) finish(t *testing.T) {
	t.Helper()
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
}
