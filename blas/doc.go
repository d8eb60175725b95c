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
// Memory: every OpenBLAS method calls LAPACKE's _work entry point in
// column-major layout, which hands the caller's Go buffers straight to
// LAPACK and allocates nothing in C (LAPACKE's high-level wrappers, which
// malloc workspace invisible to Go's MemStats, are never used); OpenBLAS's
// own GEMM buffers are mapped once per process, not per call. So all a call
// needs beyond its operands is the workspace the caller passes, plus in
// [Gonum] the pivot conversions its factorisations allocate and the
// goroutines gonum's Dgemm starts (documented on those methods).
//
// Integers: LAPACKE and OpenBLAS take 32-bit integers here; [OpenBLAS]'s
// methods panic with a *[DimensionError] for a dimension, leading dimension
// or workspace length above [MaxDim] rather than truncate it.
//
// Only this package contains import "C". Link flags come from pkg-config
// (packages openblas and lapacke), never from hard-coded paths.
package blas
