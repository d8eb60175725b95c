package kernels

import (
	"fmt"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
)

// lworkImpls are the implementations whose workspace queries the formulas
// must bound: gonum always, OpenBLAS when linked.
func lworkImpls() []blas.LAPACK {
	impls := []blas.LAPACK{blas.Gonum{}}
	if blas.Linked {
		impls = append(impls, blas.Default())
	}
	return impls
}

// lworkSides are the dimensions TestLworkBounds crosses: tiny, on either
// side of dgesvd's (1.6·n) and dgesdd's (11n/6) crossovers and of the
// block sizes.
var lworkSides = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 18, 19, 25, 26, 29, 30, 31, 32, 33, 50, 54, 55, 60, 64, 65, 99, 100, 101, 128, 129, 160, 161, 183, 184, 257, 300}

// checkBound fails unless the formula bounds every implementation's query
// and, with both implementations at hand, exceeds the larger of them by at
// most slack (0: equals it), so that it cannot be loose.
func checkBound(t *testing.T, name string, formula int64, queries []int64, slack int64) {
	t.Helper()
	var most int64
	for i, q := range queries {
		if q > formula {
			t.Fatalf("%s: %s's query %d exceeds the formula's %d", name, lworkImpls()[i].Name(), q, formula)
		}
		most = max(most, q)
	}
	if len(queries) > 1 && formula > most+slack {
		t.Fatalf("%s: formula %d, queries %v: more than %d above the larger", name, formula, queries, slack)
	}
}

// TestLworkBounds holds the workspace formulas that Spec.Workspace and
// Run's checks use to what each implementation's LAPACK workspace query
// really returns, over a sweep of tall, wide and square shapes (the
// allocation test measures fewer shapes, whole kernels).
func TestLworkBounds(t *testing.T) {
	impls := lworkImpls()
	shapes := [][2]int{{100000, 5}, {5, 100000}, {2000, 30}, {30, 2000}, {1000, 1000}}
	for _, m := range lworkSides {
		for _, n := range lworkSides {
			shapes = append(shapes, [2]int{m, n})
		}
	}
	for _, sh := range shapes {
		m, n := sh[0], sh[1]
		k := min(m, n)
		a := make([]float64, m*n)
		s := make([]float64, k)
		u, vt := make([]float64, m*k), make([]float64, k*n)
		iwork := make([]int32, 8*k)
		var q [1]float64
		var sdd, svdS, svdN, qr []int64
		for _, impl := range impls {
			if k > 0 { // an empty SVD never reaches LAPACK
				impl.Dgesdd(blas.SVDThin, m, n, a, max(1, n), s, u, max(1, k), vt, max(1, n), q[:], -1, iwork)
				sdd = append(sdd, max(1, int64(q[0])))
				impl.Dgesvd(blas.SVDThin, m, n, a, max(1, n), s, u, max(1, k), vt, max(1, n), q[:], -1)
				svdS = append(svdS, max(1, int64(q[0])))
				impl.Dgesvd(blas.SVDNone, m, n, a, max(1, n), s, nil, 1, nil, 1, q[:], -1)
				svdN = append(svdN, max(1, int64(q[0])))
			}
			// The qr worker's workspace: both queries, and max(1, m, n).
			impl.Dgeqrf(m, n, a, max(1, n), s, q[:], -1)
			geqrf := int64(q[0])
			impl.Dorgqr(m, k, k, a, max(1, n), s, q[:], -1)
			qr = append(qr, max(1, int64(m), int64(n), geqrf, int64(q[0])))
		}
		name := fmt.Sprintf("m=%d,n=%d", m, n)
		if k > 0 {
			checkBound(t, name+" dgesdd JOBZ=S", lworkGesdd(int64(m), int64(n)), sdd, 0)
			checkBound(t, name+" dgesvd JOBU=JOBVT=S", lworkGesvd(int64(m), int64(n), true), svdS, 0)
			checkBound(t, name+" dgesvd JOBU=JOBVT=N", lworkGesvd(int64(m), int64(n), false), svdN, 0)
		}
		checkBound(t, name+" dgeqrf+dorgqr", lworkQR(int64(m), int64(n)), qr, 0)
	}

	orders := []int{}
	for n := range 141 {
		orders = append(orders, n)
	}
	orders = append(orders, 200, 257, 300, 599, 600, 1000, 1300)
	for _, n := range orders {
		a, v := make([]float64, n*n), make([]float64, n*n)
		w, wi := make([]float64, n), make([]float64, n)
		ipiv := make([]int32, n)
		var q [1]float64
		var iq [1]int32
		var getri []int64
		syevd := map[bool][]int64{}
		liwork := map[bool][]int64{}
		geev := map[bool][]int64{}
		for _, impl := range impls {
			for _, vectors := range []bool{false, true} {
				job := blas.EigValues
				if vectors {
					job = blas.EigVectors
				}
				impl.Dsyevd(job, n, a, max(1, n), w, q[:], -1, iq[:], -1)
				syevd[vectors] = append(syevd[vectors], max(1, int64(q[0])))
				liwork[vectors] = append(liwork[vectors], max(1, int64(iq[0])))
				impl.Dgeev(job, n, a, max(1, n), w, wi, v, max(1, n), q[:], -1)
				geev[vectors] = append(geev[vectors], max(1, int64(q[0])))
			}
			// The inv worker's: dgetri's query, at least max(1, n, 4n).
			impl.Dgetri(n, a, max(1, n), ipiv, q[:], -1)
			getri = append(getri, max(1, int64(n), int64(q[0]), 4*int64(n)))
		}
		fn := int64(n)
		for _, vectors := range []bool{false, true} {
			name := fmt.Sprintf("n=%d,vectors=%v", n, vectors)
			checkBound(t, name+" dsyevd LWORK", lworkSyevd(fn, vectors), syevd[vectors], 0)
			checkBound(t, name+" dsyevd LIWORK", liworkSyevd(fn, vectors), liwork[vectors], 0)
			// dhseqr's deflation-window workspace, measured rather than
			// derived, is a constant that grows a little with n up to 60.
			checkBound(t, name+" dgeev", lworkGeev(fn, vectors), geev[vectors], 300)
		}
		checkBound(t, fmt.Sprintf("n=%d dgetri", n), lworkGetri(fn), getri, 0)
	}
}
