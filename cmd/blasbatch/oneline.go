package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// oneLine makes s safe to print as (part of) one line on a terminal: every
// control character (C0, DEL, C1), and every byte that is not valid UTF-8,
// is written as \xNN. Ids and quoted paths are escaped already (see
// inputs.Quote); this catches what other messages carry raw, such as the
// path of a --save directory inside a file system error.
func oneLine(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError && size == 1 {
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
