package blas

import (
	"slices"
	"strings"
)

// EnvSetting is one environment variable that BLAS libraries read, as this
// process saw it, and what became of it.
type EnvSetting struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

// isThreadCount reports whether name sets a BLAS's (or OpenMP's, or
// NumPy's helpers') thread count, which blasbatch sets itself.
func isThreadCount(name string) bool {
	switch name {
	case "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
		"BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS":
		return true
	}
	return false
}

// Effects that EnvSettings reports.
const (
	effectOverridden = "overridden: blasbatch sets each worker's BLAS threads from its split (lane processes get explicit values)"
	effectSeen       = "seen"
)

// EnvSettings lists the BLAS-related variables of environ (as os.Environ
// returns it, "NAME=value"), sorted by name: every variable whose name
// starts with OPENBLAS_ or GOTO_, and OMP_NUM_THREADS, MKL_NUM_THREADS,
// BLIS_NUM_THREADS, VECLIB_MAXIMUM_THREADS and NUMEXPR_NUM_THREADS. Each
// says what happened to it:
//
//   - a thread count (those five, OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS):
//     overridden, since blasbatch sets every worker's BLAS threads from the
//     split it chose, and lane processes get explicit values;
//   - OPENBLAS_CORETYPE: "accepted" when coreName (the kernel set OpenBLAS
//     runs, [Info.CoreName]) is the name asked for, compared without regard
//     to case as OpenBLAS does; else "not accepted: OpenBLAS runs its
//     <coreName> kernels" — OpenBLAS ignores an unknown name silently, and a
//     build without DYNAMIC_ARCH ignores the variable — or, when coreName is
//     "" (OpenBLAS not linked), "not checked";
//   - any other: "seen".
//
// A name that appears twice counts once, with its first value (the one
// getenv returns); entries without "=" are skipped. The result is empty,
// not nil, when no such variable is set (a JSON report says [] rather than
// leaving the field out). It is a pure function of its arguments;
// [Runtime] applies it to os.Environ().
func EnvSettings(environ []string, coreName string) []EnvSetting {
	out := []EnvSetting{}
	seen := map[string]bool{}
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || seen[name] || !blasVariable(name) {
			continue
		}
		seen[name] = true
		out = append(out, EnvSetting{Name: name, Value: value, Effect: envEffect(name, value, coreName)})
	}
	slices.SortFunc(out, func(a, b EnvSetting) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func blasVariable(name string) bool {
	return strings.HasPrefix(name, "OPENBLAS_") || strings.HasPrefix(name, "GOTO_") || isThreadCount(name)
}

func envEffect(name, value, coreName string) string {
	switch {
	case isThreadCount(name):
		return effectOverridden
	case name == "OPENBLAS_CORETYPE":
		switch {
		case coreName == "":
			return "not checked: OpenBLAS is not linked, so no kernel set is reported"
		case strings.EqualFold(strings.TrimSpace(value), coreName):
			return "accepted"
		default:
			return "not accepted: OpenBLAS runs its " + coreName + " kernels"
		}
	}
	return effectSeen
}
