//go:build !linux

package lanes

import "syscall"

// sysProcAttr is nil where there is no PR_SET_PDEATHSIG: Run still waits
// for every lane before it returns.
func sysProcAttr() *syscall.SysProcAttr { return nil }
