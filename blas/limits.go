package blas

import (
	"errors"
	"fmt"
	"math"
)

// MaxDim is the largest dimension, leading dimension or workspace length
// the native routines take: LAPACKE's lapack_int and OpenBLAS's blasint are
// 32-bit in Debian's builds (the LP64 interface that pkg-config's lapacke
// and openblas name), so a larger Go int would be silently truncated on its
// way into C.
//
// [OpenBLAS]'s methods panic with a *[DimensionError] for a larger value,
// before calling into C: a last line of defence against programming errors.
// [Gonum], whose integers are Go ints, accepts larger ones. Code that takes
// sizes from users (the kernels) checks them against MaxDim first and
// returns an error instead, whichever implementation it runs on.
const MaxDim = math.MaxInt32

// ErrDimension is matched by errors.Is for every *[DimensionError].
var ErrDimension = errors.New("does not fit LAPACK's 32-bit integers")

// DimensionError is a dimension, leading dimension or workspace length too
// large for the native library's 32-bit integers (see [MaxDim]).
type DimensionError struct {
	Routine string // the method, e.g. "Dgesdd"
	Name    string // the argument, e.g. "lda"
	Value   int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("blas: %s: %s = %d exceeds %d, the largest value LAPACK's 32-bit integers hold", e.Routine, e.Name, e.Value, MaxDim)
}

// Is makes errors.Is(err, ErrDimension) true.
func (e *DimensionError) Is(target error) bool { return target == ErrDimension }

// CheckDim returns a *DimensionError naming routine and name when v exceeds
// [MaxDim], else nil. Negative values are left to the routines' own
// argument checks.
func CheckDim(routine, name string, v int) error {
	if v > MaxDim {
		return &DimensionError{Routine: routine, Name: name, Value: v}
	}
	return nil
}
