package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"unsafe"

	"github.com/blasbatch/blasbatch/kernels"
)

// BenchmarkHadamardImpl times the hadamard kernel alone (x = x*x, 100
// times, the question's first example) with each implementation this CPU
// runs — plain (100 passes over the matrix, the question's loop), portable
// (fused, Go), avx2 and avx512 (fused, vector) — called directly, each
// outer worker squaring its own n×n matrices, on three inputs:
//
//   - float64/uniform: the question's float case, uniform in (0,1);
//     fused groups stop once every element has underflowed to 0;
//   - float64/slowest: 1 + 2⁻⁵² everywhere, which needs 62 squarings to
//     reach a fixed point (+Inf): the most work float64 can ask of the
//     fused loop at 100 repeats;
//   - int64/question: the question's np.random.random_integers(100)
//     int64 matrices, wrapping (even values reach 0 after 6 squarings,
//     odd ones 1 after 62).
//
// Each item's input is copied in before it is squared (a squared matrix
// would be at its fixed point already), and the copy is timed: GB/s and
// items/s are the whole loop's, copies included, for all workers
// together, GB/s counting what 100 passes move (16 bytes an element a
// pass, as the kernel's own gbytes_per_second does). kernel_ms/item is
// the squaring alone, by the kernel's own clock.
func BenchmarkHadamardImpl(b *testing.B) {
	outers := []int{1}
	if runtime.NumCPU() > 1 {
		outers = append(outers, 2)
	}
	for _, sz := range []struct{ n, count int }{{1000, 4}, {64, 256}} {
		for _, data := range []string{"float64/uniform", "float64/slowest", "int64/question"} {
			src := hadamardInput(data, sz.n*sz.n)
			for _, impl := range kernels.HadamardImpls() {
				for _, outer := range outers {
					b.Run(fmt.Sprintf("n=%d/%s/impl=%s/outer=%d", sz.n, data, impl, outer), func(b *testing.B) {
						benchHadamard(b, sz.n, sz.count, outer, impl, data != "int64/question", src)
					})
				}
			}
		}
	}
}

// hadamardInput returns count elements of the named input as 8-byte
// words (float64 bits, or int64s).
func hadamardInput(data string, count int) []uint64 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]uint64, count)
	for i := range x {
		switch data {
		case "float64/uniform":
			f := rng.Float64()
			x[i] = *(*uint64)(unsafe.Pointer(&f))
		case "float64/slowest":
			f := 1 + 0x1p-52
			x[i] = *(*uint64)(unsafe.Pointer(&f))
		default:
			x[i] = uint64(1 + rng.IntN(100))
		}
	}
	return x
}

func benchHadamard(b *testing.B, n, count, outer int, impl string, float bool, src []uint64) {
	ws := make([]*kernels.HadamardWorker, outer)
	bufs := make([][]uint64, outer)
	kernelSecs := make([]float64, outer)
	for w := range outer {
		ws[w] = &kernels.HadamardWorker{Repeat: kernels.DefaultRepeat, Impl: impl}
		bufs[w] = make([]uint64, n*n)
	}
	bytesPerItem := float64(kernels.DefaultRepeat) * 16 * float64(n*n)
	run := pinnedWorkers(b, outer, count, func(w, _ int) {
		x := bufs[w]
		copy(x, src)
		var res kernels.Result
		var err error
		if float {
			res, err = ws[w].Run(n, n, unsafe.Slice((*float64)(unsafe.Pointer(&x[0])), len(x)), false)
		} else {
			res, err = ws[w].RunInts(n, n, true, 64, unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 8*len(x)), false)
		}
		if err != nil {
			panic(err)
		}
		hadamardSink += res.Scalars[0].Value
		kernelSecs[w] += bytesPerItem / (res.Scalars[1].Value * 1e9)
	})
	for b.Loop() {
		run()
	}
	secs := b.Elapsed().Seconds()
	items := float64(count * b.N)
	b.ReportMetric(items/secs, "items/s")
	b.ReportMetric(items*bytesPerItem/secs/1e9, "GB/s")
	var ks float64
	for _, s := range kernelSecs {
		ks += s
	}
	b.ReportMetric(ks/items*1e3, "kernel_ms/item")
}
