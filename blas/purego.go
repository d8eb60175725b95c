//go:build !cgo || purego

package blas

// Linked reports whether this build links OpenBLAS (true) or is the pure-Go
// build (false).
const Linked = false

func defaultLAPACK() LAPACK { return Gonum{} }

func linkedLibraries() []string { return nil }

// SetThreads does nothing in the pure-Go build: gonum's LAPACK runs on the
// calling goroutine.
func SetThreads(int) {}

// Threads returns 1 in the pure-Go build.
func Threads() int { return 1 }

func nativeInfo() Info {
	return Info{
		Implementation: "gonum",
		Config:         "gonum pure-Go LAPACK (built without cgo: OpenBLAS not linked)",
		Threading:      Serial,
		Threads:        1,
	}
}

// UseWithGonum does nothing in the pure-Go build: gonum already uses its own
// implementation.
func UseWithGonum() {}

// BeginPhase does nothing in the pure-Go build; end does nothing either.
func BeginPhase(int) (end func()) { return func() {} }
