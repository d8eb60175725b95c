package threads

import (
	"errors"
	"fmt"
)

// ErrNoCgroup is returned (wrapped, test with errors.Is) by [FS.Cgroup] when
// the process is in no cgroup that it can see: /proc/self/cgroup or
// /proc/self/mountinfo is missing, or no mounted hierarchy holds the cpu,
// cpuset or memory controller for the process's cgroup. It means "no cgroup
// limits", and [FS.Usable] treats it so.
var ErrNoCgroup = errors.New("threads: no cgroup found")

// ErrNoCPUs is returned (wrapped) by [FS.Usable] when the online CPUs, the
// affinity mask and the cgroup cpuset have no CPU in common.
var ErrNoCPUs = errors.New("threads: no usable CPU")

// ParseError reports input that could not be parsed. Input quotes the
// offending line or value; File names the file it came from, or is empty
// when a string was parsed (as by [ParseCPUList]).
type ParseError struct {
	File  string // file the input was read from; "" for a string
	What  string // what was being parsed: "CPU list", "cpu.max", "mountinfo line", ...
	Input string // the offending line or value, as read
	Err   error  // why it was rejected
}

// Error quotes at most the first 100 bytes of Input: a hostile file may
// hold megabytes on one line.
func (e *ParseError) Error() string {
	var in string
	if len(e.Input) > 100 {
		in = fmt.Sprintf("%q… (%d bytes)", e.Input[:100], len(e.Input))
	} else {
		in = fmt.Sprintf("%q", e.Input)
	}
	if e.File != "" {
		return fmt.Sprintf("threads: %s: bad %s %s: %v", e.File, e.What, in, e.Err)
	}
	return fmt.Sprintf("threads: bad %s %s: %v", e.What, in, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// parseErr builds a *ParseError with a fresh reason.
func parseErr(what, input, reason string) error {
	return &ParseError{What: what, Input: input, Err: errors.New(reason)}
}

// inFile records in a *ParseError the file its input came from.
func inFile(err error, file string) error {
	var pe *ParseError
	if errors.As(err, &pe) && pe.File == "" {
		pe.File = file
	}
	return err
}
