package kernels

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels/internal/square"
)

// DefaultRepeat is how many times hadamard squares its matrix unless told
// otherwise: the question's x = x * x, 100 times.
const DefaultRepeat = 100

func hadamardSpec() Spec {
	// Repeat squarings per element (DefaultRepeat for the zero Options).
	flops := func(m, n int, opt Options) float64 {
		return float64(max(cmp.Or(opt.Repeat, DefaultRepeat), 0)) * float64(m) * float64(n)
	}
	return Spec{
		Name:        "hadamard",
		MemoryBound: true,
		Integers:    true,
		Doc:         fmt.Sprintf("x = x*x elementwise, %d times (-repeat), fused and vectorised: float64, or integers in their own dtype wrapping as NumPy does; checksum (NumPy's x.sum(), exact for integers), gbytes_per_second", DefaultRepeat),
		Flops:       func(m, n int) float64 { return flops(m, n, Options{}) },
		FlopsWith:   flops,
		// In place: the worker allocates nothing (but see RunInts on a
		// raw buffer that is not aligned).
		Workspace: func(int, int) int64 { return 0 },
	}.with(func(_ blas.LAPACK, opt Options) Worker {
		return NewHadamard(cmp.Or(opt.Repeat, DefaultRepeat))
	})
}

// HadamardWorker is the hadamard kernel's Worker: it squares each element
// of its matrix in place Repeat times — the question's x = x*x, Repeat
// times over — with the result of Repeat passes over the whole matrix bit
// for bit, in float64 (Run) or in the matrix's own integer type (RunInts).
//
// The fused implementations square a group of elements (8 in "portable",
// 8 or 16 vectors in "avx2" and "avx512") Repeat times in registers before
// they move to the next, so the matrix is read and written once instead of
// Repeat times; a group whose squaring changes no bit any more (0, 1,
// +Inf, NaN, an integer wrapped to 0 or 1: every element gets there within
// 64 squarings) is stored as it is, since further squarings would not
// change it either. Floats are IEEE float64 without fused operations or
// flushing subnormals to zero.
type HadamardWorker struct {
	Repeat int // squarings; 0 squares nothing, negative is an item error
	// Impl names the implementation: "" for the fastest this CPU runs
	// (the last of HadamardImpls), else one of HadamardImpls: "plain"
	// (Repeat passes over the whole matrix, the question's loop: the
	// reference), "portable" (fused, Go), "avx2" or "avx512" (fused,
	// amd64 vector instructions). An unknown name, or one this CPU cannot
	// run, is an item error matching ErrBadOption.
	Impl string

	sc      [2]Scalar
	outs    [1]Output
	scratch []uint64 // RunInts's copy of a raw buffer that is not aligned
}

// NewHadamard returns a hadamard Worker that squares repeat times (the
// kernel's own Spec uses DefaultRepeat) with the fastest implementation.
func NewHadamard(repeat int) *HadamardWorker { return &HadamardWorker{Repeat: repeat} }

var _ IntWorker = (*HadamardWorker)(nil)

// HadamardImpls returns the names HadamardWorker.Impl takes on this CPU,
// slowest first: "plain", "portable", then "avx2" and "avx512" where the
// CPU has them.
func HadamardImpls() []string {
	var names []string
	for _, i := range square.Available() {
		names = append(names, i.String())
	}
	return names
}

// impl checks Repeat and Impl.
func (w *HadamardWorker) impl() (square.Impl, error) {
	if w.Repeat < 0 {
		return 0, repeatError(w.Repeat)
	}
	if w.Impl == "" {
		return square.Best(), nil
	}
	impl, ok := square.Parse(w.Impl)
	if !ok || !square.Supported(impl) {
		return 0, fmt.Errorf("%w: hadamard implementation %q: this CPU runs %s", ErrBadOption, w.Impl, strings.Join(HadamardImpls(), ", "))
	}
	return impl, nil
}

// Run squares a in place Repeat times. checksum is the sum of the result
// in NumPy's order (so that it equals NumPy's x.sum() of the same
// row-major float64 matrix bit for bit), +Inf, written as null, once
// anything overflows; gbytes_per_second is the bytes Repeat passes over
// the matrix move, reading and writing 8 bytes an element each, per second
// of the squaring alone: the bandwidth a pass-by-pass loop would need to
// keep up (the fused loop moves them once). It allocates nothing. Besides
// the errors every kernel returns, a negative Repeat or an Impl this CPU
// cannot run is an error matching ErrBadOption.
func (w *HadamardWorker) Run(m, n int, a []float64, save bool) (Result, error) {
	impl, err := w.impl()
	if err != nil {
		return Result{}, err
	}
	if err := CheckFinite(m, n, a); err != nil { // checks the shape and length too
		return Result{}, err
	}
	x := a[:m*n]
	start := time.Now()
	square.Float64(x, w.Repeat, impl)
	secs := time.Since(start).Seconds()
	w.sc = [2]Scalar{{Name: "checksum", Value: square.SumFloat64(x)}, {Name: "gbytes_per_second", Value: w.bandwidth(len(x), 8, secs)}}
	r := Result{Scalars: w.sc[:]}
	if save {
		w.outs[0] = Output{Name: "H", Rows: m, Cols: n, Data: x}
		r.Outputs = w.outs[:]
	}
	return r, nil
}

// bandwidth is gbytes_per_second for count elements of size bytes.
func (w *HadamardWorker) bandwidth(count, size int, secs float64) float64 {
	if secs <= 0 {
		return math.Inf(1)
	}
	return float64(w.Repeat) * 2 * float64(size) * float64(count) / secs / 1e9
}

// RunInts squares the rows×cols integers in raw in place Repeat times in
// their own type, modulo 2^bits: NumPy's x = x*x on an integer array,
// which wraps around. checksum is NumPy's int(x.sum()) of the result:
// the sum in int64 for signed types and in uint64 for unsigned ones (as
// NumPy accumulates any integer narrower than 64 bits), wrapping around,
// written exactly (Scalar.Exact; Value is the nearest float64);
// gbytes_per_second is Run's, for elements of bits/8 bytes. With save,
// Output H is the result as an integer array of the same type. It
// allocates only Exact's digits, and a copy of raw when raw is not
// aligned to the element's size (kept for the next item).
func (w *HadamardWorker) RunInts(m, n int, signed bool, bits int, raw []byte, save bool) (Result, error) {
	impl, err := w.impl()
	if err != nil {
		return Result{}, err
	}
	size := bits / 8
	if bits != 8 && bits != 16 && bits != 32 && bits != 64 {
		return Result{}, fmt.Errorf("%w: %d-bit integers (hadamard takes 8, 16, 32 and 64)", ErrBadDtype, bits)
	}
	it := one(m, n)
	if err := checkDims(it, "", m, n); err != nil {
		return Result{}, err
	}
	count := m * n
	if count > math.MaxInt/size {
		return Result{}, &TooLargeError{Shape: it.String(), What: "rows×cols×bytes", Value: float64(count) * float64(size), Limit: math.MaxInt, Of: ofInt}
	}
	if len(raw) < count*size {
		return Result{}, fmt.Errorf("%w: %v: the matrix needs %d bytes of %d-bit integers, got %d", ErrBadShape, it, count*size, bits, len(raw))
	}
	b := raw[:count*size]
	work := b
	if count > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(size) != 0 {
		w.scratch = grow(w.scratch, (len(b)+7)/8)
		work = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w.scratch))), len(b))
		copy(work, b)
	}
	var secs float64
	var sum uint64 // the signed sum's two's complement when signed
	switch size {
	case 1:
		secs, sum = squareSum[uint8, int8](work, w.Repeat, impl, signed)
	case 2:
		secs, sum = squareSum[uint16, int16](work, w.Repeat, impl, signed)
	case 4:
		secs, sum = squareSum[uint32, int32](work, w.Repeat, impl, signed)
	default:
		secs, sum = squareSum[uint64, int64](work, w.Repeat, impl, signed)
	}
	if len(work) > 0 && &work[0] != &b[0] {
		copy(b, work)
	}
	ck := Scalar{Name: "checksum", Value: float64(sum), Exact: strconv.FormatUint(sum, 10)}
	if signed {
		ck.Value, ck.Exact = float64(int64(sum)), strconv.FormatInt(int64(sum), 10)
	}
	w.sc = [2]Scalar{ck, {Name: "gbytes_per_second", Value: w.bandwidth(count, size, secs)}}
	r := Result{Scalars: w.sc[:]}
	if save {
		w.outs[0] = Output{Name: "H", Rows: m, Cols: n, Raw: b, Signed: signed, Bits: bits}
		r.Outputs = w.outs[:]
	}
	return r, nil
}

// squareSum squares the elements of b, aligned to U's size, r times, and
// returns the seconds the squaring took and the elements' sum as NumPy's
// x.sum() has it: in int64 when signed (returned as its bits), else in
// uint64.
func squareSum[U square.Uint, S square.Signed](b []byte, r int, impl square.Impl, signed bool) (float64, uint64) {
	if len(b) == 0 {
		return 0, 0
	}
	var u U
	p := unsafe.Pointer(unsafe.SliceData(b))
	x := unsafe.Slice((*U)(p), len(b)/int(unsafe.Sizeof(u)))
	start := time.Now()
	square.Ints(x, r, impl)
	secs := time.Since(start).Seconds()
	if signed {
		return secs, uint64(square.SumSigned(unsafe.Slice((*S)(p), len(x))))
	}
	return secs, square.SumUnsigned(x)
}
