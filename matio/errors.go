package matio

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap them inside an
// *[Error]; test for them with errors.Is.
var (
	// ErrNotNumPy means that a file is neither a .npy file nor a zip
	// archive (.npz) and is not named as one of the other formats (.mtx,
	// .csv, .tsv, .f64), or that an archive or archive member is not usable
	// as NumPy data.
	ErrNotNumPy = errors.New("not a NumPy file")

	// ErrTruncated means that a header or the data ends before the size
	// it needs.
	ErrTruncated = errors.New("truncated")

	// ErrObject means that an array has the object dtype. Its pickled
	// data is never loaded.
	ErrObject = errors.New("object arrays are refused")

	// ErrDtype means that an array's dtype is not supported: strings,
	// complex numbers, float16, datetimes, structured dtypes, ...
	ErrDtype = errors.New("unsupported dtype")

	// ErrShape means that an array is not 2-D or 3-D, or that it has a
	// dimension of length zero.
	ErrShape = errors.New("unsupported shape")

	// ErrTooLarge means that a header claims more data than the file or
	// archive member can hold, or more than this package accepts.
	ErrTooLarge = errors.New("claimed size too large")

	// ErrHeader means that a .npy header is malformed or has an
	// unsupported format version.
	ErrHeader = errors.New("malformed .npy header")

	// ErrFormat means that a text matrix file (.mtx, .csv, .tsv) is
	// malformed: a bad Matrix Market banner or size line, a cell or entry
	// that is not a number, ragged CSV rows, an entry outside the matrix,
	// more entries than declared, or a shape sidecar that cannot be parsed.
	ErrFormat = errors.New("malformed matrix file")

	// ErrUnsupported means that a file uses a feature of its format that
	// this package does not read, such as a skew-symmetric or Hermitian
	// Matrix Market file or a Matrix Market vector.
	ErrUnsupported = errors.New("unsupported matrix file feature")

	// ErrNotRegular means that a path names something other than a regular
	// file (or a symbolic link to one): a directory, a named pipe, a
	// socket, a character or block device. Such a path is refused without
	// being read, and without blocking.
	ErrNotRegular = errors.New("not a regular file")
)

// Error is a per-file or per-item problem.
//
// Its message starts with the item's identity as in [Item.ID], for example
// "data/x.npy: object arrays are refused (pickle is never loaded)" or
// "data/s.npz:b[3]: data truncated: ...". Like the identity, the message is
// valid UTF-8 whatever bytes the path holds: the path in it is escaped with
// [EscapeID].
type Error struct {
	// Path is the file, exactly as given to Open, NewReader or Expand (raw
	// bytes, not escaped), so that it can be opened again.
	Path string
	// Item is the item part of the identity, escaped as in [Item.ID], empty
	// for the whole file: "[i]" for item i of a 3-D .npy stack, "NAME" for a
	// .npz member (NAME.npy, or the full member name if it does not end in
	// .npy; NAME\#k for its k-th occurrence) and "NAME[i]" for item i of a
	// stack in a .npz member.
	Item string
	// Err is the cause; it wraps one of the sentinel errors or an I/O error.
	Err error
}

// Error returns the identity of the file or item, ": " and the cause. The
// cause's message is given as it is unless it holds a control character
// (a line break) or bytes that are not valid UTF-8 (an I/O error quoting
// the raw path), which are escaped as in EscapeID, so that the message is
// always one line of valid UTF-8.
func (e *Error) Error() string {
	msg := e.Err.Error()
	if !printableLine(msg) {
		msg = EscapeID(msg)
	}
	return e.ID() + ": " + msg
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// itemID joins an escaped path and an item part as described for Item.ID.
func itemID(pathID, item string) string {
	switch {
	case item == "":
		return pathID
	case item[0] == '[':
		return pathID + item
	default:
		return pathID + ":" + item
	}
}

// detailError is a sentinel with a specific message. Its message is the
// detail alone (the detail says what the sentinel would), so messages read
// naturally, while errors.Is still finds the sentinel and the optional cause.
type detailError struct {
	kind  error
	msg   string
	cause error
}

func (e *detailError) Error() string { return e.msg }

func (e *detailError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}

// errorf returns an error that wraps kind and whose message is the formatted
// text alone.
func errorf(kind error, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// causef is like errorf and also wraps cause.
func causef(kind, cause error, format string, args ...any) error {
	return &detailError{kind: kind, msg: fmt.Sprintf(format, args...), cause: cause}
}

// ID is the identity of the file or item the error is about, as [Item.ID]:
// EscapeID(e.Path) joined to e.Item.
func (e *Error) ID() string { return itemID(EscapeID(e.Path), e.Item) }

// ErrorID is the identity a record should give an item that failed with
// err while reading path: the file or item the error names (an *Error's
// ID), else EscapeID(path), so that it is formed as [Item.ID] is.
func ErrorID(path string, err error) string {
	var me *Error
	if errors.As(err, &me) {
		return me.ID()
	}
	return EscapeID(path)
}
