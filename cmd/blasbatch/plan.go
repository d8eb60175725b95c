package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/plan"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/threads"
)

// planOptions are the planning flags run and plan share.
type planOptions struct {
	plan   string // estimate | measure
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
	fs.StringVar(&o.plan, "plan", "estimate", "how to choose the split: estimate (flop-count model, refined by saved wisdom) or measure (time short trials on real items first — kept as results — and save what they teach as wisdom)")
	fs.StringVar(&o.shape, "shape", "", "shape of raw .f64 inputs: `MxN`, or KxMxN for a stack of K (wins over a FILE.f64.shape sidecar)")
	fs.StringVar(&o.wisdom, "wisdom", "", "wisdom `FILE` (default: $XDG_CACHE_HOME/blasbatch/wisdom.json; - for none)")
}

func (o planOptions) mode() (blasbatch.PlanMode, error) {
	switch o.plan {
	case "estimate":
		return blasbatch.PlanEstimate, nil
	case "measure":
		return blasbatch.PlanMeasure, nil
	}
	return 0, fmt.Errorf("-plan %q: want estimate or measure", o.plan)
}

type planReport struct {
	Kernel     string            `json:"kernel"`
	Items      int               `json:"items"`
	Cores      int               `json:"cores"`
	Phases     []plan.Phase      `json:"phases"`
	LaneCPUs   [][][]int         `json:"lane_cpus"` // per phase, per lane
	Seconds    float64           `json:"predicted_seconds"`
	Reasons    []string          `json:"reasons"`
	Notes      []string          `json:"notes"`
	Candidates []plan.Candidate  `json:"candidates"`
	Env        []blas.EnvSetting `json:"environment"`
}

func cmdPlan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kernel := fs.String("kernel", "svd", "kernel to plan for: "+strings.Join(kernels.Names(), ", "))
	asJSON := fs.Bool("json", false, "print the decision and every candidate as JSON")
	maxMemory := fs.String("max-memory", "", "the memory budget, as run's -max-memory")
	var pairs pairList
	fs.Var(&pairs, "pair", "a pair of files for a pair kernel, as run's -pair")
	var o planOptions
	o.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch plan [flags] FILE|DIR...

Shows the split "blasbatch run" would choose for these inputs — outer
workers × inner BLAS threads, in-process or as worker processes, with a tail
phase when the last items would leave cores idle — the reasons, and every
candidate's predicted time. Reads the files' headers only; with -plan
measure it also times trials on real items and saves that as wisdom, which
later runs reuse.

Flags:
`)
		fs.PrintDefaults()
	}
	args, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch plan: "+format+"\n", a...)
		return exitUsage
	}
	spec, err := kernels.Lookup(*kernel)
	if err != nil {
		return usageErr("%v", err)
	}
	mode, err := o.mode()
	if err != nil {
		return usageErr("%v", err)
	}
	if len(args) == 0 && len(pairs) == 0 {
		return usageErr("no inputs (see -h)")
	}
	read, err := o.readOptions()
	if err != nil {
		return usageErr("%v", err)
	}
	var budget int64
	if *maxMemory != "" {
		if budget, err = plan.ParseBytes(*maxMemory); err != nil {
			return usageErr("-max-memory %v", err)
		}
		if budget == 0 {
			budget = -1
		}
	}
	sig := watchSignals()
	defer sig.stop()
	job := blasbatch.Job{Kernel: spec, Inputs: args, Pairs: pairs, Read: read, Plan: mode, Wisdom: o.wisdom, MaxMemory: budget,
		Warn: func(s string) { fmt.Fprintf(stderr, "blasbatch plan: warning: %s\n", s) }}
	d, err := blasbatch.Explain(sig.ctx, job)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch plan: %v\n", err)
		if errors.Is(err, blasbatch.ErrJob) {
			return exitUsage
		}
		return exitFailed
	}
	info := blas.Runtime()
	r := planReport{Kernel: spec.Name, Items: d.Items, Cores: d.Cores, Phases: d.Phases, LaneCPUs: d.LaneCPUs,
		Seconds: d.Seconds, Reasons: d.Reasons, Notes: d.Notes, Candidates: d.Candidates, Env: info.Env}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return exitFailed
		}
		return exitOK
	}
	fmt.Fprintf(stdout, "%s on %d items, %d cores (%s %s, %s)\n", spec.Name, d.Items, d.Cores, info.Implementation, info.Version, info.Threading)
	fmt.Fprintf(stdout, "plan: %s", describePlan(d))
	fmt.Fprintln(stdout)
	for _, s := range append(d.Reasons, d.Notes...) {
		fmt.Fprintf(stdout, "  - %s\n", s)
	}
	for _, e := range info.Env {
		fmt.Fprintf(stdout, "  - environment %s=%s: %s\n", e.Name, e.Value, e.Effect)
	}
	for i, ph := range d.Phases {
		fmt.Fprintf(stdout, "  - phase %d CPUs: %s\n", i+1, phaseCPUs(d.LaneCPUs[i], ph))
	}
	if len(d.Candidates) > 0 {
		fmt.Fprintf(stdout, "\n| outer | inner | predicted s | phases |\n|---:|---:|---:|---|\n")
		for _, c := range d.Candidates {
			var ph []string
			for _, p := range c.Phases {
				ph = append(ph, p.String())
			}
			fmt.Fprintf(stdout, "| %d | %d | %.3f | %s |\n", c.Outer, c.Inner, c.Seconds, strings.Join(ph, "; then "))
		}
	}
	return exitOK
}

// describePlan is the plan's phases and prediction on one line.
func describePlan(d blasbatch.Decision) string {
	var s []string
	for _, ph := range d.Phases {
		s = append(s, ph.String())
	}
	out := strings.Join(s, ", then ")
	if d.Seconds > 0 {
		out += fmt.Sprintf("; predicted %.3gs", d.Seconds)
	}
	return out
}

// phaseCPUs says which CPUs each lane of a phase gets.
func phaseCPUs(lanes [][]int, ph plan.Phase) string {
	if !ph.Process && ph.Inner > 1 {
		return "one process, " + strconv.Itoa(ph.Inner) + " OpenBLAS threads (not pinned)"
	}
	var s []string
	for j, l := range lanes {
		s = append(s, fmt.Sprintf("lane %d → %s", j, threads.FormatCPUList(l)))
	}
	return strings.Join(s, ", ")
}
