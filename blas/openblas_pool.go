//go:build cgo && !purego

package blas

/*
#include <fcntl.h>
#include <stddef.h>
#include <sys/resource.h>
#include <unistd.h>

extern void openblas_set_num_threads(int);
extern int openblas_get_parallel(void);

// OpenBLAS's pthreads build keeps a pool of blas_num_threads-1 threads
// (blas_server.c). An idle pool thread spins on sched_yield for 2^28 TSC
// cycles (about 0.1 s) after it starts and after every job before it
// sleeps: the pool made when the library loads spins through the first
// 0.1 s of every process, and with one thread per call (outer lanes of
// inner 1) it takes a core the lanes need. blas_thread_shutdown_ stops the
// pool; the next call that needs threads makes it again (exec_blas's
// re-init after fork). The symbols are weak: the serial and OpenMP builds
// lack or differ in them, and then nothing is stopped.
typedef int (*bb_fn)(void);
static bb_fn bb_shutdown;
static int *bb_avail, *bb_cpu_number, *bb_num_threads;

extern int blas_thread_shutdown_(void) __attribute__((weak));
extern int blas_server_avail __attribute__((weak));
extern int blas_cpu_number __attribute__((weak));
extern int blas_num_threads __attribute__((weak));
extern void gotoblas_init(void) __attribute__((weak));

// bb_pool_find initialises OpenBLAS (gotoblas_init: a linked-in OpenBLAS's
// own constructor may run after this program's; a second call does
// nothing) and finds its pool.
static int bb_pool_find(void) {
	if (gotoblas_init) gotoblas_init();
	bb_shutdown = blas_thread_shutdown_;
	bb_avail = &blas_server_avail;
	bb_cpu_number = &blas_cpu_number;
	bb_num_threads = &blas_num_threads;
	return bb_shutdown != NULL && bb_avail != NULL && bb_cpu_number != NULL && bb_num_threads != NULL;
}

// bb_reserve_descriptors grows the process's table of file descriptors to
// 4096 entries (or the hard limit on open files, if lower) while the
// process has one thread: Linux grows it on demand, and while threads share
// it each growth waits for an RCU grace period (milliseconds), which a scan
// that keeps thousands of small files open would pay at 256, 512, 1024 and
// 2048 open files. The soft limit is raised for the moment if it is lower
// (the Go runtime raises it to the hard limit anyway) and put back.
static void bb_reserve_descriptors(void) {
	struct rlimit l;
	if (getrlimit(RLIMIT_NOFILE, &l) != 0) return;
	rlim_t want = l.rlim_max < 4096 ? l.rlim_max : 4096, cur = l.rlim_cur;
	if (want < 128) return;
	if (cur < want) {
		l.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &l) != 0) return;
	}
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int high = fcntl(fd, F_DUPFD_CLOEXEC, (int)want - 1);
		if (high >= 0) close(high);
		close(fd);
	}
	if (cur < want) {
		l.rlim_cur = cur;
		setrlimit(RLIMIT_NOFILE, &l);
	}
}

// bb_stop_pool_at_load runs before the Go runtime starts, after OpenBLAS's
// gotoblas_init (a shared library's constructors run before the program's;
// a linked-in OpenBLAS is initialised by bb_pool_find): the pool OpenBLAS
// made at load would otherwise spin through the process's whole start, a
// core of a two-core machine.
__attribute__((constructor)) static void bb_stop_pool_at_load(void) {
	if (openblas_get_parallel() == 1 && bb_pool_find() && *bb_avail != 0) bb_shutdown();
	bb_reserve_descriptors();
}

static int bb_pool_running(void) { return *bb_avail != 0; }
static int bb_pool_size(void) { return *bb_num_threads - 1; }
static void bb_pool_stop(void) { bb_shutdown(); }

// bb_pool_set_lazily sets the count of a stopped pool without making it
// (goto_set_num_threads would make it first): the first call that needs
// threads makes it. It reports whether it could (n within the pool's size).
static int bb_pool_set_lazily(int n) {
	if (*bb_avail != 0 || n > *bb_num_threads) return 0;
	*bb_cpu_number = n;
	return 1;
}
*/
import "C"

import "sync"

// pool is OpenBLAS's thread pool, which is the process's: its state is the
// C library's global state, guarded here.
var pool struct {
	once   sync.Once
	found  bool // the pthreads build's symbols are there
	mu     sync.Mutex
	phases int // phases in progress (BeginPhase)
}

func poolFound() bool {
	pool.once.Do(func() {
		pool.found = C.openblas_get_parallel() == 1 && C.bb_pool_find() != 0
	})
	return pool.found
}

// SetThreads sets the number of threads OpenBLAS uses for one BLAS call, for
// the whole process (the pthread build keeps one global count). It does not
// start OpenBLAS's thread pool when it is stopped (at load, or by a phase of
// one thread): the first call that needs more than one thread does.
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	if poolFound() && C.bb_pool_set_lazily(C.int(n)) != 0 {
		return
	}
	C.openblas_set_num_threads(C.int(n))
}

// stopIdleThreads stops OpenBLAS's pool of helper threads unless a phase
// is in progress (for tests; BeginPhase does it under the lock).
func stopIdleThreads() {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	stopIdleLocked()
}

// stopIdleLocked stops the pool, keeping the thread count, unless a phase
// is in progress; pool.mu is held. The next BLAS call that needs more than
// one thread starts the pool again.
func stopIdleLocked() {
	if poolFound() && pool.phases == 0 && C.bb_pool_running() != 0 {
		C.bb_pool_stop()
	}
}

// BeginPhase sets OpenBLAS's thread count to n (n ≥ 1) for a phase of work
// and returns the function that ends it, putting back the count it found.
// When n is 1 and no other phase is in progress, OpenBLAS's pool of helper
// threads is stopped: an idle helper spins on sched_yield for about 0.1 s
// after it starts and after each job it runs, taking a core from the lanes
// of one thread each. A later call that needs threads starts the pool
// again. Phases may overlap (two runs in one program), but they share the
// one count: the last set wins. It must not be called while another
// goroutine is inside a multi-threaded BLAS call.
func BeginPhase(n int) (end func()) {
	if n < 1 {
		n = 1
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	prev := Threads()
	SetThreads(n)
	if n == 1 {
		stopIdleLocked()
	}
	pool.phases++
	var once sync.Once
	return func() {
		once.Do(func() {
			pool.mu.Lock()
			defer pool.mu.Unlock()
			pool.phases--
			SetThreads(prev)
		})
	}
}

// poolRunning reports whether OpenBLAS's helper threads exist, and
// poolHelpers how many a running pool has (for tests).
func poolRunning() bool { return poolFound() && C.bb_pool_running() != 0 }
func poolHelpers() int  { return int(C.bb_pool_size()) }
