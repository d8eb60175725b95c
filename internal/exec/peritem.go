package exec

import (
	"context"
	"fmt"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/blasbatch/blasbatch/results"
)

// perItem starts the command once per item.
type perItem struct {
	cfg  Config
	lane Lane
}

func (p *perItem) Close() {}

// Substitute puts path into args as GNU parallel does: {} is the path, {/}
// its base name, {.} the path without its extension, {/.} the base name
// without its extension, {//} its directory. With no replacement string in
// any argument, the path is appended as the last argument.
func Substitute(args []string, path string) []string {
	base := filepath.Base(path)
	noExt := strings.TrimSuffix(path, filepath.Ext(path))
	baseNoExt := strings.TrimSuffix(base, filepath.Ext(base))
	r := strings.NewReplacer("{//}", filepath.Dir(path), "{/.}", baseNoExt, "{/}", base, "{.}", noExt, "{}", path)
	out := make([]string, len(args))
	found := false
	for i, a := range args {
		out[i] = r.Replace(a)
		if out[i] != a || hasReplacement(a) {
			found = true
		}
	}
	if !found {
		out = append(out, path)
	}
	return out
}

func hasReplacement(a string) bool {
	for _, s := range []string{"{}", "{/}", "{.}", "{/.}", "{//}"} {
		if strings.Contains(a, s) {
			return true
		}
	}
	return false
}

func (p *perItem) Run(ctx context.Context, it Item) results.Record {
	rec := results.Record{Input: it.ID, Kernel: "exec", Lane: p.lane.ID}
	args := Substitute(p.cfg.Args, it.Path)
	cmd := osexec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = p.cfg.Dir, p.lane.Env
	cmd.SysProcAttr = procAttr()
	out := &limitedBuffer{max: p.cfg.MaxResult}
	errTail := &tail{max: p.cfg.StderrLines}
	cmd.Stdout, cmd.Stderr = out, errTail

	// The thread that starts the process stays locked until it is
	// reaped: it is the parent PR_SET_PDEATHSIG watches.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		rec.Error = fmt.Sprintf("could not start %s: %v", args[0], unwrapExec(err))
		return rec
	}
	pgid := cmd.Process.Pid
	timedOut := false
	done := make(chan struct{})
	var timeout <-chan time.Time
	if p.cfg.Timeout > 0 {
		t := time.NewTimer(p.cfg.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	go func() {
		select {
		case <-timeout:
			timedOut = true
			killGroup(pgid)
		case <-ctx.Done():
			killGroup(pgid)
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	// Whatever the command left in its process group goes with it.
	killGroup(pgid)
	rec.Seconds = time.Since(t0).Seconds()
	rec.Stderr = errTail.String()
	switch {
	case timedOut:
		rec.Error = fmt.Sprintf("timed out after %v", p.cfg.Timeout)
	case err != nil && ctx.Err() != nil:
		rec.Error = "abandoned"
	case err != nil:
		rec.Error = describeExit(&rec, cmd.ProcessState)
	case out.over:
		zero := 0
		rec.Exit = &zero
		rec.Error = fmt.Sprintf("its output is over %d bytes (-max-result)", p.cfg.MaxResult)
	default:
		zero := 0
		rec.Exit = &zero
		rec.OK = true
		rec.Result = resultValue(out.b)
	}
	return rec
}

func killGroup(pgid int) { syscall.Kill(-pgid, syscall.SIGKILL) }

// unwrapExec drops the *exec.Error / *fs.PathError wrapping that repeats
// the command's name.
func unwrapExec(err error) error {
	if ee, ok := err.(*osexec.Error); ok {
		return ee.Err
	}
	return err
}
