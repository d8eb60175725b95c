package kerneltest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
)

// TooLargeCase is one item a kernel must refuse with a *kernels.TooLargeError
// before touching its (absent) data.
type TooLargeCase struct {
	Kernel     string
	Rows, Cols int
	Opt        kernels.Options
	Save       bool
	What       string // what the error must name
	LAPACK     bool   // the limit is LAPACK's 32-bit integers, not Go's
}

// TooLargeCases are the workspaces and outputs that do not fit, one or
// more per kernel: dimensions each within lapack_int whose workspace is not
// (an LWORK above 2³¹−1), and outputs no Go allocation can hold.
var TooLargeCases = []TooLargeCase{
	{Kernel: "svd", Rows: 30000, Cols: 30000, What: "dgesdd workspace", LAPACK: true},
	{Kernel: "svdvals", Rows: 30000, Cols: 30000, Opt: kernels.Options{Fallback: true}, What: "fallback dgesdd workspace", LAPACK: true},
	{Kernel: "svdvals", Rows: 300000000, Cols: 300000000, What: "IWORK", LAPACK: true},
	{Kernel: "eigh", Rows: 40000, Cols: 40000, Save: true, What: "dsyevd workspace", LAPACK: true},
	{Kernel: "eig", Rows: math.MaxInt32, Cols: math.MaxInt32, Save: true, What: "eigenvectors"},
	{Kernel: "inv", Rows: 40000000, Cols: 40000000, What: "dgetri workspace", LAPACK: true},
	{Kernel: "qr", Rows: 1, Cols: 70000000, What: "dgeqrf workspace", LAPACK: true},
	{Kernel: "chol", Rows: math.MaxInt32, Cols: math.MaxInt32, Save: true, What: "L"},
	{Kernel: "gram", Rows: math.MaxInt32, Cols: 1, What: "G (m×m)"},
}

// Limits checks that no user-reachable shape panics in a kernel on impl:
// for every kernel, a dimension above lapack_int (2³¹), a rows×cols that
// overflows int, a negative dimension and a slice shorter than rows·cols
// are item errors (errors.Is kernels.ErrTooLarge, blas.ErrDimension for
// LAPACK's limit, kernels.ErrBadShape), returned before the kernel touches
// its input (a nil slice) or allocates; so are [TooLargeCases] and, for
// matmul, the same for either matrix of a pair.
func Limits(t *testing.T, impl blas.LAPACK) {
	rng := rand.New(rand.NewPCG(43, 44))
	for _, spec := range kernels.All() {
		run := func(rows, cols int, a []float64) error {
			w := spec.NewWith(impl, kernels.Options{Fallback: true, Symmetrize: true})
			if pw, ok := w.(kernels.PairWorker); ok {
				// a is rows×cols, b cols×3: the pair's own checks.
				_, err := pw.RunPair(rows, cols, a, cols, 3, nil, true)
				return err
			}
			_, err := w.Run(rows, cols, a, true)
			return err
		}
		for _, c := range []struct {
			rows, cols int
			what       string
			lapack     bool
		}{
			{1 << 31, 1, "rows = 2147483648", true},
			{1, 1 << 31, "cols = 2147483648", true},
			{1 << 40, 1 << 40, "rows×cols", false},
		} {
			name := fmt.Sprintf("%s/%s/m=%d,n=%d", impl.Name(), spec.Name, c.rows, c.cols)
			checkTooLarge(t, name, run(c.rows, c.cols, nil), c.what, c.lapack)
		}
		for _, sh := range [][2]int{{-1, 3}, {3, -1}} {
			if err := run(sh[0], sh[1], nil); !errors.Is(err, kernels.ErrBadShape) || !strings.Contains(err.Error(), "negative") {
				t.Errorf("%s/%s/m=%d,n=%d: error %v, want kernels.ErrBadShape", impl.Name(), spec.Name, sh[0], sh[1], err)
			}
		}
		for _, sh := range [][2]int{{3, 3}, {4, 3}, {3, 4}} {
			m, n := sh[0], sh[1]
			short := Random(rng, m, n, n)[:m*n-1]
			if err := run(m, n, short); !errors.Is(err, kernels.ErrBadShape) || !strings.Contains(err.Error(), fmt.Sprintf("needs %d elements, got %d", m*n, m*n-1)) {
				t.Errorf("%s/%s/m=%d,n=%d: a slice of %d: error %v, want kernels.ErrBadShape", impl.Name(), spec.Name, m, n, m*n-1, err)
			}
		}
	}
	for _, c := range TooLargeCases {
		name := fmt.Sprintf("%s/%s/m=%d,n=%d,save=%v,%+v", impl.Name(), c.Kernel, c.Rows, c.Cols, c.Save, c.Opt)
		spec, err := kernels.Lookup(c.Kernel)
		if err != nil {
			t.Fatal(err)
		}
		_, err = spec.NewWith(impl, c.Opt).Run(c.Rows, c.Cols, nil, c.Save)
		checkTooLarge(t, name, err, c.What, c.LAPACK)
		if est := spec.Workspace(c.Rows, c.Cols); est < 1<<31 {
			t.Errorf("%s: refused, yet Workspace is only %d bytes", name, est)
		}
	}

	// matmul: b's dimensions, b too short, and a C no allocation holds.
	mm := prodLookup(t, "matmul").NewWith(impl, kernels.Options{}).(kernels.PairWorker)
	a3 := Random(rng, 3, 3, 3)
	_, err := mm.RunPair(3, 3, a3, 3, 1<<31, nil, false)
	checkTooLarge(t, impl.Name()+"/matmul b 3×2³¹", err, "b's cols", true)
	if _, err := mm.RunPair(3, 3, a3, 3, 2, a3[:5], false); !errors.Is(err, kernels.ErrBadShape) || !strings.Contains(err.Error(), "b needs 6 elements, got 5") {
		t.Errorf("%s/matmul: a short b: error %v", impl.Name(), err)
	}
	_, err = mm.RunPair(math.MaxInt32, 1, nil, 1, math.MaxInt32, nil, false)
	checkTooLarge(t, impl.Name()+"/matmul (2³¹−1)×1·1×(2³¹−1)", err, "C (m×n)", false)
	// The inner dimensions are compared before any length.
	var se *kernels.ShapeError
	if _, err := mm.RunPair(3, 4, nil, 5, 2, nil, false); !errors.As(err, &se) {
		t.Errorf("%s/matmul 3×4·5×2: error %v, want a *kernels.ShapeError", impl.Name(), err)
	}

	// hadamard's Repeat.
	if _, err := kernels.NewHadamard(-1).Run(2, 2, a3[:4], false); !errors.Is(err, kernels.ErrBadOption) {
		t.Errorf("hadamard repeat -1: error %v, want kernels.ErrBadOption", err)
	}
	if _, err := prodLookup(t, "hadamard").NewWith(impl, kernels.Options{Repeat: -3}).Run(2, 2, a3[:4], false); !errors.Is(err, kernels.ErrBadOption) || !strings.Contains(err.Error(), "-3") {
		t.Errorf("hadamard Options{Repeat: -3}: error %v, want kernels.ErrBadOption naming -3", err)
	}
}

// checkTooLarge fails unless err is a *kernels.TooLargeError whose message
// names what and the limit, matching blas.ErrDimension exactly when the
// limit is LAPACK's.
func checkTooLarge(t *testing.T, name string, err error, what string, lapack bool) {
	t.Helper()
	var tl *kernels.TooLargeError
	if !errors.As(err, &tl) || !errors.Is(err, kernels.ErrTooLarge) {
		t.Errorf("%s: error %v, want a *kernels.TooLargeError", name, err)
		return
	}
	if errors.Is(err, blas.ErrDimension) != lapack {
		t.Errorf("%s: %v: errors.Is(err, blas.ErrDimension) = %v, want %v", name, err, !lapack, lapack)
	}
	limit := "2147483647"
	if !lapack {
		limit = fmt.Sprint(tl.Limit)
	}
	if msg := err.Error(); !strings.Contains(msg, what) || !strings.Contains(msg, limit) {
		t.Errorf("%s: %q does not name %q and the limit %s", name, msg, what, limit)
	}
}
