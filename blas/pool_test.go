//go:build cgo && !purego

package blas

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
)

// TestThreadPool: a phase of one thread stops OpenBLAS's pool of helper
// threads and ending it puts the count back without starting the pool; the
// next call that needs threads starts it again and computes what one thread
// computes; stopping it (stopIdleThreads) stops it, except while a phase is in progress.
func TestThreadPool(t *testing.T) {
	if !poolFound() {
		t.Fatalf("the pthreads OpenBLAS's pool symbols were not found (threading %v)", Runtime().Threading)
	}
	// OpenBLAS sized its pool for the CPUs it saw when it loaded: with
	// one there are no helpers, and only the counts can be checked.
	helpers := poolHelpers() > 0
	running := func() bool { return poolRunning() && helpers }
	defer SetThreads(Threads())
	const n = 400 // large enough for OpenBLAS to split a dgemm over threads
	rng := rand.New(rand.NewPCG(4, 4))
	a, b := make([]float64, n*n), make([]float64, n*n)
	for i := range a {
		a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	gemm := func() []float64 {
		c := make([]float64, n*n)
		OpenBLAS{}.Dgemm(gblas.NoTrans, gblas.NoTrans, n, n, n, 1, a, n, b, n, 0, c, n)
		return c
	}
	SetThreads(2)
	multi := gemm()
	if running() != helpers {
		t.Fatal("no helper threads after a dgemm with 2 threads")
	}

	end := BeginPhase(1)
	if poolRunning() || Threads() != 1 {
		t.Fatalf("in a phase of 1 thread: pool running %v, %d threads", poolRunning(), Threads())
	}
	single := gemm()
	end()
	end() // a second end does nothing
	if poolRunning() || Threads() != 2 {
		t.Fatalf("after the phase: pool running %v (want it still stopped), %d threads (want 2 back)", poolRunning(), Threads())
	}
	again := gemm()
	if running() != helpers {
		t.Fatal("the pool did not start again for a dgemm with 2 threads")
	}
	// The same product from the restarted pool, bit for bit; one thread
	// blocks the work otherwise, so it agrees to rounding.
	if !slices.Equal(multi, again) {
		t.Error("the product changed with the pool stopped and started again")
	}
	for i := range multi {
		if d := math.Abs(multi[i] - single[i]); d > 1e-12*n {
			t.Fatalf("element %d: %v with 2 threads, %v with 1", i, multi[i], single[i])
		}
	}

	inner := BeginPhase(2)
	stopIdleThreads()
	if running() != helpers {
		t.Error("stopIdleThreads stopped the pool during a phase")
	}
	inner()
	stopIdleThreads()
	if poolRunning() {
		t.Error("stopIdleThreads left the pool running")
	}
	if Threads() != 2 {
		t.Errorf("stopIdleThreads changed the thread count to %d", Threads())
	}
}
