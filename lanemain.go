package blasbatch

import (
	"os"

	"github.com/blasbatch/blasbatch/internal/lanes"
	"github.com/blasbatch/blasbatch/kernels"
)

// LaneMain must be the first statement of the main function of every
// program that runs jobs on worker processes (Job.Isolate, or a split of
// several outer workers with several inner threads each). Worker processes
// are the program's own binary started again (os.Executable) with a marker
// in their environment, the helper-process pattern of os/exec's tests: in
// such a process LaneMain serves the parent — it reads its configuration
// and tasks from standard input, computes, writes records to standard
// output — and exits; in any other process it returns at once.
//
// extra lists the program's own kernels, those its jobs may name besides
// the built-in ones (kernels.All()); a worker process asked for a kernel
// it does not know fails every item it is handed, saying so.
func LaneMain(extra ...kernels.Spec) {
	if !lanes.IsChild() {
		return
	}
	os.Exit(lanes.ServeChild(append(kernels.All(), extra...)))
}
