package blasbatch

import (
	"strings"
	"testing"
)

func TestCoreAdvice(t *testing.T) {
	for _, c := range []struct {
		core         string
		avx512, avx2 bool
		want         string
	}{
		{"Prescott", true, true, "OPENBLAS_CORETYPE=SkylakeX"},
		{"Prescott", false, true, "OPENBLAS_CORETYPE=Haswell"},
		{"Prescott", false, false, ""}, // an old CPU: Prescott is right
		{"SkylakeX", true, true, ""},
		{"Cooperlake", true, true, ""},
		{"Haswell", false, true, ""},
		{"", true, true, ""}, // gonum: no core name
	} {
		got := coreAdvice(c.core, c.avx512, c.avx2)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s avx512=%v avx2=%v: %q, want %q", c.core, c.avx512, c.avx2, got, c.want)
		}
	}
}
