//go:build !linux

package exec

import "syscall"

// procAttr starts a command in its own process group, so a timeout kills
// all of it.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// checkAffinity cannot read other processes' affinity here.
func (w *lineWorker) checkAffinity() {}
