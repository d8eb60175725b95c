package kernels

import (
	"github.com/blasbatch/blasbatch/blas"
)

func svdSpec() Spec {
	return Spec{
		Name:  "svd",
		Doc:   "singular values and vectors (thin: U is m×k, Vᵀ is k×n, k = min(m,n)); LAPACK dgesdd",
		Field: "singular_values",
		Flops: func(m, n int) float64 {
			// Golub & Van Loan's count for the R-SVD with U and V (m ≥ n):
			// 4m²n + 8mn² + 9n³.
			m, n = max(m, n), min(m, n)
			fm, fn := float64(m), float64(n)
			return 4*fm*fm*fn + 8*fm*fn*fn + 9*fn*fn*fn
		},
		// U (m×k), Vᵀ (k×n) and dgesdd's workspace, about 4k² + 7k.
		Workspace: func(m, n int) int64 {
			fm, fn := int64(m), int64(n)
			k := min(fm, fn)
			return 8 * (fm*k + k*fn + 7*k*k + 8*k)
		},
	}.with(func(impl blas.LAPACK, opt Options) Worker {
		return &svdWorker{impl: impl, job: blas.SVDThin, fallback: opt.Fallback}
	})
}

func svdvalsSpec() Spec {
	return Spec{
		Name:      "svdvals",
		Workspace: smallWorkspace,
		Doc:       "singular values only (LAPACK dgesvd with JOBU=JOBVT='N': no vectors, the cheaper path)",
		Field:     "singular_values",
		Flops: func(m, n int) float64 {
			// Bidiagonalisation dominates: 4mn² − 4n³/3 (m ≥ n).
			m, n = max(m, n), min(m, n)
			fm, fn := float64(m), float64(n)
			return 4*fm*fn*fn - 4*fn*fn*fn/3
		},
		// Without vectors both drivers reduce to bidiagonal form and run
		// dqds; dgesvd skips dgesdd's divide-and-conquer set-up, which is
		// measurable on tiny matrices (16×16: 12.6 µs against 13.5 µs).
		//
		// The fallback is dgesdd with JOBZ='S', computing vectors it then
		// drops: with JOBZ='N' dgesdd's bidiagonal step (dbdsdc) is the
		// same QR/dqds solver (dlasdq → dbdsqr) that just failed inside
		// dgesvd, while with vectors it is divide and conquer (dlasd0),
		// really another algorithm. Its U and Vᵀ buffers are allocated
		// only when an item falls back.
	}.with(func(impl blas.LAPACK, opt Options) Worker {
		return &svdWorker{impl: impl, job: blas.SVDNone, qr: true, fallback: opt.Fallback}
	})
}

// with sets s.NewWith to newWith and s.New to newWith with the zero Options.
func (s Spec) with(newWith func(blas.LAPACK, Options) Worker) Spec {
	s.NewWith = newWith
	s.New = func(impl blas.LAPACK) Worker { return newWith(impl, Options{}) }
	return s
}

// svdWorker keeps the LAPACK workspace and outputs between items. The
// optimal workspace size is queried once per shape (and once more, for the
// other routine, the first time an item of that shape falls back).
type svdWorker struct {
	impl     blas.LAPACK
	job      blas.SVDJob
	qr       bool // use dgesvd (QR iteration) rather than dgesdd
	fallback bool // Options.Fallback: retry with the other routine

	m, n     int // shape the workspace was sized for
	lwork    int // the routine's optimal workspace for m×n
	altLwork int // the other routine's, 0 until an m×n item falls back
	work     []float64
	iwork    []int32
	s        []float64
	u, vt    []float64
	// backup is a copy of the input, which the first routine destroys,
	// for the fallback; nil without Options.Fallback.
	backup []float64
}

// routine names the LAPACK driver: dgesvd with qr, else dgesdd.
func routine(qr bool) string {
	if qr {
		return "dgesvd"
	}
	return "dgesdd"
}

func lapackError(qr bool, info int) *LAPACKError {
	if qr {
		return &LAPACKError{Routine: "dgesvd", Info: info, Reason: "the QR iteration did not converge"}
	}
	return &LAPACKError{Routine: "dgesdd", Info: info, Reason: "the divide-and-conquer SVD did not converge"}
}

// altJob is the job of the fallback routine: the kernel's own, except that
// dgesdd after dgesvd computes vectors (see svdvalsSpec).
func (w *svdWorker) altJob() blas.SVDJob {
	if w.qr {
		return blas.SVDThin
	}
	return w.job
}

// lds returns the leading dimensions of U and Vᵀ for an m×n item and job.
func lds(job blas.SVDJob, m, n int) (ldu, ldvt int) {
	if job == blas.SVDThin {
		return min(m, n), n
	}
	return 0, 0
}

func (w *svdWorker) prepare(m, n int, a []float64) {
	if m == w.m && n == w.n && w.work != nil {
		return
	}
	k := min(m, n)
	w.s = grow(w.s, k)
	w.iwork = grow(w.iwork, 8*k)
	if w.job == blas.SVDThin {
		w.u = grow(w.u, m*k)
		w.vt = grow(w.vt, k*n)
	}
	// The query reads no data, but gonum checks the operands' lengths.
	w.lwork = w.query(w.qr, w.job, m, n, a)
	w.altLwork = 0
	w.work = grow(w.work, w.lwork)
	w.m, w.n = m, n
}

// query returns the optimal workspace of the routine qr selects for job.
func (w *svdWorker) query(qr bool, job blas.SVDJob, m, n int, a []float64) int {
	var q [1]float64
	w.call(qr, job, m, n, a, q[:], -1)
	return max(1, int(q[0]))
}

// call runs dgesvd (qr) or dgesdd with job on the m×n matrix a, into the
// worker's s, u and vt.
func (w *svdWorker) call(qr bool, job blas.SVDJob, m, n int, a []float64, work []float64, lwork int) int {
	ldu, ldvt := lds(job, m, n)
	if qr {
		return w.impl.Dgesvd(job, m, n, a, max(1, n), w.s, w.u, ldu, w.vt, ldvt, work, lwork)
	}
	return w.impl.Dgesdd(job, m, n, a, max(1, n), w.s, w.u, ldu, w.vt, ldvt, work, lwork, w.iwork)
}

func (w *svdWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	if err := CheckFinite(m, n, a); err != nil {
		return Result{}, err
	}
	a = a[:m*n]
	w.prepare(m, n, a)
	if w.fallback {
		w.backup = grow(w.backup, m*n)
		copy(w.backup, a)
	}
	k := min(m, n)
	var r Result
	if info := w.call(w.qr, w.job, m, n, a, w.work, w.lwork); info > 0 {
		err := lapackError(w.qr, info)
		if !w.fallback {
			return Result{}, err
		}
		alt, job := !w.qr, w.altJob()
		copy(a, w.backup) // the failed routine destroyed a
		if job == blas.SVDThin {
			w.u = grow(w.u, m*k)
			w.vt = grow(w.vt, k*n)
		}
		if w.altLwork == 0 {
			w.altLwork = w.query(alt, job, m, n, a)
			w.work = grow(w.work, max(w.lwork, w.altLwork))
		}
		if info := w.call(alt, job, m, n, a, w.work, w.altLwork); info > 0 {
			err.Fallback = lapackError(alt, info)
			return Result{}, err
		}
		r.Fallback = routine(alt)
	}
	r.Values = w.s[:k]
	if save {
		r.Outputs = append(r.Outputs, Output{Name: "S", Cols: k, Data: w.s[:k]})
		if w.job == blas.SVDThin {
			r.Outputs = append(r.Outputs,
				Output{Name: "U", Rows: m, Cols: k, Data: w.u[:m*k]},
				Output{Name: "Vt", Rows: k, Cols: n, Data: w.vt[:k*n]})
		}
	}
	return r, nil
}
