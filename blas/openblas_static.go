//go:build cgo && !purego && linux && amd64 && !openblas_shared

package blas

// On Debian's amd64 (the project's platform) OpenBLAS's pthreads build,
// LAPACKE and the tmglib it names are linked in from their static archives
// (libopenblas-pthread-dev, liblapacke-dev, libtmglib-dev): a process then
// starts without the dynamic loader resolving the thousands of symbols of
// liblapacke (built with BIND_NOW) and libopenblas, about 2 ms of every
// start (user time of a run over one file 5.0 → 2.8 ms), which a batch of
// small files pays once and a Slurm array once per task. The variant is
// the one named here, whatever the libblas.so.3 alternatives say. Build
// with -tags openblas_shared to link the shared libraries through
// pkg-config instead (openblas_shared.go), as on every other platform.

/*
#cgo CFLAGS: -I/usr/include/x86_64-linux-gnu -I/usr/include/x86_64-linux-gnu/openblas-pthread
#cgo LDFLAGS: /usr/lib/x86_64-linux-gnu/liblapacke.a /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a
#cgo LDFLAGS: /usr/lib/x86_64-linux-gnu/libtmglib.a /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a
#cgo LDFLAGS: -l:libgfortran.so.5 -lpthread -lm
*/
import "C"

// linkedLibraries returns the BLAS and LAPACK archives linked into the
// program, which /proc/self/maps does not show (see [Runtime]).
func linkedLibraries() []string {
	return []string{
		"/usr/lib/x86_64-linux-gnu/liblapacke.a",
		"/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a",
	}
}
