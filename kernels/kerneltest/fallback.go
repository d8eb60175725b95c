package kerneltest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
)

// Failing is a [blas.LAPACK] whose Dgesdd or Dgesvd reports that it did not
// converge; everything else goes to the LAPACK it wraps. A failing call
// first scribbles NaN over A (its m×n elements) and over s, u and vt, as a
// routine that gave up half-way might leave them, so a fallback that does
// not restore the input, or reads a stale output, is caught.
type Failing struct {
	blas.LAPACK
	// DgesddInfo and DgesvdInfo, when > 0, are the INFO that Dgesdd and
	// Dgesvd return. Workspace queries (lwork == -1) never fail.
	DgesddInfo, DgesvdInfo int
	// Calls lists the routines called, in order, workspace queries left out,
	// and Jobs their jobs.
	Calls []string
	Jobs  []blas.SVDJob
}

// Name returns the wrapped LAPACK's name with "+failing".
func (f *Failing) Name() string { return f.LAPACK.Name() + "+failing" }

// Dgesdd implements [blas.LAPACK].
func (f *Failing) Dgesdd(job blas.SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, iwork []int32) int {
	if lwork == -1 {
		return f.LAPACK.Dgesdd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork)
	}
	f.Calls, f.Jobs = append(f.Calls, "dgesdd"), append(f.Jobs, job)
	if f.DgesddInfo > 0 {
		scribble(m, n, a, lda, s, u, vt)
		return f.DgesddInfo
	}
	return f.LAPACK.Dgesdd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork)
}

// Dgesvd implements [blas.LAPACK].
func (f *Failing) Dgesvd(job blas.SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int) int {
	if lwork == -1 {
		return f.LAPACK.Dgesvd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork)
	}
	f.Calls, f.Jobs = append(f.Calls, "dgesvd"), append(f.Jobs, job)
	if f.DgesvdInfo > 0 {
		scribble(m, n, a, lda, s, u, vt)
		return f.DgesvdInfo
	}
	return f.LAPACK.Dgesvd(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork)
}

func scribble(m, n int, a []float64, lda int, rest ...[]float64) {
	for i := range m {
		for j := range n {
			a[i*lda+j] = math.NaN()
		}
	}
	for _, x := range rest {
		for i := range x {
			x[i] = math.NaN()
		}
	}
}

// fail makes routine ("dgesdd" or "dgesvd") fail with info, 0 for success.
func (f *Failing) fail(routine string, info int) {
	if routine == "dgesdd" {
		f.DgesddInfo = info
	} else {
		f.DgesvdInfo = info
	}
}

// Fallback checks every kernel's handling of a LAPACK routine that does not
// converge, with impl doing the real work behind a [Failing]:
//
//   - without Options.Fallback the item's error is a *kernels.LAPACKError
//     naming the kernel's routine and its info, found by errors.As, and no
//     other routine is tried;
//   - with it, the other routine computes the item from the restored input
//     (the failed one scribbled NaN over it): a correct SVD, on every shape,
//     on one worker that also meets items that do not fail, and
//     Result.Fallback names the routine (and is "" when nothing failed);
//   - when both fail, the error names both routines and both infos.
func Fallback(t *testing.T, impl blas.LAPACK, tol float64) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, spec := range svdKernels() {
		f := &Failing{LAPACK: impl}
		// Which routine the kernel calls: watch it run.
		if _, err := spec.NewWith(f, kernels.Options{}).Run(3, 2, Random(rng, 3, 2, 2), false); err != nil || len(f.Calls) != 1 {
			t.Fatalf("%s/%s: clean run: %v, calls %v", impl.Name(), spec.Name, err, f.Calls)
		}
		first := f.Calls[0]
		other := map[string]string{"dgesdd": "dgesvd", "dgesvd": "dgesdd"}[first]
		prefix := fmt.Sprintf("%s/%s(%s)", impl.Name(), spec.Name, first)

		// Without fallback: the first routine's error, and nothing else runs.
		for _, w := range []kernels.Worker{spec.NewWith(f, kernels.Options{}), spec.NewWith(f, kernels.Options{})} {
			f.Calls = nil
			f.fail(first, 7)
			_, err := w.Run(4, 3, Random(rng, 4, 3, 3), true)
			var le *kernels.LAPACKError
			if !errors.As(err, &le) || le.Routine != first || le.Info != 7 || le.Fallback != nil {
				t.Fatalf("%s: without fallback: error %#v (%v)", prefix, le, err)
			}
			if msg := err.Error(); !strings.Contains(msg, first) || !strings.Contains(msg, "info=7") || strings.Contains(msg, other) {
				t.Fatalf("%s: without fallback: %q", prefix, msg)
			}
			if !slices.Equal(f.Calls, []string{first}) {
				t.Fatalf("%s: without fallback called %v", prefix, f.Calls)
			}
		}

		// With fallback: one worker, every shape twice, failing items and
		// clean ones interleaved (the fallback's workspace follows shapes).
		w := spec.NewWith(f, kernels.Options{Fallback: true})
		f.fail(other, 0)
		for rep := range 2 {
			for i, sh := range Shapes {
				m, n := sh[0], sh[1]
				failing := (i+rep)%2 == 0
				name := fmt.Sprintf("%s/fallback/m=%d,n=%d,rep=%d,failing=%v", prefix, m, n, rep, failing)
				f.Calls = nil
				f.fail(first, 0)
				want, wantCalls := "", []string{first}
				if failing {
					f.fail(first, 7)
					want, wantCalls = other, []string{first, other}
				}
				a := Random(rng, m, n, n)
				orig := append([]float64(nil), a...)
				res, err := w.Run(m, n, a, true)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if res.Fallback != want || !slices.Equal(f.Calls, wantCalls) {
					t.Fatalf("%s: Fallback %q, calls %v; want %q, %v", name, res.Fallback, f.Calls, want, wantCalls)
				}
				checkResult(t, name, spec, res, orig, m, n, tol)
			}
		}

		// Only the other routine failing changes nothing: it is never run.
		f.Calls = nil
		f.fail(first, 0)
		f.fail(other, 5)
		res, err := w.Run(5, 4, Random(rng, 5, 4, 4), false)
		if err != nil || res.Fallback != "" || !slices.Equal(f.Calls, []string{first}) {
			t.Fatalf("%s: other routine failing: %v, Fallback %q, calls %v", prefix, err, res.Fallback, f.Calls)
		}

		// Both failing: the error names both.
		f.Calls = nil
		f.fail(first, 7)
		f.fail(other, 3)
		_, err = w.Run(6, 6, Random(rng, 6, 6, 6), true)
		var le *kernels.LAPACKError
		if !errors.As(err, &le) || le.Routine != first || le.Info != 7 || le.Fallback == nil || le.Fallback.Routine != other || le.Fallback.Info != 3 {
			t.Fatalf("%s: both failing: error %#v (%v)", prefix, le, err)
		}
		for _, s := range []string{first + " failed with info=7", other + " failed too with info=3"} {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("%s: both failing: %q does not say %q", prefix, err, s)
			}
		}
		if !slices.Equal(f.Calls, []string{first, other}) {
			t.Fatalf("%s: both failing called %v", prefix, f.Calls)
		}

		// And the worker still works afterwards.
		f.fail(first, 0)
		f.fail(other, 0)
		a := Random(rng, 7, 5, 5)
		orig := append([]float64(nil), a...)
		res, err = w.Run(7, 5, a, true)
		if err != nil || res.Fallback != "" {
			t.Fatalf("%s: after both failed: %v, Fallback %q", prefix, err, res.Fallback)
		}
		checkResult(t, prefix+"/after", spec, res, orig, 7, 5, tol)
	}
}
