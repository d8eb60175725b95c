package kernels_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/blasbatch/blasbatch/kernels"
)

// Operation counts of the LAPACK and BLAS routines the kernels call, as
// LAPACK Working Note 41 (Blackford & Dongarra, "Installation Guide for
// LAPACK", Appendix C) states them, leading terms, each written out for
// itself: the kernels' closed forms are checked against their sums along
// the path LAPACK takes.
func geqrf(m, n float64) float64 { // QR (or LQ) of m×n
	if m >= n {
		return 2*m*n*n - 2*n*n*n/3
	}
	return 2*n*m*m - 2*m*m*m/3
}
func orgqr(m, n, k float64) float64 { return 4*m*n*k - 2*(m+n)*k*k + 4*k*k*k/3 }
func gebrd(m, n float64) float64 { // m ≥ n
	return 4*m*n*n - 4*n*n*n/3
}
func ormqrLeft(m, n, k float64) float64  { return 4*m*n*k - 2*n*k*k }
func ormqrRight(m, n, k float64) float64 { return 4*m*n*k - 2*m*k*k }
func gemm(m, n, k float64) float64       { return 2 * m * n * k }
func syrk(n, k float64) float64          { return n * (n + 1) * k }
func potrf(n float64) float64            { return n * n * n / 3 }
func getrf(n float64) float64            { return 2 * n * n * n / 3 }
func getri(n float64) float64            { return 4 * n * n * n / 3 }
func sytrd(n float64) float64            { return 4 * n * n * n / 3 }

// bdsdcVectors is divide and conquer on an n×n bidiagonal with both sets
// of vectors when nothing deflates: 4n³/3 for each (Demmel, Applied
// Numerical Linear Algebra, §5.3.3).
func bdsdcVectors(n float64) float64 { return 2 * 4 * n * n * n / 3 }

// francisValues is dgeev without vectors: Golub & Van Loan (§7.5.6) count
// 10n³ for the Hessenberg reduction and the Francis QR steps together.
func francisValues(n float64) float64 { return 10 * n * n * n }

// The crossovers LAPACK's drivers use to reduce the long side first,
// written as their sources do: dgesdd's MNTHR = INT(MINMN*11.0D0/6.0D0),
// dgesvd's ILAENV(6) = INT(REAL(MINMN)*1.6E0).
func gesddQRFirst(big, small int) bool { return big >= int(float64(small)*11.0/6.0) }
func gesvdQRFirst(big, small int) bool { return big >= int(float32(small)*float32(1.6)) }

// refFlops is the count of the kernel's LAPACK path for an m×n item (for
// matmul, A m×k with k = n times B k×m).
func refFlops(kernel string, m, n int) float64 {
	fm, fn := float64(m), float64(n)
	big, small := float64(max(m, n)), float64(min(m, n))
	square := func(f func(float64) float64) float64 {
		if m != n {
			return fm * fn // refused after one look
		}
		return f(fn)
	}
	switch kernel {
	case "svd": // dgesdd, JOBZ='S'
		if gesddQRFirst(max(m, n), min(m, n)) { // path 3
			return geqrf(big, small) + orgqr(big, small, small) + gebrd(small, small) + bdsdcVectors(small) +
				ormqrLeft(small, small, small) + ormqrRight(small, small, small) + gemm(big, small, small)
		}
		// path 5
		return gebrd(big, small) + bdsdcVectors(small) + ormqrLeft(big, small, small) + ormqrRight(small, small, small)
	case "svdvals": // dgesvd, JOBU=JOBVT='N'
		if gesvdQRFirst(max(m, n), min(m, n)) { // path 1
			return geqrf(big, small) + gebrd(small, small)
		}
		return gebrd(big, small) // path 10
	case "qr":
		return geqrf(fm, fn)
	case "chol":
		return square(potrf)
	case "inv":
		return square(func(n float64) float64 { return getrf(n) + getri(n) })
	case "det":
		return square(getrf)
	case "eigh":
		return square(sytrd)
	case "eig":
		return square(francisValues)
	case "gram":
		return syrk(fm, fn) + 2*fm*fm // ‖G‖_F
	case "matmul":
		return refPairFlops(m, n, m)
	case "hadamard":
		return kernels.DefaultRepeat * fm * fn
	}
	panic("no reference count for " + kernel)
}

func refPairFlops(m, k, n int) float64 {
	return gemm(float64(m), float64(n), float64(k)) + 2*float64(m)*float64(n) // ‖C‖_F
}

// flopsShapes are tall, wide and square, on either side of both
// crossovers (n = 30: dgesvd's at 48, dgesdd's at 55).
var flopsShapes = [][2]int{
	{1, 1}, {2, 2}, {7, 7}, {64, 64}, {1300, 1300}, {100000, 5}, {5, 100000}, {257, 9}, {9, 257},
	{300, 1}, {1, 300}, {47, 30}, {48, 30}, {54, 30}, {55, 30}, {30, 55}, {100, 60}, {60, 100}, {2000, 3},
}

// TestFlops: every kernel's Flops equals the sum of its routines' counts
// along the path LAPACK takes, for tall, wide and square shapes; matmul's
// PairFlops too, where one shape cannot say what a pair costs.
func TestFlops(t *testing.T) {
	for _, spec := range kernels.All() {
		for _, sh := range flopsShapes {
			m, n := sh[0], sh[1]
			got, want := spec.Flops(m, n), refFlops(spec.Name, m, n)
			if math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s m=%d,n=%d: Flops %g, want %g", spec.Name, m, n, got, want)
			}
		}
	}
	mm, err := kernels.Lookup("matmul")
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range [][3]int{{100000, 1, 100000}, {1, 100000, 1}, {40, 50, 60}, {1, 1, 1}, {3, 0, 4}} {
		m, k, n := sh[0], sh[1], sh[2]
		if got, want := mm.PairFlops(m, k, n), refPairFlops(m, k, n); math.Abs(got-want) > 1e-9*want {
			t.Errorf("matmul m=%d,k=%d,n=%d: PairFlops %g, want %g", m, k, n, got, want)
		}
	}
	// The outer product that made this a field of its own: 100000×1 by
	// 1×100000 is 2·10¹⁰ flops, not the 2·10⁵ of 1×100000 by 100000×1.
	if outer, inner := mm.PairFlops(100000, 1, 100000), mm.PairFlops(1, 100000, 1); outer < 1e10 || inner > 1e6 {
		t.Errorf("matmul: outer product %g, inner product %g flops", outer, inner)
	}
}

// TestFlopsThinSVD: a thin SVD of a tall matrix costs about 2·m·n² (its
// QR) plus O(n³), not the full SVD's 4m²n — the 88 seconds the planner
// once predicted for a run of milliseconds.
func TestFlopsThinSVD(t *testing.T) {
	for _, name := range []string{"svd", "svdvals"} {
		spec, err := kernels.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range [][2]int{{100000, 5}, {5, 100000}, {1000000, 20}, {20000, 100}} {
			m, n := float64(max(sh[0], sh[1])), float64(min(sh[0], sh[1]))
			got := spec.Flops(sh[0], sh[1])
			if lo, hi := 2*m*n*n, 4*(2*m*n*n+10*n*n*n); got < lo || got > hi {
				t.Errorf("%s m=%d,n=%d: Flops %g outside [2mn², 4·(2mn²+10n³)] = [%g, %g]", name, sh[0], sh[1], got, lo, hi)
			}
		}
	}
}

// TestFlopsSymmetric: the SVD and QR of Aᵀ cost what A's do (LAPACK runs
// the transposed path, an LQ for the QR); so do hadamard's passes.
func TestFlopsSymmetric(t *testing.T) {
	for _, name := range []string{"svd", "svdvals", "qr", "hadamard"} {
		spec, err := kernels.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		for m := 1; m < 80; m += 3 {
			for n := 1; n < 200; n += 7 {
				if a, b := spec.Flops(m, n), spec.Flops(n, m); a != b {
					t.Fatalf("%s: Flops(%d, %d) = %g, Flops(%d, %d) = %g", name, m, n, a, n, m, b)
				}
			}
		}
	}
}

// TestFlopsMonotone: more rows or more columns never cost less, except
// where LAPACK changes path. A longer long side only moves an SVD onto
// its QR-first path, which costs more; a longer short side can move it
// off, which LAPACK does because the direct path is then faster though it
// may count fewer flops: there the count may drop, by at most a fifth
// (dgesdd's paths at M = 11N/6: 19N³ against 16N³). A square-only kernel
// is monotone along the diagonal and among the shapes it refuses.
func TestFlopsMonotone(t *testing.T) {
	for _, spec := range kernels.All() {
		for m := 1; m <= 120; m++ {
			for n := 1; n <= 120; n++ {
				f := spec.Flops(m, n)
				for _, next := range [][2]int{{m + 1, n}, {m, n + 1}} {
					m2, n2 := next[0], next[1]
					g := spec.Flops(m2, n2)
					if (m == n) != (m2 == n2) && (f == float64(m*n) || g == float64(m2*n2)) {
						continue // onto or off the diagonal of a square-only kernel
					}
					name := fmt.Sprintf("%s: Flops(%d, %d) = %g, Flops(%d, %d) = %g", spec.Name, m, n, f, m2, n2, g)
					big, small, big2, small2 := max(m, n), min(m, n), max(m2, n2), min(m2, n2)
					pathChange := (spec.Name == "svd" && gesddQRFirst(big, small) != gesddQRFirst(big2, small2)) ||
						(spec.Name == "svdvals" && gesvdQRFirst(big, small) != gesvdQRFirst(big2, small2))
					switch {
					case g >= f:
					case pathChange && small2 > small && g >= 0.8*f:
					default:
						t.Fatalf("%s: decreasing", name)
					}
				}
			}
		}
	}
}
