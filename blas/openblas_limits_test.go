//go:build cgo && !purego

package blas

import (
	"errors"
	"strings"
	"testing"

	gblas "gonum.org/v1/gonum/blas"
)

// TestOpenBLASDimensionPanics: every OpenBLAS method refuses, before looking
// at its (here absent) operands, an integer its 32-bit C arguments cannot
// hold, with a *DimensionError naming the argument, instead of truncating
// it on the way into C.
func TestOpenBLASDimensionPanics(t *testing.T) {
	const huge = MaxDim + 1
	o := OpenBLAS{}
	for _, c := range []struct {
		routine, arg string
		call         func()
	}{
		{"Dgesdd", "m", func() { o.Dgesdd(SVDNone, huge, 1, nil, 1, nil, nil, 1, nil, 1, nil, -1, nil) }},
		{"Dgesdd", "lda", func() { o.Dgesdd(SVDNone, 1, 1, nil, huge, nil, nil, 1, nil, 1, nil, -1, nil) }},
		{"Dgesdd", "lwork", func() { o.Dgesdd(SVDNone, 1, 1, nil, 1, nil, nil, 1, nil, 1, nil, huge, nil) }},
		{"Dgesdd", "iwork", func() { o.Dgesdd(SVDNone, 1<<28, 1<<28, nil, 1<<28, nil, nil, 1, nil, 1, nil, -1, nil) }},
		{"Dgesvd", "n", func() { o.Dgesvd(SVDThin, 1, huge, nil, huge, nil, nil, 1, nil, 1, nil, -1) }},
		{"Dgesvd", "ldvt", func() { o.Dgesvd(SVDThin, 1, 1, nil, 1, nil, nil, 1, nil, huge, nil, -1) }},
		{"Dsyevd", "n", func() { o.Dsyevd(EigValues, huge, nil, huge, nil, nil, -1, nil, -1) }},
		{"Dsyevd", "liwork", func() { o.Dsyevd(EigVectors, 1, nil, 1, nil, nil, 1, nil, huge) }},
		{"Dgeev", "ldv", func() { o.Dgeev(EigVectors, 1, nil, 1, nil, nil, nil, huge, nil, -1) }},
		{"Dpotrf", "n", func() { o.Dpotrf(gblas.Lower, huge, nil, huge) }},
		{"Dgetrf", "lda", func() { o.Dgetrf(1, nil, huge, nil) }},
		{"Dgetri", "lwork", func() { o.Dgetri(1, nil, 1, nil, nil, huge) }},
		{"Dgecon", "n", func() { o.Dgecon('1', huge, nil, huge, 1, nil, nil) }},
		{"Dgeqrf", "m", func() { o.Dgeqrf(huge, 1, nil, 1, nil, nil, -1) }},
		{"Dorgqr", "m", func() { o.Dorgqr(huge, huge, huge, nil, huge, nil, nil, -1) }},
		{"Dsyrk", "k", func() { o.Dsyrk(gblas.Upper, gblas.NoTrans, 1, huge, 1, nil, huge, 0, nil, 1) }},
		{"Dgemm", "ldc", func() { o.Dgemm(gblas.NoTrans, gblas.NoTrans, 1, 1, 1, 1, nil, 1, nil, 1, 0, nil, huge) }},
	} {
		name := c.routine + "/" + c.arg
		v := func() (v any) {
			defer func() { v = recover() }()
			c.call()
			return nil
		}()
		err, ok := v.(error)
		if !ok || !errors.Is(err, ErrDimension) {
			t.Fatalf("%s: panic %v, want a *DimensionError", name, v)
		}
		if msg := err.Error(); !strings.Contains(msg, c.routine) || !strings.Contains(msg, c.arg) || !strings.Contains(msg, "2147483647") {
			t.Fatalf("%s: %q does not name the routine, the argument and the limit", name, msg)
		}
	}
}
