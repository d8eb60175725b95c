#!/bin/sh
# Regenerates the fake /proc and /sys trees used by the threads tests.
# Run from this directory: sh gen.sh. Each tree holds only the files that
# threads.FS reads; see README.md for what each one models.
set -eu

w() { # w FILE CONTENT: write CONTENT and a newline to FILE
	mkdir -p "$(dirname "$1")"
	printf '%s\n' "$2" >"$1"
}

# cpu ROOT N CORE_ID PACKAGE SIBLINGS
cpu() {
	d=$1/sys/devices/system/cpu/cpu$2/topology
	w "$d/core_id" "$3"
	w "$d/physical_package_id" "$4"
	w "$d/thread_siblings_list" "$5"
}

# cache ROOT CPU INDEX LEVEL TYPE SIZE SHARED
cache() {
	d=$1/sys/devices/system/cpu/cpu$2/cache/index$3
	w "$d/level" "$4"
	w "$d/type" "$5"
	w "$d/size" "$6"
	w "$d/shared_cpu_list" "$7"
}

cpuinfo() { # cpuinfo ROOT MODEL
	w "$1/proc/cpuinfo" "$(printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: %s\nflags\t\t: fpu sse2 avx2' "$2")"
}

rm -rf smt16 quota2of64 slurm4 numa2

# smt16: 16 cores x 2 threads, siblings N and N+16, one socket, one NUMA
# node; cgroup v2 namespace root with no limits.
r=smt16
w $r/sys/devices/system/cpu/online 0-31
for n in $(seq 0 15); do
	cpu $r $n $n 0 "$n,$((n + 16))"
	cpu $r $((n + 16)) $n 0 "$n,$((n + 16))"
done
cache $r 0 0 1 Data 48K 0,16
cache $r 0 1 1 Instruction 32K 0,16
cache $r 0 2 2 Unified 2048K 0,16
cache $r 0 3 3 Unified 36864K 0-31
w $r/sys/devices/system/node/online 0
w $r/sys/devices/system/node/node0/cpulist 0-31
cpuinfo $r "Fake Xeon 16-Core"
w $r/proc/self/cgroup 0::/
w $r/proc/self/mountinfo "$(printf '%s\n' \
	'22 1 0:21 / / rw,relatime - overlay overlay rw' \
	'30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate')"
w $r/sys/fs/cgroup/cpu.max "max 100000"
w $r/sys/fs/cgroup/memory.max max
w $r/sys/fs/cgroup/cpuset.cpus.effective 0-31

# quota2of64: a Kubernetes container on a 64-CPU host, host cgroup
# namespace (the path is not "/"). The container's cpu.max is 2 CPUs and its
# pod's 4; the pod has a 2 GiB memory.max. No per-CPU topology or caches
# (the fallback: every CPU its own core).
r=quota2of64
w $r/sys/devices/system/cpu/online 0-63
cpuinfo $r "Fake EPYC 64-Core"
w $r/proc/self/cgroup 0::/kubepods.slice/kubepods-pod1.slice/cri-ctr1.scope
w $r/proc/self/mountinfo '30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot'
pod=$r/sys/fs/cgroup/kubepods.slice/kubepods-pod1.slice
w $pod/cpu.max "400000 100000"
w $pod/memory.max 2147483648
w $pod/cri-ctr1.scope/cpu.max "200000 100000"
w $pod/cri-ctr1.scope/memory.max max
w $pod/cri-ctr1.scope/cpuset.cpus.effective 0-63

# slurm4: a Slurm task on a 32-core box without SMT, cgroup v1 (hybrid, as
# Slurm's cgroup/v1 plugin sees it): cpuset 4-7, 4 GiB memory limit on the
# step, no CPU quota.
r=slurm4
w $r/sys/devices/system/cpu/online 0-31
for n in $(seq 0 31); do
	cpu $r $n $n 0 $n
done
cache $r 0 0 2 Unified 1024K 0
cache $r 0 1 3 Unified 32768K 0-31
cpuinfo $r "Fake Xeon 32-Core"
task=/slurm/uid_1000/job_42/step_0/task_0
w $r/proc/self/cgroup "$(printf '%s\n' \
	"11:memory:$task" \
	"10:cpuset:$task" \
	'4:cpu,cpuacct:/' \
	'1:name=systemd:/user.slice/user-1000.slice/session-3.scope' \
	'0::/user.slice/user-1000.slice/session-3.scope')"
w $r/proc/self/mountinfo "$(printf '%s\n' \
	'24 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw' \
	'25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755' \
	'26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate' \
	'27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd' \
	'31 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,cpu,cpuacct' \
	'33 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset' \
	'35 25 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,memory')"
w $r/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us -1
w $r/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us 100000
w $r/sys/fs/cgroup/cpuset$task/cpuset.cpus 4-7
w $r/sys/fs/cgroup/memory/slurm/uid_1000/job_42/step_0/memory.limit_in_bytes 4294967296
w $r/sys/fs/cgroup/memory$task/memory.limit_in_bytes 9223372036854771712

# numa2: two sockets x 8 cores x 2 threads, one NUMA node per socket, with
# Linux's usual numbering (socket 0: 0-7 and siblings 16-23; socket 1: 8-15
# and 24-31; core_id restarts at 0 on each socket). No /proc/self/cgroup:
# the process is in no cgroup.
r=numa2
w $r/sys/devices/system/cpu/online 0-31
for n in $(seq 0 15); do
	s=$((n / 8))
	cpu $r $n $((n % 8)) $s "$n,$((n + 16))"
	cpu $r $((n + 16)) $((n % 8)) $s "$n,$((n + 16))"
done
cache $r 0 0 1 Data 32K 0,16
cache $r 0 1 1 Instruction 32K 0,16
cache $r 0 2 2 Unified 1M 0,16
cache $r 0 3 3 Unified 11264K 0-7,16-23
w $r/sys/devices/system/node/online 0-1
w $r/sys/devices/system/node/node0/cpulist 0-7,16-23
w $r/sys/devices/system/node/node1/cpulist 8-15,24-31
cpuinfo $r "Fake Xeon Gold 8-Core"
