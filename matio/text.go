package matio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// textFormat is a format that holds one matrix per file (.csv, .tsv, .mtx).
type textFormat interface {
	// scan checks the file as far as needed to know the matrix's shape,
	// which is bounded by the file's size.
	scan() (rows, cols int, err error)
	// fill decodes the matrix into dst, of length rows×cols.
	fill(dst []float64) error
}

// single gives a textFormat the semantics of Next, Skip, Following and Read
// for a file of one item whose identity is the (escaped) path.
type single struct {
	f          textFormat
	state      int // 0: before the item; 1: at it; 2: past it
	rows, cols int
	read       bool
}

func (s *single) next(path, pathID string) (Item, error) {
	if s.state != 0 {
		s.state = 2
		return Item{}, io.EOF
	}
	s.state = 2
	rows, cols, err := s.f.scan()
	if err != nil {
		return Item{}, &Error{Path: path, Err: err}
	}
	s.state, s.rows, s.cols, s.read = 1, rows, cols, false
	return Item{ID: pathID, Rows: rows, Cols: cols, Bits: 64}, nil
}

func (s *single) skip(n int) error {
	if n > 0 && s.state == 0 {
		n--
		s.state = 2
	}
	if s.state == 1 {
		s.state = 2
	}
	if n > 0 {
		return io.EOF
	}
	return nil
}

func (s *single) readItem(path string, dst []float64) error {
	switch {
	case s.state != 1 || s.read:
		return errors.New("matio: Read without a current item")
	case len(dst) != s.rows*s.cols:
		return fmt.Errorf("matio: Read into a slice of length %d, want %d×%d = %d", len(dst), s.rows, s.cols, s.rows*s.cols)
	}
	s.read = true
	if err := s.f.fill(dst); err != nil {
		return &Error{Path: path, Err: err}
	}
	return nil
}

// lineReader reads the lines of a file from an offset, counting them.
type lineReader struct {
	br   *bufio.Reader
	long []byte // a line longer than br's buffer
	n    int    // number of the line last returned, from 1
	off  int64  // offset of the start of the next line
}

// utf8BOM is the UTF-8 encoding of U+FEFF, which some programs (Excel's
// "CSV UTF-8", Windows editors) write at the start of a text file.
const utf8BOM = "\xef\xbb\xbf"

// newLineReader reads ra from off to size; the first line it returns is
// numbered line+1. Reading from the start of the file (off 0), it skips a
// UTF-8 byte-order mark there, which is not part of the first line; off
// then counts it.
func newLineReader(ra io.ReaderAt, off, size int64, line int) *lineReader {
	if off == 0 && size >= int64(len(utf8BOM)) {
		var b [len(utf8BOM)]byte
		if n, _ := ra.ReadAt(b[:], 0); n == len(b) && string(b[:]) == utf8BOM {
			off = int64(len(b))
		}
	}
	return &lineReader{
		br:  bufio.NewReaderSize(io.NewSectionReader(ra, off, size-off), int(min(bufSize, max(size-off, 16)))),
		n:   line,
		off: off,
	}
}

// next returns the next line without its "\n" or "\r\n", valid until the
// next call, or io.EOF after the last line. Lines of any length are read,
// so the memory it takes is bounded by the file's size.
func (l *lineReader) next() ([]byte, error) {
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		l.long = append(l.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = l.br.ReadSlice('\n')
			l.long = append(l.long, b...)
		}
		b = l.long
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading line %d: %w", l.n+1, err)
	}
	if len(b) == 0 {
		return nil, io.EOF
	}
	l.n++
	l.off += int64(len(b))
	if b[len(b)-1] == '\n' {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b, nil
}

// blank reports whether b holds only white space.
func blank(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// startsWith reports whether b, after leading white space, starts with c.
func startsWith(b []byte, c byte) bool {
	for _, d := range b {
		if !isSpace(d) {
			return d == c
		}
	}
	return false
}

// nextWord splits b at white space: the first word and the rest.
func nextWord(b []byte) (word, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	return b[i:j], b[j:]
}

// parseFloat parses a decimal or hexadecimal floating-point number, "inf",
// "infinity" or "nan" (in any case, with an optional sign) as
// strconv.ParseFloat does. A number beyond float64's range becomes ±Inf
// (or 0) as NumPy's parser makes it.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return v, true
}

// quoteBytes quotes b for a message, cut to a readable length.
func quoteBytes(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}
