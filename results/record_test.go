package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/blasbatch/blasbatch/kernels"
)

// TestEncoderRoundTrip: every record the fast encoder writes reads back
// through Decode with the same values, for random ids (escapes, quotes,
// control characters, non-ASCII), values (subnormals, huge, NaN and Inf as
// null), scalars, complex pairs and failures; and encoding/json agrees on
// the same bytes.
func TestEncoderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ids := []string{"plain.npy", `q"u\\o/te.npy`, `lat\xe8.npy`, "ünï/κώδικας.npy", "x.npz:a\\#2[3]", "sep\u2028arator", "t\tab"}
	for trial := range 500 {
		id := ids[trial%len(ids)]
		pairs := trial%3 == 0
		enc := Encoder{Kernel: "k", Field: "values", Pairs: pairs, Lane: rng.IntN(5) - 1}
		var vals []float64
		for range 2 * rng.IntN(6) {
			switch rng.IntN(6) {
			case 0:
				vals = append(vals, math.NaN())
			case 1:
				vals = append(vals, math.Inf(1-2*rng.IntN(2)))
			case 2:
				vals = append(vals, 5e-324*float64(rng.IntN(9)))
			default:
				vals = append(vals, rng.NormFloat64()*math.Pow(10, float64(rng.IntN(600)-300)))
			}
		}
		res := kernels.Result{Values: vals, Scalars: []kernels.Scalar{{Name: "log_det", Value: rng.NormFloat64()}, {Name: "rcond", Value: math.Inf(-1)}}}
		if trial%4 == 1 {
			res.Fallback = "dgesvd"
		}
		rows, cols := rng.IntN(100), rng.IntN(100)
		line := enc.AppendOK(nil, id, rows, cols, res, 0.125)
		if !bytes.HasSuffix(line, []byte("}\n")) || bytes.Count(line, []byte("\n")) != 1 {
			t.Fatalf("not one line: %q", line)
		}
		r, err := Decode(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r.Input != id || r.Kernel != "k" || r.Rows != rows || r.Cols != cols || !r.OK || r.Lane != enc.Lane || r.Seconds != 0.125 || r.Fallback != res.Fallback {
			t.Fatalf("decoded %+v from %q", r, line)
		}
		got, ok := r.Floats("values")
		if !ok || len(got) != len(vals) {
			t.Fatalf("values %v from %q", got, line)
		}
		for i, v := range vals {
			want := v
			if math.IsInf(v, 0) {
				want = math.NaN() // written as null
			}
			if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
				t.Fatalf("value %d: %v, want %v (%q)", i, got[i], want, line)
			}
		}
		if v, ok := r.Float("log_det"); !ok || v != res.Scalars[0].Value {
			t.Fatalf("log_det %v %v", v, ok)
		}
		if _, ok := r.Float("rcond"); ok {
			t.Fatalf("rcond -Inf should be null")
		}
		var viaJSON map[string]any
		if err := json.Unmarshal(line, &viaJSON); err != nil || viaJSON["input"] != id {
			t.Fatalf("encoding/json reads %v (%v) from %q", viaJSON["input"], err, line)
		}

		fail := enc.AppendFailure(nil, id, rows, cols, "bad \"thing\"\n")
		r, err = Decode(fail)
		if err != nil || r.OK || r.Error != "bad \"thing\"\n" || r.Input != id || r.Rows != rows {
			t.Fatalf("failure %q: %+v %v", fail, r, err)
		}
	}
}

// TestRecordMarshalRoundTrip: Record's own MarshalJSON and Decode agree,
// kernel fields included.
func TestRecordMarshalRoundTrip(t *testing.T) {
	exit := 3
	in := Record{Input: "a", Kernel: "exec", OK: false, Error: "exit status 3", Lane: 2, Exit: &exit, Signal: "", Stderr: "x\ny", Attempts: 2,
		Result: json.RawMessage(`{"k":[1,2]}`), Fields: map[string]json.RawMessage{"zeta": json.RawMessage(`1`), "alpha": json.RawMessage(`[1,2]`)}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Input != in.Input || *out.Exit != 3 || out.Stderr != in.Stderr || out.Attempts != 2 || string(out.Result) != string(in.Result) || string(out.Fields["alpha"]) != "[1,2]" || len(out.Fields) != 2 {
		t.Fatalf("%s → %+v", b, out)
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, line := range []string{
		``, `[]`, `"x"`, `{}`, `{"input":"a"}`, `{"ok":true}`, `{"input":"","ok":true}`,
		`{"input":"a","ok":true} trailing`, `{"input":"a","ok":"yes"}`, `{"input":1,"ok":true}`,
		`{"input":"a","ok":true`, `not json at all`,
	} {
		if _, err := Decode([]byte(line)); !errors.Is(err, ErrNotRecord) {
			t.Errorf("%q: %v, want ErrNotRecord", line, err)
		}
	}
}

// TestDecoderTorn: a stream that ends without a newline reports the torn
// fragment's length, and no record for it; long lines (beyond the reader's
// buffer) are whole.
func TestDecoderTorn(t *testing.T) {
	enc := Encoder{Kernel: "svd", Field: "s"}
	big := make([]float64, 40000)
	for i := range big {
		big[i] = float64(i) + 0.5
	}
	var b []byte
	b = enc.AppendOK(b, "a", 1, 1, kernels.Result{Values: big}, 1)
	b = enc.AppendFailure(b, "b", 0, 0, "no")
	b = append(b, '\n') // a blank line is skipped
	torn := `{"input":"c","kern`
	d := NewDecoder(strings.NewReader(string(b) + torn))
	var ids []string
	for {
		_, r, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Input)
	}
	if strings.Join(ids, ",") != "a,b" || d.Torn != int64(len(torn)) {
		t.Fatalf("ids %v, torn %d", ids, d.Torn)
	}
}

// xs reads 'x' forever.
type xs struct{}

func (xs) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestDecoderBoundsLines: a line of 100 MiB between records is one line
// that is not a record, its whole length counted (the next record's offset
// is right), and a torn last line of 100 MiB is Torn's whole length — and
// neither is held whole in memory.
func TestDecoderBoundsLines(t *testing.T) {
	const rec = `{"input":"a.npy","kernel":"svd","rows":1,"cols":1,"ok":true,"singular_values":[1],"seconds":0,"lane":0}` + "\n"
	const big = 100 << 20
	r := io.MultiReader(strings.NewReader(rec), io.LimitReader(xs{}, big), strings.NewReader("\n"+rec), io.LimitReader(xs{}, big))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d := NewDecoder(r)
	if _, got, err := d.Next(); err != nil || got.Input != "a.npy" {
		t.Fatalf("first record: %+v, %v", got, err)
	}
	ln, _, err := d.Next()
	if !errors.Is(err, ErrNotRecord) || ln.N != 2 || ln.Len != big+1 {
		t.Fatalf("the long line: %d, length %d, %v", ln.N, ln.Len, err)
	}
	ln, got, err := d.Next()
	if err != nil || got.Input != "a.npy" || ln.Offset != int64(len(rec))+big+1 {
		t.Fatalf("the record after it: offset %d, %+v, %v", ln.Offset, got, err)
	}
	if _, _, err := d.Next(); err != io.EOF || d.Torn != big {
		t.Fatalf("the torn tail: %v, Torn %d", err, d.Torn)
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 200<<20 {
		t.Errorf("decoding allocated %d MiB", got>>20)
	}
}
