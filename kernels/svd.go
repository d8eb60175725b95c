package kernels

import (
	"github.com/blasbatch/blasbatch/blas"
)

func svdSpec() Spec {
	return Spec{
		Name:      "svd",
		Doc:       "singular values and vectors (thin: U is m×k, Vᵀ is k×n, k = min(m,n)); LAPACK dgesdd",
		Field:     "singular_values",
		Flops:     svdFlops,
		Workspace: workspace(func(m, n int) plan { return svdPlan(m, n, true, true) }),
	}.with(func(impl blas.LAPACK, opt Options) Worker {
		return &svdWorker{impl: impl, job: blas.SVDThin, fallback: opt.Fallback}
	})
}

func svdvalsSpec() Spec {
	return Spec{
		Name:      "svdvals",
		Doc:       "singular values only (LAPACK dgesvd with JOBU=JOBVT='N': no vectors, the cheaper path)",
		Field:     "singular_values",
		Flops:     svdvalsFlops,
		Workspace: workspace(func(m, n int) plan { return svdPlan(m, n, false, true) }),
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

// svdFlops counts dgesdd with JOBZ='S' (thin U and Vᵀ) on the m×n A, with
// M ≥ N its long and short sides (the M < N case runs the same steps on
// Aᵀ, with an LQ factorisation: the count is symmetric). Per routine, from
// LAPACK Working Note 41's operation counts (leading terms):
//
//   - M ≥ MNTHR = 11N/6 (path 3, QR first): dgeqrf 2MN² − 2N³/3, dorgqr
//     of the M×N Q 2MN² − 2N³/3, dgebrd of the N×N R 8N³/3, dbdsdc's
//     vectors, two dormbr on N×N 4N³, dgemm of Q by R's U 2MN²:
//     6MN² + 8N³ with dbdsdc at 8N³/3;
//   - otherwise (path 5): dgebrd 4MN² − 4N³/3, dbdsdc 8N³/3, dormbr of the
//     M×N U 4MN² − 2N³, dormbr of Vᵀ 2N³: 8MN² + 4N³/3.
//
// dbdsdc is divide and conquer on the N×N bidiagonal: 4N³/3 for each of
// U and V when nothing deflates (Demmel, Applied Numerical Linear Algebra,
// §5.3.3), less in practice. Golub & Van Loan's R-SVD count for the same
// outputs, 6MN² + 20N³, has the same leading term with QR iteration.
func svdFlops(m, n int) float64 {
	M, N := max(m, n), min(m, n)
	fm, fn := float64(M), float64(N)
	if gesddTall(int64(M), int64(N)) {
		return 6*fm*fn*fn + 8*fn*fn*fn
	}
	return 8*fm*fn*fn + 4*fn*fn*fn/3
}

// svdvalsFlops counts dgesvd with JOBU = JOBVT = 'N' on the m×n A (M ≥ N,
// symmetric as svdFlops is): for M ≥ MNTHR = 1.6N (path 1) dgeqrf
// 2MN² − 2N³/3 then dgebrd of R 8N³/3: 2MN² + 2N³, Golub & Van Loan's
// R-SVD count for Σ alone; otherwise (path 10) dgebrd 4MN² − 4N³/3, the
// Golub–Kahan count. dbdsqr's values-only dqds is O(N²).
func svdvalsFlops(m, n int) float64 {
	M, N := max(m, n), min(m, n)
	fm, fn := float64(M), float64(N)
	if gesvdTall(int64(M), int64(N)) {
		return 2*fm*fn*fn + 2*fn*fn*fn
	}
	return 4*fm*fn*fn - 4*fn*fn*fn/3
}

// svdPlan lists the buffers an svd (vectors) or svdvals worker allocates
// for an m×n item; with fallback, those of an item that falls back too (the
// input's copy, the other routine's workspace and, for svdvals, the U and
// Vᵀ its dgesdd fallback computes).
func svdPlan(rows, cols int, vectors, fallback bool) plan {
	var p plan
	m, n := int64(rows), int64(cols)
	k := min(m, n)
	if m < 0 || n < 0 || k == 0 {
		return p // nothing to compute, nothing allocated
	}
	p.f64("S", k)
	p.i32("dgesdd's IWORK (8·min(m,n))", 8*k)
	first, alt := lworkGesvd(m, n, false), lworkGesdd(m, n)
	if vectors {
		first, alt = lworkGesdd(m, n), lworkGesvd(m, n, true)
	}
	if vectors || fallback {
		p.f64("U", m*k)
		p.f64("Vt", k*n)
	}
	p.lwork(workName(!vectors, false), first)
	if fallback {
		p.f64("the input's copy", m*n)
		p.lwork(workName(vectors, true), max(first, alt))
	}
	return p
}

// workName names the workspace of dgesvd (qr) or dgesdd, as the kernel's
// own routine or as its fallback, without formatting anything.
func workName(qr, fallback bool) string {
	switch {
	case qr && fallback:
		return "the fallback dgesvd workspace (LWORK)"
	case qr:
		return "the dgesvd workspace (LWORK)"
	case fallback:
		return "the fallback dgesdd workspace (LWORK)"
	}
	return "the dgesdd workspace (LWORK)"
}

// with sets s.NewWith to newWith.
func (s Spec) with(newWith func(blas.LAPACK, Options) Worker) Spec {
	s.NewWith = newWith
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
	outs   [3]Output
	q      [1]float64 // the workspace queries' result
	// planned is the last shape (and save) whose plan checkItem passed:
	// 100,000 tiny items of one shape need not build it 100,000 times.
	planned struct {
		m, n int
		save bool
	}
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
	q := &w.q // a worker field: a local array would escape
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

// Run computes the SVD of the m×n a (see [Worker]). Besides the errors
// every kernel returns, it returns a *LAPACKError when the routine (and,
// with Options.Fallback, the other one) does not converge.
func (w *svdWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if p := w.planned; p.m != m || p.n != n || p.save != save || m == 0 {
		if err := checkItem(it, a, func() plan { return svdPlan(m, n, !w.qr, w.fallback) }); err != nil {
			return Result{}, err
		}
		w.planned.m, w.planned.n, w.planned.save = m, n, save
	} else if err := checkLen(it, "", m, n, a); err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, n, a); err != nil {
		return Result{}, err
	}
	a = a[:m*n]
	k := min(m, n)
	if k == 0 {
		// No singular values: LAPACK has nothing to do, and U (m×0) and
		// Vᵀ (0×n) hold no elements.
		return w.result(m, n, save, Result{}), nil
	}
	w.prepare(m, n, a)
	if err := checkLwork(it, workName(w.qr, false), w.lwork); err != nil {
		return Result{}, err
	}
	if w.fallback {
		w.backup = grow(w.backup, m*n)
		copy(w.backup, a)
	}
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
			lw := w.query(alt, job, m, n, a)
			if err := checkLwork(it, workName(alt, true), lw); err != nil {
				return Result{}, err
			}
			w.altLwork = lw
			w.work = grow(w.work, max(w.lwork, w.altLwork))
		}
		if info := w.call(alt, job, m, n, a, w.work, w.altLwork); info > 0 {
			err.Fallback = lapackError(alt, info)
			return Result{}, err
		}
		r.Fallback = routine(alt)
	}
	return w.result(m, n, save, r), nil
}

// result fills r's values and, with save, its outputs from the worker's
// buffers, in the worker's own Output array.
func (w *svdWorker) result(m, n int, save bool, r Result) Result {
	k := min(m, n)
	r.Values = w.s[:k]
	if save {
		w.outs[0] = Output{Name: "S", Cols: k, Data: w.s[:k]}
		r.Outputs = w.outs[:1]
		if w.job == blas.SVDThin {
			w.outs[1] = Output{Name: "U", Rows: m, Cols: k, Data: w.u[:m*k]}
			w.outs[2] = Output{Name: "Vt", Rows: k, Cols: n, Data: w.vt[:k*n]}
			r.Outputs = w.outs[:3]
		}
	}
	return r
}
