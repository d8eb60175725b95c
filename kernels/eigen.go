package kernels

import (
	"fmt"

	"github.com/blasbatch/blasbatch/blas"
)

// eigenSpecs are the eigenvalue kernels (eigh, eig).
func eigenSpecs() []Spec { return []Spec{eighSpec(), eigSpec()} }

// Both kernels compute eigenvectors only with --save (save is true): the
// JSON Lines record holds the eigenvalues alone, and values only is the
// much cheaper path. Flops counts that path, which is what a run without
// --save does; Workspace the eigenvectors' (the worst case).

func eighSpec() Spec {
	return Spec{
		Name:  "eigh",
		Doc:   "eigenvalues of a symmetric matrix, ascending (--save: and eigenvectors as columns); LAPACK dsyevd",
		Field: "eigenvalues",
		Flops: func(m, n int) float64 {
			if m != n {
				return float64(m) * float64(n) // refused after one look
			}
			// dsyevd with JOBZ='N': dsytrd's tridiagonal reduction, 4n³/3
			// (LAPACK Working Note 41), then dsterf's O(n²) root-free QR.
			// (With vectors, dstedc and dormtr add about 4n³/3 + 2n³.)
			fn := float64(n)
			return 4 * fn * fn * fn / 3
		},
		Workspace: workspace(func(m, n int) plan { return eighPlan(m, n, true) }),
	}.with(func(impl blas.LAPACK, opt Options) Worker {
		return &eighWorker{impl: impl, symmetrize: opt.Symmetrize}
	})
}

func eigSpec() Spec {
	return Spec{
		Name:  "eig",
		Doc:   "eigenvalues of a general matrix, as [re, im] pairs (--save: and right eigenvectors, complex); LAPACK dgeev",
		Field: "eigenvalues",
		Pairs: true,
		Flops: func(m, n int) float64 {
			if m != n {
				return float64(m) * float64(n) // refused after one look
			}
			// dgeev with JOBVL = JOBVR = 'N': dgehrd's Hessenberg reduction
			// (10n³/3, LAPACK Working Note 41) and the Francis QR
			// iteration, 10n³ together (Golub & Van Loan, §7.5.6; 25n³
			// with the Schur vectors that eigenvectors need).
			fn := float64(n)
			return 10 * fn * fn * fn
		},
		Workspace: workspace(func(m, n int) plan { return eigPlan(m, n, true) }),
	}.with(func(impl blas.LAPACK, _ Options) Worker {
		return &eigWorker{impl: impl}
	})
}

// eighPlan lists the buffers an eigh worker allocates for an m×n item, with
// eigenvectors (save) or without: dsyevd's workspaces and the eigenvalues
// (the vectors overwrite the input). Nothing for a matrix that is not
// square, which is refused.
func eighPlan(m, n int, vectors bool) plan {
	var p plan
	if m != n || n < 0 {
		return p
	}
	fn := int64(n)
	p.f64("the eigenvalues", fn)
	p.lwork("the dsyevd workspace (LWORK)", lworkSyevd(fn, vectors))
	p.i32("the dsyevd integer workspace (LIWORK)", liworkSyevd(fn, vectors))
	return p
}

// eigPlan lists the buffers an eig worker allocates for an m×n item, with
// eigenvectors (save) or without: the eigenvalues' real and imaginary
// parts, their interleaved copy, dgeev's workspace and, with vectors, the
// vectors' real and imaginary parts.
func eigPlan(m, n int, vectors bool) plan {
	var p plan
	if m != n || n < 0 {
		return p
	}
	fn := int64(n)
	p.f64("the eigenvalues' real parts", fn)
	p.f64("the eigenvalues' imaginary parts", fn)
	p.f64("the eigenvalues as pairs", 2*fn)
	if vectors {
		p.f64("the eigenvectors' real parts", fn*fn)
		p.f64("the eigenvectors' imaginary parts", fn*fn)
	}
	p.lwork("the dgeev workspace (LWORK)", lworkGeev(fn, vectors))
	return p
}

// eigSquare is the item error for a matrix that is not square.
func eigSquare(kernel string, m, n int) error {
	if m == n {
		return nil
	}
	return fmt.Errorf("%s needs a square matrix, got %d×%d", kernel, m, n)
}

// eighSymTol is the relative tolerance of eigh's symmetry check:
// |a_ij − a_ji| ≤ eighSymTol·max|a|.
const eighSymTol = 1e-12

// eighSymmetric checks that the n×n matrix a is finite and symmetric to
// eighSymTol, or with symmetrize that it is finite and replaces it by
// (A + Aᵀ)/2 (its lower triangle, the one LAPACK reads).
func eighSymmetric(n int, a []float64, symmetrize bool) error {
	if !symmetrize && symmetricFinite(n, a) {
		return nil // the usual case, in one pass
	}
	if err := CheckFinite(n, n, a); err != nil {
		return err
	}
	if symmetrize {
		for i := range n {
			for j := range i {
				a[i*n+j] = 0.5 * (a[i*n+j] + a[j*n+i])
			}
		}
		return nil
	}
	i, j, tol, bad := asymmetric(n, a, eighSymTol)
	if !bad {
		return nil
	}
	return fmt.Errorf("matrix is not symmetric: a[%d,%d] = %v but a[%d,%d] = %v (tolerance %.0e·max|a| = %.3g); use --symmetrize for (A+Aᵀ)/2, or the eig kernel",
		i, j, a[i*n+j], j, i, a[j*n+i], eighSymTol, tol)
}

// eighWorker keeps dsyevd's workspace and outputs between items; the
// workspace is queried once per shape and job.
type eighWorker struct {
	impl       blas.LAPACK
	symmetrize bool

	n      int
	job    blas.EigJob
	lwork  int
	liwork int
	work   []float64
	iwork  []int32
	w      []float64
	sized  bool
	outs   [2]Output
	q      [1]float64 // the workspace queries' results
	iq     [1]int32
}

func (w *eighWorker) prepare(n int, job blas.EigJob, a []float64) {
	if w.sized && n == w.n && job == w.job {
		return
	}
	w.w = grow(w.w, n)
	q, iq := &w.q, &w.iq // worker fields: a local array handed to an interface method escapes, one allocation per query
	w.impl.Dsyevd(job, n, a, max(1, n), w.w, q[:], -1, iq[:], -1)
	w.lwork, w.liwork = max(1, int(q[0])), max(1, int(iq[0]))
	w.work = grow(w.work, w.lwork)
	w.iwork = grow(w.iwork, w.liwork)
	w.n, w.job, w.sized = n, job, true
}

// Run computes the eigenvalues (with save, and eigenvectors) of the
// symmetric n×n a (see [Worker]). Besides the errors every kernel returns,
// it refuses a matrix that is not square or not symmetric (unless
// Options.Symmetrize), and returns a *LAPACKError when dsyevd does not
// converge.
func (w *eighWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if err := checkItem(it, a, func() plan { return eighPlan(m, n, save) }); err != nil {
		return Result{}, err
	}
	if err := eigSquare("eigh", m, n); err != nil {
		return Result{}, err
	}
	a = a[:n*n]
	if err := eighSymmetric(n, a, w.symmetrize); err != nil {
		return Result{}, err
	}
	job := blas.EigValues
	if save {
		job = blas.EigVectors
	}
	w.prepare(n, job, a)
	if err := checkLwork(it, "the dsyevd workspace (LWORK)", max(w.lwork, w.liwork)); err != nil {
		return Result{}, err
	}
	if info := w.impl.Dsyevd(job, n, a, max(1, n), w.w, w.work, w.lwork, w.iwork, w.liwork); info > 0 {
		return Result{}, &LAPACKError{Routine: "dsyevd", Info: info, Reason: "the divide-and-conquer eigensolver did not converge"}
	}
	r := Result{Values: w.w[:n]}
	if save {
		// a holds the eigenvectors as rows: column-major, they are the
		// columns NumPy's eigh returns.
		w.outs = [2]Output{
			{Name: "values", Cols: n, Data: w.w[:n]},
			w.columnMajor("vectors", n, a),
		}
		r.Outputs = w.outs[:]
	}
	return r, nil
}

// columnMajor returns the n×n column-major data as an Output written with
// fortran_order, without a copy.
func (w *eighWorker) columnMajor(name string, n int, data []float64) Output {
	return Output{Name: name, Rows: n, Cols: n, Data: data, Fortran: true}
}

// eigWorker keeps dgeev's workspace and outputs between items; the
// workspace is queried once per shape and job.
type eigWorker struct {
	impl blas.LAPACK

	n      int
	job    blas.EigJob
	lwork  int
	work   []float64
	wr, wi []float64
	pairs  []float64 // re, im interleaved: Result.Values
	v, im  []float64 // eigenvectors (rows), and their imaginary parts for --save
	sized  bool
	outs   [2]Output
	q      [1]float64 // the workspace query's result
}

func (w *eigWorker) prepare(n int, job blas.EigJob, a []float64) {
	if w.sized && n == w.n && job == w.job {
		return
	}
	w.wr, w.wi = grow(w.wr, n), grow(w.wi, n)
	w.pairs = grow(w.pairs, 2*n)
	if job == blas.EigVectors {
		w.v = grow(w.v, n*n)
		w.im = grow(w.im, n*n)
	}
	q := &w.q // a worker field: a local array would escape
	w.impl.Dgeev(job, n, a, max(1, n), w.wr, w.wi, w.v, max(1, n), q[:], -1)
	w.lwork = max(1, int(q[0]))
	w.work = grow(w.work, w.lwork)
	w.n, w.job, w.sized = n, job, true
}

// Run computes the eigenvalues (with save, and right eigenvectors) of the
// general n×n a (see [Worker]). Besides the errors every kernel returns, it
// refuses a matrix that is not square, and returns a *LAPACKError when
// dgeev's QR algorithm fails.
func (w *eigWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	it := one(m, n)
	if err := checkItem(it, a, func() plan { return eigPlan(m, n, save) }); err != nil {
		return Result{}, err
	}
	if err := eigSquare("eig", m, n); err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, n, a); err != nil {
		return Result{}, err
	}
	a = a[:n*n]
	job := blas.EigValues
	if save {
		job = blas.EigVectors
	}
	w.prepare(n, job, a)
	if err := checkLwork(it, "the dgeev workspace (LWORK)", w.lwork); err != nil {
		return Result{}, err
	}
	var v []float64
	if job == blas.EigVectors {
		v = w.v[:n*n]
	}
	if info := w.impl.Dgeev(job, n, a, max(1, n), w.wr, w.wi, v, max(1, n), w.work, w.lwork); info > 0 {
		return Result{}, &LAPACKError{Routine: "dgeev", Info: info, Reason: "the QR algorithm failed to compute all eigenvalues"}
	}
	for j := range n {
		w.pairs[2*j], w.pairs[2*j+1] = w.wr[j], w.wi[j]
	}
	r := Result{Values: w.pairs[:2*n]}
	if !save {
		return r, nil
	}
	// Split v's rows into real and imaginary parts, in place for the real
	// parts: row j + i·row j+1 is λ_j's eigenvector, its conjugate λ_{j+1}'s.
	im := w.im[:n*n]
	for j := 0; j < n; j++ {
		rj := v[j*n : j*n+n]
		ij := im[j*n : j*n+n]
		if w.wi[j] == 0 || j+1 == n {
			clear(ij)
			continue
		}
		rk, ik := v[(j+1)*n:(j+1)*n+n], im[(j+1)*n:(j+1)*n+n]
		for l := range n {
			ij[l], ik[l] = rk[l], -rk[l]
			rk[l] = rj[l]
		}
		j++
	}
	values := Output{Name: "values", Cols: n, Data: w.wr[:n]}
	values.Imag = w.wi[:n]
	vectors := Output{Name: "vectors", Rows: n, Cols: n, Data: v}
	vectors.Imag = im
	vectors.Fortran = true // rows are the eigenvectors: columns, column-major
	w.outs = [2]Output{values, vectors}
	r.Outputs = w.outs[:]
	return r, nil
}
