//go:build cgo && !purego

package blas

/*
#include <stdlib.h>
#include <lapacke.h>

// Declared here rather than through <cblas.h>: the header's location depends
// on which OpenBLAS variant is installed; these symbols do not.
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);
extern char* openblas_get_config(void);
extern char* openblas_get_corename(void);
extern int openblas_get_parallel(void);
*/
import "C"

import (
	"unsafe"

	netblas "gonum.org/v1/netlib/blas/netlib"
	netlapack "gonum.org/v1/netlib/lapack/netlib"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
)

// Linked reports whether this build links OpenBLAS (true) or is the pure-Go
// build (false).
const Linked = true

// OpenBLAS is LAPACKE over OpenBLAS, called in column-major layout so that
// row-major operands are used in place (see the package comment). The zero
// value is ready to use.
type OpenBLAS struct{}

var _ LAPACK = OpenBLAS{}

// Name returns "openblas".
func (OpenBLAS) Name() string { return "openblas" }

func f64ptr(x []float64) *C.double {
	if len(x) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&x[0]))
}

// Dgesdd implements [LAPACK]. The row-major m×n A is the column-major n×m
// Aᵀ = V·Σ·Uᵀ, so LAPACK is asked for the SVD of Aᵀ with the caller's vt
// buffer as its U and the caller's u buffer as its Vᵀ: nothing is copied.
func (OpenBLAS) Dgesdd(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int, iwork []int32) int {
	switch job {
	case SVDAll, SVDThin, SVDNone:
	default:
		panic("blas: bad SVD job " + string(rune(job)))
	}
	mustFit("Dgesdd", dim{"m", m}, dim{"n", n}, dim{"lda", lda}, dim{"ldu", ldu}, dim{"ldvt", ldvt}, dim{"lwork", lwork}, dim{"8·min(m,n), the iwork LAPACK indexes", 8 * min(m, n)})
	checkSVDArgs(job, m, n, len(a), lda, len(s), len(u), ldu, len(vt), ldvt, len(work), lwork, len(iwork))
	var ip *C.lapack_int
	if len(iwork) > 0 {
		ip = (*C.lapack_int)(unsafe.Pointer(&iwork[0]))
	}
	// LAPACK requires ld ≥ 1 for operands it does not reference.
	info := C.LAPACKE_dgesdd_work(C.LAPACK_COL_MAJOR, C.char(job),
		C.lapack_int(n), C.lapack_int(m), f64ptr(a), C.lapack_int(max(lda, 1)),
		f64ptr(s),
		f64ptr(vt), C.lapack_int(max(ldvt, 1)),
		f64ptr(u), C.lapack_int(max(ldu, 1)),
		f64ptr(work), C.lapack_int(lwork), ip)
	if info < 0 {
		panic("blas: LAPACKE_dgesdd_work rejected argument " + itoa(int(-info)))
	}
	return int(info)
}

func defaultLAPACK() LAPACK { return OpenBLAS{} }

// Dgesvd implements [LAPACK] with the same transposition as Dgesdd.
func (OpenBLAS) Dgesvd(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int) int {
	switch job {
	case SVDAll, SVDThin, SVDNone:
	default:
		panic("blas: bad SVD job " + string(rune(job)))
	}
	mustFit("Dgesvd", dim{"m", m}, dim{"n", n}, dim{"lda", lda}, dim{"ldu", ldu}, dim{"ldvt", ldvt}, dim{"lwork", lwork})
	checkSVDArgs(job, m, n, len(a), lda, len(s), len(u), ldu, len(vt), ldvt, len(work), lwork, -1)
	if job == SVDNone && lwork != -1 {
		if info, ok := svdValsSmall(m, n, a, lda, s, work[:lwork]); ok {
			return info
		}
	}
	return dgesvdLAPACKE(job, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork)
}

// dgesvdLAPACKE is Dgesvd through LAPACKE, always.
func dgesvdLAPACKE(job SVDJob, m, n int, a []float64, lda int, s, u []float64, ldu int, vt []float64, ldvt int, work []float64, lwork int) int {
	// Aᵀ's left vectors are A's right ones: JOBU and JOBVT swap with the buffers.
	info := C.LAPACKE_dgesvd_work(C.LAPACK_COL_MAJOR, C.char(job), C.char(job),
		C.lapack_int(n), C.lapack_int(m), f64ptr(a), C.lapack_int(max(lda, 1)),
		f64ptr(s),
		f64ptr(vt), C.lapack_int(max(ldvt, 1)),
		f64ptr(u), C.lapack_int(max(ldu, 1)),
		f64ptr(work), C.lapack_int(lwork))
	if info < 0 {
		panic("blas: LAPACKE_dgesvd_work rejected argument " + itoa(int(-info)))
	}
	return int(info)
}

// Threads returns OpenBLAS's current thread count.
func Threads() int { return int(C.openblas_get_num_threads()) }

func nativeInfo() Info {
	var model ThreadingModel
	switch C.openblas_get_parallel() {
	case 0:
		model = Serial
	case 1:
		model = Pthreads
	case 2:
		model = OpenMP
	}
	return Info{
		Implementation: "openblas",
		Config:         C.GoString(C.openblas_get_config()),
		CoreName:       C.GoString(C.openblas_get_corename()),
		Threading:      model,
		Threads:        Threads(),
	}
}

// UseWithGonum makes gonum's blas64 and lapack64 run on OpenBLAS through
// gonum.org/v1/netlib, so gonum code in the same process uses the one
// OpenBLAS runtime. It changes those packages' global implementation: call it
// once, from main, before any goroutine uses gonum.
func UseWithGonum() {
	blas64.Use(netblas.Implementation{})
	lapack64.Use(netlapack.Implementation{})
}
