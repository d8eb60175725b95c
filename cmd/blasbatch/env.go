package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/threads"
)

type envReport struct {
	BLAS       blas.Info      `json:"blas"`
	Usable     threads.Usable `json:"usable"`
	Cores      int            `json:"blas_cores"` // Usable.Cores(): the threads to keep busy
	Go         string         `json:"go"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	Default    string         `json:"default_split"`
	Advice     []string       `json:"advice,omitempty"`
}

func cmdEnv(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("env", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: blasbatch env [-json]\n\nReports the BLAS library this process loaded (file, version, kernel set,\nthreading model), the cores it may use and why, and the default split.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	h, err := blasbatch.ProbeHost()
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch env: %v\n", err)
		return exitFailed
	}
	cores := h.Cores()
	svd, _ := kernels.Lookup("svd")
	describe := func(count int) string {
		phases, err := blasbatch.Suggest(svd, 1000, 1000, count)
		if err != nil {
			return err.Error()
		}
		return describePhases(phases)
	}
	r := envReport{
		BLAS: h.BLAS, Usable: h.Usable, Cores: cores, Go: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Default: fmt.Sprintf("%d cores for BLAS; svd of %d × 1000²: %s; of 1 × 1000²: %s", cores, 4*cores, describe(4*cores), describe(1)),
	}
	if a := blasbatch.CPUAdvice(h.BLAS); a != "" {
		r.Advice = append(r.Advice, a)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "blasbatch env: %v\n", err)
			return exitFailed
		}
	} else {
		printEnv(stdout, r)
	}
	if err := h.BLAS.Check(1); err != nil {
		fmt.Fprintf(stderr, "blasbatch env: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func printEnv(w io.Writer, r envReport) {
	b := r.BLAS
	row := func(k, format string, a ...any) { fmt.Fprintf(w, "%-12s %s\n", k, fmt.Sprintf(format, a...)) }
	name := b.Implementation
	if b.Version != "" {
		name += " " + b.Version
	}
	row("blas", "%s, threading %s, core %s", name, b.Threading, orDash(b.CoreName))
	row("config", "%s", b.Config)
	for i, l := range b.Libraries {
		k := ""
		if i == 0 {
			k = "libraries"
		}
		row(k, "%s", l)
	}
	row("runtimes", "%s", orDash(strings.Join(b.Runtimes, ", ")))
	row("blas threads", "%d", b.Threads)
	for _, e := range b.Env {
		row("environment", "%s=%s: %s", e.Name, envValue(e.Value), e.Effect)
	}
	if len(b.Env) == 0 {
		row("environment", "no BLAS variables set (OPENBLAS_*, GOTO_*, OMP_NUM_THREADS, MKL_NUM_THREADS, ...)")
	}
	row("cpus", "%s usable, keep %d busy", threads.FormatCPUList(r.Usable.CPUs), r.Cores)
	for _, why := range r.Usable.Reasons {
		row("", "%s", why)
	}
	row("go", "%s, GOMAXPROCS=%d", r.Go, r.GOMAXPROCS)
	row("default", "%s", r.Default)
	for _, a := range r.Advice {
		row("advice", "%s", a)
	}
}

// envValue shows an environment variable's value as typed, quoted when it
// is empty or holds spaces or unprintable characters.
func envValue(v string) string {
	if v == "" || strings.ContainsFunc(v, func(r rune) bool { return r == ' ' || !strconv.IsPrint(r) }) {
		return strconv.Quote(v)
	}
	return v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
