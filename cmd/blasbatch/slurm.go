package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// sbatchArgs is the repeatable -sbatch flag.
type sbatchArgs []string

func (s *sbatchArgs) String() string     { return strings.Join(*s, " ") }
func (s *sbatchArgs) Set(v string) error { *s = append(*s, v); return nil }

func cmdSlurm(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	array := fs.Int("array", 0, "number of array tasks (shards) `N`")
	cpus := fs.Int("cpus-per-task", 1, "CPUs per task `K`: each task plans its split for its own allocation")
	dir := fs.String("dir", ".", "write the job scripts into `DIR`")
	submit := fs.Bool("submit", false, "submit the array with sbatch, then the merge job depending on it")
	var extra sbatchArgs
	fs.Var(&extra, "sbatch", "an sbatch option for both jobs, e.g. -sbatch --partition=long (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch slurm -array N [-cpus-per-task K] [flags] -- run [run flags] INPUTS...

Writes a Slurm array job whose task i runs "blasbatch run -shard i/N …"
(shard i of N, planned for the task's own K CPUs) and a merge job that
runs after it ("blasbatch merge"); with -submit, submits both through
sbatch. The run must write -jsonl FILE: the shards write
FILE.shard-000I-of-000N.jsonl beside it and the merge job writes FILE.
A task that failed or was cancelled can be run again alone
(sbatch --array=I blasbatch-array.sbatch); it resumes its shard.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch slurm: "+format+"\n", a...)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] != "run" {
		return usage("give the run command after the flags: -- run [run flags] INPUTS...")
	}
	if *array < 1 || *cpus < 1 {
		return usage("-array and -cpus-per-task must be at least 1")
	}
	rfs, rf := newRunFlags(io.Discard)
	if err := rfs.Parse(rest[1:]); err != nil {
		return usage("the run command: %v", err)
	}
	if rf.jsonl == "" || rf.jsonl == "-" {
		return usage("the run command needs -jsonl FILE: the shards and the merge write beside it")
	}
	if rf.shard != "" && rf.shard != "auto" {
		return usage("the run command must not set -shard: each array task takes its own")
	}
	exe, err := selfExe()
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch slurm: %v\n", err)
		return exitFailed
	}
	if abs, err := filepath.Abs(exe); err == nil {
		exe = abs
	}
	q := shellQuote
	var sb strings.Builder
	sb.WriteString("#!/bin/bash\n# Written by blasbatch slurm: shard $SLURM_ARRAY_TASK_ID of the run below.\n")
	fmt.Fprintf(&sb, "#SBATCH --job-name=blasbatch\n#SBATCH --array=0-%d\n#SBATCH --cpus-per-task=%d\n#SBATCH --output=blasbatch-%%A_%%a.out\n", *array-1, *cpus)
	for _, e := range extra {
		fmt.Fprintf(&sb, "#SBATCH %s\n", e)
	}
	// The shard count is written into the script, not read from the array's
	// bounds: a task resubmitted alone (sbatch --array=I) is still shard I
	// of N.
	runArgs := append([]string{q(exe), "run", "-shard", fmt.Sprintf(`"${SLURM_ARRAY_TASK_ID}/%d"`, *array), "-resume"}, quoteAll(rest[1:])...)
	fmt.Fprintf(&sb, "exec %s\n", strings.Join(runArgs, " "))

	var mb strings.Builder
	mb.WriteString("#!/bin/bash\n# Written by blasbatch slurm: merges the array's shards and checks the set is complete.\n")
	mb.WriteString("#SBATCH --job-name=blasbatch-merge\n#SBATCH --cpus-per-task=1\n#SBATCH --output=blasbatch-merge-%j.out\n")
	for _, e := range extra {
		fmt.Fprintf(&mb, "#SBATCH %s\n", e)
	}
	mergeArgs := []string{q(exe), "merge", "-jsonl", q(rf.jsonl), "-kernel", q(rf.kernel)}
	if rf.plan.shape != "" {
		mergeArgs = append(mergeArgs, "-shape", q(rf.plan.shape))
	}
	mergeArgs = append(mergeArgs, quoteAll(rfs.Args())...)
	fmt.Fprintf(&mb, "exec %s\n", strings.Join(mergeArgs, " "))

	arrayScript := filepath.Join(*dir, "blasbatch-array.sbatch")
	mergeScript := filepath.Join(*dir, "blasbatch-merge.sbatch")
	for p, body := range map[string]string{arrayScript: sb.String(), mergeScript: mb.String()} {
		if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
			fmt.Fprintf(stderr, "blasbatch slurm: %v\n", err)
			return exitFailed
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", arrayScript, mergeScript)
	if !*submit {
		fmt.Fprintf(stdout, "submit with: id=$(sbatch --parsable %s) && sbatch --dependency=afterany:$id %s\n", arrayScript, mergeScript)
		return exitOK
	}
	id, err := sbatch(arrayScript)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch slurm: %v\n", err)
		return exitFailed
	}
	mid, err := sbatch("--dependency=afterany:"+id, mergeScript)
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch slurm: array job %s submitted; the merge job failed: %v\n", id, err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "array job %s (%d tasks × %d CPUs), merge job %s after it\n", id, *array, *cpus, mid)
	return exitOK
}

// sbatch submits and returns the job id.
func sbatch(args ...string) (string, error) {
	out, err := exec.Command("sbatch", append([]string{"--parsable"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("sbatch printed %q, not a job id", out)
	}
	return id, nil
}

func quoteAll(a []string) []string {
	out := make([]string, len(a))
	for i, s := range a {
		out[i] = shellQuote(s)
	}
	return out
}

// shellQuote quotes s for bash when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
