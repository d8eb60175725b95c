package main

import (
	"fmt"

	"github.com/klauspost/cpuid/v2"

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

// coreAdvice returns a warning when OpenBLAS chose kernels far older than
// the CPU supports: OpenBLAS 0.3.21's DYNAMIC_ARCH does not recognise CPUs
// newer than it (Sapphire Rapids under a hypervisor, for one) and falls back
// to its SSE3 "Prescott" kernels. On a 16-core Sapphire Rapids VM that made
// a 1000×1000 SVD 1.8× slower than with OPENBLAS_CORETYPE=SkylakeX.
// avx512 and avx2 say what the CPU supports (cpuid).
func coreAdvice(core string, avx512, avx2 bool) string {
	switch core {
	case "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom":
	default:
		return ""
	}
	var want string
	switch {
	case avx512:
		want = "SkylakeX"
	case avx2:
		want = "Haswell"
	default:
		return ""
	}
	return fmt.Sprintf("OpenBLAS chose its %s kernels, but this CPU has %s: it did not recognise the CPU. Set OPENBLAS_CORETYPE=%s for faster kernels.",
		core, map[bool]string{true: "AVX-512", false: "AVX2"}[avx512], want)
}

// cpuAdvice applies coreAdvice to this machine's CPU.
func cpuAdvice(info blas.Info) string {
	return coreAdvice(info.CoreName, cpuid.CPU.Supports(cpuid.AVX512F), cpuid.CPU.Supports(cpuid.AVX2))
}
