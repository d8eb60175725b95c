// Command extprog is a program outside blasbatch built against it, as a
// user's would be: it runs a built-in kernel and a kernel of its own over
// a directory, in-process and on worker processes (Isolate), and prints
// each run as one JSON object: its summary and its records. The root
// package's TestExternalProgram builds it with a replace directive.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/results"
)

// rowSums is this program's own kernel: the sum of each row, and the pid
// of the process that computed it.
func rowSums() kernels.Spec {
	return kernels.Spec{
		Name:  "rowsums",
		Doc:   "the sum of each row",
		Field: "row_sums",
		Flops: func(m, n int) float64 { return float64(m * n) },
		NewWith: func(blas.LAPACK, kernels.Options) kernels.Worker {
			return &rowSumWorker{}
		},
	}
}

type rowSumWorker struct{ sums []float64 }

func (w *rowSumWorker) Run(rows, cols int, a []float64, save bool) (kernels.Result, error) {
	w.sums = append(w.sums[:0], make([]float64, rows)...)
	for i := range rows {
		for _, v := range a[i*cols : (i+1)*cols] {
			w.sums[i] += v
		}
	}
	return kernels.Result{Values: w.sums, Scalars: []kernels.Scalar{{Name: "pid", Value: float64(os.Getpid())}}}, nil
}

type run struct {
	Kernel  string            `json:"kernel"`
	Isolate bool              `json:"isolate"`
	PID     int               `json:"pid"`
	Summary blasbatch.Summary `json:"summary"`
	Error   string            `json:"error,omitempty"`
	Records []results.Record  `json:"records"`
}

func main() {
	blasbatch.LaneMain(rowSums())
	svd, _ := kernels.Lookup("svdvals")
	enc := json.NewEncoder(os.Stdout)
	for _, spec := range []kernels.Spec{svd, rowSums()} {
		for _, isolate := range []bool{false, true} {
			var out bytes.Buffer
			sum, err := blasbatch.Run(context.Background(), blasbatch.Job{
				Kernel: spec, Inputs: os.Args[1:], Records: &out, Isolate: isolate,
			})
			r := run{Kernel: spec.Name, Isolate: isolate, PID: os.Getpid(), Summary: sum}
			if err != nil {
				r.Error = err.Error()
			}
			d := results.NewDecoder(&out)
			for {
				_, rec, err := d.Next()
				if err != nil {
					break
				}
				r.Records = append(r.Records, rec)
			}
			if err := enc.Encode(r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
}
