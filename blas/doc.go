// Package blas is blasbatch's one door to native code: it links Debian's
// OpenBLAS and LAPACKE, sets and reads the BLAS thread count, reports which
// library the process actually mapped, and provides the LAPACK routines the
// kernels call.
//
// Two implementations of [LAPACK] exist:
//
//   - [OpenBLAS] (built with cgo, the default): LAPACKE in column-major
//     layout over OpenBLAS. A row-major matrix is the column-major transpose,
//     so row-major callers are served without the transposed copies that
//     LAPACKE's row-major layout would make (gonum.org/v1/netlib's lapacke
//     binding always asks for row-major and so copies every operand).
//   - [Gonum] (always available): gonum's pure-Go LAPACK. It is what a
//     build without cgo (CGO_ENABLED=0 or the purego tag) uses, and the
//     independent reference the shared kernel tests compare against.
//
// [Default] returns the OpenBLAS implementation when it is linked, else Gonum.
//
// [UseWithGonum] registers OpenBLAS (through gonum.org/v1/netlib) as the
// engine behind gonum's blas64 and lapack64 packages, so gonum's mat code
// used alongside blasbatch runs on the same, single OpenBLAS runtime.
//
// Only this package contains import "C". Link flags come from pkg-config
// (packages openblas and lapacke), never from hard-coded paths.
package blas
