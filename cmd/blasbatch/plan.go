package main

import (
	"fmt"
	"io"
)

// cmdPlan is being written (issue: the planner).
func cmdPlan(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "blasbatch plan: not built yet")
	return exitUsage
}
