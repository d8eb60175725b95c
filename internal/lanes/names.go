package lanes

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSafeName is the most bytes [SafeName] returns. It leaves room for the
// ".Vt.npy" the caller appends (and more) under the 255-byte limit of a name
// on Linux file systems.
const MaxSafeName = 200

// safeHashLen is how many hex digits of SHA-256 a shortened name ends with.
const safeHashLen = 16

// SafeName turns an item's input id (a path as given, maybe with ":member"
// for a .npz and "[i]" for a stack item) into one file name for the --save
// directory. For every string, even invalid UTF-8, the result is a single
// path element: never empty, "." or "..", with no '/', '\\' or NUL, never
// hidden (no leading '.') and never option-like (no leading '-'), at most
// [MaxSafeName] bytes. Distinct ids give distinct names.
//
// The scheme is a reversible escaping:
//
//   - ASCII letters, digits, '.' and '-' and non-ASCII letters, digits and
//     marks (valid UTF-8) are kept, except a leading '.' or '-';
//   - '/' becomes '_', so "data/a.npy" is "data_a.npy" and an absolute path
//     keeps its leading '_';
//   - a final stack index "[i]" (decimal digits) becomes "_i";
//   - every other byte — '_', '%', ':', '[', ']', '\\', '~', space, control
//     bytes, invalid UTF-8 — becomes %XX (upper-case hex), as does the '/'
//     before a last path element of only digits when there is no "[i]"
//     (so "d/7" is "d%2F7" and never "d_7", which is "d[7]");
//   - the empty id is "~".
//
// Since '_' only ever comes from '/' or from "[i]", and '%' only starts an
// escape, the id can be read back from the name. A name that would be longer
// than [MaxSafeName] is cut (never inside an escape or a character) and
// ends with '~' and the first 16 hex digits of the SHA-256 of the whole id;
// '~' appears in no other name, so shortened names cannot collide with
// others, and collide among themselves only with SHA-256.
//
// Examples:
//
//	data/a.npy           data_a.npy
//	/abs/x.npy           _abs_x.npy
//	../x.npy             %2E._x.npy
//	a/../../b.npy        a_.._.._b.npy
//	.hidden.npy          %2Ehidden.npy
//	x.npy[12]            x.npy_12
//	data/s.npz:x[3]      data_s.npz%3Ax_3
//	x.npz:dir/m[2]       x.npz%3Adir_m_2
//	x.npz:arr_0          x.npz%3Aarr%5F0
//	a_b/c.npy            a%5Fb_c.npy   (a/b_c.npy is a_b%5Fc.npy)
//	100%.npy             100%25.npy
//	données/été.npy      données_été.npy
func SafeName(id string) string {
	body, index := id, ""
	if i := strings.LastIndexByte(id, '['); i >= 0 && strings.HasSuffix(id, "]") && allDigits(id[i+1:len(id)-1]) {
		body, index = id[:i], id[i+1:len(id)-1]
	}
	if body == "" && index == "" {
		return "~"
	}
	var b strings.Builder
	b.Grow(len(id) + 8)
	for i := 0; i < len(body); {
		c := body[i]
		if c == '/' {
			if index == "" && allDigits(body[i+1:]) {
				escapeByte(&b, c) // "d/7" would read as "d[7]"
			} else {
				b.WriteByte('_')
			}
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if keepASCII(c) && !(i == 0 && (c == '.' || c == '-')) {
				b.WriteByte(c)
			} else {
				escapeByte(&b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(body[i:])
		if size > 1 && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
			b.WriteString(body[i : i+size])
		} else {
			for j := range size { // size is 1 for invalid UTF-8
				escapeByte(&b, body[i+j])
			}
		}
		i += size
	}
	if index != "" {
		b.WriteByte('_')
		b.WriteString(index)
	}
	s := b.String()
	if len(s) <= MaxSafeName {
		return s
	}
	// Cut at a boundary: not inside "%XX" and not inside a UTF-8 sequence.
	p := MaxSafeName - 1 - safeHashLen
	switch {
	case s[p-1] == '%':
		p--
	case s[p-2] == '%':
		p -= 2
	}
	for p > 0 && !utf8.RuneStart(s[p]) {
		p--
	}
	sum := sha256.Sum256([]byte(id))
	return s[:p] + "~" + hex.EncodeToString(sum[:])[:safeHashLen]
}

func keepASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-'
}

func escapeByte(b *strings.Builder, c byte) {
	const hexDigits = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

// allDigits reports whether s is one or more ASCII decimal digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
