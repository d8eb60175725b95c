package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/blasbatch/blasbatch/batch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// BenchmarkEigh runs the eigh kernel (dsyevd, values only: the JSON Lines
// path) over whole batches of symmetric matrices.
func BenchmarkEigh(b *testing.B) { benchEigen(b, "eigh", writeSymmetricBatch) }

// BenchmarkEig runs the eig kernel (dgeev, values only) over whole batches
// of general matrices, the ones BenchmarkSVD uses.
func BenchmarkEig(b *testing.B) { benchEigen(b, "eig", writeBatch) }

// writeSymmetricBatch is writeBatch for symmetric matrices, (B + Bᵀ)/2 of
// writeBatch's entries: eigh refuses anything else.
func writeSymmetricBatch(b *testing.B, dir string, n, count int) []string {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]float64, n*n)
	var files []string
	for i := range count {
		for r := range n {
			for c := range r + 1 {
				v := 1 + rng.Float64()
				a[r*n+c], a[c*n+r] = v, v
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("s%03d.npy", i))
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

// benchEigen is benchKernel with the batch writer as a parameter: the same
// shapes, counts, splits, names (n=…/outer=…/inner=…) and metrics
// (matrices/s; GFLOP/s by the kernel's Flops, its values-only count).
func benchEigen(b *testing.B, kname string, write func(*testing.B, string, int, int) []string) {
	spec, err := kernels.Lookup(kname)
	if err != nil {
		b.Fatal(err)
	}
	for _, sz := range []struct{ n, count int }{{64, 256}, {256, 32}, {1000, 4}} {
		dir := b.TempDir()
		files := write(b, dir, sz.n, sz.count)
		for _, s := range splits() {
			name := fmt.Sprintf("n=%d/outer=%d/inner=%d", sz.n, s[0], s[1])
			b.Run(name, func(b *testing.B) {
				blas.SetThreads(s[1])
				cfg := batch.Config{Inputs: files, Kernel: spec, Outer: s[0]}
				for b.Loop() {
					sum, err := batch.Run(context.Background(), cfg)
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
