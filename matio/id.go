package matio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrBadID means that a string given to [UnescapeID] is not one that
// [EscapeID] can return: a malformed or needless escape, a raw control
// character or a byte that is not valid UTF-8.
var ErrBadID = errors.New("malformed escaped id")

// EscapeID returns s in the form item ids use for paths and .npz member
// names: always valid UTF-8, one printable line, and different for different
// inputs, with ordinary names unchanged. Each byte that is not part of a
// valid UTF-8 sequence becomes \xHH (two lower-case hex digits); so does each
// byte of an ASCII control character (0x00–0x1f, 0x7f) and of a C1 control
// character (U+0080–U+009F, two bytes each: "\xc2\x85" for U+0085); a
// backslash becomes \\. Everything else, including U+FFFD itself, ':', '%',
// '[', spaces and any other printable character, is kept as it is.
// [UnescapeID] reverses it.
//
// EscapeID never returns a backslash followed by anything but '\' or 'x',
// which leaves "\#" free for the duplicate-member suffix of item ids.
func EscapeID(s string) string { return escape(s, true) }

// EscapeControls escapes what EscapeID does but the backslash — every
// control character (C0, DEL, C1) and every byte that is not valid UTF-8,
// as \xHH — so that s prints on one line of a terminal: for messages that
// carry ids and quoted paths (escaped already) beside raw text, such as a
// file system error.
func EscapeControls(s string) string { return escape(s, false) }

// escape is EscapeID, escaping the backslash itself only with backslash.
func escape(s string, backslash bool) string {
	i := 0
	for i < len(s) && (!needsEscape(s[i:]) || !backslash && s[i] == '\\') {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 3*(len(s)-i))
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && backslash:
			b.WriteString(`\\`)
		case r != '\\' && needsEscape(s[i:]):
			for _, c := range []byte(s[i : i+size]) {
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&15])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

// needsEscape reports whether the rune at the start of s (a non-empty
// string) is written escaped: a backslash, an ASCII or C1 control character,
// or a byte that does not start a valid UTF-8 sequence.
func needsEscape(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r < 0x20 || r == 0x7f || r == '\\':
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == utf8.RuneError && size == 1:
		return true
	}
	return false
}

// printableLine reports whether s is valid UTF-8 without control
// characters, which EscapeID would escape (a backslash aside).
func printableLine(s string) bool {
	for i := 0; i < len(s); {
		if s[i] != '\\' && needsEscape(s[i:]) {
			return false
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return true
}

// UnescapeID returns the string s for which EscapeID(s) == id. Any other id
// fails with an error wrapping [ErrBadID]: a backslash at the end or not
// followed by '\' or "xHH" with two lower-case hex digits, an escape of a
// character EscapeID keeps as it is (such as "\x41" for 'A', or "\xc3\xa9"
// for 'é'), or an unescaped control character or invalid UTF-8 byte. So the
// "\#k" suffix of a duplicate .npz member is refused: cut it off first.
func UnescapeID(id string) (string, error) {
	if !strings.Contains(id, `\`) {
		if EscapeID(id) != id {
			return "", badID(id, "it holds a control character or a byte that is not valid UTF-8, unescaped")
		}
		return id, nil
	}
	b := make([]byte, 0, len(id))
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		switch {
		case i+1 == len(id):
			return "", badID(id, "it ends in a backslash")
		case id[i+1] == '\\':
			b = append(b, '\\')
			i++
		case id[i+1] == 'x':
			hi, lo := -1, -1
			if i+3 < len(id) {
				hi, lo = unhex(id[i+2]), unhex(id[i+3])
			}
			if hi < 0 || lo < 0 {
				return "", badID(id, fmt.Sprintf("the escape at byte %d is not \\x and two lower-case hex digits", i))
			}
			b = append(b, byte(hi<<4|lo))
			i += 3
		default:
			return "", badID(id, fmt.Sprintf("the backslash at byte %d starts no escape (only \\\\ and \\xHH are)", i))
		}
	}
	s := string(b)
	if EscapeID(s) != id {
		return "", badID(id, "it is not in the form EscapeID writes (an escape of a character kept as it is, or an unescaped control character or invalid byte)")
	}
	return s, nil
}

// unhex returns the value of a lower-case hex digit, or -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1
}

func badID(id, why string) error {
	return fmt.Errorf("matio: UnescapeID(%s): %w: %s", quoteShort(id), ErrBadID, why)
}

// dupSuffix returns the suffix that marks the k-th (k ≥ 2) occurrence of a
// member part in one .npz archive, "\#k"; "" for the first.
func dupSuffix(k int) string {
	if k < 2 {
		return ""
	}
	return `\#` + strconv.Itoa(k)
}
