//go:build linux

package lanes

import "syscall"

// sysProcAttr puts a lane in its own process group, so that a terminal's
// Ctrl-C reaches only the parent, which stops the lanes itself, and has
// the kernel kill it if the thread that started it (see runProcess) dies
// first, so that no lane outlives a parent killed without a chance to stop
// it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
