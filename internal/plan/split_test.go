package plan

import (
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
)

func TestComplete(t *testing.T) {
	pthreads := blas.Info{Implementation: "openblas", Threading: blas.Pthreads}
	serial := blas.Info{Implementation: "openblas", Threading: blas.Serial}
	gonum := blas.Info{Implementation: "gonum", Threading: blas.Serial}
	for _, c := range []struct {
		name                string
		outer, inner, items int
		cores               int
		info                blas.Info
		wantOuter, wantIn   int
		warn, err           string
	}{
		{"many items: every core an outer worker", 0, 0, 100, 16, pthreads, 16, 1, "", ""},
		{"as many items as cores", 0, 0, 16, 16, pthreads, 16, 1, "", ""},
		{"fewer items than cores: one worker, all cores inside", 0, 0, 3, 16, pthreads, 1, 16, "", ""},
		{"forced outer only", 4, 0, 100, 16, pthreads, 4, 1, "", ""},
		{"forced outer 1 takes all cores inside", 1, 0, 100, 16, pthreads, 1, 16, "", ""},
		{"forced inner 1 takes all cores outside", 0, 1, 100, 16, pthreads, 16, 1, "", ""},
		{"forced inner only", 0, 4, 100, 16, pthreads, 1, 4, "", ""},
		{"both forced", 1, 1, 100, 16, pthreads, 1, 1, "", ""},
		{"hybrid refused", 4, 4, 100, 16, pthreads, 0, 0, "", "never run at once"},
		{"oversubscribed is allowed with a warning", 32, 1, 100, 16, pthreads, 32, 1, "oversubscribed", ""},
		{"serial OpenBLAS is not thread-safe", 0, 0, 100, 16, serial, 1, 1, "not thread-safe", ""},
		{"gonum has no inner threads: outer even for few items", 0, 0, 1, 8, gonum, 8, 1, "", ""},
		{"gonum forced inner falls back to 1", 1, 4, 1, 8, gonum, 1, 1, "no threads of its own", ""},
	} {
		s, err := Complete(c.outer, c.inner, c.items, c.cores, c.info, false)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if s.Outer != c.wantOuter || s.Inner != c.wantIn {
			t.Errorf("%s: %d×%d, want %d×%d", c.name, s.Outer, s.Inner, c.wantOuter, c.wantIn)
		}
		w := strings.Join(s.Warnings, "; ")
		if (c.warn == "") != (w == "") || !strings.Contains(w, c.warn) {
			t.Errorf("%s: warnings %q, want %q", c.name, w, c.warn)
		}
	}
}
