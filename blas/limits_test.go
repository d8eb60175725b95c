package blas

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckDim(t *testing.T) {
	for _, c := range []struct {
		v    int
		fail bool
	}{{0, false}, {-1, false}, {MaxDim, false}, {MaxDim + 1, true}, {1 << 40, true}} {
		err := CheckDim("Dgesdd", "lda", c.v)
		if (err != nil) != c.fail {
			t.Fatalf("CheckDim(%d) = %v, want failure %v", c.v, err, c.fail)
		}
		if err == nil {
			continue
		}
		var de *DimensionError
		if !errors.Is(err, ErrDimension) || !errors.As(err, &de) || de.Value != c.v || de.Name != "lda" {
			t.Fatalf("CheckDim(%d) = %#v", c.v, err)
		}
		for _, s := range []string{"Dgesdd", "lda", "2147483647"} {
			if !strings.Contains(err.Error(), s) {
				t.Fatalf("CheckDim(%d): %q does not name %q", c.v, err, s)
			}
		}
	}
}
