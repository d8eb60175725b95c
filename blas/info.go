package blas

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ThreadingModel is how a BLAS build runs one call on several threads.
type ThreadingModel int

const (
	Serial   ThreadingModel = iota // no threads of its own (OpenBLAS USE_THREAD=0, or gonum)
	Pthreads                       // OpenBLAS's own pthread pool, one thread count per process
	OpenMP                         // an OpenMP team, thread count per calling thread
)

func (m ThreadingModel) String() string {
	switch m {
	case Serial:
		return "serial"
	case Pthreads:
		return "pthreads"
	case OpenMP:
		return "openmp"
	}
	return "ThreadingModel(" + strconv.Itoa(int(m)) + ")"
}

// UnmarshalText reads the names MarshalText writes.
func (m *ThreadingModel) UnmarshalText(b []byte) error {
	for _, c := range []ThreadingModel{Serial, Pthreads, OpenMP} {
		if string(b) == c.String() {
			*m = c
			return nil
		}
	}
	return fmt.Errorf("unknown threading model %q", b)
}

// MarshalText makes a ThreadingModel read as its name in JSON.
func (m ThreadingModel) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Info describes the BLAS/LAPACK runtime of this process.
type Info struct {
	Implementation string         `json:"implementation"` // "openblas" or "gonum"
	Version        string         `json:"version,omitempty"`
	Config         string         `json:"config"`              // openblas_get_config()
	CoreName       string         `json:"core,omitempty"`      // openblas_get_corename(): the kernel set chosen for this CPU
	Threading      ThreadingModel `json:"threading"`           // openblas_get_parallel()
	Threads        int            `json:"threads"`             // openblas_get_num_threads() now
	Libraries      []string       `json:"libraries,omitempty"` // BLAS/LAPACK archives linked into the program and shared objects mapped into the process
	Runtimes       []string       `json:"runtimes,omitempty"`  // distinct BLAS runtimes among Libraries
	// Env lists the BLAS-related environment variables the user set and
	// what became of each (see EnvSettings): a thread count blasbatch
	// overrides, an OPENBLAS_CORETYPE that OpenBLAS did or did not accept.
	Env []EnvSetting `json:"environment"`
}

// ThreadSafe reports whether several threads may call into the library at
// once. Debian's serial OpenBLAS is built without locking and is not.
func (i Info) ThreadSafe() bool {
	return i.Implementation != "openblas" || i.Threading != Serial
}

// Runtime reports the process's BLAS runtime: the linked implementation's
// own description, the libraries linked in (the static archives of this
// build, if any) and mapped into the process (read from /proc/self/maps
// where it exists), and the BLAS-related environment variables as they are
// now ([EnvSettings] of os.Environ()). A shared BLAS mapped beside a
// linked-in one is a second runtime.
func Runtime() Info {
	info := nativeInfo()
	info.Version = parseVersion(info.Config)
	info.Env = EnvSettings(os.Environ(), info.CoreName)
	info.Libraries = linkedLibraries()
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		info.Libraries = append(info.Libraries, MappedLibraries(maps)...)
	}
	info.Runtimes = Runtimes(info.Libraries)
	return info
}

// Default returns the LAPACK implementation of this build: [OpenBLAS] when
// it is linked, else [Gonum].
func Default() LAPACK { return defaultLAPACK() }

var (
	// ErrTwoRuntimes means more than one BLAS runtime is mapped into the
	// process: each keeps its own threads and settings, so thread counts set
	// on one do not govern the other and the cores are oversubscribed.
	ErrTwoRuntimes = errors.New("more than one BLAS runtime is loaded")
	// ErrSerialShared means a BLAS build that is not thread-safe was asked
	// to serve several workers at once.
	ErrSerialShared = errors.New("the serial OpenBLAS build is not thread-safe")
)

// Check refuses configurations that would give wrong numbers or
// oversubscribe the machine: two BLAS runtimes in one process, or a build
// that is not thread-safe serving outer > 1 concurrent workers.
func (i Info) Check(outer int) error {
	if len(i.Runtimes) > 1 {
		return fmt.Errorf("%w: %s (point the libblas.so.3 and liblapack.so.3 alternatives at one OpenBLAS variant)", ErrTwoRuntimes, strings.Join(i.Runtimes, ", "))
	}
	if outer > 1 && !i.ThreadSafe() {
		return fmt.Errorf("%w: run with -outer 1, or install libopenblas0-pthread", ErrSerialShared)
	}
	return nil
}

// parseVersion extracts "0.3.21" from "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
func parseVersion(config string) string {
	f := strings.Fields(config)
	if len(f) >= 2 && f[0] == "OpenBLAS" {
		return f[1]
	}
	return ""
}

// MappedLibraries returns, sorted and without repeats, the paths of the
// BLAS, LAPACK and LAPACKE shared objects named in the text of a
// /proc/PID/maps file.
func MappedLibraries(maps []byte) []string {
	seen := map[string]bool{}
	for _, line := range strings.Split(string(maps), "\n") {
		// address perms offset dev inode pathname
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		p := strings.Join(f[5:], " ")
		if libraryFamily(p) != "" || isLAPACK(p) {
			seen[p] = true
		}
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Runtimes returns the distinct BLAS runtimes among libs. OpenBLAS's
// libblas.so.3 and liblapack.so.3 wrappers count as the OpenBLAS variant of
// their directory; LAPACK and LAPACKE alone are not runtimes.
func Runtimes(libs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range libs {
		if f := libraryFamily(p); f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// libraryFamily names the BLAS runtime a shared object belongs to, or ""
// when it is not a BLAS runtime.
func libraryFamily(path string) string {
	base := filepath.Base(path)
	dir := filepath.Base(filepath.Dir(path))
	switch {
	case strings.HasPrefix(dir, "openblas") && (strings.HasPrefix(base, "libopenblas") || strings.HasPrefix(base, "libblas.so") || strings.HasPrefix(base, "liblapack.so")):
		return dir // openblas-pthread, openblas-openmp, openblas-serial
	case strings.HasPrefix(base, "libopenblas"):
		return "openblas"
	case strings.HasPrefix(base, "libmkl_"):
		return "mkl"
	case strings.HasPrefix(base, "libblis"):
		return "blis"
	case strings.HasPrefix(base, "libflexiblas"):
		return "flexiblas"
	case strings.HasPrefix(base, "libatlas"), strings.HasPrefix(base, "libtatlas"), strings.HasPrefix(base, "libsatlas"):
		return "atlas"
	case strings.HasPrefix(base, "libblas.so"), strings.HasPrefix(base, "libcblas.so"):
		return "reference-blas (" + dir + ")"
	}
	return ""
}

func isLAPACK(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(base, "liblapack")
}

func itoa(i int) string { return strconv.Itoa(i) }

// checkSVDArgs panics with a precise message when the operands cannot hold
// what Dgesdd is asked to write; LAPACK itself cannot see slice lengths.
func checkSVDArgs(job SVDJob, m, n, la, lda, ls, lu, ldu, lvt, ldvt, lenWork, lwork, liwork int) {
	k := min(m, n)
	bad := func(msg string) { panic(fmt.Sprintf("blas: Dgesdd m=%d n=%d job=%c: %s", m, n, job, msg)) }
	switch {
	case m < 0 || n < 0:
		bad("negative dimension")
	case lda < max(1, n):
		bad("lda < n")
	case m > 0 && la < (m-1)*lda+n:
		bad("a is too short")
	case ls < k:
		bad("s is too short")
	case lwork != -1 && lenWork < lwork:
		bad("work is shorter than lwork")
	case lwork == -1 && lenWork < 1:
		bad("work is empty for a workspace query")
	case liwork >= 0 && liwork < 8*k: // liwork < 0: the routine takes no iwork
		bad("iwork is shorter than 8·min(m,n)")
	}
	var ur, uc, vr int // rows and columns of U, rows of Vᵀ
	switch job {
	case SVDAll:
		ur, uc, vr = m, m, n
	case SVDThin:
		ur, uc, vr = m, k, k
	default:
		return
	}
	switch {
	case ldu < max(1, uc):
		bad("ldu too small")
	case ur > 0 && lu < (ur-1)*ldu+uc:
		bad("u is too short")
	case ldvt < max(1, n):
		bad("ldvt < n")
	case vr > 0 && lvt < (vr-1)*ldvt+n:
		bad("vt is too short")
	}
}
