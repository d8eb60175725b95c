package matio

import (
	"bytes"
	"io"
)

// csvReader reads a numeric CSV (comma-separated) or TSV (tab-separated)
// file as one matrix.
//
// Lines end in "\n" or "\r\n"; a UTF-8 byte-order mark at the start of the
// file is skipped. Blank lines and lines whose first non-blank character is
// '#' (np.savetxt's header and footer comments) are skipped wherever they
// are. The first other line is a header, and skipped, only if none of its
// fields is a number (column names; pandas' index column leaves the first
// one empty); a first line with any number in it is a row of the matrix
// like every following line, so a bad field there ("1,NA,3") is an error
// naming its line and field, never a silently dropped row. All rows must
// have the same number of fields. Fields may have white space around them;
// an empty field is not a number. Numbers are what strconv.ParseFloat
// accepts (decimal or hexadecimal, "inf", "nan" in any case); one beyond
// float64's range becomes ±Inf or 0.
//
// Next reads the whole file once to count the rows and fields, and to check
// that none is empty, without parsing numbers; Read reads it again and
// parses the numbers into the caller's slice, so no copy of the matrix is
// held. Since every field takes at least one byte and one separator, a file
// of N bytes has at most (N+1)/2 of them.
type csvReader struct {
	ra    io.ReaderAt
	size  int64
	delim byte
	// Set by scan: where the first row starts and the line before it.
	dataOff    int64
	dataLine   int
	rows, cols int
	noHeader   bool // the first line is data, as it has a number in it
}

// firstDataHint follows an error in the first line when that line was taken
// as data: a header of mixed names and numbers is refused, not skipped.
const firstDataHint = " (the first line has a number in it, so it is data, not a header)"

func (c *csvReader) kind() string {
	if c.delim == '\t' {
		return "TSV"
	}
	return "CSV"
}

// skipLine reports whether a line is blank or a comment.
func skipLine(b []byte) bool { return blank(b) || startsWith(b, '#') }

func (c *csvReader) scan() (rows, cols int, err error) {
	if c.size <= 0 {
		return 0, 0, errorf(ErrShape, "empty %s file: no rows", c.kind())
	}
	lr := newLineReader(c.ra, 0, c.size, 0)
	first := true
	c.noHeader = false
	for {
		start := lr.off
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, err
		}
		if skipLine(line) {
			continue
		}
		if first {
			first = false
			if !c.anyNumber(line) {
				continue // a header
			}
			c.noHeader = true
		}
		n, empty := c.countFields(line)
		if empty > 0 {
			hint := ""
			if rows == 0 && c.noHeader {
				hint = firstDataHint
			}
			return 0, 0, errorf(ErrFormat, "line %d, field %d is empty%s", lr.n, empty, hint)
		}
		if rows == 0 {
			c.dataOff, c.dataLine, cols = start, lr.n-1, n
		} else if n != cols {
			return 0, 0, errorf(ErrFormat, "line %d has %d fields but line %d has %d (ragged rows)", lr.n, n, c.dataLine+1, cols)
		}
		rows++
	}
	if rows == 0 {
		return 0, 0, errorf(ErrShape, "%s file has no data rows (only a header, comments or blank lines)", c.kind())
	}
	c.rows, c.cols = rows, cols
	return rows, cols, nil
}

// countFields returns the number of fields of a line and the number (from
// 1) of the first empty or blank one, or 0 if none is.
func (c *csvReader) countFields(line []byte) (n, empty int) {
	for {
		n++
		i := bytes.IndexByte(line, c.delim)
		f := line
		if i >= 0 {
			f = line[:i]
		}
		if empty == 0 && len(c.trim(f)) == 0 {
			empty = n
		}
		if i < 0 {
			return n, empty
		}
		line = line[i+1:]
	}
}

// anyNumber reports whether any field of a line is a number.
func (c *csvReader) anyNumber(line []byte) bool {
	for {
		f, rest, more := bytes.Cut(line, []byte{c.delim})
		if _, ok := parseFloat(c.trim(f)); ok {
			return true
		}
		if !more {
			return false
		}
		line = rest
	}
}

// trim removes the white space around a field (but not the delimiter).
func (c *csvReader) trim(f []byte) []byte {
	for len(f) > 0 && isSpace(f[0]) && f[0] != c.delim {
		f = f[1:]
	}
	for len(f) > 0 && isSpace(f[len(f)-1]) && f[len(f)-1] != c.delim {
		f = f[:len(f)-1]
	}
	return f
}

func (c *csvReader) fill(dst []float64) error {
	lr := newLineReader(c.ra, c.dataOff, c.size, c.dataLine)
	i := 0
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if skipLine(line) {
			continue
		}
		if i == c.rows {
			return errorf(ErrFormat, "line %d: more rows than the %d counted before (the file changed)", lr.n, c.rows)
		}
		row := dst[i*c.cols : (i+1)*c.cols]
		j := 0
		for {
			f, rest, more := bytes.Cut(line, []byte{c.delim})
			if j == len(row) {
				return errorf(ErrFormat, "line %d has more than %d fields (ragged rows)", lr.n, c.cols)
			}
			f = c.trim(f)
			v, ok := parseFloat(f)
			if !ok {
				hint := ""
				if i == 0 && c.noHeader {
					hint = firstDataHint
				}
				return errorf(ErrFormat, "line %d, field %d: %s is not a number%s", lr.n, j+1, quoteBytes(f), hint)
			}
			row[j] = v
			j++
			if !more {
				break
			}
			line = rest
		}
		if j != len(row) {
			return errorf(ErrFormat, "line %d has %d fields, not %d (ragged rows)", lr.n, j, c.cols)
		}
		i++
	}
	if i != c.rows {
		return errorf(ErrTruncated, "the file ends after %d of the %d rows counted before (the file changed)", i, c.rows)
	}
	return nil
}
