package lanes

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/quick"
	"unicode/utf8"
)

func TestSafeName(t *testing.T) {
	long := strings.Repeat("d/", 150) + "x.npy"
	for _, c := range []struct{ in, want string }{
		{"data/a.npy", "data_a.npy"},
		{"/abs/x.npy", "_abs_x.npy"},
		{"abs/x.npy", "abs_x.npy"},
		{"../x.npy", "%2E._x.npy"},
		{"../../etc/x.npy", "%2E._.._etc_x.npy"},
		{"a/../../b.npy", "a_.._.._b.npy"},
		{".hidden.npy", "%2Ehidden.npy"},
		{"..", "%2E."},
		{".", "%2E"},
		{"", "~"},
		{"/", "_"},
		{"-rf.npy", "%2Drf.npy"},
		{"x.npy[12]", "x.npy_12"},
		{"x.npy/12", "x.npy%2F12"},
		{"x.npy[1][2]", "x.npy%5B1%5D_2"},
		{"x.npy[a]", "x.npy%5Ba%5D"},
		{"[3]", "_3"},
		{"data/s.npz:x[3]", "data_s.npz%3Ax_3"},
		{"x.npz:dir/m[2]", "x.npz%3Adir_m_2"},
		{"x.npz/dir/m[2]", "x.npz_dir_m_2"},
		{"x.npz:m", "x.npz%3Am"},
		{"x.npz/m", "x.npz_m"},
		{"x.npz:arr_0", "x.npz%3Aarr%5F0"},
		{"a/b_c.npy", "a_b%5Fc.npy"},
		{"a_b/c.npy", "a%5Fb_c.npy"},
		{"100%.npy", "100%25.npy"},
		{"%2F", "%252F"},
		{"a\\..\\b.npy", "a%5C..%5Cb.npy"},
		{"sp ace~.npy", "sp%20ace%7E.npy"},
		{"nul\x00.npy", "nul%00.npy"},
		{"bad\xff\xfe.npy", "bad%FF%FE.npy"},
		{"données/été.npy", "données_été.npy"},
		{"e\u0301.npy", "e\u0301.npy"},        // NFD: a combining mark is kept
		{"\u202Egnp.exe", "%E2%80%AEgnp.exe"}, // bidi override is escaped
		{"fullwidth\uff0fslash", "fullwidth%EF%BC%8Fslash"},
	} {
		got := SafeName(c.in)
		if got != c.want {
			t.Errorf("SafeName(%q) = %q, want %q", c.in, got, c.want)
		}
		checkSafe(t, c.in, got)
		if back, ok := unSafeName(got); !ok || back != c.in {
			t.Errorf("unSafeName(%q) = %q, %v; want %q", got, back, ok, c.in)
		}
	}

	// Long ids are cut and end with a hash of the whole id.
	got := SafeName(long)
	checkSafe(t, long, got)
	if len(got) != MaxSafeName || !strings.HasPrefix(got, "d_d_d_") || got[len(got)-17] != '~' {
		t.Errorf("SafeName(long) = %q (%d bytes)", got, len(got))
	}
	if other := SafeName(long[:len(long)-1] + "z"); other == got || other[:len(other)-16] != got[:len(got)-16] {
		t.Errorf("long ids differing at the end: %q and %q", got, other)
	}
	// The cut never splits an escape or a UTF-8 sequence.
	for pad := range 4 {
		for _, unit := range []string{"é", "_", "€", "\xff", "𝄞"} {
			in := strings.Repeat("a", pad) + strings.Repeat(unit, 200)
			got := SafeName(in)
			checkSafe(t, in, got)
			if !utf8.ValidString(got) {
				t.Errorf("SafeName(%q...) = %q is not UTF-8", in[:10], got)
			}
			prefix := got[:len(got)-17]
			if i := strings.LastIndexByte(prefix, '%'); i >= 0 && i+3 > len(prefix) {
				t.Errorf("SafeName(%q...) cut inside an escape: %q", in[:10], got)
			}
		}
	}
}

// TestSafeNameStack: a stack item's name is the stack's name with "_i", which
// TestSaveWritesEveryOutput relies on. (Not for an id whose last path element
// is all digits, "d/7", nor for the empty id: their own names are escaped.)
func TestSafeNameStack(t *testing.T) {
	for _, id := range []string{"/tmp/x/in.npy", "a_b.npz:arr_0", "rel/7.npy", "x.npz:m/7a"} {
		for _, i := range []int{0, 6, 123} {
			if got, want := SafeName(fmt.Sprintf("%s[%d]", id, i)), SafeName(id)+"_"+strconv.Itoa(i); got != want {
				t.Errorf("SafeName(%q[%d]) = %q, want %q", id, i, got, want)
			}
		}
	}
}

// checkSafe: one path element, not hidden, bounded, and joined with a save
// directory and an output suffix it stays inside that directory.
func checkSafe(t *testing.T, in, got string) {
	t.Helper()
	if got == "" || got == "." || got == ".." || strings.ContainsAny(got, "/\\\x00") {
		t.Fatalf("SafeName(%q) = %q is not one path element", in, got)
	}
	if got[0] == '.' || got[0] == '-' {
		t.Fatalf("SafeName(%q) = %q starts with %q", in, got, got[0])
	}
	if len(got) > MaxSafeName || len(got) > 230 {
		t.Fatalf("SafeName(%q) = %q is %d bytes", in, got, len(got))
	}
	for _, dir := range []string{"/save", "save", "../out/save", "."} {
		for _, suffix := range []string{"", ".U.npy", ".S.npy", ".Vt.npy"} {
			p := filepath.Join(dir, got+suffix)
			if filepath.Dir(p) != filepath.Clean(dir) || filepath.Base(p) != got+suffix {
				t.Fatalf("SafeName(%q) = %q: Join(%q, name%s) = %q leaves the directory", in, got, dir, suffix, p)
			}
			if rel, err := filepath.Rel(dir, p); err != nil || rel != got+suffix {
				t.Fatalf("SafeName(%q) = %q: %q relative to %q is %q (%v)", in, got, p, dir, rel, err)
			}
		}
	}
}

// unSafeName inverts SafeName for names that were not shortened (ok false
// for a shortened name or one SafeName never returns). That it exists, and
// round-trips, is what makes SafeName injective.
func unSafeName(s string) (string, bool) {
	if s == "~" {
		return "", true
	}
	if strings.Contains(s, "~") {
		return "", false
	}
	index := ""
	if i := strings.LastIndexByte(s, '_'); i >= 0 && allDigits(s[i+1:]) {
		s, index = s[:i], "["+s[i+1:]+"]"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '_':
			b.WriteByte('/')
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", false
			}
			b.WriteByte(byte(v))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String() + index, true
}

// checkPair is the property every pair of ids must have: each name safe, and
// distinct ids give distinct names (each decodes back to its id unless
// shortened).
func checkPair(t *testing.T, a, b string) {
	t.Helper()
	sa, sb := SafeName(a), SafeName(b)
	checkSafe(t, a, sa)
	checkSafe(t, b, sb)
	if a != b && sa == sb {
		t.Fatalf("SafeName(%q) = SafeName(%q) = %q", a, b, sa)
	}
	if a == b && sa != sb {
		t.Fatalf("SafeName(%q) is not deterministic: %q, %q", a, sa, sb)
	}
	for _, c := range [][2]string{{a, sa}, {b, sb}} {
		back, ok := unSafeName(c[1])
		if c[1] != "~" && strings.Contains(c[1], "~") {
			// Shortened: cut back at most 3 bytes from the limit, then
			// '~' and 16 hex digits.
			if ok || len(c[1]) < MaxSafeName-3 || c[1][len(c[1])-17] != '~' {
				t.Fatalf("SafeName(%q) = %q: shortened to %d bytes", c[0], c[1], len(c[1]))
			}
			continue
		}
		if !ok || back != c[0] {
			t.Fatalf("SafeName(%q) = %q reads back as %q (%v)", c[0], c[1], back, ok)
		}
	}
}

// idAlphabet biases random ids towards the bytes the scheme treats
// specially, so quick's inputs hit the ambiguous cases.
var idAlphabet = []string{"/", "_", "%", ":", "[", "]", ".", "..", "-", "~", "\\", "\x00", "0", "7", "42", "a", "Z", "é", "\xff", "\xe2\x82", "npz", " ", "%2F", "%5F", "[3]"}

type quickID string

// Generate implements quick.Generator.
func (quickID) Generate(r *rand.Rand, size int) reflect.Value {
	var b strings.Builder
	n := r.Intn(size + 1)
	if r.Intn(20) == 0 {
		n *= 40 // long enough to be shortened
	}
	for range n {
		b.WriteString(idAlphabet[r.Intn(len(idAlphabet))])
	}
	return reflect.ValueOf(quickID(b.String()))
}

func TestSafeNameQuick(t *testing.T) {
	// Arbitrary strings (quick's own generator: random runes).
	if err := quick.Check(func(a, b string) bool { checkPair(t, a, b); return true }, &quick.Config{MaxCount: 2000}); err != nil {
		t.Fatal(err)
	}
	// Ids from the special alphabet; pairs made by small edits of one id
	// are the likely collisions.
	if err := quick.Check(func(a, b quickID) bool {
		checkPair(t, string(a), string(b))
		checkPair(t, string(a), string(a)+"]")
		checkPair(t, string(a)+"/1", string(a)+"[1]")
		checkPair(t, string(a)+"/"+string(b), string(a)+"_"+string(b))
		checkPair(t, string(a)+":"+string(b), string(a)+"/"+string(b))
		return true
	}, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"data/a.npy", "../x.npy", "/abs/x.npy", "a/../../b.npy", ".hidden.npy", "x.npz:dir/m[2]", "a%b_c:d", "d/7", "d[7]", "\xff", ""} {
		f.Add(s, s+"[0]")
	}
	f.Fuzz(func(t *testing.T, a, b string) { checkPair(t, a, b) })
}
