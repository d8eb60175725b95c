package kernels_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/blasbatch/blasbatch/blas"
	"github.com/blasbatch/blasbatch/internal/testpy"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// numpy returns a Python with NumPy, or skips the test; with
// BLASBATCH_REQUIRE_NUMPY=1 (make test) a missing NumPy fails it instead.
func numpy(t *testing.T) string { return testpy.NumPy(t) }

// readOne reads the one matrix of the .npy file at path: its Item, and its
// elements as ReadRaw gives them (as float64s when the item is not an
// integer one).
func readOne(t *testing.T, path string) (matio.Item, []byte, []float64) {
	t.Helper()
	r, err := matio.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	it, err := r.Next()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if !it.Integer {
		v := make([]float64, it.Rows*it.Cols)
		if err := r.Read(v); err != nil {
			t.Fatal(err)
		}
		return it, nil, v
	}
	raw := make([]byte, it.Rows*it.Cols*it.Bits/8)
	if err := r.ReadRaw(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("%s: a second item (%v)", path, err)
	}
	return it, raw, nil
}

// TestHadamardNumPy: on files NumPy wrote — every integer dtype, signed
// and unsigned, big-endian and Fortran-ordered ones, the question's
// random_integers(100) int64 matrix, float64 normals and (0,1) — every
// implementation squares as NumPy's x = x*x does, repeat times (0 to 100),
// in the array's own dtype, wrapping around: the result equals NumPy's
// bit for bit, the checksum equals NumPy's x.sum() (int(x.sum()) exactly,
// as Scalar.Exact, for integers; the float64 bit for bit), and the saved
// output, written by matio.WriteNpyRaw, reads back as NumPy's result.
func TestHadamardNumPy(t *testing.T) {
	py := numpy(t)
	dir := t.TempDir()
	if out, err := exec.Command(py, filepath.Join("testdata", "hadamard_numpy.py"), dir).CombinedOutput(); err != nil {
		t.Fatalf("hadamard_numpy.py: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Input, Result, Dtype, Sum string
		Repeat                    int
		Fortran                   bool
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 400 {
		t.Fatalf("only %d cases", len(cases))
	}
	impls := kernels.HadamardImpls()
	t.Logf("implementations: %v", impls)
	var ints, floats, wrapped int
	for _, c := range cases {
		it, raw, vals := readOne(t, filepath.Join(dir, c.Input))
		rit, wantRaw, wantVals := readOne(t, filepath.Join(dir, c.Result))
		if rit.Integer != it.Integer || rit.Bits != it.Bits || rit.Signed != it.Signed {
			t.Fatalf("%s: result item %+v for input %+v", c.Result, rit, it)
		}
		for _, impl := range impls {
			name := c.Result + "/impl=" + impl
			w := &kernels.HadamardWorker{Repeat: c.Repeat, Impl: impl}
			if it.Integer {
				x := append([]byte(nil), raw...)
				res, err := w.RunInts(it.Rows, it.Cols, it.Signed, it.Bits, x, true)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !bytes.Equal(x, wantRaw) {
					t.Fatalf("%s: the result differs from NumPy's", name)
				}
				if ck := res.Scalars[0]; ck.Name != "checksum" || ck.Exact != c.Sum {
					t.Fatalf("%s: checksum %+v, NumPy's int(x.sum()) is %s", name, ck, c.Sum)
				}
				o := res.Outputs[0]
				var buf bytes.Buffer
				if err := matio.WriteNpyRaw(&buf, o.Rows, o.Cols, o.Signed, o.Bits, o.Raw, o.Fortran); err != nil {
					t.Fatal(err)
				}
				saved := filepath.Join(dir, "saved.npy")
				if err := os.WriteFile(saved, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				if sit, got, _ := readOne(t, saved); !bytes.Equal(got, wantRaw) || sit.Bits != it.Bits || sit.Signed != it.Signed {
					t.Fatalf("%s: the saved output reads back as %+v, not NumPy's result", name, sit)
				}
				if n, _ := strconv.ParseInt(c.Sum, 10, 64); c.Sum != strconv.FormatInt(n, 10) || math.Abs(float64(n)) > 1<<53 {
					wrapped++ // beyond what a float64 holds exactly (or uint64 beyond int64)
				}
				ints++
				continue
			}
			x := append([]float64(nil), vals...)
			res, err := w.Run(it.Rows, it.Cols, x, false)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i := range x {
				if math.Float64bits(x[i]) != math.Float64bits(wantVals[i]) {
					t.Fatalf("%s: element %d is %v, NumPy's %v", name, i, x[i], wantVals[i])
				}
			}
			want, err := strconv.ParseFloat(c.Sum, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Scalars[0].Value; math.Float64bits(got) != math.Float64bits(want) || res.Scalars[0].Exact != "" {
				t.Fatalf("%s: checksum %v, NumPy's x.sum() is %v", name, got, want)
			}
			floats++
		}
	}
	if ints == 0 || floats == 0 || wrapped < 100 {
		t.Fatalf("%d integer and %d float cases, %d integer sums beyond 2⁵³", ints, floats, wrapped)
	}
}

// TestHadamardFlopsWith: FlopsWith counts Repeat squarings an element (the
// default's for Repeat 0), and equals Flops for the default options.
func TestHadamardFlopsWith(t *testing.T) {
	spec, err := kernels.Lookup("hadamard")
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range [][2]int{{1, 1}, {1000, 1000}, {3, 7}, {0, 5}} {
		m, n := sh[0], sh[1]
		if got, want := spec.FlopsWith(m, n, kernels.Options{}), spec.Flops(m, n); got != want {
			t.Errorf("m=%d,n=%d: FlopsWith(default) = %v, Flops = %v", m, n, got, want)
		}
		for _, r := range []int{1, 7, 100, 1000} {
			if got, want := spec.FlopsWith(m, n, kernels.Options{Repeat: r}), float64(r)*float64(m)*float64(n); got != want {
				t.Errorf("m=%d,n=%d,repeat=%d: FlopsWith = %v, want %v", m, n, r, got, want)
			}
		}
	}
	for _, s := range kernels.All() {
		if s.Name != "hadamard" && (s.FlopsWith != nil || s.Integers) {
			t.Errorf("%s: FlopsWith %v, Integers %v: only hadamard has them", s.Name, s.FlopsWith != nil, s.Integers)
		}
	}
}

// TestValidExact: JSON's integer grammar, -?(0|[1-9][0-9]*), and nothing
// else.
func TestValidExact(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-0": true, "7": true, "-7": true, "18446744073709551615": true, "-9223372036854775808": true,
		"123456789012345678901234567890": true,
		"":                               false, "-": false, "00": false, "01": false, "-01": false, "+1": false, "1.0": false, "1e3": false,
		"0x1": false, " 1": false, "1 ": false, "1\n": false, "--1": false, "1-": false, "١": false, "null": false, `"1"`: false,
	} {
		if got := kernels.ValidExact(s); got != want {
			t.Errorf("ValidExact(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestHadamardImpls: every name HadamardImpls lists runs, "" is the last
// (fastest) of them, and a name this CPU cannot run is refused.
func TestHadamardImpls(t *testing.T) {
	impls := kernels.HadamardImpls()
	if len(impls) < 2 || impls[0] != "plain" || impls[1] != "portable" {
		t.Fatalf("HadamardImpls() = %v", impls)
	}
	for _, name := range append(impls, "") {
		if _, err := (&kernels.HadamardWorker{Repeat: 2, Impl: name}).Run(2, 2, []float64{1, 2, 3, 4}, false); err != nil {
			t.Errorf("impl %q: %v", name, err)
		}
	}
	for _, name := range []string{"avx1024", "Plain", "neon"} {
		_, err := (&kernels.HadamardWorker{Repeat: 2, Impl: name}).Run(2, 2, []float64{1, 2, 3, 4}, false)
		if !errors.Is(err, kernels.ErrBadOption) {
			t.Errorf("impl %q: error %v, want kernels.ErrBadOption", name, err)
		}
	}
	spec, err := kernels.Lookup("hadamard")
	if err != nil {
		t.Fatal(err)
	}
	if hw, ok := spec.NewWith(blas.Gonum{}, kernels.Options{Repeat: 7}).(*kernels.HadamardWorker); !ok || hw.Repeat != 7 || hw.Impl != "" {
		t.Fatalf("hadamard's NewWith gives %+v", hw)
	}
}
