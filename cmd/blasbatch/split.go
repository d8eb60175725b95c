package main

import (
	"fmt"

	"github.com/blasbatch/blasbatch/blas"
)

// split is how the cores are shared: outer workers × inner BLAS threads.
type split struct {
	outer, inner int
	warnings     []string
}

// chooseSplit completes a split forced by -outer/-inner. With Debian's
// OpenBLAS builds two multithreaded BLAS calls never run at once in one
// process (the pthread build serialises them behind a lock; the OpenMP build
// makes the second caller wait for the first's buffers), so a process runs
// either N workers × 1 BLAS thread or 1 worker × K BLAS threads, and a split
// with both above 1 needs process lanes (lanes true).
//
// Defaults: every usable core as an outer worker when there are at least as
// many items as cores (whole matrices in parallel waste nothing on
// synchronisation), else one worker with every core as BLAS threads.
func chooseSplit(outer, inner, items, cores int, info blas.Info, lanes bool) (split, error) {
	cores = max(cores, 1)
	var s split
	switch {
	case outer > 1 && inner > 1 && !lanes:
		return s, fmt.Errorf("-outer %d -inner %d: with %s (%s) two multithreaded BLAS calls never run at once in one process, so workers × threads splits with both above 1 are not run in-process; use -outer %d -inner 1 or -outer 1 -inner %d", outer, inner, info.Implementation, info.Threading, outer*inner, outer*inner)
	case outer == 0 && inner == 0 && !info.ThreadSafe():
		s.outer, s.inner = 1, 1
		s.warnings = append(s.warnings, "the serial OpenBLAS build is not thread-safe: running 1 outer × 1 inner")
	case outer == 0 && inner == 0:
		if items >= cores || info.Threading == blas.Serial {
			s.outer, s.inner = cores, 1
		} else {
			s.outer, s.inner = 1, cores
		}
	case outer == 0:
		s.inner = inner
		s.outer = 1
		if inner == 1 {
			s.outer = cores
		}
	case inner == 0:
		s.outer = outer
		s.inner = 1
		if outer == 1 {
			s.inner = cores
		}
	default:
		s.outer, s.inner = outer, inner
	}
	if info.Threading == blas.Serial && s.inner > 1 {
		s.warnings = append(s.warnings, fmt.Sprintf("the %s build has no threads of its own: -inner %d runs as -inner 1", info.Implementation, s.inner))
		s.inner = 1
	}
	if s.outer*s.inner > cores {
		s.warnings = append(s.warnings, fmt.Sprintf("%d outer × %d inner = %d threads on %d usable cores: oversubscribed, expect it to be slower", s.outer, s.inner, s.outer*s.inner, cores))
	}
	return s, nil
}
