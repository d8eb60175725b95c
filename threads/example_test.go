package threads_test

import (
	"fmt"

	"github.com/blasbatch/blasbatch/threads"
)

func ExampleParseCPUList() {
	cpus, err := threads.ParseCPUList("0-3,8,10-11\n")
	fmt.Println(cpus, err)
	_, err = threads.ParseCPUList("0-3,x")
	fmt.Println(err)
	// Output:
	// [0 1 2 3 8 10 11] <nil>
	// threads: bad CPU list "0-3,x": CPU number "x" is not a non-negative decimal
}

func ExampleFormatCPUList() {
	fmt.Println(threads.FormatCPUList([]int{11, 0, 1, 2, 3, 8, 10}))
	fmt.Printf("%q\n", threads.FormatCPUList(nil))
	// Output:
	// 0-3,8,10-11
	// ""
}

func ExampleFS_Usable() {
	// A Slurm task on a 32-CPU box, confined to CPUs 4-7 by a cgroup v1 cpuset.
	u, err := threads.FS{Root: "testdata/slurm4"}.Usable(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.CPUs, u.Cores())
	for _, r := range u.Reasons {
		fmt.Println(r)
	}
	// Output:
	// [4 5 6 7] 4
	// cgroup v1 cpuset 4-7 allows 4 of 32 CPUs
	// keep 4 thread(s) busy: one per usable CPU
}

func ExampleFS_Usable_quota() {
	u, err := threads.FS{Root: "testdata/quota2of64"}.Usable(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(u.CPUs), u.Cores(), u.Preferred[:u.Cores()])
	for _, r := range u.Reasons {
		fmt.Println(r)
	}
	// Output:
	// 64 2 [0 1]
	// cgroup v2 CPU quota 2.00 CPUs, rounded up to 2: at most 2 of 64 CPUs busy
	// keep 2 thread(s) busy: the CPU quota's 2, below the 64 physical core(s)
}
