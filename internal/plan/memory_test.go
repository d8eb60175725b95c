package plan

import (
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"none": 0, "512MiB": 512 << 20, "4G": 4 << 30, "1.5GiB": 3 << 29, "1000000": 1e6, "2kb": 2000, " 3 MiB ": 3 << 20} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]string{"0": "say none", "1": "too small", "-5MiB": "want a size", "lots": "want a size", "NaN": "want a size", "1e30": "want a size"} {
		if _, err := ParseBytes(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseBytes(%q) = %v, want an error saying %q", in, err, want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{1: "1 B", 1023: "1023 B", 1536: "1.5 KiB", 275 << 20: "275 MiB", 3 << 30: "3 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestFitMemory: the budget caps the items held at once; outer workers
// it cuts give their cores to the remaining ones as inner threads (not
// for a memory-bound kernel, nor a BLAS without threads); no budget
// changes nothing.
func TestFitMemory(t *testing.T) {
	for _, c := range []struct {
		name                         string
		budget, item                 int64
		outer, inner, ra, cores      int
		threads, memBound            bool
		wantOuter, wantInner, wantRA int
		warn                         bool
	}{
		{"two items fit, four workers asked", 10 << 20, 4 << 20, 4, 1, 2, 4, true, false, 2, 2, -1, true},
		{"read-ahead cut first", 5 << 20, 1 << 20, 4, 1, 2, 4, true, false, 4, 1, 1, false},
		{"room for the workers only: no read-ahead, same split", 200 << 20, 80 << 20, 2, 1, 2, 2, true, false, 2, 1, -1, false},
		{"no budget", 0, 1 << 30, 4, 1, 2, 4, true, false, 4, 1, 2, false},
		{"one item: all cores to it", 300 << 20, 275 << 20, 2, 1, 2, 2, true, false, 1, 2, -1, true},
		{"memory-bound keeps one thread", 300 << 20, 275 << 20, 2, 1, 2, 2, true, true, 1, 1, -1, true},
		{"serial BLAS keeps one thread", 300 << 20, 275 << 20, 2, 1, 2, 2, false, false, 1, 1, -1, true},
		{"item over the budget: one worker", 1 << 20, 2 << 20, 4, 1, 2, 4, true, false, 1, 4, -1, true},
	} {
		f := FitMemory(c.budget, c.item, c.outer, c.inner, c.ra, c.cores, c.threads, c.memBound)
		if f.Outer != c.wantOuter || f.Inner != c.wantInner || f.ReadAhead != c.wantRA || (f.Warning != "") != c.warn {
			t.Errorf("%s: %+v, want %d × %d read-ahead %d warning %v", c.name, f, c.wantOuter, c.wantInner, c.wantRA, c.warn)
		}
		if c.warn && !strings.Contains(f.Warning, FormatBytes(c.budget)) {
			t.Errorf("%s: warning %q does not name the budget in real units", c.name, f.Warning)
		}
	}
}
