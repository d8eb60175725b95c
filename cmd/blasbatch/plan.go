package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// planOptions are the planning flags run and plan share.
type planOptions struct {
	mode   string // estimate | measure
	wisdom string // file; "" = the default under the user's cache directory
	shape  string // -shape for raw .f64 inputs
}

// readOptions turns -shape into how inputs are opened.
func (o planOptions) readOptions() (matio.Options, error) {
	if o.shape == "" {
		return matio.Options{}, nil
	}
	sh, err := matio.ParseShape(o.shape)
	if err != nil {
		return matio.Options{}, fmt.Errorf("-shape: %w", err)
	}
	return matio.Options{Shape: sh}, nil
}

func (o *planOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.mode, "plan", "estimate", "how to choose the split: estimate (flop-count model, refined by saved wisdom) or measure (time short trials on the real items first and save what they teach as wisdom)")
	fs.StringVar(&o.shape, "shape", "", "shape of raw .f64 inputs: `MxN`, or KxMxN for a stack of K (wins over a FILE.f64.shape sidecar)")
	fs.StringVar(&o.wisdom, "wisdom", "", "wisdom `FILE` (default: $XDG_CACHE_HOME/blasbatch/wisdom.json)")
}

func (o planOptions) check() error {
	if o.mode != "estimate" && o.mode != "measure" {
		return fmt.Errorf("-plan %q: want estimate or measure", o.mode)
	}
	return nil
}

// decision is a plan with what led to it.
type decision struct {
	plan  threads.Plan
	notes []string
	ins   []inputFile
}

// decide loads wisdom, measures if asked (saving what it learned), and runs
// the planner over the items still to compute of the scanned inputs.
func decide(pl planner, ins []inputFile, o planOptions) (decision, error) {
	shapes := shapeClasses(ins)
	path := o.wisdom
	if path == "" {
		var err error
		if path, err = threads.DefaultWisdomPath(); err != nil {
			path = ""
		}
	}
	var w threads.Wisdom
	var notes []string
	if path != "" {
		var err error
		if w, err = threads.LoadWisdom(path); err != nil {
			notes = append(notes, fmt.Sprintf("ignoring wisdom: %v", err))
			w = threads.Wisdom{}
		}
	}
	if o.mode == "measure" && len(shapes) > 0 {
		m, err := pl.measure(ins, shapes, &w)
		notes = append(notes, m...)
		if err != nil {
			return decision{}, err
		}
		if path != "" {
			if err := w.Save(path); err != nil {
				notes = append(notes, fmt.Sprintf("could not save wisdom to %s: %v", path, err))
			} else {
				notes = append(notes, "wisdom saved to "+path)
			}
		}
	}
	costs, cn := pl.costs(shapes, w)
	notes = append(notes, cn...)
	if len(shapes) == 0 {
		// Only unreadable inputs: they fail whatever the split.
		shapes = []threads.Shape{{Rows: 1, Cols: 1, Count: max(1, len(ins))}}
		costs = []threads.Cost{{}}
	}
	return decision{plan: threads.Choose(pl.machine(), shapes, costs), notes: notes, ins: ins}, nil
}

type planReport struct {
	Kernel     string              `json:"kernel"`
	Items      int                 `json:"items"`
	Cores      int                 `json:"cores"`
	Phases     []threads.Phase     `json:"phases"`
	LaneCPUs   [][][]int           `json:"lane_cpus"` // per phase, per lane`
	Seconds    float64             `json:"predicted_seconds"`
	Reasons    []string            `json:"reasons"`
	Notes      []string            `json:"notes"`
	Candidates []threads.Candidate `json:"candidates"`
}

func cmdPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernel := fs.String("kernel", "svd", "kernel to plan for: "+strings.Join(kernels.Names(), ", "))
	asJSON := fs.Bool("json", false, "print the decision and every candidate as JSON")
	var o planOptions
	o.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch plan [flags] FILE|DIR...

Shows the split "blasbatch run" would choose for these inputs — outer
workers × inner BLAS threads, in-process or as worker processes, with a tail
phase when the last items would leave cores idle — the reasons, and every
candidate's predicted time. Reads the files' headers only; with -plan
measure it also times the largest shapes on real items and saves that as
wisdom, which later runs reuse.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	spec, err := kernels.Lookup(*kernel)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", err)
		return exitUsage
	}
	if err := o.check(); err != nil {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "blasbatch plan: no inputs (see -h)\n")
		return exitUsage
	}
	files, inErrs := matio.Expand(fs.Args())
	for _, e := range inErrs {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", e)
	}
	h, err := probeHost()
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", err)
		return exitFailed
	}
	read, err := o.readOptions()
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", err)
		return exitUsage
	}
	pl := planner{host: h, spec: spec, lanes: processLanesAvailable(), read: read}
	d, err := decide(pl, scanInputs(files, spec, pl.read), o)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", err)
		return exitFailed
	}
	items := 0
	for _, in := range d.ins {
		items += in.items
	}
	r := planReport{Kernel: spec.Name, Items: items, Cores: pl.machine().Cores, Phases: d.plan.Phases,
		Seconds: d.plan.Seconds, Reasons: d.plan.Reasons, Notes: d.notes, Candidates: d.plan.Candidates}
	for _, ph := range d.plan.Phases {
		r.LaneCPUs = append(r.LaneCPUs, laneCPUs(h.usable, ph.Outer, ph.Inner))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "%s on %d items, %d cores (%s %s, %s)\n", spec.Name, items, r.Cores, h.blas.Implementation, h.blas.Version, h.blas.Threading)
	fmt.Fprintf(stdout, "plan: %s\n", d.plan)
	for _, s := range append(d.plan.Reasons, d.notes...) {
		fmt.Fprintf(stdout, "  - %s\n", s)
	}
	for i, ph := range d.plan.Phases {
		fmt.Fprintf(stdout, "  - phase %d CPUs: %s\n", i+1, phaseCPUs(h.usable, ph))
	}
	fmt.Fprintf(stdout, "\n| outer | inner | predicted s | phases |\n|---:|---:|---:|---|\n")
	for _, c := range d.plan.Candidates {
		var ph []string
		for _, p := range c.Phases {
			ph = append(ph, p.String())
		}
		fmt.Fprintf(stdout, "| %d | %d | %.3f | %s |\n", c.Outer, c.Inner, c.Seconds, strings.Join(ph, "; then "))
	}
	return exitOK
}

// phaseCPUs says which CPUs each lane of a phase gets.
func phaseCPUs(u threads.Usable, ph threads.Phase) string {
	if !ph.Process && ph.Inner > 1 {
		return "one process, " + strconv.Itoa(ph.Inner) + " OpenBLAS threads (not pinned)"
	}
	var s []string
	for j, l := range laneCPUs(u, ph.Outer, ph.Inner) {
		s = append(s, fmt.Sprintf("lane %d → %s", j, threads.FormatCPUList(l)))
	}
	return strings.Join(s, ", ")
}
