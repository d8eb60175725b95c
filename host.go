package blasbatch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

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

// cores is how many threads the planner keeps busy.
func (h host) cores() int { return h.usable.Cores() }

// HostInfo is what blasbatch knows about the machine it runs on: the BLAS
// this process loaded, and the CPUs it may use.
type HostInfo struct {
	BLAS   blas.Info      `json:"blas"`
	Usable threads.Usable `json:"usable"`
}

// ProbeHost reads the machine: the loaded BLAS, the affinity mask, the
// topology and the cgroup's limits.
func ProbeHost() (HostInfo, error) {
	h, err := probeHost()
	return HostInfo{BLAS: h.blas, Usable: h.usable}, err
}

// Cores is how many threads the planner keeps busy: one per physical core
// among the usable CPUs, capped by the CPU quota.
func (h HostInfo) Cores() int { return h.Usable.Cores() }

// oomKills counts the out-of-memory kills in this process's cgroup (0 when
// it cannot tell).
func (h host) oomKills() int64 {
	n, _ := threads.FS{}.OOMKills()
	return n
}

// laneCPUs gives each lane of a phase its own inner CPUs; a forced split
// larger than the machine wraps around the preferred CPUs (and is
// oversubscribed, as the user was warned).
func laneCPUs(u threads.Usable, outer, inner int) [][]int {
	if l := u.LaneCPUs(outer, inner); l != nil {
		return l
	}
	pref := u.Preferred
	if len(pref) == 0 {
		pref = u.CPUs
	}
	if len(pref) == 0 {
		return nil
	}
	out := make([][]int, outer)
	for j := range out {
		for t := range inner {
			c := pref[(j*inner+t)%len(pref)]
			if !containsInt(out[j], c) {
				out[j] = append(out[j], c)
			}
		}
	}
	return out
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// lanesAvailable says whether worker processes can be started: they are
// this program, so it must know its own path.
func lanesAvailable() bool {
	_, err := os.Executable()
	return err == nil
}

// defaultMemoryBudget is the smaller of the cgroup's memory limit and half
// of the machine's RAM; 0 when neither is known.
func defaultMemoryBudget(cgroupLimit int64) int64 {
	budget := threads.TotalMemory() / 2
	if cgroupLimit > 0 && (budget == 0 || cgroupLimit < budget) {
		budget = cgroupLimit
	}
	return budget
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

// CPUAdvice is a warning about how the loaded BLAS uses this CPU ("" when
// there is none): OpenBLAS kernels far older than the CPU supports.
func CPUAdvice(info blas.Info) string {
	return coreAdvice(info.CoreName, cpuid.CPU.Supports(cpuid.AVX512F), cpuid.CPU.Supports(cpuid.AVX2))
}

// unwrapPath drops an *fs.PathError whose path the message repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
