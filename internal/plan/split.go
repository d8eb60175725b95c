// Package plan decides how a batch uses the cores: the outer × inner
// split, its phases, what fits the memory budget, and how items are dealt
// to the shards of a run across machines.
package plan

import (
	"fmt"

	"github.com/blasbatch/blasbatch/blas"
)

// Split is how the cores are shared: Outer workers × Inner BLAS threads.
type Split struct {
	Outer, Inner int
	// Warnings say what was changed or is likely slow.
	Warnings []string
}

// Complete completes a split forced by the user (-outer/-inner; 0 means
// "choose"). With Debian's OpenBLAS builds two multithreaded BLAS calls
// never run at once in one process (the pthread build serialises them
// behind a lock; the OpenMP build makes the second caller wait for the
// first's buffers), so a process runs either N workers × 1 BLAS thread or 1
// worker × K BLAS threads, and a split with both above 1 needs process
// lanes (lanes true).
//
// Defaults: every usable core an outer worker when there are at least as
// many items as cores (whole matrices in parallel waste nothing on
// synchronisation), else one worker with every core as BLAS threads.
func Complete(outer, inner, items, cores int, info blas.Info, lanes bool) (Split, error) {
	cores = max(cores, 1)
	var s Split
	switch {
	case outer > 1 && inner > 1 && !lanes:
		return s, fmt.Errorf("-outer %d -inner %d: with %s (%s) two multithreaded BLAS calls never run at once in one process, so workers × threads splits with both above 1 need worker processes, which this build cannot start; use -outer %d -inner 1 or -outer 1 -inner %d", outer, inner, info.Implementation, info.Threading, outer*inner, outer*inner)
	case outer == 0 && inner == 0 && !info.ThreadSafe():
		s.Outer, s.Inner = 1, 1
		s.Warnings = append(s.Warnings, "the serial OpenBLAS build is not thread-safe: running 1 outer × 1 inner")
	case outer == 0 && inner == 0:
		if items >= cores || info.Threading == blas.Serial {
			s.Outer, s.Inner = cores, 1
		} else {
			s.Outer, s.Inner = 1, cores
		}
	case outer == 0:
		s.Inner, s.Outer = inner, 1
		if inner == 1 {
			s.Outer = cores
		}
	case inner == 0:
		s.Outer, s.Inner = outer, 1
		if outer == 1 {
			s.Inner = cores
		}
	default:
		s.Outer, s.Inner = outer, inner
	}
	if info.Threading == blas.Serial && s.Inner > 1 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("the %s build has no threads of its own: -inner %d runs as -inner 1", info.Implementation, s.Inner))
		s.Inner = 1
	}
	if s.Outer*s.Inner > cores {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d outer × %d inner = %d threads on %d usable cores: oversubscribed, expect it to be slower", s.Outer, s.Inner, s.Outer*s.Inner, cores))
	}
	return s, nil
}
