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
	// Flops estimates the floating-point operations for one rows×cols item.
	Flops func(rows, cols int) float64
	// Workspace estimates the bytes a worker holds for one rows×cols item
	// beyond the item itself: outputs and LAPACK workspace. nil means the
	// generous default of ItemBytes.
	Workspace func(rows, cols int) int64
	// New returns a worker that runs the kernel with impl and the zero
	// Options; it is NewWith(impl, Options{}).
	New func(impl blas.LAPACK) Worker
	// NewWith returns a worker that runs the kernel with impl and opt.
	NewWith func(impl blas.LAPACK, opt Options) Worker
}

// Options change how a Worker runs its kernel. The zero value is the
// default.
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
	// DefaultRepeat.
	Repeat int
}

// Worker runs one kernel on one matrix at a time. A Worker is not safe for
// concurrent use; give each outer worker its own.
type Worker interface {
	// Run computes the kernel on the rows×cols row-major matrix a, which it
	// may overwrite. With save, Result.Outputs holds the arrays to write.
	// The Result's slices are owned by the Worker and valid until the next
	// call to Run.
	Run(rows, cols int, a []float64, save bool) (Result, error)
}

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
// rows×cols row-major matrix a, or nil.
func CheckFinite(rows, cols int, a []float64) error {
	a = a[:rows*cols]
	for i, v := range a {
		// v-v is NaN exactly when v is NaN or ±Inf; one test per element.
		if v-v != 0 {
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
// computes it: the decoded matrix plus Workspace, or, without one, two more
// matrices of its size and blocked workspace (generous for the
// factorisations, eigen and product kernels).
func (s Spec) ItemBytes(rows, cols int) int64 {
	m, n := int64(rows), int64(cols)
	if s.Workspace != nil {
		return 8*m*n + s.Workspace(rows, cols)
	}
	return 8 * (4*m*n + 64*max(m, n))
}

// smallWorkspace is the Workspace of kernels that need O(m+n) beyond the
// item (values-only LAPACK drivers, elementwise loops).
func smallWorkspace(m, n int) int64 { return 8 * int64(6*min(m, n)+max(m, n)) }
