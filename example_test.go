package blasbatch_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
)

// writeDiagonal writes a 3×3 diagonal matrix as a .npy file.
func writeDiagonal(path string, d ...float64) {
	a := make([]float64, 9)
	for i, v := range d {
		a[4*i] = v
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := matio.WriteNpy(f, 3, 3, a, false); err != nil {
		log.Fatal(err)
	}
}

// Run a built-in kernel over a directory, with a bad file among the good
// ones: the bad file is one failed record, the others are computed.
func Example() {
	dir, _ := os.MkdirTemp("", "blasbatch-example-")
	defer os.RemoveAll(dir)
	writeDiagonal(filepath.Join(dir, "a.npy"), 3, 1, 2)
	writeDiagonal(filepath.Join(dir, "b.npy"), -5, 4, 0)
	os.WriteFile(filepath.Join(dir, "c.npy"), []byte("not a matrix"), 0o644)

	svd, _ := kernels.Lookup("svdvals")
	var out strings.Builder
	sum, err := blasbatch.Run(context.Background(), blasbatch.Job{
		Kernel: svd, Inputs: []string{dir}, Records: &out, Outer: 1, Inner: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d ok, %d failed of %d\n", sum.OK, sum.Failed, sum.Items)
	d := results.NewDecoder(strings.NewReader(out.String()))
	for {
		_, rec, err := d.Next()
		if err != nil {
			break
		}
		sv, _ := rec.Floats("singular_values")
		fmt.Println(filepath.Base(rec.Input), rec.OK, sv)
	}
	// Output:
	// 2 ok, 1 failed of 3
	// c.npy false []
	// a.npy true [3 2 1]
	// b.npy true [5 4 0]
}

// traceSpec is a kernel of the caller's own: the trace of a square matrix,
// recorded as the top-level field "trace".
func traceSpec() kernels.Spec {
	return kernels.Spec{
		Name:  "trace",
		Doc:   "the sum of the diagonal",
		Flops: func(m, n int) float64 { return float64(min(m, n)) },
		NewWith: func(blas.LAPACK, kernels.Options) kernels.Worker {
			return traceWorker{}
		},
	}
}

type traceWorker struct{}

func (traceWorker) Run(rows, cols int, a []float64, save bool) (kernels.Result, error) {
	if rows != cols {
		return kernels.Result{}, fmt.Errorf("%d×%d is not square", rows, cols)
	}
	t := 0.0
	for i := range rows {
		t += a[i*cols+i]
	}
	return kernels.Result{Scalars: []kernels.Scalar{{Name: "trace", Value: t}}}, nil
}

// Run a kernel of the caller's own. To run it on worker processes too
// (Job.Isolate, or hybrid splits), the program's main must start with
// blasbatch.LaneMain(traceSpec()), as this package's tests do.
func Example_customKernel() {
	dir, _ := os.MkdirTemp("", "blasbatch-example-")
	defer os.RemoveAll(dir)
	writeDiagonal(filepath.Join(dir, "a.npy"), 3, 1, 2)

	var out strings.Builder
	sum, err := blasbatch.Run(context.Background(), blasbatch.Job{
		Kernel: traceSpec(), Inputs: []string{dir}, Records: &out,
	})
	if err != nil {
		log.Fatal(err)
	}
	rec, _ := results.Decode([]byte(out.String()))
	trace, _ := rec.Float("trace")
	fmt.Println(sum.OK, rec.Kernel, trace)
	// Output:
	// 1 trace 6
}
