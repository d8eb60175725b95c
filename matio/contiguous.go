package matio

// Contiguous reports where the data of the file's one array begins, when
// the file is a .npy (or raw .f64) whose elements are little-endian float64
// in C order on a little-endian machine: item i of it (a matrix of
// Rows×Cols) is then the 8·Rows·Cols bytes at offset + i·8·Rows·Cols,
// exactly the float64 values Read gives, so a caller may read them into
// place itself. ok is false for any other file (an .npz, a text format,
// another dtype or order, a bad header).
func (r *Reader) Contiguous() (offset int64, ok bool) {
	a := &r.a
	if r.pending != nil || r.zr != nil || r.txt != nil || r.dataStart < 0 || !a.ok || !a.cOrderNative() {
		return 0, false
	}
	return r.dataStart, true
}
