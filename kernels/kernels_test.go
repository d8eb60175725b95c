package kernels_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/kernels/kerneltest"
)

// TestInputCopyOnlyWithFallback: the copy of the input that a fallback
// restores is made only with Options.Fallback, whether or not the routine
// fails, and then in one buffer the worker reuses.
func TestInputCopyOnlyWithFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, spec := range kernels.All() {
		for _, info := range []int{0, 7} {
			f := &kerneltest.Failing{LAPACK: blas.Gonum{}, DgesddInfo: info, DgesvdInfo: info}
			for _, w := range []kernels.Worker{spec.New(f), spec.NewWith(f, kernels.Options{})} {
				for range 2 {
					w.Run(8, 5, kerneltest.Random(rng, 8, 5, 5), true)
				}
				if c := kernels.InputCopy(w); c != nil {
					t.Fatalf("%s, info=%d: without fallback the worker copied its input (%d elements)", spec.Name, info, len(c))
				}
			}
			if spec.Field != "singular_values" {
				continue // only the SVD kernels have a second driver to fall back to
			}
			w := spec.NewWith(f, kernels.Options{Fallback: true})
			var first *float64
			for _, sh := range [][2]int{{8, 5}, {8, 5}, {3, 4}, {8, 5}} {
				m, n := sh[0], sh[1]
				w.Run(m, n, kerneltest.Random(rng, m, n, n), true)
				c := kernels.InputCopy(w)
				if len(c) != m*n {
					t.Fatalf("%s, info=%d, %dx%d: with fallback the copy holds %d elements", spec.Name, info, m, n, len(c))
				}
				if first == nil {
					first = &c[0]
				} else if &c[0] != first {
					t.Fatalf("%s, info=%d, %dx%d: the copy was reallocated", spec.Name, info, m, n)
				}
			}
		}
	}
}

// TestFallbackJobs: svd retries dgesdd's JOBZ='S' with dgesvd's same job;
// svdvals retries dgesvd's values-only job with dgesdd computing vectors,
// since dgesdd's values-only path is the solver that just failed.
func TestFallbackJobs(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for name, want := range map[string][]blas.SVDJob{
		"svd":     {blas.SVDThin, blas.SVDThin},
		"svdvals": {blas.SVDNone, blas.SVDThin},
	} {
		spec, err := kernels.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		f := &kerneltest.Failing{LAPACK: blas.Gonum{}, DgesddInfo: 2, DgesvdInfo: 2}
		if _, err := spec.NewWith(f, kernels.Options{Fallback: true}).Run(6, 4, kerneltest.Random(rng, 6, 4, 4), false); err == nil {
			t.Fatalf("%s: both routines failing gave no error", name)
		}
		if !slices.Equal(f.Jobs, want) {
			t.Fatalf("%s: jobs %q (%v), want %q", name, f.Jobs, f.Calls, want)
		}
	}
}
