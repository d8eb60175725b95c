//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/blasbatch/blasbatch/results"
)

// sbatchDirectives returns the arguments sbatch reads from a script's
// #SBATCH lines, modelled on Slurm's src/sbatch/opt.c (_opt_batch_script,
// _get_argument), not on the code that writes them: lines are read up to
// the first that is neither blank nor a comment; a line must begin with
// "#SBATCH"; its words split at unquoted white space; "…" and '…' group; a
// backslash takes the next character literally, within quotes too; an
// unquoted # ends the line; an empty word ends the line; a word beginning
// with ':' and an unmatched quote are fatal to sbatch, and so to the test.
func sbatchDirectives(t *testing.T, script string) []string {
	t.Helper()
	var argv []string
	for line := range strings.Lines(script) {
		line = strings.TrimSuffix(line, "\n")
		rest, ok := strings.CutPrefix(line, "#SBATCH")
		if !ok {
			if s := strings.TrimLeft(line, " \t\r\v\f"); s != "" && s[0] != '#' {
				break
			}
			continue
		}
		isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }
		i := 0
	words:
		for {
			for i < len(rest) && isSpace(rest[i]) {
				i++
			}
			if i == len(rest) {
				break
			}
			if rest[i] == ':' {
				t.Fatalf("sbatch: Unexpected `:` in %q", line)
			}
			var w []byte
			var quote byte
			esc, comment := false, false
			for i < len(rest) && (quote != 0 || !isSpace(rest[i])) {
				c := rest[i]
				i++
				switch {
				case esc:
					esc = false
					w = append(w, c)
				case c == '\\':
					esc = true
				case quote != 0 && c == quote:
					quote = 0
				case quote != 0:
					w = append(w, c)
				case c == '"' || c == '\'':
					quote = c
				case c == '#':
					comment = true
				default:
					w = append(w, c)
				}
				if comment {
					break
				}
			}
			if quote != 0 {
				t.Fatalf("sbatch: Unmatched `%c` in %q", quote, line)
			}
			if len(w) == 0 {
				break words
			}
			argv = append(argv, string(w))
			if comment {
				break words
			}
		}
	}
	return argv
}

// TestSbatchDirectivesModel: the model reads what Slurm's parser reads
// (cases checked against sbatch 22.05's "Found in script, argument"
// debug lines).
func TestSbatchDirectivesModel(t *testing.T) {
	script := "#!/bin/bash\n# a comment\n#SBATCH --job-name=x\n" +
		`#SBATCH "--comment=a b \"q\" 'x' #1 \\ end"` + "\n" +
		`#SBATCH --chdir="/tmp/a b"` + "\n" +
		"#SBATCH --comment=xx # trailing\n#SBATCH -p  'long q' --mem=1G\n\n" +
		"echo hi\n#SBATCH --after=command\n"
	want := []string{"--job-name=x", `--comment=a b "q" 'x' #1 \ end`, "--chdir=/tmp/a b", "--comment=xx", "-p", "long q", "--mem=1G"}
	if got := sbatchDirectives(t, script); !slices.Equal(got, want) {
		t.Fatalf("model read %q, want %q", got, want)
	}
}

// scriptLine returns the one line of script that begins with prefix.
func scriptLine(t *testing.T, script, prefix string) string {
	t.Helper()
	var found []string
	for line := range strings.Lines(script) {
		if strings.HasPrefix(line, prefix) {
			found = append(found, strings.TrimSuffix(line, "\n"))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d lines begin with %q in:\n%s", len(found), prefix, script)
	}
	return found[0]
}

// bashSyntax checks a script with bash -n.
func bashSyntax(t *testing.T, path string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skipf("no bash to check the scripts with: %v", err)
	}
	if out, err := exec.Command(bash, "-n", path).CombinedOutput(); err != nil {
		t.Fatalf("bash -n %s: %v\n%s", path, err, out)
	}
}

// fakeProgram writes an executable shell script at path that records the
// directory it runs in (pwd -P) and its arguments, NUL-separated, into the
// file named by $log, and prints out.
func fakeProgram(t *testing.T, path, log, out string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("#!/bin/sh\nn=$(ls %[1]s | wc -l)\nprintf '%%s\\0' \"$(pwd -P)\" \"$@\" > %[1]s/call$((n + 1))\nprintf '%%s\\n' %[2]s\n", shellQuote(log), shellQuote(out))
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(log, 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeCalls returns the calls a fakeProgram recorded, in order, each as
// its directory and arguments; it empties the log.
func fakeCalls(t *testing.T, log string) [][]string {
	t.Helper()
	var calls [][]string
	for i := 1; ; i++ {
		p := filepath.Join(log, fmt.Sprintf("call%d", i))
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			return calls
		}
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"))
		os.Remove(p)
	}
}

// runScript runs a job script with bash from dir (not the one it was
// written from) with extra environment variables.
func runScript(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command("bash", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash %s (in %s) %v: %v\n%s", script, dir, env, err, out)
	}
	return string(out)
}

func realPath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSlurmScripts: the scripts for a working directory, a -dir, inputs
// and a -jsonl with spaces and quotes, and -sbatch values with spaces,
// quotes, # and a backslash: bash accepts them, sbatch reads exactly the
// intended #SBATCH arguments, and each command, run by bash from another
// directory, gets exactly the intended arguments in the directory slurm
// was run in.
func TestSlurmScripts(t *testing.T) {
	root := t.TempDir()
	if !sbatchPlain(root) {
		t.Fatalf("the temporary directory %q needs quoting: the expected lines below assume it does not", root)
	}
	work := filepath.Join(root, `work "dir" it's`) // slurm is run here
	jobDir := filepath.Join(root, "job dir")       // the scripts go here
	for _, d := range []string{work, jobDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(root, "bin 'q'", "blasbatch")
	log := filepath.Join(root, "log")
	fakeProgram(t, exe, log, "")
	t.Setenv(exeEnv, exe)
	t.Chdir(work)
	qexe := "'" + root + `/bin '\''q'\''/blasbatch'` // exe, quoted for bash

	for _, c := range []struct {
		name      string
		sbatch    []string
		run       []string
		wantSbat  []string // the user's #SBATCH lines, exactly
		wantArgv  []string // what sbatch reads from them
		arrayLine string   // the array script's command, exactly
		mergeLine string
		runArgs   []string // what run gets from bash, after run -shard 2/4 -resume
		mergeArgs []string
	}{
		{
			name:   "spaces and quotes",
			sbatch: []string{"--partition=debug", `--comment=two words "q" #1 back\slash it's`, "-p", "long q", ":colon"},
			run:    []string{"-kernel", "svdvals", "-jsonl", "out dir/results.jsonl", "in dir 'q'", `b "x".npy`},
			wantSbat: []string{
				"#SBATCH --partition=debug",
				`#SBATCH --comment="two words \"q\" #1 back\\slash it's"`,
				"#SBATCH -p",
				`#SBATCH "long q"`,
				`#SBATCH ":colon"`,
			},
			wantArgv:  []string{"--partition=debug", `--comment=two words "q" #1 back\slash it's`, "-p", "long q", ":colon"},
			arrayLine: "exec " + qexe + ` run -shard "${SLURM_ARRAY_TASK_ID}/4" -resume -kernel svdvals -jsonl 'out dir/results.jsonl' 'in dir '\''q'\''' 'b "x".npy'`,
			mergeLine: "exec " + qexe + ` merge -jsonl 'out dir/results.jsonl' -kernel svdvals -- 'in dir '\''q'\''' 'b "x".npy'`,
			runArgs:   []string{"-kernel", "svdvals", "-jsonl", "out dir/results.jsonl", "in dir 'q'", `b "x".npy`},
			mergeArgs: []string{"-jsonl", "out dir/results.jsonl", "-kernel", "svdvals", "--", "in dir 'q'", `b "x".npy`},
		},
		{
			// Flags after the inputs, as run takes them; "--" before an
			// input that looks like a flag; -resume given again; -shape and
			// -pair carried to merge; $ and ` stay literal.
			name:      "flags anywhere",
			run:       []string{"-kernel", "matmul", "-pair", "a $HOME.npy,b `x`.npy", "c.f64", "-resume", "-jsonl", "r.jsonl", "-shape", "3x3", "--", "-odd.f64"},
			arrayLine: "exec " + qexe + ` run -shard "${SLURM_ARRAY_TASK_ID}/4" -resume -kernel matmul -pair 'a $HOME.npy,b ` + "`x`" + `.npy' c.f64 -resume -jsonl r.jsonl -shape 3x3 -- -odd.f64`,
			mergeLine: "exec " + qexe + ` merge -jsonl r.jsonl -kernel matmul -shape 3x3 -pair 'a $HOME.npy,b ` + "`x`" + `.npy' -- c.f64 -odd.f64`,
			runArgs:   []string{"-kernel", "matmul", "-pair", "a $HOME.npy,b `x`.npy", "c.f64", "-resume", "-jsonl", "r.jsonl", "-shape", "3x3", "--", "-odd.f64"},
			mergeArgs: []string{"-jsonl", "r.jsonl", "-kernel", "matmul", "-shape", "3x3", "-pair", "a $HOME.npy,b `x`.npy", "--", "c.f64", "-odd.f64"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"slurm", "-array", "4", "-cpus-per-task", "2", "-dir", "../job dir"}
			for _, s := range c.sbatch {
				args = append(args, "-sbatch", s)
			}
			code, out, stderr := runCLI(t, append(append(args, "--", "run"), c.run...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			arrayPath := filepath.Join(jobDir, "blasbatch-array.sbatch")
			mergePath := filepath.Join(jobDir, "blasbatch-merge.sbatch")
			if want := fmt.Sprintf("wrote %s and %s\n", "'"+arrayPath+"'", "'"+mergePath+"'"); !strings.HasPrefix(out, want) {
				t.Errorf("stdout %q, want it to begin %q", out, want)
			}
			for _, sc := range []struct {
				path, own, line string
				args            []string
			}{
				{arrayPath, "#SBATCH --job-name=blasbatch\n#SBATCH --array=0-3\n#SBATCH --cpus-per-task=2\n#SBATCH --output=blasbatch-%A_%a.out\n", c.arrayLine, append([]string{"run", "-shard", "2/4", "-resume"}, c.runArgs...)},
				{mergePath, "#SBATCH --job-name=blasbatch-merge\n#SBATCH --cpus-per-task=1\n#SBATCH --output=blasbatch-merge-%j.out\n", c.mergeLine, append([]string{"merge"}, c.mergeArgs...)},
			} {
				bashSyntax(t, sc.path)
				b, err := os.ReadFile(sc.path)
				if err != nil {
					t.Fatal(err)
				}
				script := string(b)
				var sbatchLines []string
				for line := range strings.Lines(script) {
					if strings.HasPrefix(line, "#SBATCH") {
						sbatchLines = append(sbatchLines, strings.TrimSuffix(line, "\n"))
					}
				}
				wantLines := strings.Split(strings.TrimSuffix(sc.own, "\n"), "\n")
				wantLines = append(wantLines, `#SBATCH --chdir="`+root+`/work \"dir\" it's"`)
				wantLines = append(wantLines, c.wantSbat...)
				if !slices.Equal(sbatchLines, wantLines) {
					t.Errorf("%s: #SBATCH lines\n%s\nwant\n%s", sc.path, strings.Join(sbatchLines, "\n"), strings.Join(wantLines, "\n"))
				}
				wantArgv := sbatchDirectives(t, sc.own)
				wantArgv = append(wantArgv, "--chdir="+work)
				wantArgv = append(wantArgv, c.wantArgv...)
				if got := sbatchDirectives(t, script); !slices.Equal(got, wantArgv) {
					t.Errorf("%s: sbatch reads %q, want %q", sc.path, got, wantArgv)
				}
				if got, want := scriptLine(t, script, "cd "), `cd -- '`+root+`/work "dir" it'\''s' || exit 1`; got != want {
					t.Errorf("%s: %s, want %s", sc.path, got, want)
				}
				if got := scriptLine(t, script, "exec "); got != sc.line {
					t.Errorf("%s: command\n%s\nwant\n%s", sc.path, got, sc.line)
				}
				// Run by bash from elsewhere, as Slurm runs it.
				runScript(t, root, sc.path, "SLURM_ARRAY_TASK_ID=2")
				calls := fakeCalls(t, log)
				want := append([]string{realPath(t, work)}, sc.args...)
				if len(calls) != 1 || !slices.Equal(calls[0], want) {
					t.Errorf("%s run by bash: the binary got %q, want %q", sc.path, calls, want)
				}
			}
		})
	}
}

// TestSlurmScriptsRunAnywhere: scripts written with -dir "job dir" over
// relative inputs and a relative -jsonl, each task run by bash from
// another directory (as Slurm does, from its spool), then the merge:
// every item has its record, equal to a single run's.
func TestSlurmScriptsRunAnywhere(t *testing.T) {
	useBuiltBlasbatch(t)
	root := t.TempDir()
	work := filepath.Join(root, "work dir")
	genFiles(t, filepath.Join(work, "in 'q'"), 10, 9)
	if err := os.MkdirAll(filepath.Join(root, "job dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	if code, _, stderr := runCLI(t, "run", "-quiet", "-kernel", "svdvals", "-jsonl", "single.jsonl", "in 'q'"); code != 0 {
		t.Fatal(stderr)
	}
	want := map[string][]float64{}
	for _, r := range readJournal(t, "single.jsonl") {
		want[r.Input] = r.SingularValues
	}
	code, _, stderr := runCLI(t, "slurm", "-array", "3", "-dir", "../job dir", "--", "run", "-quiet", "-kernel", "svdvals", "-jsonl", "results.jsonl", "in 'q'")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	elsewhere := t.TempDir()
	for i := range 3 {
		runScript(t, elsewhere, filepath.Join(root, "job dir", "blasbatch-array.sbatch"), fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", i))
		if _, err := os.Stat(results.ShardPath(filepath.Join(work, "results.jsonl"), i, 3)); err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
	}
	runScript(t, elsewhere, filepath.Join(root, "job dir", "blasbatch-merge.sbatch"))
	got := readJournal(t, filepath.Join(work, "results.jsonl"))
	if len(got) != len(want) {
		t.Fatalf("merged %d records, the single run %d", len(got), len(want))
	}
	for _, r := range got {
		if w, ok := want[r.Input]; !ok || !r.OK || !slices.Equal(r.SingularValues, w) {
			t.Errorf("%s: merged %+v, single run %v", r.Input, r, w)
		}
	}
}

// TestSlurmRefuses: every way a value could break out of the scripts, or
// override what they set, is a usage error (exit 2) that names it, and
// no script is written.
func TestSlurmRefuses(t *testing.T) {
	root := t.TempDir()
	exe := filepath.Join(root, "bin", "blasbatch")
	fakeProgram(t, exe, filepath.Join(root, "log"), "")
	run := []string{"--", "run", "-jsonl", "r.jsonl", "x.npy"}
	with := func(flags []string, tail ...string) []string {
		a := append([]string{"slurm", "-array", "2"}, flags...)
		if len(tail) == 0 {
			return append(a, run...)
		}
		return append(a, tail...)
	}
	sb := func(v string) []string { return with([]string{"-sbatch", v}) }
	for _, c := range []struct {
		name  string
		args  []string
		want  string // in stderr
		setup func(t *testing.T)
	}{
		{"sbatch newline", sb("--partition=long\ntouch /tmp/x"), `-sbatch "--partition=long\ntouch /tmp/x" holds a control character (U+000A at byte 16)`, nil},
		{"sbatch CR", sb("--partition=long\r"), `(U+000D at byte 16)`, nil},
		{"sbatch NUL", sb("--comment=a\x00b"), `(U+0000 at byte 11)`, nil},
		{"sbatch tab", sb("--comment=a\tb"), `(U+0009 at byte 11)`, nil},
		{"sbatch DEL", sb("--comment=a\x7f"), `(U+007F at byte 11)`, nil},
		{"sbatch C1", sb("--comment=a\u0085"), `(U+0085 at byte 11)`, nil},
		{"sbatch escape", sb("--comment=\x1b[2J"), `(U+001B at byte 10)`, nil},
		{"run arg newline", with(nil, "--", "run", "-jsonl", "r.jsonl", "x.npy\nrm -rf ~"), `run argument "x.npy\nrm -rf ~" holds a control character`, nil},
		{"jsonl newline", with(nil, "--", "run", "-jsonl", "r\n.jsonl", "x.npy"), `run argument "r\n.jsonl" holds a control character`, nil},
		{"dir newline", with([]string{"-dir", "d\nx"}), `-dir "d\nx" holds a control character`, nil},
		{"binary newline", with(nil), `the blasbatch binary's path "/tmp/bin\nx/blasbatch" holds a control character`, func(t *testing.T) {
			t.Setenv(exeEnv, "/tmp/bin\nx/blasbatch")
		}},
		{"working directory newline", with(nil), `the working directory`, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), "w\nx")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(d)
		}},
		{"working directory hetjob", with(nil), `holds "hetjob" or "packjob"`, func(t *testing.T) {
			d := filepath.Join(t.TempDir(), "my-HetJobs")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Chdir(d)
		}},
		{"sbatch short with value", sb("-p long"), `-sbatch "-p long": one sbatch argument each: give -sbatch -p -sbatch long`, nil},
		{"sbatch long with value", sb("--partition long"), `give --partition=VALUE`, nil},
		{"sbatch array", sb("--array=0-1"), `the scripts set --array themselves`, nil},
		{"sbatch array abbreviated", sb("--arr=0-1"), `the scripts set --array themselves`, nil},
		{"sbatch array short", sb("-a0-1"), `the scripts set -a (--array) themselves`, nil},
		{"sbatch cpus", sb("--cpus-per-task=8"), `use -cpus-per-task K`, nil},
		{"sbatch cpus short", sb("-c"), `the scripts set -c (--cpus-per-task)`, nil},
		{"sbatch chdir", sb("--chdir=/x"), `the scripts set --chdir themselves`, nil},
		{"sbatch chdir short", sb("-D/x"), `the scripts set -D (--chdir)`, nil},
		{"sbatch wrap", sb("--wrap=echo hi"), `the scripts set --wrap themselves`, nil},
		{"sbatch hetjob", sb("--comment=a hetjob"), `"hetjob" or "packjob"`, nil},
		{"sbatch packjob", sb("PackJob"), `"hetjob" or "packjob"`, nil},
		{"sbatch empty", sb(""), `an empty sbatch argument`, nil},
		{"shard auto", with(nil, "--", "run", "-shard", "auto", "-jsonl", "r.jsonl", "x.npy"), `must not set -shard (auto)`, nil},
		{"shard I/N", with(nil, "--", "run", "-shard", "1/2", "-jsonl", "r.jsonl", "x.npy"), `must not set -shard (1/2)`, nil},
		{"shard empty", with(nil, "--", "run", "-shard=", "-jsonl", "r.jsonl", "x.npy"), `must not set -shard ()`, nil},
		{"shard two dashes", with(nil, "--", "run", "--shard=0/2", "-jsonl", "r.jsonl", "x.npy"), `must not set -shard (0/2)`, nil},
		{"shard after the inputs", with(nil, "--", "run", "-jsonl", "r.jsonl", "x.npy", "-shard", "auto"), `must not set -shard (auto)`, nil},
		{"shards", with(nil, "--", "run", "-shards", "3", "-jsonl", "r.jsonl", "x.npy"), `must not set -shards (3)`, nil},
		{"resume false", with(nil, "--", "run", "-resume=false", "-jsonl", "r.jsonl", "x.npy"), `must not set -resume=false`, nil},
		{"no jsonl", with(nil, "--", "run", "x.npy"), `needs -jsonl FILE`, nil},
		{"jsonl stdout", with(nil, "--", "run", "-jsonl", "-", "x.npy"), `needs -jsonl FILE`, nil},
		{"bad kernel", with(nil, "--", "run", "-kernel", "nope", "-jsonl", "r.jsonl", "x.npy"), `the run command: `, nil},
		{"bad run flag", with(nil, "--", "run", "-nope", "-jsonl", "r.jsonl", "x.npy"), `the run command: flag provided but not defined: -nope`, nil},
		{"run help", with(nil, "--", "run", "-h"), `asks for help`, nil},
		{"no inputs", with(nil, "--", "run", "-jsonl", "r.jsonl"), `no inputs`, nil},
		{"no tasks", []string{"slurm", "-array", "0", "--", "run", "-jsonl", "r.jsonl", "x.npy"}, `at least 1`, nil},
		{"no run", []string{"slurm", "-array", "2"}, `give the run (or exec) command`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(exeEnv, exe)
			dir := t.TempDir()
			t.Chdir(dir)
			if c.setup != nil {
				c.setup(t)
			}
			args := slices.Clone(c.args)
			if !slices.Contains(args, "-dir") {
				args = slices.Insert(args, 1, "-dir", dir)
			}
			code, _, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("%q: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, exitUsage, c.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 0 {
				t.Errorf("%q: wrote %v", c.args, ents)
			}
		})
	}
}

// TestSlurmAccepts: what the run may carry. -resume is accepted (and the
// script's own stays); inside a Slurm array task, where -shard defaults to
// auto, a run without -shard is accepted and the script still sets it.
func TestSlurmAccepts(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "blasbatch")
	fakeProgram(t, exe, filepath.Join(t.TempDir(), "log"), "")
	t.Setenv(exeEnv, exe)
	for _, c := range []struct {
		name string
		env  map[string]string
		run  []string
		want string // the command's tail after the binary
	}{
		{"resume", nil, []string{"-resume", "-jsonl", "r.jsonl", "x.npy"}, ` run -shard "${SLURM_ARRAY_TASK_ID}/2" -resume -resume -jsonl r.jsonl x.npy`},
		{"resume=true", nil, []string{"-resume=true", "-jsonl", "r.jsonl", "x.npy"}, ` run -shard "${SLURM_ARRAY_TASK_ID}/2" -resume -resume=true -jsonl r.jsonl x.npy`},
		{"inside an array task", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"}, []string{"-jsonl", "r.jsonl", "x.npy"}, ` run -shard "${SLURM_ARRAY_TASK_ID}/2" -resume -jsonl r.jsonl x.npy`},
		{"jsonl after the inputs", nil, []string{"x.npy", "-jsonl", "r.jsonl"}, ` run -shard "${SLURM_ARRAY_TASK_ID}/2" -resume x.npy -jsonl r.jsonl`},
	} {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			dir := t.TempDir()
			code, _, stderr := runCLI(t, append([]string{"slurm", "-array", "2", "-dir", dir, "--", "run"}, c.run...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, "blasbatch-array.sbatch"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := scriptLine(t, string(b), "exec "), "exec "+shellQuote(exe)+c.want; got != want {
				t.Errorf("command %s, want %s", got, want)
			}
		})
	}
}

// TestSlurmForcedSplitWarns: a forced split that needs more CPUs than
// -cpus-per-task warns, and the scripts are written anyway.
func TestSlurmForcedSplitWarns(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "blasbatch")
	fakeProgram(t, exe, filepath.Join(t.TempDir(), "log"), "")
	t.Setenv(exeEnv, exe)
	for _, c := range []struct {
		split []string
		cpus  string
		want  string // "" for no warning
	}{
		{[]string{"-outer", "4", "-inner", "2"}, "2", "the run's -outer 4 -inner 2 needs 8 CPUs, more than -cpus-per-task 2"},
		{[]string{"-outer", "3"}, "2", "the run's -outer 3 needs 3 CPUs, more than -cpus-per-task 2"},
		{[]string{"-inner", "4"}, "2", "the run's -inner 4 needs 4 CPUs, more than -cpus-per-task 2"},
		{[]string{"-outer", "2", "-inner", "2"}, "4", ""},
		{[]string{"-outer", "2"}, "2", ""},
		{[]string{"-outer", "1", "-inner", "0"}, "1", ""},
		{nil, "1", ""},
	} {
		dir := t.TempDir()
		args := append([]string{"slurm", "-array", "2", "-cpus-per-task", c.cpus, "-dir", dir, "--", "run", "-jsonl", "r.jsonl"}, c.split...)
		code, _, stderr := runCLI(t, append(args, "x.npy")...)
		if code != 0 {
			t.Errorf("%v cpus=%s: exit %d: %s", c.split, c.cpus, code, stderr)
			continue
		}
		if warned := strings.Contains(stderr, "warning:"); warned != (c.want != "") || !strings.Contains(stderr, c.want) {
			t.Errorf("%v cpus=%s: stderr %q, want warning %q", c.split, c.cpus, stderr, c.want)
		}
		for _, s := range []string{"blasbatch-array.sbatch", "blasbatch-merge.sbatch"} {
			if _, err := os.Stat(filepath.Join(dir, s)); err != nil {
				t.Errorf("%v cpus=%s: %v", c.split, c.cpus, err)
			}
		}
	}
}

// TestSlurmSubmit: -submit calls sbatch for the array, then for the merge
// after it; without -submit, the printed line does the same when pasted
// into bash or sh from another directory, with a -dir holding spaces and
// quotes, and an id printed as ID;CLUSTER.
func TestSlurmSubmit(t *testing.T) {
	root := t.TempDir()
	fakeBin := filepath.Join(root, "fake bin")
	log := filepath.Join(root, "log")
	fakeProgram(t, filepath.Join(fakeBin, "sbatch"), log, "41;cluster")
	t.Setenv("PATH", fakeBin+string(os.PathListSeparator)+os.Getenv("PATH"))
	exe := filepath.Join(root, "blasbatch")
	fakeProgram(t, exe, filepath.Join(root, "exelog"), "")
	t.Setenv(exeEnv, exe)
	jobDir := filepath.Join(root, `job "dir" it's $x`)
	if err := os.Mkdir(jobDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	arrayPath := filepath.Join(jobDir, "blasbatch-array.sbatch")
	mergePath := filepath.Join(jobDir, "blasbatch-merge.sbatch")
	args := []string{"slurm", "-array", "2", "-dir", jobDir, "--", "run", "-jsonl", "r.jsonl", "x.npy"}

	code, out, stderr := runCLI(t, slices.Insert(slices.Clone(args), 1, "-submit")...)
	if code != 0 {
		t.Fatalf("-submit: exit %d: %s", code, stderr)
	}
	want := [][]string{
		{realPath(t, root), "--parsable", arrayPath},
		{realPath(t, root), "--parsable", "--dependency=afterany:41", mergePath},
	}
	if got := fakeCalls(t, log); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("-submit called sbatch %q, want %q", got, want)
	}
	if !strings.Contains(out, "array job 41 (2 tasks × 1 CPUs), merge job 41 after it") {
		t.Errorf("-submit: stdout %q", out)
	}

	code, out, stderr = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || lines[1] != "submit with:" {
		t.Fatalf("stdout %q: want wrote…, submit with:, the command", out)
	}
	elsewhere := t.TempDir()
	for _, sh := range []string{"bash", "sh"} {
		if _, err := exec.LookPath(sh); err != nil {
			t.Errorf("no %s to paste the submit line into: %v", sh, err)
			continue
		}
		cmd := exec.Command(sh, "-c", lines[2])
		cmd.Dir = elsewhere
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s -c %q: %v\n%s", sh, lines[2], err, b)
		}
		want := [][]string{
			{realPath(t, elsewhere), "--parsable", arrayPath},
			{realPath(t, elsewhere), "--dependency=afterany:41", mergePath},
		}
		if got := fakeCalls(t, log); !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s -c %q called sbatch %q, want %q", sh, lines[2], got, want)
		}
	}
}

// slurmUmask runs the test binary as blasbatch slurm under umask mask.
func slurmUmask(t *testing.T, mask string, args ...string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", append([]string{"-c", `umask "$0" && exec "$@"`, mask, exe, "slurm"}, args...)...)
	cmd.Env = append(os.Environ(), mainEnv+"=1", exeEnv+"="+exe)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("umask %s: blasbatch slurm %q: %v\n%s", mask, args, err, out)
	}
}

// TestSlurmScriptModes: new scripts are executable, 0755 less the umask;
// a script that existed keeps its bits plus x wherever it has r; a
// symbolic link stays a link to the script it names; a FIFO is written
// through, never replaced nor given new bits.
func TestSlurmScriptModes(t *testing.T) {
	run := []string{"--", "run", "-jsonl", "r.jsonl", "x.npy"}
	for _, umask := range []os.FileMode{0o022, 0o027, 0o077, 0o002, 0o007} {
		dir := t.TempDir()
		slurmUmask(t, fmt.Sprintf("%03o", umask), append([]string{"-array", "2", "-dir", dir}, run...)...)
		for _, s := range []string{"blasbatch-array.sbatch", "blasbatch-merge.sbatch"} {
			fi, err := os.Stat(filepath.Join(dir, s))
			if err != nil {
				t.Fatal(err)
			}
			if want := 0o755 &^ umask; fi.Mode() != want {
				t.Errorf("umask %03o: %s has mode %v, want %v", umask, s, fi.Mode(), want)
			}
		}
	}

	// An existing script, a symbolic link to one, and a FIFO.
	exe := filepath.Join(t.TempDir(), "blasbatch")
	fakeProgram(t, exe, filepath.Join(t.TempDir(), "log"), "")
	t.Setenv(exeEnv, exe)
	dir := t.TempDir()
	arrayPath := filepath.Join(dir, "blasbatch-array.sbatch")
	if err := os.WriteFile(arrayPath, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(arrayPath, 0o640); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "blasbatch-merge.sbatch")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if code, _, stderr := runCLI(t, append([]string{"slurm", "-array", "2", "-dir", dir}, run...)...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(arrayPath); err != nil || fi.Mode() != 0o750 {
		t.Errorf("an existing 0640 script: %v %v, want -rwxr-x---", fi.Mode(), err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("#!/bin/bash\n")) || !bytes.Contains(got, []byte(" merge -jsonl r.jsonl")) {
		t.Errorf("the FIFO read %q, want the merge script", got)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode() != os.ModeNamedPipe|0o600 {
		t.Errorf("the FIFO is now %v %v, want it left a FIFO, mode 0600", fi.Mode(), err)
	}

	// A symbolic link (dangling: its target is created).
	dir = t.TempDir()
	target := filepath.Join(t.TempDir(), "kept.sbatch")
	if err := os.Symlink(target, filepath.Join(dir, "blasbatch-array.sbatch")); err != nil {
		t.Fatal(err)
	}
	slurmUmask(t, "022", append([]string{"-array", "2", "-dir", dir}, run...)...)
	if fi, err := os.Lstat(filepath.Join(dir, "blasbatch-array.sbatch")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Lstat(target); err != nil || fi.Mode() != 0o755 {
		t.Errorf("the link's target: %v %v, want -rwxr-xr-x", fi.Mode(), err)
	}
}
