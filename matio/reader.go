package matio

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// bufSize is the size of the buffer over a .npy file or .npz member
	// (smaller only when the file or member is smaller).
	bufSize = 256 << 10
	// headerBufSize is the buffer a .npy header is read through.
	headerBufSize = 4 << 10
	// maxDeflateRatio caps the size a deflated .npz member may claim, as a
	// multiple of its compressed size (deflate's own limit is about 1032).
	maxDeflateRatio = 1100
	// scratchLen is the number of float64s converted at a time when
	// Fortran-ordered data is rearranged.
	scratchLen = 8 << 10
)

// Item identifies one matrix of an input file.
type Item struct {
	// ID is PATH for a 2-D .npy (and for every file of one matrix:
	// .mtx, .csv, .tsv, a 2-D .f64), PATH[i] for item i of a 3-D .npy or
	// .f64 stack, PATH:NAME for a 2-D .npz member NAME.npy and PATH:NAME[i]
	// for item i of a stack in a .npz member. PATH is the path as given to
	// Open and NAME the member's name, each escaped with [EscapeID] (so
	// ordinary names are unchanged and the ID is always valid UTF-8). The
	// k-th member (k ≥ 2) of one archive with the same NAME is NAME\#k:
	// PATH:NAME\#k and PATH:NAME\#k[i]. The package documentation
	// describes the scheme.
	ID string
	// Rows and Cols are the matrix's dimensions, both at least 1.
	Rows, Cols int
	// Integer, Signed and Bits describe the elements as the file stores
	// them, so that a caller can take them in their own type with
	// ReadRaw: Integer for int8–int64 and uint8–uint64, Signed for the
	// int ones, Bits the width (8, 16, 32 or 64). For float32 and float64
	// Integer is false and Bits 32 or 64; for bool (Bool) Integer is false
	// and Bits 8. Text formats (.mtx, .csv, .tsv) and raw .f64 files are
	// float64: Bits 64.
	Integer, Signed bool
	Bits            int
	// Bool says the array is NumPy's bool: Read gives 0 and 1, ReadRaw
	// the bytes 0 and 1 (any nonzero byte is true).
	Bool bool
}

// Reader reads the items of one input file (.npy, .npz, .mtx, .csv, .tsv or
// .f64) in order.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	path   string // as given
	pathID string // EscapeID(path), the start of every item's ID
	ra     io.ReaderAt
	size   int64
	closer io.Closer
	closed bool

	br *bufio.Reader // over the .npy file or the current .npz member

	// .npy only
	sec     *io.SectionReader // the whole file, for seeking past data
	pending error             // a bad header, returned by the first Next

	// .npz only
	zr     *zip.Reader
	member int            // index in zr.File of the next member
	seen   map[string]int // occurrences of each member part so far
	rc     io.ReadCloser  // the current member
	// A stored (uncompressed) member is read through mcount, which counts
	// the bytes taken from its stream, so that discard can seek within
	// mdata, the member's bytes in the archive, instead of reading them.
	mdata  *io.SectionReader
	mcount *countReader

	a       array     // the current array (also a raw .f64 file's)
	scratch []float64 // for rearranging Fortran-ordered data

	txt *single // .mtx, .csv and .tsv: the file's one matrix

	// dataStart is where a .npy file's (or a raw file's) data begins; -1
	// when not known. lazyData says the data buffer is still to be made
	// there (see dataBuf).
	dataStart int64
	lazyData  bool
}

// array is the state of the array being read.
type array struct {
	ok      bool   // an array is open
	name    string // "" for a .npy, the escaped member part for a .npz member
	dt      dtype
	fortran bool
	stack   bool // 3-D
	k, m, n int  // k items of m×n
	next    int  // index of the item the next Next returns
	cur     int  // index of the current item, or -1
	read    bool // Read has been called for cur
	pos     int  // not Fortran 3-D: index of the item the stream stands at
	// all is a Fortran-ordered 3-D array's elements, read whole at its
	// first Read or ReadRaw: the raw elements in the machine's byte order
	// (bools as 0 and 1), item after item, each row-major.
	all  []byte
	dead bool // the stream's position is lost: no further items
}

func (a *array) itemBytes() int64 { return int64(a.m) * int64(a.n) * int64(a.dt.size) }

// item returns the item part of the identity of item i.
func (a *array) item(i int) string {
	if !a.stack {
		return a.name
	}
	return a.name + "[" + strconv.Itoa(i) + "]"
}

// id returns the identity of item i, as itemID(pathID, a.item(i)) does,
// with one allocation.
func (a *array) id(pathID string, i int) string {
	if a.name == "" && !a.stack {
		return pathID // a .npy file's one matrix: nothing to build
	}
	var b strings.Builder
	b.Grow(len(pathID) + 1 + len(a.name) + 22)
	b.WriteString(pathID)
	if a.name != "" {
		b.WriteByte(':')
		b.WriteString(a.name)
	}
	if a.stack {
		var num [20]byte
		b.WriteByte('[')
		b.Write(strconv.AppendInt(num[:0], int64(i), 10))
		b.WriteByte(']')
	}
	return b.String()
}

// Open opens the file at path as a .npy file if it starts with the .npy magic
// string, or as a .npz archive if it starts with a zip signature, whatever its
// name (except .f64). Otherwise its name's extension, in any case, selects
// the format: .mtx (Matrix Market), .csv, .tsv or .f64 (raw little-endian
// float64, whose shape comes from a PATH.shape sidecar file; see
// [OpenWith]); a raw .f64 file is never taken for a .npy or .npz, since its
// data may start with any bytes. For a .npy file it reads and checks the
// header at once; an error in the header (or, for the other formats, in the
// file) is returned by the first call to Next, so that Open fails only when
// the file as a whole is unusable. Errors are *Error.
func Open(path string) (*Reader, error) { return OpenWith(path, Options{}) }

// OpenWith is like Open with options. For a raw .f64 file, opt.Shape, when
// not empty, gives the shape and wins over the PATH.shape sidecar file,
// which is read only when opt.Shape is empty.
//
// A path that is not a regular file or a symbolic link to one (a directory,
// a named pipe, a socket, a device) fails at once, without blocking and
// without being read, with an *Error wrapping [ErrNotRegular] (and, for a
// directory, [ErrNotNumPy]) whose message says what it is: "not a regular
// file (a named pipe)", "(a socket)", "(a character device)", "(a block
// device)", or "is a directory, not a NumPy file". The check is made both
// before the file is opened and on the opened file, which is opened
// without blocking, so a path swapped for a named pipe in between is still
// refused. The same holds for a .f64 file's PATH.shape sidecar.
func OpenWith(path string, opt Options) (*Reader, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	r, err := newReader(f, fi.Size(), path, opt, true)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader is like Open for the size bytes of ra, which path names in item
// identities and errors (and whose extension selects a format as for Open).
// Closing the Reader does not close ra.
func NewReader(ra io.ReaderAt, size int64, path string) (*Reader, error) {
	return NewReaderWith(ra, size, path, Options{})
}

// NewReaderWith is like NewReader with options, as OpenWith. It reads no
// other file: a raw .f64 file's shape must be given in opt.Shape.
func NewReaderWith(ra io.ReaderAt, size int64, path string, opt Options) (*Reader, error) {
	return newReader(ra, size, path, opt, false)
}

// newReader is NewReaderWith, reading a raw file's PATH.shape sidecar if
// sidecar is true.
func newReader(ra io.ReaderAt, size int64, path string, opt Options, sidecar bool) (*Reader, error) {
	r := &Reader{path: path, pathID: EscapeID(path), ra: ra, size: size, a: array{cur: -1}, dataStart: -1}
	fmtName := formatOf(path)
	if fmtName == formatRaw {
		shape, src, err := rawShape(path, opt, sidecar)
		r.openRaw(shape, src, err)
		return r, nil
	}
	var head [len(npyMagic)]byte
	n, err := ra.ReadAt(head[:], 0)
	if n < len(head) && err != nil && err != io.EOF {
		return nil, &Error{Path: path, Err: err}
	}
	n = int(min(int64(n), max(size, 0)))
	b := head[:n]
	switch {
	case n == 0 && fmtName == formatUnknown:
		return nil, &Error{Path: path, Err: errorf(ErrNotNumPy, "empty file, not a NumPy file")}
	case bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06")):
		zr, err := zip.NewReader(ra, size)
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			return nil, &Error{Path: path, Err: causef(ErrNotNumPy, err, "corrupt .npz archive: %v", err)}
		}
		r.zr = zr
	case string(b) == npyMagic:
		r.sec = io.NewSectionReader(ra, 0, size)
		// A small buffer for the header, so that a caller that only wants
		// the headers (planning scans every input) reads a few KiB of each
		// file rather than a whole data buffer's worth.
		r.br = bufio.NewReaderSize(r.sec, headerBufSize)
		if err := r.openArray("", size, "the file"); err != nil {
			r.pending = &Error{Path: path, Err: err}
		}
		// Then a full-size buffer for the data, from where the header ends
		// — made when data is first read (dataBuf): a caller that wants
		// only the headers (the scan of thousands of small files) does not
		// pay for one.
		if pos, err := r.sec.Seek(0, io.SeekCurrent); err == nil {
			r.dataStart = pos - int64(r.br.Buffered())
			r.lazyData = true
		}
	case fmtName == formatCSV:
		r.txt = &single{f: &csvReader{ra: ra, size: size, delim: ','}}
	case fmtName == formatTSV:
		r.txt = &single{f: &csvReader{ra: ra, size: size, delim: '\t'}}
	case fmtName == formatMTX:
		r.txt = &single{f: &mtxReader{ra: ra, size: size}}
	case n < len(npyMagic) && strings.HasPrefix(npyMagic, string(b)):
		return nil, &Error{Path: path, Err: errorf(ErrNotNumPy, "truncated .npy magic string (%d bytes), not a NumPy file", n)}
	default:
		return nil, &Error{Path: path, Err: errorf(ErrNotNumPy, "not a recognised matrix file (no .npy magic string or zip signature, and not named .mtx, .csv, .tsv or .f64)")}
	}
	return r, nil
}

// unwrapPath drops the *fs.PathError around err, whose path Error repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Next advances to the next item and returns its identity and shape without
// decoding its data. It returns io.EOF after the last item.
//
// A bad item or member (unsupported shape or dtype, bad header, data that
// cannot be reached, ...) is returned as *Error. The caller may call Next
// again: the reader goes on with the following .npz member, whose data is
// independent, and returns io.EOF where the format allows no recovery (a
// .npy file holds one array).
//
// Next checks the data the header claims against the bytes available before
// it returns an item, so allocating Rows×Cols float64s for it is bounded by a
// small multiple of the file's size.
func (r *Reader) Next() (Item, error) {
	if r.closed {
		return Item{}, errClosed
	}
	if r.txt != nil {
		return r.txt.next(r.path, r.pathID)
	}
	if err := r.pending; err != nil {
		r.pending = nil
		return Item{}, err
	}
	for {
		a := &r.a
		if a.ok && !a.dead && a.next < a.k {
			i := a.next
			if !(a.fortran && a.stack) && a.pos < i {
				if err := r.discard(int64(i-a.pos) * a.itemBytes()); err != nil {
					a.dead = true
					return Item{}, &Error{Path: r.path, Item: a.item(i), Err: dataErr(err)}
				}
				a.pos = i
			}
			a.next++
			a.cur, a.read = i, false
			it := Item{ID: a.id(r.pathID, i), Rows: a.m, Cols: a.n}
			a.dt.describe(&it)
			return it, nil
		}
		r.a = array{cur: -1}
		if r.zr == nil {
			return Item{}, io.EOF
		}
		r.closeMember()
		if r.member >= len(r.zr.File) {
			return Item{}, io.EOF
		}
		if err := r.openMember(); err != nil {
			return Item{}, err
		}
	}
}

var errClosed = errors.New("matio: use of a closed Reader")

// Following returns how many items of the current array follow the current
// item (the rest of a 3-D stack; 0 for a 2-D array or with no current item),
// so that a caller reading only shapes can Skip them: every item of an array
// has the array's shape.
func (r *Reader) Following() int {
	a := &r.a
	if !a.ok || a.dead || a.cur < 0 {
		return 0
	}
	return a.k - a.next
}

// Skip passes over the next n items as n calls of Next would, without
// decoding their data or building their identities, so that reading can
// start at item n of a file cheaply. A bad item or .npz member, which Next
// would return as an error, counts as one item and is not reported. Skip
// returns io.EOF when fewer than n items remain (they are all passed over).
// After Skip there is no current item: call Next.
//
// Skipping costs no reading of data where the format allows it: within a
// C-ordered .npy stack or a stored .npz member Skip only moves an index, and
// the next call of Next seeks past the skipped data through the
// io.ReaderAt; whole .npz members are passed over by reading their headers
// only. Within a deflated .npz member the skipped data is decompressed and
// discarded by the next Next, and a Fortran-ordered stack, which is read
// whole, only moves its index. Errors in the skipped data (a truncated
// member) surface from the next Next, as an error for the item it would
// have returned.
func (r *Reader) Skip(n int) error {
	switch {
	case r.closed:
		return errClosed
	case n < 0:
		return fmt.Errorf("matio: Skip of %d items", n)
	case r.txt != nil:
		return r.txt.skip(n)
	}
	for n > 0 {
		if r.pending != nil {
			r.pending = nil
			n--
			continue
		}
		a := &r.a
		if a.ok && !a.dead && a.next < a.k {
			s := min(n, a.k-a.next)
			a.next += s
			a.cur, a.read = -1, false
			n -= s
			continue
		}
		r.a = array{cur: -1}
		if r.zr == nil {
			return io.EOF
		}
		r.closeMember()
		if r.member >= len(r.zr.File) {
			return io.EOF
		}
		if err := r.openMember(); err != nil {
			n-- // the bad member is one item
		}
	}
	a := &r.a
	a.cur, a.read = -1, false
	return nil
}

// Read decodes the current item into dst, which must have length Rows×Cols,
// in row-major (C) order, converted to float64. If Read is not called for an
// item, the next call to Next skips its data. Data that ends early is an
// *Error wrapping ErrTruncated naming the item; after a failed Read, dst
// holds partial data and Next goes on with the next .npz member (or returns
// io.EOF for a .npy).
func (r *Reader) Read(dst []float64) error {
	r.dataBuf()
	a := &r.a
	switch {
	case r.closed:
		return errClosed
	case r.txt != nil:
		return r.txt.readItem(r.path, dst)
	case !a.ok || a.cur < 0 || a.read:
		return errors.New("matio: Read without a current item")
	case len(dst) != a.m*a.n:
		return fmt.Errorf("matio: Read into a slice of length %d, want %d×%d = %d", len(dst), a.m, a.n, a.m*a.n)
	}
	a.read = true
	var err error
	switch {
	case a.fortran && a.stack:
		if err = r.loadFortranStack(); err != nil {
			break
		}
		a.dt.native().decode(dst, a.all[a.cur*a.m*a.n*a.dt.size:])
		return nil
	case a.fortran:
		err = r.readFortran(dst, 1, a.m, a.n)
	default:
		err = r.readC(dst)
	}
	if err != nil {
		a.dead = true
		return &Error{Path: r.path, Item: a.item(a.cur), Err: dataErr(err)}
	}
	a.pos = a.cur + 1
	return nil
}

// headerErr describes an error met while reading a header.
func headerErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errorf(ErrTruncated, "header truncated: the stream ends early")
	}
	return fmt.Errorf("reading the header: %w", err)
}

// dataErr describes an error met while reading or skipping data.
func dataErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errorf(ErrTruncated, "data truncated: the stream ends early")
	}
	return fmt.Errorf("reading data: %w", err)
}

// Close releases the file. It does not close the io.ReaderAt given to
// NewReader.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.txt = nil
	r.closeMember()
	r.a = array{cur: -1}
	r.br = nil
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

func (r *Reader) closeMember() {
	if r.rc != nil {
		r.rc.Close()
		r.rc = nil
	}
	r.mdata, r.mcount = nil, nil
}

// openMember opens the next .npz member and its array.
func (r *Reader) openMember() error {
	f := r.zr.File[r.member]
	r.member++
	raw, ok := strings.CutSuffix(f.Name, ".npy") // the whole name if !ok
	name := r.memberPart(raw)
	if !ok {
		return &Error{Path: r.path, Item: name, Err: errorf(ErrNotNumPy, "archive member %s is not a .npy file", strconv.Quote(f.Name))}
	}
	fail := func(err error) error { return &Error{Path: r.path, Item: name, Err: err} }
	if f.CompressedSize64 > uint64(r.size) {
		return fail(errorf(ErrTooLarge, "member claims %d compressed bytes but the archive holds %d", f.CompressedSize64, r.size))
	}
	avail, what := f.UncompressedSize64, "the member's size"
	switch f.Method {
	case zip.Store:
		if f.CompressedSize64 < avail {
			avail, what = f.CompressedSize64, "the stored member's compressed size"
		}
	case zip.Deflate:
		if c := maxDeflateRatio * f.CompressedSize64; c < avail {
			avail, what = c, fmt.Sprintf("%d× the member's compressed size of %d", maxDeflateRatio, f.CompressedSize64)
		}
	default:
		return fail(causef(ErrNotNumPy, zip.ErrAlgorithm, "member uses unsupported zip compression method %d", f.Method))
	}
	rc, err := f.Open()
	if err != nil {
		return fail(causef(ErrNotNumPy, err, "cannot open member: %v", err))
	}
	r.rc = rc
	var src io.Reader = rc
	if f.Method == zip.Store {
		if off, err := f.DataOffset(); err == nil {
			r.mdata = io.NewSectionReader(r.ra, off, int64(f.CompressedSize64))
			r.mcount = &countReader{r: rc}
			src = r.mcount
		}
	}
	// The buffer is kept for the following members, and grown if needed.
	if size := int(min(bufSize, avail)); r.br == nil || r.br.Size() < size {
		r.br = bufio.NewReaderSize(src, size)
	} else {
		r.br.Reset(src)
	}
	if err := r.openArray(name, int64(avail), what); err != nil {
		return fail(err)
	}
	return nil
}

// memberPart returns the member part of the identity of the archive's next
// member, whose name (without .npy) is raw: EscapeID(raw) the first time,
// with the suffix \#k the k-th time.
func (r *Reader) memberPart(raw string) string {
	name := EscapeID(raw)
	if r.seen == nil {
		r.seen = make(map[string]int)
	}
	k := r.seen[name] + 1
	r.seen[name] = k
	return name + dupSuffix(k)
}

// openArray reads a .npy preamble and header from r.br, whose stream holds at
// most avail bytes (what describes that bound), checks it and makes it the
// current array.
func (r *Reader) openArray(name string, avail int64, what string) error {
	r.a = array{cur: -1}
	b, err := r.br.Peek(12)
	if len(b) < 12 && err != nil && err != io.EOF {
		return headerErr(err)
	}
	p, err := parsePreamble(b)
	if err != nil {
		return err
	}
	r.br.Discard(p.size)
	avail -= int64(p.size)
	if p.headerLen > maxHeaderLen {
		return errorf(ErrTooLarge, "header length %d exceeds the limit of %d bytes", p.headerLen, maxHeaderLen)
	}
	if p.headerLen > avail {
		return errorf(ErrTruncated, "header truncated: it claims %d bytes but at most %d remain", p.headerLen, max(avail, 0))
	}
	hb := make([]byte, p.headerLen)
	if _, err := io.ReadFull(r.br, hb); err != nil {
		return headerErr(err)
	}
	avail -= p.headerLen
	a, err := decodeHeader(p.major, hb, avail, what)
	if err != nil {
		return err
	}
	a.name = name
	r.a = a
	return nil
}

// decodeHeader parses and checks the header text hb of a .npy of format
// version major whose data may take at most avail bytes (what describes
// that bound): what OpenWith and ParseHead both accept.
func decodeHeader(major byte, hb []byte, avail int64, what string) (array, error) {
	if major >= 3 && !utf8.Valid(hb) {
		return array{}, errorf(ErrHeader, "malformed .npy header: version 3.0 header is not valid UTF-8")
	}
	h, err := parseHeader(hb)
	if err != nil {
		return array{}, err
	}
	return checkHeader(h, avail, what)
}

// cOrderNative reports whether a's elements are float64 in C order in the
// file and in memory alike (little-endian both), so that its bytes may be
// read into place.
func (a *array) cOrderNative() bool {
	return !a.fortran && a.dt.isNative64() && hostLittleEndian()
}

// checkHeader checks a header's dtype and shape and that its data fits in
// avail bytes, and returns the array it describes.
func checkHeader(h header, avail int64, what string) (array, error) {
	if h.structured {
		return array{}, errorf(ErrDtype, "structured dtypes are not supported (descr is a list of fields)")
	}
	dt, err := parseDescr(h.descr)
	if err != nil {
		return array{}, err
	}
	a := array{ok: true, dt: dt, fortran: h.fortran, cur: -1}
	switch len(h.shape) {
	case 2:
		a.k, a.m, a.n = 1, h.shape[0], h.shape[1]
	case 3:
		a.stack = true
		a.k, a.m, a.n = h.shape[0], h.shape[1], h.shape[2]
	default:
		return array{}, errorf(ErrShape, "%d-D array of shape %s: need a 2-D matrix or a 3-D stack", len(h.shape), formatShape(h.shape))
	}
	if a.k == 0 || a.m == 0 || a.n == 0 {
		return array{}, errorf(ErrShape, "array of shape %s has an empty dimension", formatShape(h.shape))
	}
	// Number of bytes, with overflow checks; dims and size are positive.
	nbytes := uint64(dt.size)
	for _, d := range h.shape {
		hi, lo := bits.Mul64(nbytes, uint64(d))
		if hi != 0 || lo > maxInt {
			return array{}, errorf(ErrTooLarge, "array of shape %s and dtype %s is too large", formatShape(h.shape), dt)
		}
		nbytes = lo
	}
	if nbytes > uint64(max(avail, 0)) {
		return array{}, errorf(ErrTooLarge, "header claims %d bytes of data (shape %s, dtype %s) but only %d are available (bounded by %s)",
			nbytes, formatShape(h.shape), dt, max(avail, 0), what)
	}
	return a, nil
}

// dataBuf makes a .npy file's data buffer at the start of its data, the
// first time data is read or skipped (its header was read through a small
// buffer, which may hold the first data bytes: the stream restarts where
// the data starts).
func (r *Reader) dataBuf() {
	if !r.lazyData || r.closed {
		return
	}
	r.lazyData = false
	if _, err := r.sec.Seek(r.dataStart, io.SeekStart); err == nil {
		r.br = bufio.NewReaderSize(r.sec, int(min(bufSize, max(r.size-r.dataStart, 16))))
	}
}

// discard skips n bytes of the stream.
func (r *Reader) discard(n int64) error {
	r.dataBuf()
	if b := int64(r.br.Buffered()); n > b && r.sec != nil {
		r.br.Discard(int(b))
		if _, err := r.sec.Seek(n-b, io.SeekCurrent); err != nil {
			return err
		}
		r.br.Reset(r.sec)
		return nil
	}
	if b := int64(r.br.Buffered()); n > b && r.mdata != nil {
		// A stored member: seek within its bytes. The member's CRC can no
		// longer be checked, as it would not be for data never read.
		pos := r.mcount.n - b + n
		if pos > r.mdata.Size() {
			r.br.Discard(int(b))
			return io.ErrUnexpectedEOF
		}
		if _, err := r.mdata.Seek(pos, io.SeekStart); err != nil {
			return err
		}
		r.mcount.r, r.mcount.n = r.mdata, pos
		r.br.Reset(r.mcount)
		return nil
	}
	for n > 0 {
		d, err := r.br.Discard(int(min(n, 1<<30)))
		n -= int64(d)
		if err != nil {
			return err
		}
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readC reads len(dst) elements of the current dtype into dst.
func (r *Reader) readC(dst []float64) error {
	dt := r.a.dt
	if dt.isNative64() {
		_, err := io.ReadFull(r.br, float64Bytes(dst))
		return err
	}
	for len(dst) > 0 {
		b, err := r.br.Peek(min(len(dst), r.br.Size()/dt.size) * dt.size)
		n := len(b) / dt.size
		if n == 0 {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		dt.decode(dst[:n], b)
		r.br.Discard(n * dt.size)
		dst = dst[n:]
	}
	return nil
}

// readFortran reads k×m×n elements stored in Fortran order into dst in C
// order (item by item, each row-major).
func (r *Reader) readFortran(dst []float64, k, m, n int) error {
	if r.scratch == nil {
		r.scratch = make([]float64, scratchLen)
	}
	mn := m * n
	s, i, j := 0, 0, 0 // the next element is dst[s*mn+i*n+j]
	base := 0          // i*n + j
	for left := k * mn; left > 0; {
		buf := r.scratch[:min(left, len(r.scratch))]
		if err := r.readC(buf); err != nil {
			return err
		}
		left -= len(buf)
		for _, v := range buf {
			dst[s*mn+base] = v
			if s++; s == k {
				s = 0
				if i++; i == m {
					i = 0
					j++
				}
				base = i*n + j
			}
		}
	}
	return nil
}
