package threads

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Core is one physical core: the logical CPUs (SMT threads) that share it.
type Core struct {
	ID       int   // core_id; unique only within a socket
	Socket   int   // physical_package_id
	Node     int   // NUMA node of the core's first CPU; 0 when the kernel reports no NUMA nodes
	Siblings []int // thread_siblings_list: the logical CPUs of this core, sorted
}

// Topology describes the machine's CPUs as the kernel reports them. Cache
// sizes are those of one cache instance as seen from the first online CPU
// (on hybrid CPUs the other core types may differ).
type Topology struct {
	LogicalCPUs []int  // online CPUs, from /sys/devices/system/cpu/online
	Cores       []Core // physical cores, ordered by socket, then by first sibling
	Sockets     int    // distinct physical_package_id values among Cores; 0 if unknown
	NUMANodes   int    // distinct NUMA nodes among Cores; 0 if unknown
	CacheL2     int    // bytes in one L2 cache; 0 if unknown
	CacheL3     int    // bytes in one L3 cache; 0 if unknown
	CacheL2CPUs int    // logical CPUs sharing one L2 (its shared_cpu_list); 0 if unknown
	CacheL3CPUs int    // logical CPUs sharing one L3; 0 if unknown
	Model       string // CPU model name; "" if unknown
}

const sysCPU = "sys/devices/system/cpu"

// Topology reads the CPU topology under the root:
//
//   - LogicalCPUs from sys/devices/system/cpu/online (required: a missing or
//     malformed file is an error, except on the live machine, where a missing
//     one falls back to the CPUs of [Affinity]);
//   - for each online CPU N, sys/devices/system/cpu/cpuN/topology/core_id,
//     physical_package_id and thread_siblings_list. CPUs sharing a sibling
//     list form one [Core]. Where these files are missing (some VMs and
//     sandboxes), the CPU is taken to be a core of its own in socket 0;
//   - NUMA nodes from sys/devices/system/node/nodeN/cpulist; with no such
//     directories every core is in node 0 and NUMANodes is 1;
//   - caches from sys/devices/system/cpu/cpuN/cache/index*/{level,type,size,
//     shared_cpu_list} of the first online CPU (instruction caches skipped);
//   - Model from the first "model name" line of proc/cpuinfo.
//
// On the live machine, cache sizes and the model that those files do not give
// come from cpuid. On systems other than Linux the live machine's topology is
// unknown: LogicalCPUs is 0..runtime.NumCPU()-1, Cores is nil, Sockets and
// NUMANodes are 0, and cpuid gives the rest; no error is returned.
func (fsys FS) Topology() (Topology, error) {
	if fsys.live() {
		if t, unknown := unknownTopology(); unknown {
			return t, nil
		}
	}
	var t Topology
	online, ok, err := fsys.readCPUList(sysCPU + "/online")
	switch {
	case err != nil:
		return Topology{}, err
	case !ok && fsys.live():
		if online, err = Affinity(); err != nil {
			return Topology{}, err
		}
	case !ok:
		return Topology{}, fmt.Errorf("threads: %s: %w", fsys.path(sysCPU+"/online"), fs.ErrNotExist)
	}
	t.LogicalCPUs = online

	nodeOf, err := fsys.numaNodes()
	if err != nil {
		return Topology{}, err
	}
	seen := map[string]bool{}
	for _, cpu := range online {
		dir := fmt.Sprintf("%s/cpu%d/topology", sysCPU, cpu)
		c := Core{ID: cpu, Node: nodeOf[cpu], Siblings: []int{cpu}}
		if id, ok, err := fsys.readInt(dir + "/core_id"); err != nil {
			return Topology{}, err
		} else if ok {
			c.ID = id
		}
		if pkg, ok, err := fsys.readInt(dir + "/physical_package_id"); err != nil {
			return Topology{}, err
		} else if ok {
			c.Socket = pkg
		}
		if sib, ok, err := fsys.readCPUList(dir + "/thread_siblings_list"); err != nil {
			return Topology{}, err
		} else if ok && len(sib) > 0 {
			c.Siblings = sib
		}
		key := FormatCPUList(c.Siblings)
		if seen[key] {
			continue
		}
		seen[key] = true
		t.Cores = append(t.Cores, c)
	}
	slices.SortStableFunc(t.Cores, func(a, b Core) int {
		return cmp.Or(cmp.Compare(a.Socket, b.Socket), cmp.Compare(a.Siblings[0], b.Siblings[0]))
	})
	sockets, nodes := map[int]bool{}, map[int]bool{}
	for _, c := range t.Cores {
		sockets[c.Socket] = true
		nodes[c.Node] = true
	}
	t.Sockets, t.NUMANodes = len(sockets), len(nodes)

	if len(online) > 0 {
		if err := fsys.readCaches(online[0], &t); err != nil {
			return Topology{}, err
		}
	}
	if s, ok, err := fsys.read("proc/cpuinfo"); err != nil {
		return Topology{}, err
	} else if ok {
		t.Model = parseCPUInfoModel(s)
	}
	if fsys.live() {
		fillFromCPUID(&t)
	}
	return t, nil
}

// numaNodes maps each CPU to its NUMA node, from
// sys/devices/system/node/node*/cpulist. With no node directories (a kernel
// without NUMA) the map is empty, so every CPU is in node 0.
func (fsys FS) numaNodes() (map[int]int, error) {
	const sysNode = "sys/devices/system/node"
	nodeOf := map[int]int{}
	ents, err := os.ReadDir(fsys.path(sysNode))
	if errors.Is(err, fs.ErrNotExist) {
		return nodeOf, nil
	}
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		num, isNode := strings.CutPrefix(e.Name(), "node")
		if !isNode {
			continue
		}
		n, err := parseCPUNumber(num)
		if err != nil {
			continue // not a nodeN directory
		}
		cpus, _, err := fsys.readCPUList(path.Join(sysNode, e.Name(), "cpulist"))
		if err != nil {
			return nil, err
		}
		for _, c := range cpus {
			nodeOf[c] = n
		}
	}
	return nodeOf, nil
}

// readCaches fills the L2 and L3 fields of t from cpu's sysfs cache
// directories; a missing cache directory leaves them 0.
func (fsys FS) readCaches(cpu int, t *Topology) error {
	dir := fmt.Sprintf("%s/cpu%d/cache", sysCPU, cpu)
	ents, err := os.ReadDir(fsys.path(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "index") {
			continue
		}
		idx := path.Join(dir, e.Name())
		typ, _, err := fsys.read(idx + "/type")
		if err != nil {
			return err
		}
		if strings.TrimSpace(typ) == "Instruction" {
			continue
		}
		level, ok, err := fsys.readInt(idx + "/level")
		if err != nil {
			return err
		}
		if !ok || (level != 2 && level != 3) {
			continue
		}
		sizeStr, ok, err := fsys.read(idx + "/size")
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		size, err := parseCacheSize(sizeStr)
		if err != nil {
			return inFile(err, fsys.path(idx+"/size"))
		}
		shared, _, err := fsys.readCPUList(idx + "/shared_cpu_list")
		if err != nil {
			return err
		}
		if level == 2 {
			t.CacheL2, t.CacheL2CPUs = size, len(shared)
		} else {
			t.CacheL3, t.CacheL3CPUs = size, len(shared)
		}
	}
	return nil
}

// fillFromCPUID fills in, from the cpuid instruction, the cache sizes and
// model name that the files did not give. Only for the live machine.
func fillFromCPUID(t *Topology) {
	if t.CacheL2 == 0 && cpuid.CPU.Cache.L2 > 0 {
		t.CacheL2 = cpuid.CPU.Cache.L2
	}
	if t.CacheL3 == 0 && cpuid.CPU.Cache.L3 > 0 {
		t.CacheL3 = cpuid.CPU.Cache.L3
	}
	if t.Model == "" {
		t.Model = strings.TrimSpace(cpuid.CPU.BrandName)
	}
}
