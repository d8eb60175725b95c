package kernels

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"

	"github.com/blasbatch/blasbatch/blas"
)

// ErrTooLarge is matched by errors.Is for every *[TooLargeError].
var ErrTooLarge = errors.New("matrix too large")

// ErrBadShape means Run was given a shape its slice does not match: a
// negative dimension, or fewer than rows·cols elements. It is a caller's
// mistake that would otherwise panic inside the kernel.
var ErrBadShape = errors.New("matrix does not match its shape")

// TooLargeError says that an item's shape, or a buffer its kernel needs for
// it, exceeds what can be indexed: LAPACK's 32-bit integers ([blas.MaxDim])
// for dimensions, leading dimensions and workspace lengths, Go's int for
// rows×cols, Go's largest allocation for one buffer. Run returns it before
// allocating anything for the item.
//
// errors.Is(err, ErrTooLarge) is true, and so is errors.Is(err,
// blas.ErrDimension) when the limit is LAPACK's.
type TooLargeError struct {
	Shape string  // the item's shape, "2147483648×1" (a pair: "3×4 · 4×5")
	What  string  // what does not fit: "rows", "rows×cols", "the dgesdd workspace (LWORK)"…
	Value float64 // its size, in the limit's unit; a float64 so that an overflowing product is still reported (exact below 2⁵³)
	Limit int64   // the limit it exceeds
	Of    string  // what the limit is: "the most LAPACK's 32-bit integers hold"…
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s matrix too large: %s = %s exceeds %d, %s", e.Shape, e.What, strconv.FormatFloat(e.Value, 'f', -1, 64), e.Limit, e.Of)
}

// Is makes errors.Is(err, ErrTooLarge) true, and errors.Is(err,
// blas.ErrDimension) when the limit is LAPACK's 32-bit integers.
func (e *TooLargeError) Is(target error) bool {
	return target == ErrTooLarge || (target == blas.ErrDimension && e.Limit == blas.MaxDim)
}

// Names of the limits a TooLargeError reports.
const (
	ofLAPACK = "the most LAPACK's 32-bit integers hold"
	ofInt    = "the largest Go int"
	ofAlloc  = "the largest allocation Go makes"
)

// maxBufferBytes is the largest single allocation the kernels attempt: Go's
// runtime refuses (with a panic, not an error) anything above 2⁴⁸ bytes on
// 64-bit platforms, and no slice can exceed math.MaxInt bytes.
const maxBufferBytes = min(1<<48, math.MaxInt)

// item is an item's shape, for error messages: rows×cols, or for a pair
// A m×k · B k2×n. Its String is only called on the error path, so that a
// Run that succeeds formats nothing.
type item struct {
	m, k, k2, n int
	pair        bool
}

func one(rows, cols int) item { return item{m: rows, k: cols} }

func (it item) String() string {
	s := strconv.Itoa(it.m) + "×" + strconv.Itoa(it.k)
	if it.pair {
		s += " · " + strconv.Itoa(it.k2) + "×" + strconv.Itoa(it.n)
	}
	return s
}

// checkDims validates one rows×cols operand of it before a kernel sizes
// anything for it: an error matching ErrBadShape for a negative dimension,
// a *TooLargeError for rows×cols overflowing int or a dimension above
// blas.MaxDim (each is a dimension and a leading dimension of some LAPACK
// call). name is "" for a single matrix, "a" or "b" for a pair's.
func checkDims(it item, name string, rows, cols int) error {
	var prefix string // constants: a concatenation would allocate on every Run
	switch name {
	case "a":
		prefix = "a's "
	case "b":
		prefix = "b's "
	}
	if rows < 0 || cols < 0 {
		return fmt.Errorf("%w: %v: %snegative dimension", ErrBadShape, it, prefix)
	}
	if hi, lo := bits.Mul64(uint64(rows), uint64(cols)); hi != 0 || lo > math.MaxInt {
		return &TooLargeError{Shape: it.String(), What: prefix + "rows×cols", Value: float64(rows) * float64(cols), Limit: math.MaxInt, Of: ofInt}
	}
	if rows > blas.MaxDim {
		return &TooLargeError{Shape: it.String(), What: prefix + "rows", Value: float64(rows), Limit: blas.MaxDim, Of: ofLAPACK}
	}
	if cols > blas.MaxDim {
		return &TooLargeError{Shape: it.String(), What: prefix + "cols", Value: float64(cols), Limit: blas.MaxDim, Of: ofLAPACK}
	}
	return nil
}

// checkLen is the error, matching ErrBadShape, for an operand a too short
// for rows×cols, whose dimensions checkDims passed.
func checkLen(it item, name string, rows, cols int, a []float64) error {
	if len(a) >= rows*cols {
		return nil
	}
	if name == "" {
		name = "the matrix"
	}
	return fmt.Errorf("%w: %v: %s needs %d elements, got %d", ErrBadShape, it, name, rows*cols, len(a))
}

// checkItem is the checks every single-matrix kernel makes before it
// allocates or reads anything, in order: the dimensions, the buffers its
// plan lists for this item (so a workspace LAPACK cannot index is refused
// even before a's length is looked at), a's length. plan is only called
// once the dimensions are known to fit.
func checkItem(it item, a []float64, plan func() plan) error {
	if err := checkDims(it, "", it.m, it.k); err != nil {
		return err
	}
	if p := plan(); p.len > 0 {
		if err := p.check(it); err != nil {
			return err
		}
	}
	return checkLen(it, "", it.m, it.k, a)
}

// workspace makes a Spec.Workspace from a kernel's plan for its worst mode:
// 0 for a negative dimension, math.MaxInt64 for one above blas.MaxDim
// (which Run refuses, so no memory can be promised for it), else the
// plan's bytes.
func workspace(plan func(m, n int) plan) func(m, n int) int64 {
	return func(m, n int) int64 {
		switch {
		case m < 0 || n < 0:
			return 0
		case m > blas.MaxDim || n > blas.MaxDim:
			return math.MaxInt64
		}
		p := plan(m, n)
		return p.bytes()
	}
}

// Saturating int64 arithmetic for sizes: a hostile shape (2³¹×2³¹) must give
// a huge estimate or a refusal, never a wrapped-around small one. Operands
// are ≥ 0.

func satMul(a, b int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

func satAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

// heapBytes bounds what Go's allocator charges (runtime.MemStats.TotalAlloc)
// for one buffer of n bytes: a small object is rounded up to its size class
// (at most about 19% more, 4096 → 4864 being the widest gap, plus 16 for
// the tiniest), a large one (> 32 KiB) to whole 8 KiB pages.
func heapBytes(n int64) int64 {
	switch {
	case n <= 0:
		return 0
	case n <= 32<<10:
		return n + n/4 + 16
	}
	return satMul((n+8191)/8192, 8192)
}

// buffer is one allocation a Worker makes for an item.
type buffer struct {
	what string // names it in a TooLargeError: "U", "the dgesdd workspace (LWORK)"
	n    int64  // elements
	size int64  // bytes per element: 8 (float64, Go int) or 4 (lapack_int)
	// lapack says n is an integer LAPACK receives (LWORK, LIWORK) or
	// indexes with (dgesdd's IWORK): it must fit lapack_int.
	lapack bool
}

// plan lists the buffers a Worker allocates for one item, in one mode: the
// single account from which both Spec.Workspace (the worst mode's bytes)
// and Run's size checks come, so the two cannot drift apart. A fixed array,
// so that Run's check allocates nothing.
type plan struct {
	bufs [12]buffer
	len  int
}

func (p *plan) add(what string, n, size int64, lapack bool) {
	p.bufs[p.len] = buffer{what: what, n: n, size: size, lapack: lapack}
	p.len++
}

// f64 adds a buffer of n float64s; lwork one of n float64s whose length
// LAPACK receives; i32 one of n lapack_ints LAPACK receives or indexes.
func (p *plan) f64(what string, n int64)   { p.add(what, n, 8, false) }
func (p *plan) lwork(what string, n int64) { p.add(what, n, 8, true) }
func (p *plan) i32(what string, n int64)   { p.add(what, n, 4, true) }

// bytes is the heap the plan's buffers take, each rounded as the allocator
// rounds it.
func (p *plan) bytes() int64 {
	var sum int64
	for _, b := range p.bufs[:p.len] {
		sum = satAdd(sum, heapBytes(satMul(b.n, b.size)))
	}
	return sum
}

// check returns a *TooLargeError for the first buffer whose length LAPACK
// cannot receive, or whose bytes Go cannot allocate.
func (p *plan) check(it item) error {
	for _, b := range p.bufs[:p.len] {
		if b.lapack && b.n > blas.MaxDim {
			return &TooLargeError{Shape: it.String(), What: b.what, Value: float64(b.n), Limit: blas.MaxDim, Of: ofLAPACK}
		}
		if bytes := satMul(b.n, b.size); bytes > maxBufferBytes {
			return &TooLargeError{Shape: it.String(), What: b.what + " in bytes", Value: float64(b.n) * float64(b.size), Limit: maxBufferBytes, Of: ofAlloc}
		}
	}
	return nil
}

// checkLwork is the item error for a workspace size a LAPACK query returned
// that does not fit lapack_int (a LAPACK other than the one the estimates
// were made for).
func checkLwork(it item, what string, n int) error {
	if n > blas.MaxDim {
		return &TooLargeError{Shape: it.String(), What: what, Value: float64(n), Limit: blas.MaxDim, Of: ofLAPACK}
	}
	return nil
}
