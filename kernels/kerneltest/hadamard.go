package kerneltest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
)

// Hadamard tests the hadamard kernel, which needs no LAPACK, with every
// implementation this CPU runs (kernels.HadamardImpls) on one worker each,
// across all shapes:
//
//   - Run: bit for bit the naive repeated squaring for repeat counts
//     0..9, 16, 63, 64, 65 and 100; checksum is the sum in NumPy's
//     pairwise order (refNumPySum, written from NumPy's C source);
//     bandwidth positive; --save gives H;
//   - RunInts (repeat counts 0, 1, 2, 7, 8, 9, 64 and 100): for every
//     integer width, signed and unsigned, bit for bit
//     Go's own wrapping x*x in the signed or unsigned type, checksum exact
//     (Scalar.Exact, a valid JSON integer) and equal to the sum of the
//     elements extended to 64 bits as NumPy's int64 or uint64 accumulator
//     wraps; a raw buffer
//     not aligned to its element gives the same; --save gives H as an
//     integer array of the same type;
//   - the default 100 squarings send (0,1) to 0, ±1 to 1 and anything
//     above 1 to +Inf; NaN and ±Inf are refused, naming the element;
//   - errors: a negative repeat, an unknown implementation, a short raw
//     buffer, a width that is not 8, 16, 32 or 64.
func Hadamard(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	repeats := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 63, 64, 65, 100}
	intRepeats := []int{0, 1, 2, 7, 8, 9, 64, 100}
	var ws []*kernels.HadamardWorker // one worker per implementation
	for _, impl := range kernels.HadamardImpls() {
		ws = append(ws, &kernels.HadamardWorker{Impl: impl})
	}
	for _, repeat := range repeats {
		for _, w := range ws {
			w.Repeat = repeat
		}
		for _, sh := range Shapes {
			m, n := sh[0], sh[1]
			orig := prodSigned(rng, m, n, n)
			for i := range orig {
				orig[i] *= 1.08 // some of it overflows to +Inf by 9 squarings
			}
			want := append([]float64(nil), orig...)
			for range repeat {
				for i := range want {
					want[i] = want[i] * want[i]
				}
			}
			sum := refNumPySum(want)
			for _, w := range ws {
				name := fmt.Sprintf("hadamard/impl=%s/repeat=%d/m=%d,n=%d", w.Impl, repeat, m, n)
				res, err := w.Run(m, n, append([]float64(nil), orig...), true)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(res.Outputs) != 1 || res.Outputs[0].Name != "H" || res.Outputs[0].Rows != m || res.Outputs[0].Cols != n || !prodEqualBits(res.Outputs[0].Data, want) || res.Outputs[0].Raw != nil {
					t.Fatalf("%s: result is not the naive loop's: %+v", name, res.Outputs)
				}
				sc := prodScalars(res)
				if len(res.Scalars) != 2 || math.Float64bits(sc["checksum"]) != math.Float64bits(sum) || res.Scalars[0].Exact != "" {
					t.Fatalf("%s: scalars %v, want checksum %v", name, res.Scalars, sum)
				}
				if repeat > 0 && !(sc["gbytes_per_second"] > 0) {
					t.Fatalf("%s: gbytes_per_second %v", name, sc["gbytes_per_second"])
				}
			}
		}
		if !slices.Contains(intRepeats, repeat) {
			continue
		}
		for _, bits := range []int{8, 16, 32, 64} {
			for _, signed := range []bool{true, false} {
				hadamardInts(t, rng, ws, repeat, bits, signed)
			}
		}
	}
	// The kernel as registered: 100 squarings, the fastest implementation.
	spec := prodLookup(t, "hadamard")
	if !spec.Integers || spec.FlopsWith == nil {
		t.Fatalf("hadamard's Spec: Integers %v, FlopsWith set %v", spec.Integers, spec.FlopsWith != nil)
	}
	w := spec.NewWith(blas.Gonum{}, kernels.Options{})
	if _, ok := w.(kernels.IntWorker); !ok {
		t.Fatalf("hadamard's worker %T is not a kernels.IntWorker", w)
	}
	a := make([]float64, 6*7)
	var ones float64
	for i := range a {
		switch i % 7 {
		case 0:
			a[i] = 1
		case 1:
			a[i] = -1
		case 2:
			a[i] = 0
		case 3:
			a[i] = 1 - 0x1p-53 // the largest below 1: underflows to 0 too
		default:
			a[i] = rng.Float64()
		}
		if math.Abs(a[i]) == 1 {
			ones++
		}
	}
	res, err := w.Run(6, 7, a, true)
	if err != nil {
		t.Fatal(err)
	}
	if sc := prodScalars(res); sc["checksum"] != ones {
		t.Fatalf("hadamard: checksum %v, want %v (±1 stay 1, (0,1) goes to 0)", sc["checksum"], ones)
	}
	a = Random(rng, 3, 3, 3)
	a[4] = 1 + 0x1p-52
	if res, err := w.Run(3, 3, a, false); err != nil || !math.IsInf(prodScalars(res)["checksum"], 1) || res.Outputs != nil {
		t.Fatalf("hadamard: values above 1: checksum %v (want +Inf), outputs %v, error %v", prodScalars(res)["checksum"], res.Outputs, err)
	}
	prodCheckRefused(t, "hadamard", func(a []float64) error { _, err := w.Run(4, 5, a, false); return err }, 4, 5, rng)
	hadamardErrors(t, rng)
}

// hadamardInts runs each worker's RunInts, squaring repeat times, on
// random integers of every shape against Go's wrapping multiplication in
// the type itself.
func hadamardInts(t *testing.T, rng *rand.Rand, ws []*kernels.HadamardWorker, repeat, bits int, signed bool) {
	size := bits / 8
	for _, sh := range Shapes {
		m, n := sh[0], sh[1]
		count := m * n
		vals := make([]uint64, count)
		for i := range vals {
			switch rng.IntN(4) {
			case 0:
				vals[i] = uint64(rng.IntN(101)) // the question's 1..100, and 0
			case 1:
				vals[i] = uint64(-rng.Int64N(100))
			default:
				vals[i] = rng.Uint64()
			}
		}
		want := make([]uint64, count)
		for i, v := range vals {
			want[i] = squareIn(v, bits, signed, repeat)
		}
		// The sum of the results as NumPy's accumulator sees them: each
		// sign- or zero-extended to 64 bits, added modulo 2⁶⁴ as int64 and
		// uint64 wrap.
		var acc uint64
		for _, v := range want {
			acc += extend(v, bits, signed)
		}
		exact := strconv.FormatUint(acc, 10)
		if signed {
			exact = strconv.FormatInt(int64(acc), 10)
		}
		for _, w := range ws {
			name := fmt.Sprintf("hadamard/impl=%s/repeat=%d/int%d,signed=%v/m=%d,n=%d", w.Impl, repeat, bits, signed, m, n)
			for _, offset := range []int{0, 1} { // aligned, and not
				if offset == 1 && size == 1 {
					continue // a byte is always aligned
				}
				buf := make([]byte, count*size+offset+3)
				raw := buf[offset : offset+count*size]
				for i, v := range vals {
					putNative(raw[i*size:], size, v)
				}
				res, err := w.RunInts(m, n, signed, bits, raw, true)
				if err != nil {
					t.Fatalf("%s/offset=%d: %v", name, offset, err)
				}
				for i := range want {
					if got := getNative(raw[i*size:], size); got != want[i] {
						t.Fatalf("%s/offset=%d: element %d of %#x is %#x, want %#x", name, offset, i, vals[i], got, want[i])
					}
				}
				if len(res.Outputs) != 1 || res.Outputs[0].Name != "H" || res.Outputs[0].Rows != m || res.Outputs[0].Cols != n ||
					len(res.Outputs[0].Raw) != len(raw) || (len(raw) > 0 && &res.Outputs[0].Raw[0] != &raw[0]) ||
					res.Outputs[0].Signed != signed || res.Outputs[0].Bits != bits || res.Outputs[0].Data != nil {
					t.Fatalf("%s/offset=%d: outputs %+v", name, offset, res.Outputs)
				}
				if len(res.Scalars) != 2 || res.Scalars[0].Name != "checksum" || res.Scalars[0].Exact != exact || !kernels.ValidExact(res.Scalars[0].Exact) {
					t.Fatalf("%s/offset=%d: scalars %+v, want checksum %s", name, offset, res.Scalars, exact)
				}
				if f, _ := strconv.ParseFloat(exact, 64); res.Scalars[0].Value != f {
					t.Fatalf("%s/offset=%d: checksum value %v, want %v", name, offset, res.Scalars[0].Value, f)
				}
				if repeat > 0 && !(res.Scalars[1].Value > 0) {
					t.Fatalf("%s: gbytes_per_second %v", name, res.Scalars[1].Value)
				}
			}
		}
	}
}

// squareIn squares the low bits bits of v r times in Go's own type of that
// width and signedness (whose multiplication wraps), and returns the
// result's bits.
func squareIn(v uint64, bits int, signed bool, r int) uint64 {
	for range r {
		switch {
		case bits == 8 && signed:
			x := int8(v)
			v = uint64(uint8(x * x))
		case bits == 8:
			x := uint8(v)
			v = uint64(x * x)
		case bits == 16 && signed:
			x := int16(v)
			v = uint64(uint16(x * x))
		case bits == 16:
			x := uint16(v)
			v = uint64(x * x)
		case bits == 32 && signed:
			x := int32(v)
			v = uint64(uint32(x * x))
		case bits == 32:
			x := uint32(v)
			v = uint64(x * x)
		case signed:
			x := int64(v)
			v = uint64(x * x)
		default:
			v *= v
		}
	}
	return v & (1<<bits - 1) // bits == 64: all ones
}

// extend is the element's value, its low bits bits sign-extended when
// signed, as a 64-bit two's complement.
func extend(v uint64, bits int, signed bool) uint64 {
	if bits == 64 {
		return v
	}
	v &= 1<<bits - 1
	if signed && v>>(bits-1) != 0 {
		v |= ^uint64(0) << bits
	}
	return v
}

func putNative(b []byte, size int, v uint64) {
	switch size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(b, uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(b, uint32(v))
	default:
		binary.NativeEndian.PutUint64(b, v)
	}
}

func getNative(b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.NativeEndian.Uint16(b))
	case 4:
		return uint64(binary.NativeEndian.Uint32(b))
	}
	return binary.NativeEndian.Uint64(b)
}

// hadamardErrors: the errors RunInts and Run document, before anything is
// read or written.
func hadamardErrors(t *testing.T, rng *rand.Rand) {
	raw := make([]byte, 4*5*8)
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	orig := string(raw)
	w := kernels.NewHadamard(3)
	for _, bits := range []int{0, 1, 12, 128, -8} {
		if _, err := w.RunInts(4, 5, true, bits, raw, false); !errors.Is(err, kernels.ErrBadDtype) || !strings.Contains(err.Error(), fmt.Sprint(bits)) {
			t.Errorf("hadamard: RunInts of %d-bit integers: error %v, want kernels.ErrBadDtype naming %d", bits, err, bits)
		}
	}
	if _, err := w.RunInts(4, 5, false, 64, raw[:4*5*8-1], false); !errors.Is(err, kernels.ErrBadShape) {
		t.Errorf("hadamard: RunInts with a short buffer: error %v, want kernels.ErrBadShape", err)
	}
	if _, err := w.RunInts(-1, 5, false, 8, raw, false); !errors.Is(err, kernels.ErrBadShape) {
		t.Errorf("hadamard: RunInts with a negative dimension: error %v, want kernels.ErrBadShape", err)
	}
	if _, err := w.RunInts(math.MaxInt/4, 3, false, 16, raw, false); !errors.Is(err, kernels.ErrTooLarge) {
		t.Errorf("hadamard: RunInts of more bytes than an int holds: error %v, want kernels.ErrTooLarge", err)
	}
	for _, bad := range []*kernels.HadamardWorker{{Repeat: -2}, {Repeat: 3, Impl: "sse9"}} {
		if _, err := bad.RunInts(4, 5, true, 64, raw, false); !errors.Is(err, kernels.ErrBadOption) {
			t.Errorf("hadamard %+v: RunInts error %v, want kernels.ErrBadOption", bad, err)
		}
		if _, err := bad.Run(2, 2, []float64{1, 2, 3, 4}, false); !errors.Is(err, kernels.ErrBadOption) {
			t.Errorf("hadamard %+v: Run error %v, want kernels.ErrBadOption", bad, err)
		}
	}
	if string(raw) != orig {
		t.Errorf("hadamard: a refused item was modified")
	}
}

// refNumPySum is x.sum() as NumPy 1.24 computes it for a C-contiguous
// float64 array: 0, plus in turn the pairwise sum
// (numpy/core/src/umath/loops_utils.h.src, PW_BLOCKSIZE 128) of each block
// of np.getbufsize() = 8192 elements its reduction loop is handed.
func refNumPySum(x []float64) float64 {
	var pw func(lo, n int) float64
	pw = func(lo, n int) float64 {
		switch {
		case n < 8:
			res := 0.0
			for i := range n {
				res += x[lo+i]
			}
			return res
		case n <= 128:
			var r [8]float64
			copy(r[:], x[lo:lo+8])
			i := 8
			for ; i < n-n%8; i += 8 {
				for j := range r {
					r[j] += x[lo+i+j]
				}
			}
			res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
			for ; i < n; i++ {
				res += x[lo+i]
			}
			return res
		}
		n2 := n / 2
		n2 -= n2 % 8
		return pw(lo, n2) + pw(lo+n2, n-n2)
	}
	s := 0.0
	for lo := 0; lo < len(x); lo += 8192 {
		s += pw(lo, min(8192, len(x)-lo))
	}
	return s
}
