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

// BenchmarkChol runs the chol kernel (L and log det) over batches of
// symmetric positive definite matrices.
func BenchmarkChol(b *testing.B) { benchFactor(b, "chol", writeSPDBatch) }

// BenchmarkInv runs the inv kernel (inverse, log|det|, sign, rcond).
func BenchmarkInv(b *testing.B) { benchFactor(b, "inv", writeBatch) }

// BenchmarkDet runs the det kernel (log|det| and sign).
func BenchmarkDet(b *testing.B) { benchFactor(b, "det", writeBatch) }

// BenchmarkQR runs the qr kernel (R's diagonal; Q is formed only with
// --save, which the benchmark does not ask for).
func BenchmarkQR(b *testing.B) { benchFactor(b, "qr", writeBatch) }

// writeSPDBatch writes count symmetric n×n matrices with entries in [0, 1)
// off the diagonal and n + [0, 1) on it: diagonally dominant, so positive
// definite, and cheap to make at n = 1000.
func writeSPDBatch(b *testing.B, dir string, n, count int) []string {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]float64, n*n)
	var files []string
	for c := range count {
		for i := range n {
			for j := range i {
				v := rng.Float64()
				a[i*n+j], a[j*n+i] = v, v
			}
			a[i*n+i] = float64(n) + rng.Float64()
		}
		p := filepath.Join(dir, fmt.Sprintf("s%03d.npy", c))
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

// benchFactor is benchKernel with the batch's matrices from write, named
// and reported the same way (n=64/outer=1/inner=1, matrices/s, GFLOP/s).
func benchFactor(b *testing.B, kname string, write func(*testing.B, string, int, int) []string) {
	spec, err := kernels.Lookup(kname)
	if err != nil {
		b.Fatal(err)
	}
	for _, sz := range []struct{ n, count int }{{64, 256}, {256, 32}, {1000, 4}} {
		files := write(b, b.TempDir(), sz.n, sz.count)
		for _, s := range splits() {
			b.Run(fmt.Sprintf("n=%d/outer=%d/inner=%d", sz.n, s[0], s[1]), func(b *testing.B) {
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
