package main

import (
	"fmt"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/threads"
)

// host is what blasbatch knows about where it runs.
type host struct {
	blas   blas.Info
	usable threads.Usable
}

func probeHost() (host, error) {
	aff, err := threads.Affinity()
	if err != nil {
		return host{}, fmt.Errorf("reading the CPU affinity: %w", err)
	}
	u, err := threads.FS{}.Usable(aff)
	if err != nil {
		return host{}, fmt.Errorf("finding the usable cores: %w", err)
	}
	return host{blas: blas.Runtime(), usable: u}, nil
}
