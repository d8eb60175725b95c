package results

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/blasbatch/blasbatch/kernels"
)

// TestEncoderExact: a Scalar's Exact digits are written as the field's
// number, exactly — int64 and uint64 extremes, numbers beyond both, -0 —
// and read back through Decode (and encoding/json) as the same integer;
// an Exact that is not a JSON integer literal is never written: the value
// falls back to Value, and the line stays valid JSON.
func TestEncoderExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	exacts := []string{"0", "-0", "1", "-1", "9223372036854775807", "-9223372036854775808", "18446744073709551615",
		"123456789012345678901234567890", strconv.FormatUint(rng.Uint64(), 10), strconv.FormatInt(-rng.Int64(), 10)}
	for range 50 {
		exacts = append(exacts, strconv.FormatInt(int64(rng.Uint64()), 10), strconv.FormatUint(rng.Uint64()>>rng.IntN(64), 10))
	}
	enc := Encoder{Kernel: "hadamard", Lane: 1}
	for _, ex := range exacts {
		res := kernels.Result{Scalars: []kernels.Scalar{
			{Name: "checksum", Value: 1.5, Exact: ex},
			{Name: "gbytes_per_second", Value: 12.25},
		}}
		line := enc.AppendOK(nil, "q.npy", 2, 3, res, 0.5)
		r, err := Decode(line)
		if err != nil {
			t.Fatalf("exact %s: %q: %v", ex, line, err)
		}
		raw, ok := r.Fields["checksum"]
		if !ok || string(raw) != ex {
			t.Fatalf("exact %s: checksum field %q in %q", ex, raw, line)
		}
		want, _ := new(big.Int).SetString(ex, 10)
		d := json.NewDecoder(bytes.NewReader(line))
		d.UseNumber()
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			t.Fatalf("exact %s: encoding/json: %v (%q)", ex, err, line)
		}
		n, ok := m["checksum"].(json.Number)
		got, ok2 := new(big.Int).SetString(string(n), 10)
		if !ok || !ok2 || got.Cmp(want) != 0 {
			t.Fatalf("exact %s: encoding/json reads checksum %v", ex, m["checksum"])
		}
		if v, ok := r.Float("gbytes_per_second"); !ok || v != 12.25 {
			t.Fatalf("exact %s: the next scalar reads %v %v", ex, v, ok)
		}
	}
	for _, bad := range []string{"1.5", "1e3", "+1", "01", "--1", "-", "0x10", " 1", "1 ", "1,2", `1}`, `"1"`, "null", "NaN", "١٢", "12a", "1\n"} {
		if kernels.ValidExact(bad) {
			t.Fatalf("kernels.ValidExact(%q) is true", bad)
		}
		for _, value := range []float64{2.5, math.Inf(1)} {
			res := kernels.Result{Scalars: []kernels.Scalar{{Name: "checksum", Value: value, Exact: bad}}}
			line := enc.AppendOK(nil, "q.npy", 2, 3, res, 0.5)
			if !json.Valid(bytes.TrimSpace(line)) {
				t.Fatalf("exact %q: invalid JSON %q", bad, line)
			}
			r, err := Decode(line)
			if err != nil {
				t.Fatalf("exact %q: %v", bad, err)
			}
			if v, ok := r.Float("checksum"); (math.IsInf(value, 0) && ok) || (!math.IsInf(value, 0) && v != value) {
				t.Fatalf("exact %q, value %v: checksum reads %v %v from %q", bad, value, v, ok, line)
			}
		}
	}
}
