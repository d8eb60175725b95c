//go:build unix

package matio

import (
	"os"
	"syscall"
)

// openFlags opens a file for reading without blocking (a named pipe with no
// writer would block open(2) forever) and without making a terminal the
// process's controlling terminal.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
