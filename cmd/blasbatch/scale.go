package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/results"
)

// exeEnv names the environment variable that, when set, names the blasbatch
// binary whose runs scale times instead of its own executable. The tests
// use it: there the executable is the test binary.
const exeEnv = "BLASBATCH_EXE"

// scaleConfig is the parsed command line of scale.
type scaleConfig struct {
	kernel       string
	size, count  int
	seed         uint64
	outer, inner []int   // the grid
	extra        []shape // splits run even when oversubscribed
	dir          string  // workload directory to keep ("" for a temporary one)
	jsonPath     string
	plotPath     string
	repeat       int
}

// shape is one split: outer workers × inner BLAS threads.
type shape struct{ outer, inner int }

func (s shape) threads() int   { return s.outer * s.inner }
func (s shape) String() string { return fmt.Sprintf("%d × %d", s.outer, s.inner) }

// scaleRow is one row of the table: a split and what its runs gave.
type scaleRow struct {
	shape
	oversubscribed bool
	times          []float64 // wall-clock seconds of each successful run
	seconds        float64   // median of times
	checksum       int64
	err            string // why the split did not run ("" when it did)
	speedup        float64
	efficiency     float64
	note           []string
}

func (r *scaleRow) ok() bool { return r.err == "" && len(r.times) > 0 }

// jsonRow is a row as --json writes it. Fields without a value (the time
// of a refused split) are null.
type jsonRow struct {
	Outer          int      `json:"outer"`
	Inner          int      `json:"inner"`
	Seconds        *float64 `json:"seconds"`
	Speedup        *float64 `json:"speedup"`
	Efficiency     *float64 `json:"efficiency"`
	Checksum       *int64   `json:"checksum"`
	Oversubscribed bool     `json:"oversubscribed,omitempty"`
	Error          string   `json:"error,omitempty"`
}

// cmdScale runs "blasbatch scale": every split of a grid over a generated
// workload, each timed as a whole run process, printed as a markdown table.
func cmdScale(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c scaleConfig
	fs.StringVar(&c.kernel, "kernel", "svd", "kernel to time: "+strings.Join(kernels.Names(), ", "))
	fs.IntVar(&c.size, "size", 1000, "rows and columns of each generated matrix")
	fs.IntVar(&c.count, "count", 16, "number of generated matrices")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed of the workload (as for gen)")
	fs.Func("outer", "outer worker counts of the grid, comma-separated `LIST` (default 1, 2, 4, … up to the usable cores)", func(s string) (err error) {
		c.outer, err = parseCounts(s)
		return err
	})
	fs.Func("inner", "inner BLAS thread counts of the grid, comma-separated `LIST` (default as -outer)", func(s string) (err error) {
		c.inner, err = parseCounts(s)
		return err
	})
	fs.Func("extra", "more splits `OxI,…` to run, even when oversubscribed, such as 2x2,4x1", func(s string) (err error) {
		c.extra, err = parseShapes(s)
		return err
	})
	fs.StringVar(&c.dir, "dir", "", "generate the workload in `DIR` and keep it; reused when it already holds it")
	fs.StringVar(&c.jsonPath, "json", "", "also write the rows as a JSON array to `FILE`")
	fs.StringVar(&c.plotPath, "plot", "", "also draw speedup against outer workers to `FILE.png` (.svg, .pdf by extension)")
	fs.IntVar(&c.repeat, "repeat", 1, "runs of each split, taken round-robin over the splits; the table shows the median")
	help := func() {
		fmt.Fprintf(stderr, `Usage: blasbatch scale [flags]

Measures how the time of a batch changes with the split of the cores
between outer workers and inner BLAS threads, and prints it as a markdown
table: one line naming the machine and the workload, then

  | outer | inner | threads | seconds | speedup | efficiency | checksum | note |

The workload is gen's: -count random -size × -size matrices, seeded, as
.npy files in a temporary directory removed afterwards (or in -dir, kept,
and reused by a later scale with the same -size, -count and -seed).

Every split of the grid (each -outer count with each -inner count) whose
outer × inner threads fit the usable cores is run; the others are skipped
with a note on standard error unless -extra lists them, and splits in
-extra run even when oversubscribed (the note says so).

Each run is a whole process, timed by the wall clock from start to exit:

  blasbatch run -quiet -kernel K -outer O -inner I -jsonl TMP DIR

so reading the files counts. A split that run refuses or fails (exit 2
or 1) shows why in its note instead of a time (the first line of run's
standard error, shortened; the whole line goes to standard error and
-json), and the table goes on.
With -repeat R every split runs R times, round-robin over the splits, and
seconds is the median.

speedup is over the 1 × 1 row (over the slowest row when 1 × 1 did not
run, which a line under the table says); efficiency = speedup / threads.
checksum is Σ over the matrices of floor(Σ singular values), as NumPy's
int(np.sum(s)): every row should show the same one, and scale warns on
standard error when one differs.

-json FILE writes a JSON array with one object per row, fields outer,
inner, seconds, speedup, efficiency, checksum (null where the split did
not run), and oversubscribed and error when they apply.
-plot FILE.png draws speedup against outer workers, one line per inner
count, with the ideal speedup = outer (inner = 1) dashed.

The binary timed is this one, or the one the %s environment
variable names.

Exit status: 0 when the table was printed and at least one split ran,
1 when none ran or the workload or an output file could not be written,
2 on usage errors.

Flags:
`, exeEnv)
		fs.PrintDefaults()
	}
	// A bad flag gets its error and a pointer to -h, not the whole help.
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			help()
			return exitOK
		}
		fmt.Fprintf(stderr, "Run \"blasbatch scale -h\" for the flags.\n")
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch scale: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected arguments %q (scale generates its own workload; see -h)", fs.Args())
	}
	if _, err := kernels.Lookup(c.kernel); err != nil {
		return usageErr("%v", err)
	}
	if c.size < 1 || c.count < 1 || c.repeat < 1 {
		return usageErr("-size, -count and -repeat must be positive")
	}
	// What can be known about -json and -plot is checked now, not after
	// minutes of measuring.
	if err := checkScaleOutputs(c.jsonPath, c.plotPath); err != nil {
		return usageErr("%s", oneLine(err.Error()))
	}
	h, err := blasbatch.ProbeHost()
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch scale: %v\n", err)
		return exitFailed
	}
	cores := h.Cores()
	if c.outer == nil {
		c.outer = powersUpTo(cores)
	}
	if c.inner == nil {
		c.inner = powersUpTo(cores)
	}
	rows, skipped := planRows(c.outer, c.inner, c.extra, cores)
	if len(skipped) > 0 {
		names := make([]string, len(skipped))
		for i, s := range skipped {
			names[i] = s.String()
		}
		fmt.Fprintf(stderr, "blasbatch scale: skipping %s: more threads than the %d usable cores (list a split in -extra to run it anyway)\n",
			strings.Join(names, ", "), cores)
	}
	if len(rows) == 0 {
		return usageErr("no split of the grid fits in %d usable cores; use smaller -outer and -inner counts or list splits in -extra", cores)
	}

	exe, err := selfExe()
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch scale: finding this program to run it: %v\n", err)
		return exitFailed
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if err := measure(ctx, c, exe, rows, stderr); err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		fmt.Fprintf(stderr, "blasbatch scale: %v\n", err)
		var refused *refusedError
		if errors.As(err, &refused) {
			return exitUsage
		}
		return exitFailed
	}

	base := computeSpeedups(rows)
	checkChecksums(rows, base, stderr)

	b := h.BLAS
	blasName := b.Implementation
	if b.Version != "" {
		blasName += " " + b.Version
	}
	model := h.Usable.Topology.Model
	if model == "" {
		model = "unknown CPU"
	}
	runs := "one run each"
	if c.repeat > 1 {
		runs = fmt.Sprintf("median of %d runs", c.repeat)
	}
	blasDetail := "threading " + b.Threading.String()
	if b.CoreName != "" {
		blasDetail = "core " + b.CoreName + ", " + blasDetail
	}
	fmt.Fprintf(stdout, "%s, %d usable cores, %s (%s); workload: %s of %d random %d×%d matrices (seed %d), wall clock of a whole blasbatch run per split, %s\n\n",
		model, cores, blasName, blasDetail, c.kernel, c.count, c.size, c.size, c.seed, runs)
	writeTable(stdout, rows)
	if base != nil && base.shape != (shape{1, 1}) {
		fmt.Fprintf(stdout, "\nspeedup is over the slowest row (%s): 1 × 1 did not run.\n", base.shape)
	}

	code := exitOK
	if base == nil {
		fmt.Fprintf(stderr, "blasbatch scale: no split ran\n")
		code = exitFailed
	}
	if c.jsonPath != "" {
		if err := writeRowsJSON(c.jsonPath, rows); err != nil {
			fmt.Fprintf(stderr, "blasbatch scale: %v\n", err)
			code = exitFailed
		}
	}
	if c.plotPath != "" && base != nil {
		title := fmt.Sprintf("%s of %d × %d×%d matrices\n%s, %d usable cores, %s", c.kernel, c.count, c.size, c.size, model, cores, blasName)
		if err := writePlot(c.plotPath, rows, base.shape, title); err != nil {
			fmt.Fprintf(stderr, "blasbatch scale: plot: %v\n", err)
			code = exitFailed
		}
	}
	return code
}

// parseCounts parses a comma-separated list of positive integers, dropping
// repeats.
func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer (want a list such as 1,2,4)", f)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// parseShapes parses a comma-separated list of splits OxI (or O×I).
func parseShapes(s string) ([]shape, error) {
	var out []shape
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		o, i, ok := strings.Cut(strings.ReplaceAll(f, "×", "x"), "x")
		no, err1 := strconv.Atoi(strings.TrimSpace(o))
		ni, err2 := strconv.Atoi(strings.TrimSpace(i))
		if !ok || err1 != nil || err2 != nil || no < 1 || ni < 1 {
			return nil, fmt.Errorf("%q is not a split OUTERxINNER of positive integers (want a list such as 2x2,4x1)", f)
		}
		if sh := (shape{no, ni}); !slices.Contains(out, sh) {
			out = append(out, sh)
		}
	}
	return out, nil
}

// powersUpTo returns 1, 2, 4, … up to n, and n itself.
func powersUpTo(n int) []int {
	var out []int
	for k := 1; k < n; k *= 2 {
		out = append(out, k)
	}
	return append(out, n)
}

// planRows returns the rows to run, sorted by outer then inner: the splits
// of the grid that fit in cores, and every extra split (marked
// oversubscribed when it does not fit). skipped are the grid's splits that
// do not fit and are not extras.
func planRows(outer, inner []int, extra []shape, cores int) (rows []*scaleRow, skipped []shape) {
	var shapes []shape
	for _, o := range outer {
		for _, i := range inner {
			s := shape{o, i}
			switch {
			case s.threads() <= cores || slices.Contains(extra, s):
				shapes = append(shapes, s)
			default:
				skipped = append(skipped, s)
			}
		}
	}
	for _, s := range extra {
		if !slices.Contains(shapes, s) {
			shapes = append(shapes, s)
		}
	}
	slices.SortFunc(shapes, func(a, b shape) int {
		if a.outer != b.outer {
			return a.outer - b.outer
		}
		return a.inner - b.inner
	})
	for _, s := range shapes {
		rows = append(rows, &scaleRow{shape: s, oversubscribed: s.threads() > cores})
	}
	return rows, skipped
}

// measure prepares the workload and runs every split c.repeat times,
// round-robin, filling in the rows' times, checksums and errors. A split
// that fails is not run again. It returns an error only when the workload
// cannot be prepared or the run is interrupted.
func measure(ctx context.Context, c scaleConfig, exe string, rows []*scaleRow, stderr io.Writer) error {
	work, err := os.MkdirTemp("", "blasbatch-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	data := c.dir
	if data == "" {
		data = filepath.Join(work, "data")
	}
	w := workload{Rows: c.size, Cols: c.size, Count: c.count, Seed: c.seed}
	if err := w.check(filepath.Dir(data)); err != nil {
		return &refusedError{err.Error()}
	}
	if err := prepareWorkload(data, w, stderr); err != nil {
		return err
	}
	// -json and -plot must not be the workload's files.
	for _, out := range []string{c.jsonPath, c.plotPath} {
		if out == "" {
			continue
		}
		id, err := safefile.Identity(out)
		if err != nil {
			continue
		}
		for _, name := range w.names() {
			if in, err := safefile.Identity(filepath.Join(data, name)); err == nil && in == id {
				return &refusedError{fmt.Sprintf("%s is one of the workload's files: give another output", inputs.Quote(out))}
			}
		}
	}
	jsonl := filepath.Join(work, "records.jsonl")
	for r := range c.repeat {
		for _, row := range rows {
			if row.err != "" {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			secs, sum, warnings, err := runSplit(ctx, exe, c.kernel, row.shape, data, jsonl, c.count)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				row.err = err.Error()
				fmt.Fprintf(stderr, "blasbatch scale: %s: %s\n", row.shape, row.err)
				continue
			}
			if r == 0 {
				for _, w := range warnings {
					fmt.Fprintf(stderr, "blasbatch scale: %s: %s\n", row.shape, w)
				}
			}
			if len(row.times) > 0 && sum != row.checksum {
				fmt.Fprintf(stderr, "blasbatch scale: warning: %s: run %d gave checksum %d, run 1 gave %d\n", row.shape, r+1, sum, row.checksum)
			}
			if len(row.times) == 0 {
				row.checksum = sum
			}
			row.times = append(row.times, secs)
			fmt.Fprintf(stderr, "blasbatch scale: %s: %ss (run %d of %d)\n", row.shape, formatSeconds(secs), r+1, c.repeat)
		}
	}
	for _, row := range rows {
		if row.ok() {
			row.seconds = median(row.times)
		}
	}
	return nil
}

// runSplit runs exe's run command on dir with split s and returns its wall
// clock time, the checksum of its records, and the warnings it printed. An
// error says why the split did not run: "refused: …" when run exits 2,
// "failed: …" otherwise, with the first line of its standard error.
func runSplit(ctx context.Context, exe, kernel string, s shape, dir, jsonl string, count int) (secs float64, sum int64, warnings []string, err error) {
	var errb bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "run", "-quiet", "-kernel", kernel,
		"-outer", strconv.Itoa(s.outer), "-inner", strconv.Itoa(s.inner), "-jsonl", jsonl, dir)
	cmd.Stderr = &errb
	start := time.Now()
	runErr := cmd.Run()
	secs = time.Since(start).Seconds()

	const warnPrefix = "blasbatch run: warning: "
	var first string
	for line := range strings.Lines(errb.String()) {
		line = strings.TrimSpace(line)
		if w, ok := strings.CutPrefix(line, warnPrefix); ok {
			if !strings.Contains(w, "oversubscribed") { // the table says so
				warnings = append(warnings, "warning: "+w)
			}
			continue
		}
		if first == "" && line != "" {
			first = strings.TrimPrefix(line, "blasbatch run: ")
		}
	}
	if runErr != nil {
		var ee *exec.ExitError
		verb := "failed"
		if errors.As(runErr, &ee) && ee.ExitCode() == exitUsage {
			verb = "refused"
		}
		if first == "" {
			first = runErr.Error()
		}
		return 0, 0, warnings, fmt.Errorf("%s: %s", verb, first)
	}
	sum, n, err := checksum(jsonl)
	if err != nil {
		return 0, 0, warnings, fmt.Errorf("failed: reading its records: %v", err)
	}
	if n != count {
		return 0, 0, warnings, fmt.Errorf("failed: %d records for %d matrices", n, count)
	}
	return secs, sum, warnings, nil
}

// checksum returns Σ over the records in the JSON Lines file of
// floor(Σ of every number the kernel's fields hold: its vector and its
// scalars), and how many records it holds; a failed record is an error.
// For svd that is NumPy's int(np.sum(s)) summed over the matrices.
func checksum(path string) (sum int64, n int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	d := results.NewDecoder(f)
	for {
		_, rec, err := d.Next()
		if err == io.EOF {
			return sum, n, nil
		}
		if err != nil {
			return 0, n, err
		}
		if !rec.OK {
			return 0, n, fmt.Errorf("%s: %s", rec.Input, rec.Error)
		}
		sum += int64(math.Floor(kernelSum(rec)))
		n++
	}
}

// kernelSum adds up every finite number of a record's kernel fields.
func kernelSum(rec results.Record) float64 {
	s := 0.0
	for name := range rec.Fields {
		vals, ok := rec.Floats(name)
		if !ok {
			if v, ok := rec.Float(name); ok {
				vals = []float64{v}
			}
		}
		for _, v := range vals {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				s += v
			}
		}
	}
	return s
}

// median returns the median of xs, which must not be empty.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// computeSpeedups fills in speedup and efficiency over the baseline row,
// which it returns: 1 × 1 when it ran, else the slowest row that ran, else
// nil.
func computeSpeedups(rows []*scaleRow) *scaleRow {
	var base *scaleRow
	for _, r := range rows {
		if !r.ok() {
			continue
		}
		if r.shape == (shape{1, 1}) {
			base = r
			break
		}
		if base == nil || r.seconds > base.seconds {
			base = r
		}
	}
	if base == nil {
		return nil
	}
	for _, r := range rows {
		if r.ok() {
			r.speedup = base.seconds / r.seconds
			r.efficiency = r.speedup / float64(r.threads())
		}
	}
	return base
}

// checkChecksums warns on stderr, and notes in the row, when a row's
// checksum differs from the baseline's.
func checkChecksums(rows []*scaleRow, base *scaleRow, stderr io.Writer) {
	if base == nil {
		return
	}
	for _, r := range rows {
		if r.ok() && r.checksum != base.checksum {
			r.note = append(r.note, "checksum differs")
			fmt.Fprintf(stderr, "blasbatch scale: warning: %s gave checksum %d, %s gave %d: the splits did not compute the same singular values\n",
				r.shape, r.checksum, base.shape, base.checksum)
		}
	}
}

// maxNote is how many characters of a split's error the table shows; the
// whole of it goes to standard error and -json.
const maxNote = 100

// writeTable prints rows as a markdown table, numbers right-aligned and
// columns padded so that it also reads well as plain text (all but the
// last, notes, which may be long).
func writeTable(w io.Writer, rows []*scaleRow) {
	header := []string{"outer", "inner", "threads", "seconds", "speedup", "efficiency", "checksum", "note"}
	right := []bool{true, true, true, true, true, true, true, false}
	cells := [][]string{header}
	for _, r := range rows {
		var note []string
		if r.oversubscribed {
			note = append(note, "oversubscribed")
		}
		note = append(note, r.note...)
		line := []string{strconv.Itoa(r.outer), strconv.Itoa(r.inner), strconv.Itoa(r.threads()), "", "", "", ""}
		if r.ok() {
			line[3] = formatSeconds(r.seconds)
			line[4] = fmt.Sprintf("%.2f", r.speedup)
			line[5] = fmt.Sprintf("%.2f", r.efficiency)
			line[6] = strconv.FormatInt(r.checksum, 10)
		} else {
			line[3], line[4], line[5], line[6] = "–", "–", "–", "–"
			note = append(note, truncate(r.err, maxNote))
		}
		line = append(line, strings.ReplaceAll(strings.Join(note, "; "), "|", `\|`))
		cells = append(cells, line)
	}
	width := make([]int, len(header))
	for _, line := range cells {
		for j, s := range line {
			width[j] = max(width[j], len([]rune(s)), 3)
		}
	}
	pad := func(s string, j int) string {
		if j == len(header)-1 {
			return s
		}
		gap := strings.Repeat(" ", width[j]-len([]rune(s)))
		if right[j] {
			return gap + s
		}
		return s + gap
	}
	var b strings.Builder
	for i, line := range cells {
		for j, s := range line {
			b.WriteString("| " + pad(s, j) + " ")
		}
		b.WriteString("|\n")
		if i == 0 {
			for j := range header {
				dashes := strings.Repeat("-", min(width[j], len(header[j])))
				if j < len(header)-1 {
					dashes = strings.Repeat("-", width[j])
				}
				if right[j] {
					dashes = dashes[1:] + ":"
				}
				b.WriteString("| " + dashes + " ")
			}
			b.WriteString("|\n")
		}
	}
	io.WriteString(w, b.String())
}

// formatSeconds formats a time for the table: to the hundredth of a
// second, or the thousandth below one second.
func formatSeconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%.3f", s)
	}
	return fmt.Sprintf("%.2f", s)
}

// truncate shortens s to at most n characters, ending it with "…" when it
// cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// writeRowsJSON writes rows to path as an indented JSON array.
func writeRowsJSON(path string, rows []*scaleRow) error {
	out := make([]jsonRow, 0, len(rows))
	for _, r := range rows {
		j := jsonRow{Outer: r.outer, Inner: r.inner, Oversubscribed: r.oversubscribed, Error: r.err}
		if r.ok() {
			j.Seconds, j.Speedup, j.Efficiency, j.Checksum = &r.seconds, &r.speedup, &r.efficiency, &r.checksum
		}
		out = append(out, j)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// prepareWorkload makes dir hold exactly w's matrix files: it reuses
// them when gen's manifest says it wrote them for this workload and they
// are unchanged, and otherwise writes them with gen, which refuses to write
// over files it did not write. Matrix files in dir that are not the
// workload's are an error: run would read them too.
func prepareWorkload(dir string, w workload, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	man, err := openManifest(dir)
	if err != nil {
		return err
	}
	want := w.names()
	paths, _, _ := inputs.Expand([]string{dir}, inputs.Options{})
	for _, p := range paths {
		if name := filepath.Base(p); !slices.Contains(want, name) {
			man.close()
			return &refusedError{fmt.Sprintf("%s holds %s, which is not this workload's and run would read: give an empty or new -dir", inputs.Quote(dir), inputs.Quote(name))}
		}
	}
	if man.holds(w) {
		man.close()
		fmt.Fprintf(stderr, "blasbatch scale: reusing the workload in %s\n", inputs.Quote(dir))
		return nil
	}
	man.close()
	fmt.Fprintf(stderr, "blasbatch scale: writing %d random %d×%d matrices to %s\n", w.Count, w.Rows, w.Cols, inputs.Quote(dir))
	return genDir(dir, w)
}

// selfExe is the blasbatch binary scale times: the one named by
// $BLASBATCH_EXE if set (tests, where this process is the test binary),
// else this program.
func selfExe() (string, error) {
	if exe := os.Getenv(exeEnv); exe != "" {
		return exe, nil
	}
	return os.Executable()
}

// plotFormats are the -plot file name extensions gonum/plot writes.
var plotFormats = []string{"eps", "jpg", "jpeg", "pdf", "png", "svg", "tex", "tif", "tiff"}

// checkScaleOutputs refuses, before anything is measured, a -plot FILE of a
// format that cannot be drawn, the two outputs being one file, and an
// output whose directory does not exist. A device or FIFO (/dev/null) is
// written through and needs no extension.
func checkScaleOutputs(jsonPath, plotPath string) error {
	if plotPath != "" {
		_, fi, err := safefile.Resolve(plotPath)
		ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(plotPath)), ".")
		if err == nil && (fi == nil || fi.Mode().IsRegular()) && !slices.Contains(plotFormats, ext) {
			return fmt.Errorf("-plot %s: the format comes from the extension: want one of .%s", inputs.Quote(plotPath), strings.Join(plotFormats, ", ."))
		}
	}
	if jsonPath != "" && plotPath != "" && sameFile(jsonPath, plotPath) {
		if _, fi, err := safefile.Resolve(jsonPath); err != nil || fi == nil || fi.Mode().IsRegular() {
			return fmt.Errorf("-json and -plot are the same file %s", inputs.Quote(jsonPath))
		}
	}
	for _, p := range []string{jsonPath, plotPath} {
		if p == "" {
			continue
		}
		target, fi, err := safefile.Resolve(p)
		if err != nil {
			return err
		}
		if fi != nil && fi.IsDir() {
			return fmt.Errorf("%s is a directory", inputs.Quote(p))
		}
		if d, err := os.Stat(filepath.Dir(target)); err != nil || !d.IsDir() {
			return fmt.Errorf("%s: no directory %s to write it in", inputs.Quote(p), inputs.Quote(filepath.Dir(target)))
		}
	}
	return nil
}
