// Package kernels holds the operations blasbatch runs on one matrix at a
// time. Each kernel is a [Spec]; each outer worker makes its own [Worker]
// from it, which keeps the LAPACK workspace and output buffers between items
// so that a batch of same-shaped matrices allocates once per worker.
//
// Matrices are row-major float64 slices. A kernel destroys its input: the
// pipeline hands each worker a buffer it owns, so no defensive copy is made
// (except with [Options].Fallback, which must retry on the original).
package kernels

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/blasbatch/blasbatch/blas"
)

// Spec describes one kernel.
type Spec struct {
	Name string
	// Doc is a one-line description for --help.
	Doc string
	// Field is the JSON Lines field that holds Result.Values ("" when the
	// kernel has none).
	Field string
	// Pairs says Result.Values holds complex numbers as re, im pairs.
	Pairs bool
	// MemoryBound says the kernel streams memory rather than computing
	// (hadamard): the planner costs it by bytes moved, never gives it inner
	// threads, and Flops counts elementwise operations.
	MemoryBound bool
	// Pairwise says each item is a pair of matrices (matmul): the members
	// a and b of an .npz, or two files given together (batch.Source's
	// PairWith). Its workers are PairWorkers.
	Pairwise bool
	// Flops estimates the floating-point operations for one rows×cols item:
	// the LAPACK path the kernel takes for that shape (tall, wide or
	// square), by the standard operation counts (LAPACK Working Note 41,
	// Golub & Van Loan), without --save (its extra work is documented per
	// kernel). A shape a square-only kernel refuses costs m·n, its one
	// look at the matrix.
	Flops func(rows, cols int) float64
	// FlopsWith, when not nil, is Flops for the Options a job runs the
	// kernel with: hadamard's count scales with Options.Repeat, which
	// Flops cannot see (Flops is FlopsWith with the zero Options). A
	// caller that has the job's Options should prefer it; nil means Flops
	// holds for every Options.
	FlopsWith func(rows, cols int, opt Options) float64
	// Integers says the kernel's workers implement IntWorker and take
	// integer items (matio.Item.Integer) as their raw elements, in the
	// array's own integer type, rather than converted to float64
	// (hadamard, which squares them as NumPy does). Floating-point items
	// still go through Run.
	Integers bool
	// Workspace returns the bytes of Go heap a Worker allocates to compute
	// one rows×cols item, beyond the item itself: outputs, U and Vᵀ,
	// eigenvector buffers, pivots, the input's copy, LAPACK's work arrays
	// (sized by formula from LAPACK's own workspace rules, never by
	// calling LAPACK). It is an upper bound in every mode — the worst case
	// of save, Options.Fallback (an item that falls back included) and
	// Options.Symmetrize — on both implementations (OpenBLAS's and gonum's
	// workspaces differ), each buffer rounded up as Go's allocator rounds
	// it; kerneltest.Workspace measures every kernel against it. A shape
	// the kernel refuses needs 0.
	//
	// No kernel allocates in C: OpenBLAS is called through LAPACKE's _work
	// entry points, and only its GEMM buffers, mapped once per process, lie
	// outside Go's heap and this count. Neither are the goroutines gonum's
	// BLAS starts for a large product (in gonum's Dgemm, and inside its
	// LAPACK's blocked updates): a few hundred bytes each, garbage as soon
	// as each finishes and at most GOMAXPROCS alive at once, they are not
	// per-item memory. A Worker keeps its buffers between items and never
	// shrinks them: after items of several shapes each buffer has the
	// largest size any of them needed, at most the sum of their Workspaces.
	//
	// nil (a user's kernel) makes ItemBytes guess; every built-in kernel
	// sets it. For a Pairwise kernel, Workspace(m, k) is PairWorkspace(m,
	// k, m), the pair whose B has Aᵀ's shape.
	Workspace func(rows, cols int) int64
	// PairFlops and PairWorkspace are Flops and Workspace for a Pairwise
	// kernel's item, A m×k times B k×n, which one shape cannot describe:
	// matmul of a 100000×1 A by a 1×100000 B computes (and allocates) a
	// 100000×100000 C. nil for other kernels.
	PairFlops     func(m, k, n int) float64
	PairWorkspace func(m, k, n int) int64
	// NewWith returns a worker that runs the kernel with impl and opt; the
	// engine constructs every worker through it, one per outer worker.
	NewWith func(impl blas.LAPACK, opt Options) Worker
}

// Options change how a Worker runs its kernel. The zero value is the
// default; Validate checks one.
type Options struct {
	// Fallback retries an item whose LAPACK routine reports that it did not
	// converge (INFO > 0) with a second, more robust routine (svd: dgesvd
	// after dgesdd; svdvals: dgesdd after dgesvd); Result.Fallback then
	// names it. It costs a copy of each input before the first call, in a
	// buffer the Worker reuses; without it no copy is made.
	Fallback bool
	// Symmetrize makes eigh use (A + Aᵀ)/2 instead of refusing an A that
	// is not symmetric to 1e-12 relative.
	Symmetrize bool
	// Repeat is how many times hadamard squares its input; 0 means
	// DefaultRepeat, and a negative value is invalid.
	Repeat int
}

// ErrBadOption is matched by errors.Is for every error Options.Validate
// returns.
var ErrBadOption = errors.New("invalid kernel option")

// Validate returns an error matching ErrBadOption, naming the field and
// its value, when o cannot be used: a negative Repeat. A Worker made from
// such Options refuses every item with that error.
func (o Options) Validate() error {
	if o.Repeat < 0 {
		return repeatError(o.Repeat)
	}
	return nil
}

func repeatError(r int) error {
	return fmt.Errorf("%w: repeat %d: must be at least 0 (0 means the default, %d)", ErrBadOption, r, DefaultRepeat)
}

// Worker runs one kernel on one matrix at a time. A Worker is not safe for
// concurrent use; give each outer worker its own.
type Worker interface {
	// Run computes the kernel on the rows×cols row-major matrix a, which it
	// may overwrite. With save, Result.Outputs holds the arrays to write.
	// The Result's slices are owned by the Worker and valid until the next
	// call to Run.
	//
	// An item's failure is an error, never a panic, and the Worker goes on
	// with the next item. Before allocating anything or reading a, Run
	// returns an error matching ErrBadShape for a negative dimension or an
	// a shorter than rows·cols, and a *TooLargeError (errors.Is
	// ErrTooLarge) for a dimension or workspace length LAPACK's 32-bit
	// integers cannot hold, a rows×cols that overflows int, or an output
	// no Go allocation can hold. Then a *NotFiniteError (errors.Is
	// ErrNotFinite) for NaN or ±Inf, which LAPACK never sees. Each kernel
	// documents its own errors besides: a refused shape (a square-only
	// kernel's), a *LAPACKError when its routine reports failure, an
	// ErrBadOption error for invalid Options, ErrNeedsPair for a pair
	// kernel given one matrix.
	//
	// Run does not check memory: a caller with a budget compares
	// Spec.ItemBytes (PairItemBytes) with it first.
	Run(rows, cols int, a []float64, save bool) (Result, error)
}

// IntWorker is a Worker that computes its kernel on integer matrices in
// their own type (Spec.Integers): hadamard squares an int8 matrix in int8,
// wrapping around, as NumPy's x*x does.
type IntWorker interface {
	Worker
	// RunInts computes the kernel on the rows×cols row-major matrix of
	// integers in raw: rows·cols elements of bits bits (8, 16, 32 or 64),
	// two's complement when signed, in the machine's byte order — what
	// matio's Reader.ReadRaw gives for an item with Integer set. It may
	// overwrite raw; raw should be aligned to the element's size (every Go
	// allocation of a []byte of 8 bytes or more is), or the worker works
	// on a copy it keeps. With save, Result.Outputs holds integer arrays
	// (Output.Raw) of the same type. The Result's slices and strings are
	// valid until the worker's next call.
	//
	// Its errors are Run's, checked in the same order before anything is
	// read (an ErrBadShape error when raw is shorter than rows·cols
	// elements), and an error matching ErrBadDtype for bits other than 8,
	// 16, 32 and 64. Integers are never "not finite".
	RunInts(rows, cols int, signed bool, bits int, raw []byte, save bool) (Result, error)
}

// ErrBadDtype is RunInts's error for an element type it does not take.
var ErrBadDtype = errors.New("unsupported element type")

// Result is what a kernel computed for one item.
type Result struct {
	// Values is the kernel's summary vector, written as the Spec's Field
	// (singular values for svd); nil for kernels with scalars only. With
	// Spec.Pairs it holds re, im interleaved and is written as [re, im]
	// pairs.
	Values []float64
	// Scalars are further record fields (log_det, rcond, …), in order. A
	// non-finite value is written as null.
	Scalars []Scalar
	// Outputs are the arrays --save writes, in order; nil unless asked.
	Outputs []Output
	// Fallback is the routine that produced the result when the kernel's
	// own routine failed and Options.Fallback retried the item ("dgesvd"
	// or "dgesdd"); "" when the first routine succeeded.
	Fallback string
}

// Scalar is one named number of a Result.
type Scalar struct {
	Name  string
	Value float64
	// Exact, when not "", is the value as an exact JSON integer literal
	// (ValidExact holds for it), written instead of Value: an integer
	// that a float64 cannot hold, such as hadamard's checksum of an int64
	// matrix. Value then holds the nearest float64.
	Exact string
}

// ValidExact reports whether s is a JSON integer literal, as Scalar.Exact
// must be: an optional minus sign and decimal digits, without a leading
// zero unless the number is 0 ("-0" is valid JSON too).
func ValidExact(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Output is one named array of a Result, row-major (Rows == 0 means a
// vector of length Cols).
type Output struct {
	Name       string
	Rows, Cols int
	Data       []float64
	// Imag, when not nil, holds the imaginary parts (same length and order
	// as Data): the array is complex128.
	Imag []float64
	// Fortran says Data (and Imag) are column-major: written as a .npy
	// with fortran_order True, without a copy.
	Fortran bool
	// Raw, when not nil, holds an integer array instead of Data (which is
	// then nil): Rows×Cols elements (Rows == 0: Cols) of Bits bits (8,
	// 16, 32 or 64), two's complement when Signed, in the machine's byte
	// order, row-major — what matio.WriteNpyRaw writes as a .npy of the
	// matching NumPy dtype ('<i8' for Signed, Bits 64).
	Raw    []byte
	Signed bool
	Bits   int
}

// ErrNotFinite means the matrix holds NaN or ±Inf, which LAPACK must never see.
var ErrNotFinite = errors.New("matrix is not finite")

// NotFiniteError locates the first non-finite element.
type NotFiniteError struct {
	Row, Col int
	Value    float64
}

func (e *NotFiniteError) Error() string {
	return fmt.Sprintf("matrix is not finite: element [%d,%d] is %v", e.Row, e.Col, e.Value)
}

// Is makes errors.Is(err, ErrNotFinite) true.
func (e *NotFiniteError) Is(target error) bool { return target == ErrNotFinite }

// LAPACKError is a LAPACK routine's report of numerical failure (INFO > 0):
// the item's error. With Options.Fallback, Routine is still the kernel's own
// routine, and Fallback is the second routine's failure.
type LAPACKError struct {
	Routine string // "dgesdd" or "dgesvd"
	Info    int    // LAPACK's INFO, > 0
	Reason  string
	// Fallback, when not nil, is the failure of the routine that
	// Options.Fallback retried the item with.
	Fallback *LAPACKError
}

func (e *LAPACKError) Error() string {
	msg := fmt.Sprintf("%s failed with info=%d: %s", e.Routine, e.Info, e.Reason)
	if e.Fallback != nil {
		msg += fmt.Sprintf("; the fallback %s failed too with info=%d: %s", e.Fallback.Routine, e.Fallback.Info, e.Fallback.Reason)
	}
	return msg
}

// CheckFinite returns a *NotFiniteError for the first NaN or ±Inf in the
// rows×cols row-major matrix a, or nil; an error matching ErrBadShape (or a
// *TooLargeError) when a cannot hold a rows×cols matrix.
func CheckFinite(rows, cols int, a []float64) error {
	it := one(rows, cols)
	if err := checkDims(it, "", rows, cols); err != nil {
		return err
	}
	if err := checkLen(it, "", rows, cols, a); err != nil {
		return err
	}
	a = a[:rows*cols]
	// v-v is NaN exactly when v is NaN or ±Inf, and +0 otherwise, so the
	// sum of eight of them is 0 exactly when all eight are finite: one
	// test per eight elements (twice as fast as one per element), then
	// one per element from the first group that fails.
	i := 0
	for ; i+8 <= len(a); i += 8 {
		b := a[i : i+8 : i+8]
		if ((b[0]-b[0])+(b[1]-b[1]))+((b[2]-b[2])+(b[3]-b[3]))+((b[4]-b[4])+(b[5]-b[5]))+((b[6]-b[6])+(b[7]-b[7])) != 0 {
			break
		}
	}
	for ; i < len(a); i++ {
		if v := a[i]; v-v != 0 {
			return &NotFiniteError{Row: i / cols, Col: i % cols, Value: v}
		}
	}
	return nil
}

// Lookup returns the kernel named name.
func Lookup(name string) (Spec, error) {
	for _, s := range All() {
		if s.Name == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("unknown kernel %q (have %s)", name, strings.Join(Names(), ", "))
}

// All returns every kernel, sorted by name.
func All() []Spec {
	all := []Spec{svdSpec(), svdvalsSpec()}
	all = append(all, factorSpecs()...)
	all = append(all, eigenSpecs()...)
	all = append(all, productSpecs()...)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// Names returns the kernels' names, sorted.
func Names() []string {
	var n []string
	for _, s := range All() {
		n = append(n, s.Name)
	}
	return n
}

// grow returns s resliced to n, reallocating only when its capacity is short.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// ItemBytes estimates the memory one rows×cols item takes while a worker
// computes it: the decoded matrix, 8·rows·cols bytes, plus Workspace, an
// upper bound (see Workspace). For a Pairwise kernel it is
// PairItemBytes(rows, cols, rows). With no Workspace (a user's kernel) it
// guesses three more matrices of the item's size and O(m+n) besides:
// 8·(4·rows·cols + 64·max(rows, cols)). Sizes saturate at math.MaxInt64
// rather than overflow.
func (s Spec) ItemBytes(rows, cols int) int64 {
	if s.Pairwise && s.PairWorkspace != nil {
		return s.PairItemBytes(rows, cols, rows)
	}
	m, n := int64(max(rows, 0)), int64(max(cols, 0))
	if s.Workspace != nil {
		return satAdd(satMul(8, satMul(m, n)), s.Workspace(rows, cols))
	}
	return satMul(8, satAdd(satMul(4, satMul(m, n)), satMul(64, max(m, n))))
}

// PairItemBytes estimates the memory one item of a Pairwise kernel, A m×k
// and B k×n, takes while a worker computes it: both matrices plus
// PairWorkspace. With no PairWorkspace it guesses C's two copies besides,
// 8·(2·m·n + 64·max(m, k, n)). Sizes saturate at math.MaxInt64.
func (s Spec) PairItemBytes(m, k, n int) int64 {
	fm, fk, fn := int64(max(m, 0)), int64(max(k, 0)), int64(max(n, 0))
	in := satMul(8, satAdd(satMul(fm, fk), satMul(fk, fn)))
	if s.PairWorkspace != nil {
		return satAdd(in, s.PairWorkspace(m, k, n))
	}
	return satAdd(in, satMul(8, satAdd(satMul(2, satMul(fm, fn)), satMul(64, max(fm, fk, fn)))))
}
