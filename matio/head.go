package matio

// Head is what the first bytes of a .npy file say of its items, as
// ParseHead reads them.
type Head struct {
	// ID is the first item's id, as Next gives it.
	ID string
	// Rows, Cols is every item's shape; Count how many items there are
	// (the first dimension of a 3-D array, else 1).
	Rows, Cols, Count int
	// Stack says the array is 3-D (even a stack of one, whose ID ends in
	// "[0]").
	Stack bool
	// Offset is where the data begins; Contiguous says what
	// Reader.Contiguous says: the items are little-endian float64 in C
	// order, item i the 8·Rows·Cols bytes at Offset + i·8·Rows·Cols.
	Offset     int64
	Contiguous bool
}

// ParseHead reads a .npy file's preamble and header from b, the file's
// first bytes (size is the whole file's length), and checks them as
// OpenWith does, without a Reader: no buffer is made and nothing is read.
// It is for scanning many small files whose first bytes the caller has
// read already. ok is false unless b holds a whole header that OpenWith
// would accept as a .npy file at path — an .npz, a text or raw format, a
// header longer than b, any error —, and the caller should then open the
// file with OpenWith or NewReaderWith, which says what is wrong.
func ParseHead(path string, b []byte, size int64) (h Head, ok bool) {
	if formatOf(path) == formatRaw || len(b) < 12 || string(b[:len(npyMagic)]) != npyMagic || size < int64(len(b)) {
		return Head{}, false
	}
	p, err := parsePreamble(b[:12])
	if err != nil || p.headerLen > maxHeaderLen || int64(p.size)+p.headerLen > int64(len(b)) {
		return Head{}, false
	}
	hb := b[p.size : int64(p.size)+p.headerLen]
	off := int64(p.size) + p.headerLen
	a, err := decodeHeader(p.major, hb, size-off, "the file")
	if err != nil {
		return Head{}, false
	}
	return Head{
		ID:   a.id(EscapeID(path), 0),
		Rows: a.m, Cols: a.n, Count: a.k, Stack: a.stack,
		Offset:     off,
		Contiguous: a.cOrderNative(),
	}, true
}
