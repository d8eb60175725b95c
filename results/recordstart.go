package results

import "bytes"

// looksLikeRecord reports whether b could be the start of a line that
// blasbatch wrote: {"input":"…","kernel":"…", as both the Encoder and
// Record.MarshalJSON begin every record, or any prefix of that (what a kill
// in the middle of a write leaves of a line). It reads no further than the
// kernel's name, so the first bytes of a long line are enough.
//
// A results file is recognised by it before anything in the file changes:
// a user's own JSON whose first key happens to be "input" ({"input":"a",
// "score":1}) does not qualify, since its next key is not "kernel", and
// neither does a line of text.
func looksLikeRecord(b []byte) bool {
	rest, ok, end := literal(b, `{"input":`)
	if !ok || end {
		return ok
	}
	if rest, ok, end = jsonString(rest); !ok || end {
		return ok
	}
	if rest, ok, end = literal(rest, `,"kernel":`); !ok || end {
		return ok
	}
	if rest, ok, end = jsonString(rest); !ok || end {
		return ok
	}
	return rest[0] == ',' // not end: something follows
}

// literal matches lit at the start of b. end reports that b ended inside
// it (a prefix of lit is a match).
func literal(b []byte, lit string) (rest []byte, ok, end bool) {
	if len(b) < len(lit) {
		return nil, lit[:len(b)] == string(b), true
	}
	if !bytes.HasPrefix(b, []byte(lit)) {
		return nil, false, false
	}
	rest = b[len(lit):]
	return rest, true, len(rest) == 0
}

// jsonString matches a JSON string at the start of b: a quote, then
// anything up to an unescaped quote, with no raw control character (the
// encoders escape them). end reports that b ended inside it (rest nil) or
// right after it (rest empty).
func jsonString(b []byte) (rest []byte, ok, end bool) {
	if len(b) == 0 {
		return nil, true, true
	}
	if b[0] != '"' {
		return nil, false, false
	}
	for i := 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\\':
			i++ // the escaped byte, whatever it is
		case c == '"':
			rest = b[i+1:]
			return rest, true, len(rest) == 0
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, true, true
}
