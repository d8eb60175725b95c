package main

import (
	"fmt"
	"io"
)

// cmdScale is being written (issue: the scaling table).
func cmdScale(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "blasbatch scale: not built yet")
	return exitUsage
}
