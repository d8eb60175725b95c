package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/blasbatch/blasbatch/internal/safefile"
)

// sbatchArgs is the repeatable -sbatch flag.
type sbatchArgs []string

func (s *sbatchArgs) String() string     { return strings.Join(*s, " ") }
func (s *sbatchArgs) Set(v string) error { *s = append(*s, v); return nil }

const slurmUsage = `Usage: blasbatch slurm -array N [-cpus-per-task K] [flags] -- run [run flags] INPUTS...

Writes a Slurm array job whose task i runs "blasbatch run -shard i/N -resume …"
(shard i of N, planned for the task's own K CPUs) and a merge job that
runs after it ("blasbatch merge"); with -submit, submits both through
sbatch. The run must write -jsonl FILE: the shards write
FILE.shard-000I-of-000N.jsonl beside it and the merge job writes FILE.
A task that failed or was cancelled can be run again alone
(sbatch --array=I blasbatch-array.sbatch); it resumes its shard.

Where the jobs run: both scripts run in the directory this command was run
in, wherever sbatch is called from (#SBATCH --chdir=DIR, and the script cds
there first, failing rather than running elsewhere), so relative inputs and
-jsonl, -save, -wisdom paths mean what they mean here, and the records name
the inputs as given. The jobs' output files (blasbatch-JOB_TASK.out,
blasbatch-merge-JOB.out) go there too. The blasbatch binary is named by its
absolute path. -dir only says where the two scripts are written.

The run: its flags and inputs are written into the array script as given
(quoted for bash). It may not set -shard or -shards (each task's shard is
written into the script, so a task resubmitted alone is still shard I of
N) nor -resume=false (tasks always resume); -resume is accepted and
changes nothing. A forced split (-outer/-inner) that needs more CPUs than
-cpus-per-task is written anyway, with a warning.

-sbatch: each value is one sbatch argument, added to both scripts as an
#SBATCH line, e.g. -sbatch --partition=long -sbatch --time=1:00:00, or
-sbatch -p -sbatch long. A value with spaces, quotes, "#" or backslashes
(-sbatch '--comment=two words') is quoted the way sbatch reads #SBATCH
lines, so it stays one argument; an option and its value with a space
between them in one -sbatch ('-p long') is refused: give --opt=value or two
-sbatch values. Refused too: --array, --cpus-per-task, --chdir and --wrap
(and -a, -c, -D), which the scripts set themselves, and any value holding
"hetjob" or "packjob", which sbatch takes as the start of a heterogeneous
job's next component on any #SBATCH line.

Nothing that goes into the scripts (an -sbatch value, a run argument, this
directory, the binary's path, -dir) may hold a control character (newline,
carriage return, tab, NUL, any other C0 or C1 character, DEL): it is
refused with exit status 2.

The scripts are written atomically (a crash leaves the old one; a FIFO or
device is written through, never replaced): a new script is executable,
mode 0755 less the umask; one that existed keeps its mode, plus x wherever
it has r.

Exit status: 0 when the scripts were written (and, with -submit, both jobs
submitted), 1 when writing or submitting failed, 2 on usage errors.

Flags:
`

func cmdSlurm(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	array := fs.Int("array", 0, "number of array tasks (shards) `N`")
	cpus := fs.Int("cpus-per-task", 1, "CPUs per task `K`: each task plans its split for its own allocation")
	dir := fs.String("dir", ".", "write the job scripts into `DIR` (they run in the current directory, wherever they are)")
	submit := fs.Bool("submit", false, "submit the array with sbatch, then the merge job depending on it")
	var extra sbatchArgs
	fs.Var(&extra, "sbatch", "one sbatch `ARG` for both jobs, e.g. -sbatch --partition=long (repeatable; see above)")
	fs.Usage = func() {
		fmt.Fprint(stderr, slurmUsage)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch slurm: "+format+"\n", a...)
		return exitFailed
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "blasbatch slurm: "+format+"\n", a...)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] != "run" && rest[0] != "exec" {
		return usage("give the run (or exec) command after the flags: -- run [run flags] INPUTS..., or -- exec [exec flags] COMMAND ::: INPUTS...")
	}
	if *array < 1 || *cpus < 1 {
		return usage("-array and -cpus-per-task must be at least 1")
	}
	for _, e := range extra {
		if err := checkSbatchArg(e); err != nil {
			return usage("%v", err)
		}
	}
	for _, a := range rest[1:] {
		if err := checkScriptText("run argument", a); err != nil {
			return usage("%v", err)
		}
	}
	if err := checkScriptText("-dir", *dir); err != nil {
		return usage("%v", err)
	}
	parse := parseSlurmRun
	if rest[0] == "exec" {
		parse = parseSlurmExec
	}
	run, err := parse(rest[1:], *array)
	if err != nil {
		return usage("%v", err)
	}
	if need := max(run.outer, 1) * max(run.inner, 1); need > *cpus {
		var forced []string
		if run.outer > 0 {
			forced = append(forced, fmt.Sprintf("-outer %d", run.outer))
		}
		if run.inner > 0 {
			forced = append(forced, fmt.Sprintf("-inner %d", run.inner))
		}
		fmt.Fprintf(stderr, "blasbatch slurm: warning: the run's %s needs %d CPUs, more than -cpus-per-task %d: every task will oversubscribe its allocation (the scripts are written anyway)\n", strings.Join(forced, " "), need, *cpus)
	}

	exe, err := selfExe()
	if err != nil {
		return fail("the blasbatch binary: %v", err)
	}
	if exe, err = filepath.Abs(exe); err != nil {
		return fail("the blasbatch binary: %v", err)
	}
	if err := checkScriptText("the blasbatch binary's path", exe); err != nil {
		return usage("%v", err)
	}
	wd, err := os.Getwd()
	if err != nil {
		return fail("the working directory: %v", err)
	}
	if err := checkScriptText("the working directory", wd); err != nil {
		return usage("%v", err)
	}
	if hetjobWord(wd) {
		return usage("the working directory %q holds \"hetjob\" or \"packjob\", which sbatch reads on an #SBATCH line (here --chdir) as the start of another job component: run blasbatch slurm from another directory", wd)
	}
	scriptDir, err := filepath.Abs(*dir)
	if err != nil {
		return fail("-dir: %v", err)
	}

	spec := slurmSpec{Exe: exe, Dir: wd, Array: *array, CPUs: *cpus, Sbatch: extra, Command: rest[0], Run: rest[1:], Merge: run.merge}
	if err := os.MkdirAll(scriptDir, 0o777); err != nil {
		return fail("-dir: %v", err)
	}
	arrayScript := filepath.Join(scriptDir, "blasbatch-array.sbatch")
	mergeScript := filepath.Join(scriptDir, "blasbatch-merge.sbatch")
	for _, s := range []struct{ path, body string }{{arrayScript, spec.arrayScript()}, {mergeScript, spec.mergeScript()}} {
		if err := writeScript(s.path, s.body); err != nil {
			return fail("%v", err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s and %s\n", shellQuote(arrayScript), shellQuote(mergeScript))
	if !*submit {
		fmt.Fprintf(stdout, "submit with:\n%s\n", submitLine(arrayScript, mergeScript))
		return exitOK
	}
	id, err := sbatch(arrayScript)
	if err != nil {
		return fail("%v", err)
	}
	mid, err := sbatch("--dependency=afterany:"+id, mergeScript)
	if err != nil {
		return fail("array job %s submitted; the merge job failed: %v", id, err)
	}
	fmt.Fprintf(stdout, "array job %s (%d tasks × %d CPUs), merge job %s after it\n", id, *array, *cpus, mid)
	return exitOK
}

// slurmRun is what slurm needs to know of the run it wraps.
type slurmRun struct {
	outer, inner int      // the forced split (0: the planner chooses)
	merge        []string // the merge command's arguments after "merge"
}

// parseSlurmRun parses the run command's arguments (after "run") as run
// parses them, flags anywhere among the inputs, and checks them as a run
// for an array of n tasks: no -shard or -shards, no -resume=false, a
// -jsonl FILE, and flags run itself would accept. It returns the split it
// forces and merge's arguments: -jsonl, -kernel, -shape and -pair as the
// run has them, then "--" and the inputs.
func parseSlurmRun(args []string, n int) (slurmRun, error) {
	var msg bytes.Buffer
	rfs, rf := newRunFlags(&msg)
	rfs.Usage = func() {}
	pos, _, ok := parseInterleaved(rfs, args)
	if !ok {
		if s := strings.TrimSpace(msg.String()); s != "" {
			return slurmRun{}, fmt.Errorf("the run command: %s", s)
		}
		return slurmRun{}, errors.New("the run command: -h asks for help, not a run: see blasbatch run -h")
	}
	set := map[string]bool{}
	rfs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range []string{"shard", "shards"} {
		if set[name] {
			return slurmRun{}, fmt.Errorf("the run command must not set -%s (%s): each array task runs shard ${SLURM_ARRAY_TASK_ID} of %d, written into its script, so that a task resubmitted alone is still that shard", name, rfs.Lookup(name).Value, n)
		}
	}
	if set["resume"] && !rf.resume {
		return slurmRun{}, errors.New("the run command must not set -resume=false: an array task always resumes its shard, so that a task run again keeps what it recorded")
	}
	if rf.jsonl == "" || rf.jsonl == "-" {
		return slurmRun{}, errors.New("the run command needs -jsonl FILE: the shards and the merge write beside it")
	}
	// Everything else run would refuse, refused now rather than in every
	// task; the shard is the script's.
	rf.shard, rf.shards = "", 0
	if _, err := rf.job(pos); err != nil {
		return slurmRun{}, fmt.Errorf("the run command: %v", err)
	}
	merge := []string{"-jsonl", rf.jsonl, "-kernel", rf.kernel}
	if rf.plan.shape != "" {
		merge = append(merge, "-shape", rf.plan.shape)
	}
	for _, p := range rf.pairs {
		merge = append(merge, "-pair", p[0]+","+p[1])
	}
	if len(pos) > 0 {
		merge = append(merge, "--")
		merge = append(merge, pos...)
	}
	return slurmRun{outer: rf.outer, inner: rf.inner, merge: merge}, nil
}

// parseSlurmExec is parseSlurmRun for an exec command: its flags (before
// the command), the same refusals, and merge's arguments: -jsonl, and the
// inputs (after ":::", or -inputs-from FILE) with -recursive as exec has
// them.
func parseSlurmExec(args []string, n int) (slurmRun, error) {
	var msg bytes.Buffer
	efs, ef := newExecFlags(&msg)
	efs.Usage = func() {}
	if err := efs.Parse(args); err != nil {
		if s := strings.TrimSpace(msg.String()); s != "" && !errors.Is(err, flag.ErrHelp) {
			return slurmRun{}, fmt.Errorf("the exec command: %s", s)
		}
		return slurmRun{}, errors.New("the exec command: -h asks for help, not a run: see blasbatch exec -h")
	}
	set := map[string]bool{}
	efs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range []string{"shard", "shards"} {
		if set[name] {
			return slurmRun{}, fmt.Errorf("the exec command must not set -%s (%s): each array task runs shard ${SLURM_ARRAY_TASK_ID} of %d, written into its script, so that a task resubmitted alone is still that shard", name, efs.Lookup(name).Value, n)
		}
	}
	if set["resume"] && !ef.resume {
		return slurmRun{}, errors.New("the exec command must not set -resume=false: an array task always resumes its shard")
	}
	if ef.jsonl == "" || ef.jsonl == "-" {
		return slurmRun{}, errors.New("the exec command needs -jsonl FILE: the shards and the merge write beside it")
	}
	ef.shard, ef.shards = "", 0
	if ef.inputsFrom == "-" {
		return slurmRun{}, errors.New("the exec command cannot read -inputs-from - in a job script: give -inputs-from FILE")
	}
	if _, err := ef.job(efs.Args()); err != nil {
		return slurmRun{}, fmt.Errorf("the exec command: %v", err)
	}
	merge := []string{"-jsonl", ef.jsonl, "-kernel", "exec"}
	if ef.recursive {
		merge = append(merge, "-recursive")
	}
	if ef.inputsFrom != "" {
		merge = append(merge, "-inputs-from", ef.inputsFrom)
	} else if _, inputs, _ := splitCommand(efs.Args()); len(inputs) > 0 {
		merge = append(append(merge, "--"), inputs...)
	}
	return slurmRun{outer: ef.outer, inner: ef.inner, merge: merge}, nil
}

// slurmSpec is what the two scripts hold. Every string in it has passed
// checkScriptText (and Sbatch checkSbatchArg).
type slurmSpec struct {
	Exe    string   // absolute path of the blasbatch binary
	Dir    string   // absolute directory both jobs run in
	Array  int      // tasks (shards)
	CPUs   int      // CPUs per array task
	Sbatch []string // the user's sbatch arguments, one each
	// Command is "run" or "exec"; Run its arguments after it, as given.
	Command string
	Run     []string
	Merge   []string // the merge command's arguments after "merge"
}

// directives returns the #SBATCH lines that every script has after its own.
func (s slurmSpec) directives() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#SBATCH --chdir=%s\n", sbatchQuote(s.Dir))
	for _, e := range s.Sbatch {
		fmt.Fprintf(&b, "#SBATCH %s\n", sbatchArgQuote(e))
	}
	// sbatch reads #SBATCH lines only up to the first command; from here
	// bash runs it. The cd repeats --chdir for a script run without
	// sbatch, and fails the job where Slurm would fall back to /tmp.
	fmt.Fprintf(&b, "cd -- %s || exit 1\n", shellQuote(s.Dir))
	return b.String()
}

// arrayScript is blasbatch-array.sbatch: task i runs shard i of the run.
func (s slurmSpec) arrayScript() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n# Written by blasbatch slurm: shard $SLURM_ARRAY_TASK_ID of the run below.\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=blasbatch\n#SBATCH --array=0-%d\n#SBATCH --cpus-per-task=%d\n#SBATCH --output=blasbatch-%%A_%%a.out\n", s.Array-1, s.CPUs)
	b.WriteString(s.directives())
	// The shard count is written into the script, not read from the array's
	// bounds: a task resubmitted alone (sbatch --array=I) is still shard I
	// of N.
	words := []string{shellQuote(s.Exe), s.Command, "-shard", fmt.Sprintf(`"${SLURM_ARRAY_TASK_ID}/%d"`, s.Array), "-resume"}
	fmt.Fprintf(&b, "exec %s\n", strings.Join(append(words, quoteAll(s.Run)...), " "))
	return b.String()
}

// mergeScript is blasbatch-merge.sbatch: it merges the shards.
func (s slurmSpec) mergeScript() string {
	var b strings.Builder
	b.WriteString("#!/bin/bash\n# Written by blasbatch slurm: merges the array's shards and checks the set is complete.\n")
	b.WriteString("#SBATCH --job-name=blasbatch-merge\n#SBATCH --cpus-per-task=1\n#SBATCH --output=blasbatch-merge-%j.out\n")
	b.WriteString(s.directives())
	fmt.Fprintf(&b, "exec %s merge %s\n", shellQuote(s.Exe), strings.Join(quoteAll(s.Merge), " "))
	return b.String()
}

// submitLine is the shell command that submits the two scripts, the merge
// job after the array: quoted for bash (and POSIX sh), so it can be pasted
// from any directory. sbatch --parsable prints ID or ID;CLUSTER.
func submitLine(arrayScript, mergeScript string) string {
	return fmt.Sprintf(`id=$(sbatch --parsable %s) && sbatch --dependency=afterany:"${id%%%%;*}" %s`, shellQuote(arrayScript), shellQuote(mergeScript))
}

// writeScript writes a job script through safefile.WriteFile (atomic; a
// device or FIFO is written through, never replaced nor chmodded) and makes
// a regular file executable, as os.WriteFile(path, body, 0o755) would
// leave a new one: 0755 less the umask. WriteFile creates it 0666 less the
// umask, which shows the umask's r and w bits; its x bits are taken to be
// its r bits (0644 → 0755, 0640 → 0750, 0600 → 0700, 0664 → 0755). A script
// that existed keeps its bits, plus x wherever it has r (0640 → 0750).
func writeScript(path, body string) error {
	_, before, err := safefile.Resolve(path)
	if err != nil {
		return err
	}
	existed := before != nil && before.Mode().IsRegular()
	if err := safefile.WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, body); return err }); err != nil {
		return err
	}
	target, fi, err := safefile.Resolve(path)
	if err == nil && fi == nil {
		err = fs.ErrNotExist
	}
	if err != nil {
		return fmt.Errorf("making %s executable: %w", path, err)
	}
	lfi, err := os.Lstat(target)
	if err != nil {
		return fmt.Errorf("making %s executable: %w", path, err)
	}
	if !lfi.Mode().IsRegular() { // a device, a FIFO, a magic link: not ours to chmod
		return nil
	}
	perm := lfi.Mode().Perm()
	want := perm | (perm&0o444)>>2
	if !existed {
		want &^= 0o022 // w for the owner only, as 0755
	}
	if want != perm {
		if err := os.Chmod(target, want); err != nil {
			return fmt.Errorf("making %s executable: %w", path, err)
		}
	}
	return nil
}

// sbatch submits and returns the job id.
func sbatch(args ...string) (string, error) {
	out, err := exec.Command("sbatch", append([]string{"--parsable"}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %v: %s", strings.Join(quoteAll(args), " "), err, strings.TrimSpace(string(out)))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(id); err != nil {
		return "", fmt.Errorf("sbatch printed %q, not a job id", out)
	}
	return id, nil
}

// controlCharError is the refusal of a string that would go into a job
// script (or the printed submit line) with a control character in it: a
// newline would end an #SBATCH line or a command, and start another.
type controlCharError struct {
	What  string // what the string is: "-sbatch", "run argument", ...
	Value string
	At    int  // byte offset of the first control character
	Char  rune // that character
}

func (e *controlCharError) Error() string {
	return fmt.Sprintf("%s %q holds a control character (%U at byte %d): it cannot go into a job script", e.What, e.Value, e.Char, e.At)
}

// checkScriptText returns a *controlCharError when s holds a C0 control
// character, DEL or a C1 control character; what names s in the error.
func checkScriptText(what, s string) error {
	for i, r := range s {
		if unicode.IsControl(r) {
			return &controlCharError{What: what, Value: s, At: i, Char: r}
		}
	}
	return nil
}

// checkSbatchArg checks one -sbatch value: no control character, one
// argument (not an option and its value with a space between them), not an
// option the scripts set themselves, and nothing sbatch would read as a
// heterogeneous job's separator.
func checkSbatchArg(v string) error {
	if err := checkScriptText("-sbatch", v); err != nil {
		return err
	}
	// The options the scripts set themselves (long name, short letter): a
	// user's value would override the script's (a later #SBATCH line wins)
	// or replace the script (--wrap).
	reserved := []struct {
		long  string
		short byte
		why   string
	}{
		{"array", 'a', "the array is -array N: its bounds and the shard count written into each task must agree"},
		{"cpus-per-task", 'c', "use -cpus-per-task K: each task plans its split for it"},
		{"chdir", 'D', "the jobs run in the directory blasbatch slurm is run in: run it there"},
		{"wrap", 0, "the script is the job"},
	}
	if v == "" {
		return errors.New(`-sbatch "": an empty sbatch argument`)
	}
	if hetjobWord(v) {
		return fmt.Errorf("-sbatch %q: sbatch reads \"hetjob\" or \"packjob\" on an #SBATCH line as the start of another job component, so it cannot be written into the scripts", v)
	}
	if name, ok := strings.CutPrefix(v, "--"); ok {
		name, _, hasValue := strings.Cut(name, "=")
		if !hasValue && strings.ContainsFunc(name, unicode.IsSpace) {
			opt, _, _ := strings.Cut(name, " ")
			return fmt.Errorf("-sbatch %q: one sbatch argument each: give --%s=VALUE (or -sbatch --%s -sbatch VALUE)", v, opt, opt)
		}
		for _, r := range reserved {
			// sbatch (getopt_long) takes any unambiguous abbreviation.
			if len(name) >= 2 && strings.HasPrefix(r.long, name) {
				return fmt.Errorf("-sbatch %q: the scripts set --%s themselves: %s", v, r.long, r.why)
			}
		}
		return nil
	}
	if len(v) >= 2 && v[0] == '-' {
		for _, r := range reserved {
			if r.short != 0 && v[1] == r.short {
				return fmt.Errorf("-sbatch %q: the scripts set -%c (--%s) themselves: %s", v, r.short, r.long, r.why)
			}
		}
		if len(v) > 2 && unicode.IsSpace(rune(v[2])) {
			return fmt.Errorf("-sbatch %q: one sbatch argument each: give -sbatch %s -sbatch %s, or the long option's --NAME=VALUE", v, v[:2], strings.TrimSpace(v[2:]))
		}
	}
	return nil
}

// hetjobWord says whether s holds "hetjob" or "packjob" in any case: sbatch
// takes such a word on an #SBATCH line as the separator of a heterogeneous
// job's components (older versions, and the burst buffer plugins, match it
// anywhere in the line, quoted or not).
func hetjobWord(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "hetjob") || strings.Contains(l, "packjob")
}

// sbatchArgQuote writes one sbatch argument for an #SBATCH line: a
// --name=value has only its value quoted, anything else is quoted whole.
func sbatchArgQuote(v string) string {
	if name, value, ok := strings.Cut(v, "="); ok && strings.HasPrefix(name, "--") && sbatchPlain(name) {
		return name + "=" + sbatchQuote(value)
	}
	return sbatchQuote(v)
}

// sbatchQuote quotes s for an #SBATCH line when it needs it. sbatch splits
// those lines itself (not through a shell): at unquoted white space, an
// unquoted # starting a comment, "..." or '...' grouping (old versions
// only "..."), a backslash taking the next character literally even within
// quotes, and a leading ':' refused. So s goes in double quotes with every
// backslash and double quote escaped, which every version reads back as s.
func sbatchQuote(s string) string {
	if s != "" && sbatchPlain(s) && s[0] != ':' {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func sbatchPlain(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == ""
}

func quoteAll(a []string) []string {
	out := make([]string, len(a))
	for i, s := range a {
		out[i] = shellQuote(s)
	}
	return out
}

// shellQuote quotes s for bash (and POSIX sh) when it needs it: single
// quotes, within which each ' becomes the four characters ' \ ' ' (close,
// escaped quote, reopen). s must not hold a NUL, which no argument can.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
