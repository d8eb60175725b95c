package matio

import (
	"bytes"
	"encoding/binary"
	"strconv"
)

// npyMagic starts every .npy file.
const npyMagic = "\x93NUMPY"

const (
	// maxHeaderLen bounds the header length a .npy preamble may claim.
	maxHeaderLen = 1 << 20
	// maxDims bounds the number of dimensions parseHeader accepts
	// (NumPy itself allows 64).
	maxDims = 64
	// maxDepth bounds the nesting of the values parseHeader skips.
	maxDepth = 32
)

// preamble is the fixed-size part of a .npy file before the header.
type preamble struct {
	major, minor byte
	size         int   // bytes of the preamble itself: 10 or 12
	headerLen    int64 // bytes of the header that follows
}

// parsePreamble parses the magic string, format version and header length at
// the start of b. It fails with ErrNotNumPy if b does not start with the
// magic string, ErrTruncated if b ends too early, and ErrHeader for an
// unsupported version. It does not bound the header length.
func parsePreamble(b []byte) (preamble, error) {
	if len(b) < len(npyMagic) || string(b[:len(npyMagic)]) != npyMagic {
		return preamble{}, errorf(ErrNotNumPy, "no .npy magic string (\\x93NUMPY)")
	}
	if len(b) < 8 {
		return preamble{}, errorf(ErrTruncated, "truncated .npy preamble: %d bytes", len(b))
	}
	p := preamble{major: b[6], minor: b[7]}
	switch {
	case p.major == 1 && p.minor == 0:
		p.size = 10
	case (p.major == 2 || p.major == 3) && p.minor == 0:
		p.size = 12
	default:
		return preamble{}, errorf(ErrHeader, "unsupported .npy format version %d.%d (need 1.0, 2.0 or 3.0)", p.major, p.minor)
	}
	if len(b) < p.size {
		return preamble{}, errorf(ErrTruncated, "truncated .npy preamble: %d bytes of %d", len(b), p.size)
	}
	if p.size == 10 {
		p.headerLen = int64(binary.LittleEndian.Uint16(b[8:]))
	} else {
		p.headerLen = int64(binary.LittleEndian.Uint32(b[8:]))
	}
	return p, nil
}

// header is the dictionary of a .npy header.
type header struct {
	descr      string // dtype descriptor such as "<f8"; empty if structured
	structured bool   // descr is a list of fields (a structured dtype)
	fortran    bool   // fortran_order
	shape      []int
}

// parseHeader parses a .npy header: a Python dict literal with exactly the
// keys 'descr', 'fortran_order' and 'shape' in any order, optionally followed
// by a trailing comma, and surrounded by white space (the padding and final
// newline). descr must be a string or, for a structured dtype, a list (whose
// contents are checked for syntax only); fortran_order must be True or False;
// shape must be a tuple of non-negative integers. String escapes are not
// decoded: no valid key or plain dtype contains one.
//
// parseHeader fails with ErrHeader for anything else, ErrShape for more than
// 64 dimensions and ErrTooLarge for a dimension that does not fit in an int.
// It allocates at most the returned descriptor string and shape.
func parseHeader(b []byte) (header, error) {
	p := headerParser{b: b}
	var (
		h    header
		seen [3]bool
	)
	p.space()
	if err := p.expect('{'); err != nil {
		return header{}, err
	}
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			break
		}
		start := p.i
		key, err := p.str()
		if err != nil {
			return header{}, err
		}
		p.space()
		if err := p.expect(':'); err != nil {
			return header{}, err
		}
		p.space()
		var k int
		switch string(key) {
		case "descr":
			k = 0
			if p.peek() == '[' {
				h.structured = true
				err = p.skip(0)
			} else {
				var s []byte
				s, err = p.str()
				h.descr = string(s)
			}
		case "fortran_order":
			k = 1
			h.fortran, err = p.boolean()
		case "shape":
			k = 2
			h.shape, err = p.shape()
		default:
			return header{}, p.errAt(start, "unexpected key %s", strconv.Quote(string(key)))
		}
		if err != nil {
			return header{}, err
		}
		if seen[k] {
			return header{}, p.errAt(start, "duplicate key '%s'", key)
		}
		seen[k] = true
		p.space()
		if p.peek() == ',' {
			p.i++
			continue
		}
		if err := p.expect('}'); err != nil {
			return header{}, err
		}
		break
	}
	p.space()
	if p.i != len(p.b) {
		return header{}, p.errAt(p.i, "unexpected data after the dictionary")
	}
	for k, name := range [...]string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return header{}, errorf(ErrHeader, "malformed .npy header: no '%s' key", name)
		}
	}
	return h, nil
}

// headerParser is a cursor over a header.
type headerParser struct {
	b []byte
	i int
}

func (p *headerParser) errAt(at int, format string, args ...any) error {
	return errorf(ErrHeader, "malformed .npy header at byte %d: "+format, append([]any{at}, args...)...)
}

// peek returns the current byte, or 0 at the end.
func (p *headerParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *headerParser) expect(c byte) error {
	if p.peek() != c {
		return p.unexpected("'" + string(rune(c)) + "'")
	}
	p.i++
	return nil
}

func (p *headerParser) unexpected(want string) error {
	if p.i >= len(p.b) {
		return p.errAt(p.i, "unexpected end, want %s", want)
	}
	return p.errAt(p.i, "unexpected %s, want %s", strconv.QuoteRune(rune(p.b[p.i])), want)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v'
}

func (p *headerParser) space() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

// str parses a quoted string and returns its raw contents.
func (p *headerParser) str() ([]byte, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return nil, p.unexpected("a string")
	}
	start := p.i
	p.i++
	for p.i < len(p.b) {
		switch c := p.b[p.i]; c {
		case q:
			p.i++
			return p.b[start+1 : p.i-1], nil
		case '\\':
			p.i += 2
		case '\n':
			return nil, p.errAt(start, "unterminated string")
		default:
			p.i++
		}
	}
	return nil, p.errAt(start, "unterminated string")
}

func isIdent(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// word returns the run of identifier characters at the cursor.
func (p *headerParser) word() []byte {
	start := p.i
	for p.i < len(p.b) && isIdent(p.b[p.i]) {
		p.i++
	}
	return p.b[start:p.i]
}

func (p *headerParser) boolean() (bool, error) {
	start := p.i
	switch string(p.word()) {
	case "True":
		return true, nil
	case "False":
		return false, nil
	}
	p.i = start
	return false, p.unexpected("True or False")
}

// shape parses a tuple of non-negative integers; Python's optional L suffix
// is accepted.
func (p *headerParser) shape() ([]int, error) {
	start := p.i
	if err := p.expect('('); err != nil {
		return nil, err
	}
	shape := []int{}
	commas := 0
	for {
		p.space()
		if p.peek() == ')' {
			p.i++
			break
		}
		if p.peek() == '-' {
			return nil, p.errAt(p.i, "negative dimension in shape")
		}
		d, err := p.dim()
		if err != nil {
			return nil, err
		}
		if len(shape) == maxDims {
			return nil, errorf(ErrShape, "shape has more than %d dimensions", maxDims)
		}
		shape = append(shape, d)
		p.space()
		if p.peek() == ',' {
			p.i++
			commas++
			continue
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		break
	}
	if len(shape) == 1 && commas == 0 {
		return nil, p.errAt(start, "shape is a parenthesized integer, not a tuple")
	}
	return shape, nil
}

// dim parses a non-negative decimal integer that fits in an int.
func (p *headerParser) dim() (int, error) {
	start := p.i
	var d uint64
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		digit := uint64(p.b[p.i] - '0')
		if d > (maxInt-digit)/10 {
			return 0, errorf(ErrTooLarge, "dimension %s... in shape does not fit in an int", p.b[start:p.i+1])
		}
		d = d*10 + digit
		p.i++
	}
	if p.i == start {
		return 0, p.unexpected("an integer")
	}
	if c := p.peek(); c == 'L' || c == 'l' {
		p.i++
	}
	if isIdent(p.peek()) {
		return 0, p.unexpected("',' or ')'")
	}
	return int(d), nil
}

// skip checks the syntax of one value (string, number, name, tuple or list)
// and moves past it.
func (p *headerParser) skip(depth int) error {
	if depth > maxDepth {
		return p.errAt(p.i, "values nested more than %d deep", maxDepth)
	}
	switch c := p.peek(); {
	case c == '\'' || c == '"':
		_, err := p.str()
		return err
	case c == '(' || c == '[':
		closing := byte(')')
		if c == '[' {
			closing = ']'
		}
		p.i++
		for {
			p.space()
			if p.peek() == closing {
				p.i++
				return nil
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.space()
			if p.peek() == ',' {
				p.i++
				continue
			}
			return p.expect(closing)
		}
	case c == '-' || c == '+':
		p.i++
		if !isIdent(p.peek()) {
			return p.unexpected("a number")
		}
		p.word()
		return nil
	case isIdent(c):
		p.word()
		return nil
	default:
		return p.unexpected("a value")
	}
}

// formatHeader returns the dictionary literal for h the way NumPy writes
// it, without padding. h must not be structured.
func formatHeader(h header) []byte {
	var b bytes.Buffer
	b.WriteString("{'descr': '")
	b.WriteString(h.descr)
	b.WriteString("', 'fortran_order': ")
	if h.fortran {
		b.WriteString("True")
	} else {
		b.WriteString("False")
	}
	b.WriteString(", 'shape': ")
	b.WriteString(formatShape(h.shape))
	b.WriteString(", }")
	return b.Bytes()
}

// formatShape formats a shape as a Python tuple: "()", "(5,)", "(2, 3)".
func formatShape(shape []int) string {
	b := []byte{'('}
	for i, d := range shape {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(d), 10)
	}
	if len(shape) == 1 {
		b = append(b, ',')
	}
	return string(append(b, ')'))
}
