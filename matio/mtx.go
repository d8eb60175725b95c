package matio

import (
	"bytes"
	"io"
	"math/bits"
	"strconv"
)

// mtxDenseMin is the smallest cap on the dense size (rows×cols×8 bytes) a
// Matrix Market file may claim; the cap is the larger of it and
// mtxDenseRatio times the file's size. A variable so that the fuzz test can
// lower it.
var mtxDenseMin int64 = 64 << 20

const mtxDenseRatio = 1000

// mtxReader reads a Matrix Market file as one dense matrix.
//
// The banner "%%MatrixMarket matrix FORMAT FIELD SYMMETRY" (its words in any
// case) must be the first line; FORMAT is array or coordinate, FIELD real
// (or double), integer or pattern (coordinate only; each entry is 1), and
// SYMMETRY general or symmetric. Comment lines (starting with '%') and
// blank lines may follow, and may appear between entries. The size line is
// "ROWS COLS" for an array and "ROWS COLS ENTRIES" for a coordinate file.
//
// An array lists its values in column-major order, one or more to a line;
// a symmetric array lists the lower triangle only, column by column. A
// coordinate file has one entry "ROW COL [VALUE]" (1-based) to a line;
// entries not listed are 0 and repeated entries are summed. A symmetric
// coordinate file lists entries on or below the diagonal only, and each
// is mirrored above it.
//
// Before anything is allocated the size line is checked: the dense matrix,
// rows×cols×8 bytes, may not exceed the larger of 64 MiB and 1000 times the
// file's size (a small coordinate file may describe a large sparse matrix,
// but not an unbounded one), and the entries it declares must fit in the
// bytes that follow (at least 2 bytes a value for an array, 4 an entry for
// a pattern file and 6 for the others).
type mtxReader struct {
	ra        io.ReaderAt
	size      int64
	array     bool
	pattern   bool
	integer   bool
	symmetric bool
	// Set by scan.
	rows, cols int
	entries    int64 // values (array) or entries (coordinate) to read
	dataOff    int64
	dataLine   int
}

func (x *mtxReader) scan() (rows, cols int, err error) {
	lr := newLineReader(x.ra, 0, x.size, 0)
	line, err := lr.next()
	if err == io.EOF {
		return 0, 0, errorf(ErrFormat, "empty file: no %%%%MatrixMarket banner")
	}
	if err != nil {
		return 0, 0, err
	}
	if err := x.banner(line); err != nil {
		return 0, 0, err
	}
	for {
		line, err = lr.next()
		if err == io.EOF {
			return 0, 0, errorf(ErrTruncated, "the file ends at line %d before the size line", lr.n)
		}
		if err != nil {
			return 0, 0, err
		}
		if !blank(line) && !startsWith(line, '%') {
			break
		}
	}
	want := 3
	if x.array {
		want = 2
	}
	var dims [3]int64
	rest := line
	for i := range want {
		var w []byte
		w, rest = nextWord(rest)
		d, err := strconv.ParseInt(string(w), 10, 64)
		if err != nil || d < 0 {
			return 0, 0, errorf(ErrFormat, "line %d: size line %s: want %d non-negative integers (%s)", lr.n, quoteBytes(line), want, x.sizeWords())
		}
		dims[i] = d
	}
	if w, _ := nextWord(rest); len(w) > 0 {
		return 0, 0, errorf(ErrFormat, "line %d: size line %s: want %d non-negative integers (%s)", lr.n, quoteBytes(line), want, x.sizeWords())
	}
	m, n, nnz := dims[0], dims[1], dims[2]
	if m == 0 || n == 0 {
		return 0, 0, errorf(ErrShape, "line %d: a %d×%d matrix has an empty dimension", lr.n, m, n)
	}
	if x.symmetric && m != n {
		return 0, 0, errorf(ErrFormat, "line %d: a symmetric matrix must be square, not %d×%d", lr.n, m, n)
	}
	hi, elems := bits.Mul64(uint64(m), uint64(n))
	if hi != 0 || elems > maxInt/8 {
		return 0, 0, errorf(ErrTooLarge, "line %d: a %d×%d matrix is too large", lr.n, m, n)
	}
	if limit := max(mtxDenseMin, mtxDenseRatio*max(x.size, 0)); int64(elems)*8 > limit {
		return 0, 0, errorf(ErrTooLarge, "line %d: a %d×%d matrix needs %d bytes dense, more than the limit of %d (the larger of %d and %d × the file's %d bytes)",
			lr.n, m, n, int64(elems)*8, limit, mtxDenseMin, mtxDenseRatio, x.size)
	}
	left := x.size - lr.off
	if x.array {
		most := int64(elems)
		if x.symmetric {
			most = int64(elems/2 + uint64(n+1)/2) // n(n+1)/2
		}
		if most > (left+1)/2 {
			return 0, 0, errorf(ErrTooLarge, "line %d: a %d×%d array needs %d values but the %d bytes after the size line hold at most %d", lr.n, m, n, most, left, (left+1)/2)
		}
		x.entries = most
	} else {
		per := int64(6)
		if x.pattern {
			per = 4
		}
		if nnz > (left+1)/per {
			return 0, 0, errorf(ErrTooLarge, "line %d: %d entries declared but the %d bytes after the size line hold at most %d", lr.n, nnz, left, (left+1)/per)
		}
		x.entries = nnz
	}
	x.rows, x.cols = int(m), int(n)
	x.dataOff, x.dataLine = lr.off, lr.n
	return x.rows, x.cols, nil
}

func (x *mtxReader) symWord() string {
	if x.symmetric {
		return " symmetric"
	}
	return ""
}

func (x *mtxReader) sizeWords() string {
	if x.array {
		return "ROWS COLS"
	}
	return "ROWS COLS ENTRIES"
}

// banner parses the first line.
func (x *mtxReader) banner(line []byte) error {
	var w [6][]byte
	rest := line
	for i := range w {
		w[i], rest = nextWord(rest)
	}
	if !bytes.EqualFold(w[0], []byte("%%MatrixMarket")) {
		return errorf(ErrFormat, "line 1: no %%%%MatrixMarket banner (found %s)", quoteBytes(line))
	}
	if len(w[4]) == 0 || len(w[5]) > 0 {
		return errorf(ErrFormat, "line 1: banner %s: want \"%%%%MatrixMarket matrix FORMAT FIELD SYMMETRY\"", quoteBytes(line))
	}
	lower := func(b []byte) string { return string(bytes.ToLower(b)) }
	if o := lower(w[1]); o != "matrix" {
		if o == "vector" {
			return errorf(ErrUnsupported, "line 1: Matrix Market vectors are not supported (only matrix)")
		}
		return errorf(ErrFormat, "line 1: unknown Matrix Market object %s (want matrix)", quoteBytes(w[1]))
	}
	switch lower(w[2]) {
	case "array":
		x.array = true
	case "coordinate":
	default:
		return errorf(ErrFormat, "line 1: unknown Matrix Market format %s (want array or coordinate)", quoteBytes(w[2]))
	}
	switch lower(w[3]) {
	case "real", "double":
	case "integer":
		x.integer = true
	case "pattern":
		if x.array {
			return errorf(ErrFormat, "line 1: the pattern field is only valid with the coordinate format")
		}
		x.pattern = true
	case "complex":
		return errorf(ErrDtype, "line 1: complex Matrix Market files are not supported")
	default:
		return errorf(ErrFormat, "line 1: unknown Matrix Market field %s (want real, integer or pattern)", quoteBytes(w[3]))
	}
	switch s := lower(w[4]); s {
	case "general":
	case "symmetric":
		x.symmetric = true
	case "skew-symmetric", "hermitian":
		return errorf(ErrUnsupported, "line 1: %s Matrix Market files are not supported (only general and symmetric)", s)
	default:
		return errorf(ErrFormat, "line 1: unknown Matrix Market symmetry %s (want general or symmetric)", quoteBytes(w[4]))
	}
	return nil
}

// value parses one value of the file's field.
func (x *mtxReader) value(w []byte) (float64, bool) {
	if !x.integer {
		return parseFloat(w)
	}
	i, err := strconv.ParseInt(string(w), 10, 64)
	if err == nil {
		return float64(i), true
	}
	// An integer beyond int64 rounds to the nearest float64.
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return parseFloat(w)
	}
	return 0, false
}

func (x *mtxReader) what() string {
	if x.integer {
		return "an integer"
	}
	return "a number"
}

func (x *mtxReader) fill(dst []float64) error {
	clear(dst)
	lr := newLineReader(x.ra, x.dataOff, x.size, x.dataLine)
	m, n := x.rows, x.cols
	var got int64
	i, j := 0, 0 // array: the next value's position
	for {
		line, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blank(line) || startsWith(line, '%') {
			continue
		}
		if x.array {
			for rest := line; ; {
				var w []byte
				if w, rest = nextWord(rest); len(w) == 0 {
					break
				}
				if got == x.entries {
					return errorf(ErrFormat, "line %d: more than the %d values a %d×%d%s array holds", lr.n, x.entries, m, n, x.symWord())
				}
				v, ok := x.value(w)
				if !ok {
					return errorf(ErrFormat, "line %d: %s is not %s", lr.n, quoteBytes(w), x.what())
				}
				dst[i*n+j] = v
				if x.symmetric {
					dst[j*n+i] = v
				}
				got++
				if i++; i == m {
					j++
					i = 0
					if x.symmetric {
						i = j
					}
				}
			}
			continue
		}
		if got == x.entries {
			return errorf(ErrFormat, "line %d: more than the %d entries the size line declares", lr.n, x.entries)
		}
		r, rest := nextWord(line)
		c, rest := nextWord(rest)
		w, rest := nextWord(rest)
		extra, _ := nextWord(rest)
		if len(extra) > 0 || x.pattern != (len(w) == 0) {
			form := "ROW COL VALUE"
			if x.pattern {
				form = "ROW COL"
			}
			return errorf(ErrFormat, "line %d: want an entry %s, found %s", lr.n, form, quoteBytes(line))
		}
		ri, err1 := strconv.ParseInt(string(r), 10, 64)
		ci, err2 := strconv.ParseInt(string(c), 10, 64)
		if err1 != nil || err2 != nil {
			return errorf(ErrFormat, "line %d: entry %s: row and column must be integers", lr.n, quoteBytes(line))
		}
		if ri < 1 || ri > int64(m) || ci < 1 || ci > int64(n) {
			return errorf(ErrFormat, "line %d: entry (%d, %d) is outside the %d×%d matrix", lr.n, ri, ci, m, n)
		}
		if x.symmetric && ri < ci {
			return errorf(ErrFormat, "line %d: entry (%d, %d) is above the diagonal; a symmetric file lists the lower triangle only", lr.n, ri, ci)
		}
		v := 1.0
		if !x.pattern {
			var ok bool
			if v, ok = x.value(w); !ok {
				return errorf(ErrFormat, "line %d: %s is not %s", lr.n, quoteBytes(w), x.what())
			}
		}
		a, b := int(ri-1), int(ci-1)
		dst[a*n+b] += v
		if x.symmetric && a != b {
			dst[b*n+a] += v
		}
		got++
	}
	if got < x.entries {
		unit := "entries"
		if x.array {
			unit = "values"
		}
		return errorf(ErrTruncated, "the file ends at line %d after %d of the %d %s", lr.n, got, x.entries, unit)
	}
	return nil
}
