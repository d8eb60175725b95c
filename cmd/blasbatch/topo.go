package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/blasbatch/blasbatch/threads"
)

type topoReport struct {
	Affinity []int          `json:"affinity"`
	Usable   threads.Usable `json:"usable"`
	Cores    int            `json:"blas_cores"`
}

func cmdTopo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("topo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	root := fs.String("root", "/", "read /sys and /proc under `DIR` (a saved or fake tree) instead of this machine's")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch topo [-json] [-root DIR]

Prints the CPU topology blasbatch plans with: logical CPUs, physical cores
and their SMT siblings, sockets, NUMA nodes, caches, the affinity mask, the
cgroup's CPU quota, cpuset and memory limit, and so the cores it will keep
busy (one thread per physical core among the usable CPUs, capped by the
quota).

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	var aff []int
	if *root == "/" {
		var err error
		if aff, err = threads.Affinity(); err != nil {
			fmt.Fprintf(stderr, "blasbatch topo: %v\n", err)
			return exitFailed
		}
	}
	u, err := threads.FS{Root: *root}.Usable(aff)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch topo: %v\n", err)
		return exitFailed
	}
	r := topoReport{Affinity: aff, Usable: u, Cores: u.Cores()}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return exitFailed
		}
		return exitOK
	}
	t := u.Topology
	row := func(k, format string, a ...any) { fmt.Fprintf(stdout, "%-10s %s\n", k, fmt.Sprintf(format, a...)) }
	row("model", "%s", orDash(t.Model))
	row("cpus", "%s online (%d logical)", threads.FormatCPUList(t.LogicalCPUs), len(t.LogicalCPUs))
	row("cores", "%d physical in %d socket(s), %d NUMA node(s)", len(t.Cores), t.Sockets, t.NUMANodes)
	for _, c := range t.Cores {
		if len(c.Siblings) > 1 {
			row("", "core %d (socket %d, node %d): CPUs %s", c.ID, c.Socket, c.Node, threads.FormatCPUList(c.Siblings))
		}
	}
	if t.CacheL2 > 0 || t.CacheL3 > 0 {
		row("caches", "L2 %d KiB shared by %d CPU(s), L3 %d KiB shared by %d CPU(s)", t.CacheL2>>10, t.CacheL2CPUs, t.CacheL3>>10, t.CacheL3CPUs)
	}
	if aff != nil {
		row("affinity", "%s", threads.FormatCPUList(aff))
	}
	cg := u.Cgroup
	if cg.Version > 0 {
		quota := "none"
		if cg.QuotaCPUs > 0 {
			quota = fmt.Sprintf("%.2f CPUs", cg.QuotaCPUs)
		}
		mem := "none"
		if cg.MemoryLimit > 0 {
			mem = fmt.Sprintf("%d MiB", cg.MemoryLimit>>20)
		}
		row("cgroup", "v%d %s: quota %s, cpuset %s, memory limit %s", cg.Version, orDash(cg.Dir), quota, orDash(threads.FormatCPUList(cg.Cpuset)), mem)
	}
	row("usable", "%s, keep %d busy (one thread per physical core, capped by the CPU quota)", threads.FormatCPUList(u.CPUs), r.Cores)
	for _, why := range u.Reasons {
		row("", "%s", why)
	}
	return exitOK
}
