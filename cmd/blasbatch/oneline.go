package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/matio"
)

// oneLine makes s safe to print as (part of) one line on a terminal:
// matio.EscapeControls, which writes every control character and every
// byte that is not valid UTF-8 as \xNN. Ids and quoted paths are escaped
// already (see inputs.Quote); this catches what other messages carry raw,
// such as the path of a --save directory inside a file system error.
func oneLine(s string) string { return matio.EscapeControls(s) }

// setMessages points job's Warn, Info (unless quiet) and Debug (with
// verbose) at stderr, each line prefixed "blasbatch CMD:" and made one
// line by oneLine — a debug message (a kernel's stack) line by line. A
// warning says something about the run the user did not ask for (inputs
// skipped, a file named twice, lanes fewer than asked): quiet keeps it.
func setMessages(job *blasbatch.Job, stderr io.Writer, cmd string, quiet, verbose bool) {
	job.Warn = func(s string) { fmt.Fprintf(stderr, "blasbatch %s: warning: %s\n", cmd, oneLine(s)) }
	if !quiet {
		job.Info = func(s string) { fmt.Fprintf(stderr, "blasbatch %s: %s\n", cmd, oneLine(s)) }
	}
	if verbose {
		job.Debug = func(s string) {
			for line := range strings.Lines(s) {
				fmt.Fprintf(stderr, "blasbatch %s: debug: %s\n", cmd, oneLine(strings.TrimSuffix(line, "\n")))
			}
		}
	}
}
