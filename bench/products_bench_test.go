package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/threads"
)

// BenchmarkGram runs the gram kernel (A·Aᵀ, dsyrk) over whole batches, as
// BenchmarkSVD does; GFLOP/s counts dsyrk's m(m+1)n.
func BenchmarkGram(b *testing.B) { benchKernel(b, "gram") }

// productSizes are BenchmarkSVD's shapes and batch sizes.
var productSizes = []struct{ n, count int }{{64, 256}, {256, 32}, {1000, 4}}

// pinnedWorkers starts outer goroutines that call work(w, item) for their
// share of count items, each locked to its own OS thread and, when there
// are several, pinned to its own CPU as batch's outer workers are. The
// returned run computes one batch and waits for it; the goroutines end
// with the benchmark (still locked, so the runtime discards their
// threads).
func pinnedWorkers(b *testing.B, outer, count int, work func(w, item int)) (run func()) {
	b.Helper()
	cpus, err := threads.Affinity()
	if err != nil {
		b.Fatal(err)
	}
	start := make([]chan struct{}, outer)
	done := make(chan struct{}, outer)
	for w := range outer {
		start[w] = make(chan struct{})
		go func() {
			runtime.LockOSThread()
			if outer > 1 && len(cpus) > 0 {
				if err := threads.Pin([]int{cpus[w%len(cpus)]}); err != nil {
					panic(err)
				}
			}
			for range start[w] {
				for i := w; i < count; i += outer {
					work(w, i)
				}
				done <- struct{}{}
			}
		}()
	}
	b.Cleanup(func() {
		for _, c := range start {
			close(c)
		}
	})
	return func() {
		for _, c := range start {
			c <- struct{}{}
		}
		for range outer {
			<-done
		}
	}
}

// hadamardSink keeps the checksums alive.
var hadamardSink float64

// BenchmarkHadamard times the hadamard kernel (x = x*x, 100 passes) called
// directly, each outer worker squaring its own n×n matrix, and reports the
// memory traffic of all workers together in GB/s (16 bytes an element a
// pass: one read, one write). Inner threads do not apply: the kernel is one
// goroutine's loop. The matrices hold ones, which stay 1: values in (0,1)
// reach 0 within a dozen passes, through subnormals that are slow on some
// CPUs, and would time those instead of the memory.
func BenchmarkHadamard(b *testing.B) {
	spec, err := kernels.Lookup("hadamard")
	if err != nil {
		b.Fatal(err)
	}
	outers := []int{1}
	if c := runtime.NumCPU(); c > 1 {
		outers = append(outers, 2)
		if c > 2 {
			outers = append(outers, c)
		}
	}
	// 4000×4000 (128 MB a matrix) is the size that leaves the last-level
	// cache, where the workers share the memory bus.
	for _, sz := range append(productSizes, struct{ n, count int }{4000, 2}) {
		for _, outer := range outers {
			b.Run(fmt.Sprintf("n=%d/outer=%d/inner=1", sz.n, outer), func(b *testing.B) {
				n := sz.n
				ws := make([]kernels.Worker, outer)
				xs := make([][]float64, outer)
				sums := make([]float64, outer)
				for w := range outer {
					ws[w] = spec.NewWith(blas.Gonum{}, kernels.Options{})
					xs[w] = make([]float64, n*n)
					for i := range xs[w] {
						xs[w][i] = 1
					}
				}
				run := pinnedWorkers(b, outer, sz.count, func(w, _ int) {
					res, err := ws[w].Run(n, n, xs[w], false)
					if err != nil {
						panic(err)
					}
					sums[w] += res.Scalars[0].Value
				})
				for b.Loop() {
					run()
				}
				for _, s := range sums {
					hadamardSink += s
				}
				secs := b.Elapsed().Seconds()
				items := float64(sz.count * b.N)
				b.ReportMetric(items/secs, "matrices/s")
				b.ReportMetric(items*kernels.DefaultRepeat*16*float64(n*n)/secs/1e9, "GB/s")
			})
		}
	}
}

// BenchmarkMatmul times the matmul kernel (dgemm) called directly on pairs
// of n×n matrices, count pairs a batch, at each in-process split; GFLOP/s
// counts 2n³ a pair.
func BenchmarkMatmul(b *testing.B) {
	spec, err := kernels.Lookup("matmul")
	if err != nil {
		b.Fatal(err)
	}
	impl := blas.Default()
	for _, sz := range productSizes {
		n := sz.n
		rng := rand.New(rand.NewPCG(1, 1))
		as, bs := make([][]float64, sz.count), make([][]float64, sz.count)
		for i := range sz.count {
			as[i], bs[i] = make([]float64, n*n), make([]float64, n*n)
			for j := range as[i] {
				as[i][j], bs[i][j] = 1+rng.Float64(), 1+rng.Float64()
			}
		}
		for _, s := range splits() {
			b.Run(fmt.Sprintf("n=%d/outer=%d/inner=%d", n, s[0], s[1]), func(b *testing.B) {
				blas.SetThreads(s[1])
				ws := make([]kernels.PairWorker, s[0])
				for w := range ws {
					ws[w] = spec.NewWith(impl, kernels.Options{}).(kernels.PairWorker)
				}
				run := pinnedWorkers(b, s[0], sz.count, func(w, i int) {
					if _, err := ws[w].RunPair(n, n, as[i], n, n, bs[i], false); err != nil {
						panic(err)
					}
				})
				for b.Loop() {
					run()
				}
				secs := b.Elapsed().Seconds()
				pairs := float64(sz.count * b.N)
				b.ReportMetric(pairs/secs, "pairs/s")
				b.ReportMetric(pairs*2*float64(n)*float64(n)*float64(n)/secs/1e9, "GFLOP/s")
			})
		}
	}
}
