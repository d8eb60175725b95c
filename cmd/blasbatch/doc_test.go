package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/blasbatch/blasbatch"
	"github.com/blasbatch/blasbatch/results"
)

// TestEveryCommandDocumented: the commands dispatch takes are exactly the
// ones the package comment (go doc) and the usage text list, and each
// answers -h with its own usage and exit 0.
func TestEveryCommandDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var dispatched []string
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "dispatch" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if c, ok := n.(*ast.CaseClause); ok {
				for _, e := range c.List {
					if lit, ok := e.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						if !strings.HasPrefix(s, "-") && s != "help" {
							dispatched = append(dispatched, s)
						}
					}
				}
			}
			return true
		})
		return false
	})
	listed := func(text string) []string {
		var cmds []string
		for _, line := range strings.Split(text, "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 2 && fields[0] == "blasbatch" && !strings.HasPrefix(fields[1], "-") && !strings.HasPrefix(fields[1], "—") && fields[1] != "COMMAND" {
				cmds = append(cmds, fields[1])
			}
		}
		slices.Sort(cmds)
		return slices.Compact(cmds)
	}
	slices.Sort(dispatched)
	if len(dispatched) < 9 {
		t.Fatalf("found only %v in dispatch", dispatched)
	}
	if doc := listed(f.Doc.Text()); !slices.Equal(doc, dispatched) {
		t.Errorf("the package comment lists %v, dispatch takes %v", doc, dispatched)
	}
	if u := listed(usage); !slices.Equal(u, dispatched) {
		t.Errorf("the usage text lists %v, dispatch takes %v", u, dispatched)
	}
	for _, cmd := range dispatched {
		var errOut strings.Builder
		if code := dispatch([]string{cmd, "-h"}, io.Discard, &errOut); code != exitOK || !strings.HasPrefix(errOut.String(), "Usage: blasbatch "+cmd+" ") {
			t.Errorf("blasbatch %s -h: exit %d, %.60q", cmd, code, errOut.String())
		}
	}
}

// TestSummaryLine: phases that ran alike are described once (a budget can
// make a planned tail's split the same as the phase before); the summary
// of a run stopped early names its results file and advises -resume only
// when items are left to do, or when a failed sync leaves records perhaps
// not on disk.
func TestSummaryLine(t *testing.T) {
	ph := func(outer, inner, items int) blasbatch.Phase {
		return blasbatch.Phase{Outer: outer, Inner: inner, Items: items}
	}
	for _, c := range []struct {
		phases []blasbatch.Phase
		want   string
	}{
		{[]blasbatch.Phase{ph(1, 2, 2), ph(1, 2, 1)}, "1 outer × 2 inner"},
		{[]blasbatch.Phase{ph(2, 1, 2), ph(1, 2, 1)}, "2 outer × 1 inner, then 1 outer × 2 inner for the last 1"},
		{[]blasbatch.Phase{ph(2, 1, 2), ph(1, 2, 1), ph(1, 2, 3)}, "2 outer × 1 inner, then 1 outer × 2 inner for the last 4"},
	} {
		if got := describePhases(c.phases); got != c.want {
			t.Errorf("%+v: %q, want %q", c.phases, got, c.want)
		}
	}
	job := blasbatch.Job{ResultsFile: "r.jsonl"}
	for _, c := range []struct {
		sum    blasbatch.Summary
		resume bool
	}{
		{blasbatch.Summary{Items: 3, OK: 3, ResultsFile: "r.jsonl"}, false},
		{blasbatch.Summary{Items: 3, OK: 2, NotStarted: 1, ResultsFile: "r.jsonl"}, true},
		{blasbatch.Summary{Items: 3, OK: 2, Abandoned: 1, ResultsFile: "r.jsonl"}, true},
	} {
		for _, err := range []error{nil, errors.New("writing results: no space left on device")} {
			var out strings.Builder
			sig := os.Signal(syscall.SIGINT)
			if err != nil {
				sig = nil
			}
			report(&out, "run", false, false, job, c.sum, err, sig)
			got := out.String()
			if strings.Contains(got, "-resume") != c.resume {
				t.Errorf("%+v (err %v): %q: advice to resume should be %v", c.sum, err, got, c.resume)
			}
			if err != nil && !strings.Contains(got, "recorded in r.jsonl") {
				t.Errorf("%+v: %q does not name the results file", c.sum, got)
			}
		}
		// A sync that failed (a full or failing disk) leaves the records
		// written but perhaps not on disk: never "recorded", always the
		// advice to resume.
		var out strings.Builder
		err := &results.JournalError{Path: "r.jsonl", Err: fmt.Errorf("%w: %w", results.ErrSync, syscall.ENOSPC)}
		report(&out, "run", false, false, job, c.sum, err, nil)
		got := out.String()
		if strings.Contains(got, "recorded in") || !strings.Contains(got, "perhaps not all of it to disk") || !strings.Contains(got, "-resume") {
			t.Errorf("%+v, a failed sync: %q", c.sum, got)
		}
	}
}

// TestSpareP: the command gives Go one P more than its default unless
// GOMAXPROCS is set to a number the runtime takes; what env reports is
// what the process runs with.
func TestSpareP(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	gomaxprocs := func(value string, set bool) int {
		t.Helper()
		cmd := exec.Command(exe, "env", "-json")
		cmd.Env = []string{mainEnv + "=1"}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GOMAXPROCS=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if set {
			cmd.Env = append(cmd.Env, "GOMAXPROCS="+value)
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("GOMAXPROCS=%q: %v", value, err)
		}
		var r struct{ GOMAXPROCS int }
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("GOMAXPROCS=%q: %v in %s", value, err, out)
		}
		return r.GOMAXPROCS
	}
	unset := gomaxprocs("", false)
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err != nil || n <= 0 {
		// This process runs with Go's default (TestMain leaves it).
		if want := runtime.GOMAXPROCS(0) + 1; unset != want {
			t.Errorf("GOMAXPROCS unset: %d, want Go's default + 1 = %d", unset, want)
		}
	} else if unset < 2 {
		t.Errorf("GOMAXPROCS unset: %d, want Go's default + 1", unset)
	}
	for _, v := range []string{"", "abc", "0", "-3"} {
		if got := gomaxprocs(v, true); got != unset {
			t.Errorf("GOMAXPROCS=%q (ignored by Go): %d, want %d as when unset", v, got, unset)
		}
	}
	for _, v := range []int{1, 5} {
		if got := gomaxprocs(strconv.Itoa(v), true); got != v {
			t.Errorf("GOMAXPROCS=%d: the command runs with %d", v, got)
		}
	}
}

// TestMessagesStayOnOneLine: run's and exec's Info and Warn print each
// message as one line whatever it carries, and Debug each of its lines;
// -quiet keeps only the warnings.
func TestMessagesStayOnOneLine(t *testing.T) {
	for _, cmd := range []string{"run", "exec"} {
		var b strings.Builder
		var job blasbatch.Job
		setMessages(&job, &b, cmd, false, true)
		job.Info("a\nb\x1b[2J")
		job.Warn("c\rd\xff")
		job.Debug("e\x07\nf")
		want := "blasbatch " + cmd + `: a\x0ab\x1b[2J` + "\n" +
			"blasbatch " + cmd + `: warning: c\x0dd\xff` + "\n" +
			"blasbatch " + cmd + `: debug: e\x07` + "\n" +
			"blasbatch " + cmd + ": debug: f\n"
		if b.String() != want {
			t.Errorf("%s: printed\n%q, want\n%q", cmd, b.String(), want)
		}
		// -quiet drops the notes and keeps the warnings.
		var quiet strings.Builder
		job = blasbatch.Job{}
		setMessages(&job, &quiet, cmd, true, false)
		if job.Info != nil || job.Debug != nil || job.Warn == nil {
			t.Fatalf("%s -quiet: Info set %v, Debug set %v, Warn set %v", cmd, job.Info != nil, job.Debug != nil, job.Warn != nil)
		}
		job.Warn("skipped 1 entry")
		if want := "blasbatch " + cmd + ": warning: skipped 1 entry\n"; quiet.String() != want {
			t.Errorf("%s -quiet: a warning printed %q, want %q", cmd, quiet.String(), want)
		}
	}
}
