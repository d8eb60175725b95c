package main

import (
	"fmt"
	"io"
)

// cmdLane is being written (issue: process lanes).
func cmdLane(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "blasbatch lane: not built yet")
	return exitUsage
}
