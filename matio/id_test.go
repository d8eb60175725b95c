package matio

import (
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"testing/quick"
	"unicode/utf8"
)

// idPieces are the pieces random test strings are made of: every class of
// byte or character EscapeID treats differently, and text that looks like
// its escapes.
var idPieces = []string{
	"a", "Z", "0", ".npy", "/", ":", "%", " ", "[1]", "#", "x", "\\", `\x41`, `\\`, `\#2`,
	"\x00", "\n", "\t", "\x1f", "\x7f", // ASCII controls
	"\u0080", "\u0085", "\u009f", // C1 controls
	"é", "ü", "\u00a0", "\ufffd", "\ufeff", "日本", "😀", "\u2028",
	"\x80", "\xbf", "\xc3", "\xe8", "\xef\xbf", "\xff", "\xfe", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", // not UTF-8
}

// randomID returns a random string of up to 8 pieces.
func randomID(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(9) {
		b.WriteString(idPieces[rng.IntN(len(idPieces))])
	}
	return b.String()
}

// checkEscaped checks what every result of EscapeID must be: valid UTF-8,
// without control characters, and a backslash only in \\ or \xHH.
func checkEscaped(t *testing.T, s, e string) {
	t.Helper()
	if !utf8.ValidString(e) {
		t.Errorf("EscapeID(%q) = %q is not valid UTF-8", s, e)
	}
	for _, r := range e {
		if r < 0x20 || r == 0x7f || 0x80 <= r && r <= 0x9f {
			t.Errorf("EscapeID(%q) = %q holds control character %U", s, e, r)
		}
	}
	for i := 0; i < len(e); i++ {
		if e[i] != '\\' {
			continue
		}
		switch {
		case strings.HasPrefix(e[i:], `\\`):
			i++
		case len(e) >= i+4 && e[i+1] == 'x' && strings.ContainsRune(hexDigits, rune(e[i+2])) && strings.ContainsRune(hexDigits, rune(e[i+3])):
			i += 3
		default:
			t.Errorf("EscapeID(%q) = %q: backslash at %d is neither \\\\ nor \\xHH", s, e, i)
		}
	}
}

// refEscape escapes s byte by byte from utf8.DecodeRuneInString's view, the
// plain way, to check EscapeID against.
func refEscape(s string) string {
	var out []string
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == '\\':
			out = append(out, `\\`)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f, 0x80 <= r && r <= 0x9f:
			for _, c := range []byte(s[:n]) {
				out = append(out, fmt.Sprintf(`\x%02x`, c))
			}
		default:
			out = append(out, s[:n])
		}
		s = s[n:]
	}
	return strings.Join(out, "")
}

// TestEscapeIDPieces round-trips seeded random strings made of the pieces
// that matter, checks every result's form, compares it with a plain
// reference, and checks that different strings never escape alike.
func TestEscapeIDPieces(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	from := make(map[string]string) // escaped → original
	for range 20000 {
		s := randomID(rng)
		e := EscapeID(s)
		checkEscaped(t, s, e)
		if ref := refEscape(s); e != ref {
			t.Errorf("EscapeID(%q) = %q, reference %q", s, e, ref)
		}
		if u, err := UnescapeID(e); err != nil || u != s {
			t.Errorf("UnescapeID(EscapeID(%q) = %q) = %q, %v", s, e, u, err)
		}
		if o, ok := from[e]; ok && o != s {
			t.Errorf("EscapeID(%q) = EscapeID(%q) = %q", s, o, e)
		}
		from[e] = s
		// Valid ids as JSON strings stay distinct (the point of escaping).
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back string
		if err := json.Unmarshal(j, &back); err != nil || back != e {
			t.Errorf("id %q through JSON: %q, %v", e, back, err)
		}
	}
}

// TestEscapeIDQuick checks the round trip, the form and injectivity on
// arbitrary byte strings from testing/quick, seeded.
func TestEscapeIDQuick(t *testing.T) {
	cfg := &quick.Config{MaxCount: 5000, Rand: mrand.New(mrand.NewSource(3))}
	roundTrip := func(b []byte) bool {
		s := string(b)
		e := EscapeID(s)
		checkEscaped(t, s, e)
		u, err := UnescapeID(e)
		return err == nil && u == s && e == refEscape(s)
	}
	if err := quick.Check(roundTrip, cfg); err != nil {
		t.Error(err)
	}
	injective := func(a, b []byte) bool {
		return string(a) == string(b) || EscapeID(string(a)) != EscapeID(string(b))
	}
	if err := quick.Check(injective, cfg); err != nil {
		t.Error(err)
	}
	// Strings one byte apart, the case that matters most (lat\xe8 and
	// lat\xe9), and arbitrary strings given to UnescapeID: whatever it
	// accepts escapes back to the same string.
	oneApart := func(b []byte, i uint, c byte) bool {
		if len(b) == 0 {
			return true
		}
		d := []byte(string(b))
		d[int(i%uint(len(d)))] = c
		return string(b) == string(d) || EscapeID(string(b)) != EscapeID(string(d))
	}
	if err := quick.Check(oneApart, cfg); err != nil {
		t.Error(err)
	}
	canonical := func(b []byte) bool {
		u, err := UnescapeID(string(b))
		return err != nil && errors.Is(err, ErrBadID) || err == nil && EscapeID(u) == string(b)
	}
	if err := quick.Check(canonical, cfg); err != nil {
		t.Error(err)
	}
}

// TestEscapeIDCases lists names that must be unchanged and the escape of
// each kind of byte the scheme names.
func TestEscapeIDCases(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"data/x.npy", "data/x.npy"},
		{"données/été.npy", "données/été.npy"},
		{"my data/100% real:v2 (copy).npz", "my data/100% real:v2 (copy).npz"},
		{"a[0]#b.npy", "a[0]#b.npy"},
		{"日本/😀.csv", "日本/😀.csv"},
		{"lat\ufffd.npy", "lat\ufffd.npy"}, // a real U+FFFD is kept
		{"", ""},
		{"lat\xe8.npy", `lat\xe8.npy`},
		{"lat\xe9.npy", `lat\xe9.npy`},
		{"\xff\xfe", `\xff\xfe`},
		{"\xed\xa0\x80", `\xed\xa0\x80`}, // an encoded surrogate is not UTF-8
		{`a\b`, `a\\b`},
		{`\x41`, `\\x41`},
		{"new\nline\r\x00\x7f", `new\x0aline\x0d\x00\x7f`},
		{"c1\u0085\u009f", `c1\xc2\x85\xc2\x9f`},
		{"\u00a0", "\u00a0"}, // the first character after the C1 range
	} {
		got := EscapeID(c.in)
		if got != c.want {
			t.Errorf("EscapeID(%q) = %q, want %q", c.in, got, c.want)
		}
		if u, err := UnescapeID(c.want); err != nil || u != c.in {
			t.Errorf("UnescapeID(%q) = %q, %v, want %q", c.want, u, err, c.in)
		}
	}
}

// TestUnescapeIDRejects lists strings EscapeID never returns.
func TestUnescapeIDRejects(t *testing.T) {
	for _, id := range []string{
		`\`, `a\`, `\q`, `\#2`, `a\#2`, `\x`, `\x4`, `\x4g`, `\xAB`, `\X41`,
		`\x41`,        // 'A' is kept as is
		`\xc3\xa9`,    // so is 'é'
		`\x5c`,        // a backslash is \\
		"a\nb",        // a raw control character
		"\u0085",      // a raw C1 control
		"lat\xe8.npy", // a raw byte that is not UTF-8
	} {
		if u, err := UnescapeID(id); !errors.Is(err, ErrBadID) {
			t.Errorf("UnescapeID(%q) = %q, %v, want ErrBadID", id, u, err)
		} else if !utf8.ValidString(err.Error()) {
			t.Errorf("UnescapeID(%q) error %q is not valid UTF-8", id, err)
		}
	}
}

// FuzzEscapeID checks the round trip and the form of EscapeID, and that
// what UnescapeID accepts escapes back to itself.
func FuzzEscapeID(f *testing.F) {
	for _, s := range []string{"data/x.npy", "lat\xe8.npy", `a\b`, "\u0085\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := EscapeID(s)
		checkEscaped(t, s, e)
		if u, err := UnescapeID(e); err != nil || u != s {
			t.Fatalf("UnescapeID(EscapeID(%q) = %q) = %q, %v", s, e, u, err)
		}
		if u, err := UnescapeID(s); err == nil && EscapeID(u) != s {
			t.Fatalf("UnescapeID(%q) = %q, which escapes to %q", s, u, EscapeID(u))
		} else if err != nil && !errors.Is(err, ErrBadID) {
			t.Fatalf("UnescapeID(%q): %v does not wrap ErrBadID", s, err)
		}
	})
}

// TestIDsOfNames reads files and archive members whose names need escaping
// and checks the ids they get: escaped path and member, distinct, valid
// UTF-8 even through JSON, and the raw path kept in Error.Path.
func TestIDsOfNames(t *testing.T) {
	dir := t.TempDir()
	one := npyFile(1, dictFor("<f8", false, 1, 1), make([]byte, 8))
	// Names that differ only in bytes that JSON would turn into U+FFFD.
	var ids []string
	for _, name := range []string{"lat\xe8.npy", "lat\xe9.npy", "lat\xef\xbf\xbd.npy", `lat\xe8.npy`, "lat\n.npy"} {
		path := writeFile(t, dir, name, one)
		evs := readAll(t, path, nil)
		want := EscapeID(dir) + "/" + refEscape(name)
		if len(evs) != 1 || evs[0].Err != nil || evs[0].ID != want {
			t.Errorf("%q: %+v, want one item %q", name, evs, want)
			continue
		}
		ids = append(ids, evs[0].ID)
	}
	jsonIDs := make(map[string]string)
	for _, id := range ids {
		j, _ := json.Marshal(id)
		if o, ok := jsonIDs[string(j)]; ok {
			t.Errorf("ids %q and %q are the same JSON string %s", o, id, j)
		}
		jsonIDs[string(j)] = id
		if u, err := UnescapeID(id); err != nil || !strings.HasPrefix(u, dir+"/lat") {
			t.Errorf("UnescapeID(%q) = %q, %v", id, u, err)
		}
	}

	// An error for a file whose name is not UTF-8: its ID, message and
	// ErrorID are escaped, its Path is the raw path.
	bad := writeFile(t, dir, "bad\xff.npy", []byte("not numpy"))
	_, err := Open(bad)
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("Open(%q) = %v, want *Error", bad, err)
	}
	wantID := EscapeID(dir) + `/bad\xff.npy`
	if me.Path != bad || me.ID() != wantID || ErrorID(bad, err) != wantID || !strings.HasPrefix(err.Error(), wantID+": ") || !utf8.ValidString(err.Error()) {
		t.Errorf("error for %q: Path %q, ID %q, ErrorID %q, message %q; want ID %q", bad, me.Path, me.ID(), ErrorID(bad, err), err, wantID)
	}
	if got := ErrorID("x\xff.npy", errors.New("not an *Error")); got != `x\xff.npy` {
		t.Errorf("ErrorID of a plain error = %q, want the escaped path", got)
	}

	// The .f64 sidecar's path is named escaped in the message.
	raw := writeFile(t, dir, "r\xfe.f64", make([]byte, 8))
	evs := readAll(t, raw, nil)
	if len(evs) != 1 || !errors.Is(evs[0].Err, ErrShape) || !strings.Contains(evs[0].Err.Error(), `r\xfe.f64.shape`) || !utf8.ValidString(evs[0].Err.Error()) {
		t.Errorf("raw file without a sidecar: %+v", evs)
	}
}

// TestNpzMemberIDs reads an archive with members of the same name (written
// twice with CreateHeader), with names that need escaping and with a member
// that is not .npy, through Next and through Skip, and checks each id.
func TestNpzMemberIDs(t *testing.T) {
	two := npyFile(1, dictFor("<f8", false, 2, 1), float64Bytes([]float64{1, 2}))
	stack := npyFile(1, dictFor("<f8", false, 3, 1, 1), float64Bytes([]float64{3, 4, 5}))
	bad := npyFile(1, dictFor("|O", false, 1, 1), make([]byte, 8))
	members := []zipMember{
		{name: "a.npy", body: two},
		{name: "a.npy", body: stack, deflate: true},
		{name: "b\xff.npy", body: two},
		{name: "a.npy", body: bad},
		{name: "a", body: two}, // not .npy: its name is "a" too
		{name: `a\#2.npy`, body: two},
		{name: "c\u0085\n.npy", body: stack},
		{name: "a.npy", body: two},
	}
	path := writeFile(t, t.TempDir(), "m.npz", zipFile(t, members...))
	p := EscapeID(path)
	want := []struct {
		id  string
		err error
	}{
		{p + ":a", nil},
		{p + `:a\#2[0]`, nil}, {p + `:a\#2[1]`, nil}, {p + `:a\#2[2]`, nil},
		{p + `:b\xff`, nil},
		{p + `:a\#3`, ErrObject},
		{p + `:a\#4`, ErrNotNumPy},
		{p + `:a\\#2`, nil},
		{p + `:c\xc2\x85\x0a[0]`, nil}, {p + `:c\xc2\x85\x0a[1]`, nil}, {p + `:c\xc2\x85\x0a[2]`, nil},
		{p + `:a\#5`, nil},
	}
	evs := readAll(t, path, nil)
	if len(evs) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(evs), len(want), evs)
	}
	seen := make(map[string]bool)
	for i, ev := range evs {
		id := ev.ID
		if ev.Err != nil {
			var me *Error
			if !errors.As(ev.Err, &me) || me.Path != path {
				t.Errorf("event %d: error %v is not an *Error with the raw path", i, ev.Err)
				continue
			}
			id = me.ID()
			if !strings.HasPrefix(ev.Err.Error(), id+": ") {
				t.Errorf("event %d: message %q does not start with %q", i, ev.Err, id)
			}
		}
		if id != want[i].id || !errors.Is(ev.Err, want[i].err) || want[i].err == nil && ev.Err != nil {
			t.Errorf("event %d: %q %v, want %q %v", i, id, ev.Err, want[i].id, want[i].err)
		}
		if seen[id] {
			t.Errorf("event %d: id %q given twice", i, id)
		}
		seen[id] = true
		if !utf8.ValidString(id) {
			t.Errorf("event %d: id %q is not valid UTF-8", i, id)
		}
	}
	// Skipping to each item gives it the same id as reading up to it.
	for n := range want {
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Skip(n); err != nil {
			t.Errorf("Skip(%d): %v", n, err)
		}
		it, err := r.Next()
		id := it.ID
		var me *Error
		if errors.As(err, &me) {
			id = me.ID()
		}
		if id != want[n].id {
			t.Errorf("after Skip(%d): %q %v, want %q", n, id, err, want[n].id)
		}
		r.Close()
	}
}

// TestItemPartEscaping checks that the item part joins an escaped path as
// the ids of other formats do: a 3-D .f64 with a name that needs escaping.
func TestItemPartEscaping(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "s\x01.f64", float64Bytes([]float64{1, 2}))
	evs := readAllWith(t, path, Options{Shape: []int{2, 1, 1}}, nil)
	base := EscapeID(filepath.Join(dir, "s")) + `\x01.f64`
	if len(evs) != 2 || evs[0].ID != base+"[0]" || evs[1].ID != base+"[1]" {
		t.Errorf("items %+v, want %s[0] and %s[1]", evs, base, base)
	}
}

// TestErrorMessageOneLine checks that an *Error's message is one line of
// valid UTF-8 whatever its path and cause hold, and that ordinary causes
// are given unchanged.
func TestErrorMessageOneLine(t *testing.T) {
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{Path: "d/x.csv", Err: errors.New(`line 2, field 1: "\ufeff3" is not a number`)}, `d/x.csv: line 2, field 1: "\ufeff3" is not a number`},
		{Error{Path: "d/\xff.npy", Err: errors.New("read d/\xff.npy: input/output error")}, `d/\xff.npy: read d/\xff.npy: input/output error`},
		{Error{Path: "d/x.npz", Item: `a\#2`, Err: errors.New("first\nsecond")}, `d/x.npz:a\#2: first\x0asecond`},
	} {
		got := c.e.Error()
		if got != c.want || !printableLine(got) {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

// TestEscapeControls: EscapeID without the backslash's escape — every
// other character as EscapeID writes it, so an id inside a message is not
// escaped twice, and the result is one printable line.
func TestEscapeControls(t *testing.T) {
	for _, s := range []string{"", "plain.npy", `a\b`, "tab\there", "nl\n", "\x7f\u0085", "lat\xe8.npy", "\uFFFD ok", `x\xe8`, "é\\\x01"} {
		got := EscapeControls(s)
		if want := strings.ReplaceAll(EscapeID(s), `\\`, `\`); got != want {
			t.Errorf("EscapeControls(%q) = %q, want %q", s, got, want)
		}
		if !printableLine(got) {
			t.Errorf("EscapeControls(%q) = %q is not one printable line", s, got)
		}
		if id := EscapeID(s); EscapeControls(id) != id {
			t.Errorf("EscapeControls changes the id %q to %q", id, EscapeControls(id))
		}
	}
}
