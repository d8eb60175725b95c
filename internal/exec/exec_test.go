package exec

import (
	"bufio"
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/blasbatch/blasbatch/results"
)

func TestSubstitute(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"wc", "-c"}, "wc -c d/x.tar.gz"},
		{[]string{"f", "{}"}, "f d/x.tar.gz"},
		{[]string{"f", "{/}", "{.}", "{/.}", "{//}"}, "f x.tar.gz d/x.tar x.tar d"},
		{[]string{"sh", "-c", "cat {} > {.}.out"}, "sh -c cat d/x.tar.gz > d/x.tar.out"},
		{[]string{"f", "--in={}", "--base={/}"}, "f --in=d/x.tar.gz --base=x.tar.gz"},
	} {
		if got := strings.Join(Substitute(c.args, "d/x.tar.gz"), " "); got != c.want {
			t.Errorf("%q: %q, want %q", c.args, got, c.want)
		}
	}
	// A path that itself holds "{}" is put in once, never expanded again.
	if got := Substitute([]string{"f", "{}"}, "a{}b"); got[1] != "a{}b" || len(got) != 2 {
		t.Errorf("path with braces: %q", got)
	}
}

func TestResultValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                "",
		"\n":              "",
		`{"a": 1}` + "\n": `{"a": 1}`,
		"42":              "42",
		"[1,2]\r\n":       "[1,2]",
		"plain text":      `"plain text"`,
		"bad\xffutf8":     `"bad` + "\ufffd" + `utf8"`,
		`"q"`:             `"q"`,
	} {
		if got := string(resultValue([]byte(in))); got != want {
			t.Errorf("resultValue(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLineProtocolResponse(t *testing.T) {
	for in, want := range map[string]struct {
		ok           bool
		result, errs string
	}{
		`{"error": "no good"}`:       {false, "", "no good"},
		`{"error": "x", "other": 1}`: {true, `{"error": "x", "other": 1}`, ""},
		`{"value": 3}`:               {true, `{"value": 3}`, ""},
		"text out":                   {true, `"text out"`, ""},
		`{"error": null}`:            {true, `{"error": null}`, ""},
	} {
		var rec results.Record
		lineProtocol{}.response([]byte(in), &rec)
		if rec.OK != want.ok || string(rec.Result) != want.result || rec.Error != want.errs {
			t.Errorf("%q: ok=%v result=%s error=%q, want %+v", in, rec.OK, rec.Result, rec.Error, want)
		}
	}
	if _, err := (lineProtocol{}).request(Item{Path: "a\nb"}); err == nil {
		t.Error("a path with a newline was sent to a line worker")
	}
}

// TestTailBounds: the kept standard error is the last lines, at most the
// line count and a byte bound, whatever the writes' boundaries.
func TestTailBounds(t *testing.T) {
	tl := &tail{max: 3}
	for _, w := range []string{"one\ntw", "o\nthree\nfour", "\nfive"} {
		tl.Write([]byte(w))
	}
	if got := tl.String(); got != "three\nfour\nfive" {
		t.Errorf("tail %q, want the last 3 lines", got)
	}
	big := &tail{max: 5}
	big.Write([]byte(strings.Repeat("x", 3*maxStderrBytes) + "\n"))
	if len(big.String()) > maxStderrBytes {
		t.Errorf("tail of %d bytes", len(big.String()))
	}
}

func TestReadLineLimit(t *testing.T) {
	br := bufio.NewReaderSize(strings.NewReader(strings.Repeat("y", 100)+"\nshort\n"), 16)
	if _, err := readLine(br, 50); !errors.Is(err, errLineTooLong) {
		t.Fatalf("a 100-byte line under a limit of 50: %v", err)
	}
	if b, err := readLine(br, 50); err != nil || string(b) != "short\n" {
		t.Fatalf("the next line: %q %v", b, err)
	}
}

func TestSignalName(t *testing.T) {
	if SignalName(syscall.SIGSEGV) != "SIGSEGV" || SignalName(syscall.SIGKILL) != "SIGKILL" || SignalName(syscall.Signal(63)) != "SIG63" {
		t.Error(SignalName(syscall.SIGSEGV), SignalName(syscall.Signal(63)))
	}
}

// failing fails its first n items, then succeeds.
type failing struct{ n, calls int }

func (f *failing) Run(ctx context.Context, it Item) results.Record {
	f.calls++
	return results.Record{Input: it.ID, OK: f.calls > f.n}
}
func (f *failing) Close() {}

func TestRunItemRetries(t *testing.T) {
	for _, c := range []struct {
		fails, retries, attempts int
		ok                       bool
	}{
		{0, 2, 1, true}, {1, 2, 2, true}, {2, 2, 3, true}, {3, 2, 3, false}, {5, 0, 1, false},
	} {
		rec := RunItem(context.Background(), &failing{n: c.fails}, Item{ID: "x"}, c.retries)
		if rec.Attempts != c.attempts || rec.OK != c.ok {
			t.Errorf("%d failures, %d retries: %d attempts ok=%v, want %d ok=%v", c.fails, c.retries, rec.Attempts, rec.OK, c.attempts, c.ok)
		}
	}
}
