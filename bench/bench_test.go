// Package bench holds blasbatch's Go benchmarks: whole batches through the
// pipeline at each split, named by shape (n=1000/outer=2/inner=1), reporting
// matrices/s and GFLOP/s. Compare runs with benchstat; speed targets live
// here and in anchor.sh, never in unit tests.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// sink keeps results alive so the compiler cannot drop the work.
var sink blasbatch.Summary

// writeBatch writes count n×n matrices with entries in [1, 2).
func writeBatch(b *testing.B, dir string, n, count int) []string {
	return writeBatchWith(b, dir, n, count, func(rng *rand.Rand, a []float64, n int) {
		for j := range a {
			a[j] = 1 + rng.Float64()
		}
	})
}

// writeBatchWith writes count n×n matrices, each filled by fill from a
// seeded generator, as .npy files in dir.
func writeBatchWith(b *testing.B, dir string, n, count int, fill func(rng *rand.Rand, a []float64, n int)) []string {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]float64, n*n)
	var files []string
	for i := range count {
		fill(rng, a, n)
		p := filepath.Join(dir, fmt.Sprintf("m%03d.npy", i))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if err := matio.WriteNpy(f, n, n, a, false); err != nil {
			b.Fatal(err)
		}
		f.Close()
		files = append(files, p)
	}
	return files
}

// splits are the in-process splits worth timing on this machine's cores.
func splits() [][2]int {
	c := runtime.NumCPU()
	s := [][2]int{{1, 1}}
	if c > 1 {
		s = append(s, [2]int{c, 1}, [2]int{1, c})
	}
	return s
}

// BenchmarkSVD runs the svd kernel (U, Σ, Vᵀ) over whole batches.
func BenchmarkSVD(b *testing.B) { benchKernel(b, "svd") }

// BenchmarkSVDVals runs the svdvals kernel (values only).
func BenchmarkSVDVals(b *testing.B) { benchKernel(b, "svdvals") }

// benchKernel times batches of n×n matrices (count per batch, so that each
// shape does comparable work) at each in-process split.
func benchKernel(b *testing.B, kname string) { benchKernelWith(b, kname, writeBatch) }

// benchKernelWith is benchKernel with the batch's matrices from write.
func benchKernelWith(b *testing.B, kname string, write func(*testing.B, string, int, int) []string) {
	spec, err := kernels.Lookup(kname)
	if err != nil {
		b.Fatal(err)
	}
	for _, sz := range []struct{ n, count int }{{64, 256}, {256, 32}, {1000, 4}} {
		files := write(b, b.TempDir(), sz.n, sz.count)
		for _, s := range splits() {
			name := fmt.Sprintf("n=%d/outer=%d/inner=%d", sz.n, s[0], s[1])
			b.Run(name, func(b *testing.B) {
				job := blasbatch.Job{Inputs: files, Kernel: spec, Outer: s[0], Inner: s[1], Wisdom: "-"}
				for b.Loop() {
					sum, err := blasbatch.Run(context.Background(), job)
					if err != nil || sum.Failed > 0 {
						b.Fatal(err, sum.FirstError)
					}
					sink = sum
				}
				secs := b.Elapsed().Seconds()
				mats := float64(sz.count * b.N)
				b.ReportMetric(mats/secs, "matrices/s")
				b.ReportMetric(mats*spec.Flops(sz.n, sz.n)/secs/1e9, "GFLOP/s")
			})
		}
	}
}
