package matio

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

const maxInt = uint64(math.MaxInt)

// dtype is a supported element type.
type dtype struct {
	kind  byte // 'f', 'i', 'u' or 'b'
	size  int  // bytes per element
	big   bool // big-endian
	descr string
}

func (d dtype) String() string { return d.descr }

// hostLittleEndian reports whether the machine is little-endian.
func hostLittleEndian() bool {
	return binary.NativeEndian.Uint16([]byte{1, 0}) == 1
}

// isNative64 reports whether d is float64 in the machine's byte order, so
// that its bytes can be read straight into a []float64.
func (d dtype) isNative64() bool {
	return d.kind == 'f' && d.size == 8 && d.big != hostLittleEndian()
}

// parseDescr parses a dtype descriptor such as "<f8" or "|u1": an optional
// byte order ('<', '>', '=' for the machine's order, '|' for none, valid only
// for 1-byte types; no prefix is taken as '='), a kind and a size. It fails
// with ErrObject for the object dtype and with ErrDtype for other
// unsupported or unknown descriptors.
func parseDescr(s string) (dtype, error) {
	d := dtype{descr: s, big: !hostLittleEndian()}
	rest := s
	order := byte('=')
	if rest != "" {
		switch rest[0] {
		case '<', '>', '=', '|':
			order = rest[0]
			rest = rest[1:]
		}
	}
	if rest == "" {
		return dtype{}, errorf(ErrDtype, "unrecognized dtype %s", strconv.Quote(s))
	}
	d.kind = rest[0]
	digits := rest[1:]
	if i := strings.IndexByte(digits, '['); i >= 0 { // datetime unit, as in "<M8[ns]"
		digits = digits[:i]
	}
	size, err := strconv.Atoi(digits)
	if err != nil || size <= 0 || digits[0] == '+' {
		size = 0
	}
	switch d.kind {
	case 'O':
		return dtype{}, errorf(ErrObject, "object arrays are refused (pickle is never loaded)")
	case 'c':
		return dtype{}, errorf(ErrDtype, "complex arrays are not supported yet (dtype %s)", strconv.Quote(s))
	case 'S', 'a', 'U':
		return dtype{}, errorf(ErrDtype, "string arrays are not supported (dtype %s)", strconv.Quote(s))
	case 'M', 'm':
		return dtype{}, errorf(ErrDtype, "datetime and timedelta arrays are not supported (dtype %s)", strconv.Quote(s))
	case 'V':
		return dtype{}, errorf(ErrDtype, "structured and void dtypes are not supported (dtype %s)", strconv.Quote(s))
	case 'f':
		if size != 4 && size != 8 {
			if size > 0 {
				return dtype{}, errorf(ErrDtype, "float%d arrays are not supported (dtype %s)", 8*size, strconv.Quote(s))
			}
			size = 0
		}
	case 'i', 'u':
		if size != 1 && size != 2 && size != 4 && size != 8 {
			size = 0
		}
	case 'b':
		if size != 1 {
			size = 0
		}
	default:
		size = 0
	}
	if size == 0 || len(digits) != len(rest)-1 {
		return dtype{}, errorf(ErrDtype, "unrecognized dtype %s", strconv.Quote(s))
	}
	d.size = size
	switch order {
	case '<':
		d.big = false
	case '>':
		d.big = true
	case '|':
		if size != 1 {
			return dtype{}, errorf(ErrDtype, "dtype %s: byte order '|' is invalid for a %d-byte type", strconv.Quote(s), size)
		}
	}
	if size == 1 {
		d.big = false
	}
	return d, nil
}

// decode converts len(dst) elements from src, which must hold at least
// len(dst)*d.size bytes, into dst.
func (d dtype) decode(dst []float64, src []byte) {
	src = src[:len(dst)*d.size]
	le, be := binary.LittleEndian, binary.BigEndian
	switch {
	case d.kind == 'f' && d.size == 8 && !d.big:
		if hostLittleEndian() {
			copy(float64Bytes(dst), src)
			return
		}
		for i := range dst {
			dst[i] = math.Float64frombits(le.Uint64(src[8*i:]))
		}
	case d.kind == 'f' && d.size == 8:
		for i := range dst {
			dst[i] = math.Float64frombits(be.Uint64(src[8*i:]))
		}
	case d.kind == 'f' && !d.big:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(le.Uint32(src[4*i:])))
		}
	case d.kind == 'f':
		for i := range dst {
			dst[i] = float64(math.Float32frombits(be.Uint32(src[4*i:])))
		}
	case d.kind == 'b':
		for i := range dst {
			if src[i] != 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
	case d.kind == 'i' && d.size == 1:
		for i := range dst {
			dst[i] = float64(int8(src[i]))
		}
	case d.kind == 'u' && d.size == 1:
		for i := range dst {
			dst[i] = float64(src[i])
		}
	case d.kind == 'i' && d.size == 2 && !d.big:
		for i := range dst {
			dst[i] = float64(int16(le.Uint16(src[2*i:])))
		}
	case d.kind == 'i' && d.size == 2:
		for i := range dst {
			dst[i] = float64(int16(be.Uint16(src[2*i:])))
		}
	case d.kind == 'u' && d.size == 2 && !d.big:
		for i := range dst {
			dst[i] = float64(le.Uint16(src[2*i:]))
		}
	case d.kind == 'u' && d.size == 2:
		for i := range dst {
			dst[i] = float64(be.Uint16(src[2*i:]))
		}
	case d.kind == 'i' && d.size == 4 && !d.big:
		for i := range dst {
			dst[i] = float64(int32(le.Uint32(src[4*i:])))
		}
	case d.kind == 'i' && d.size == 4:
		for i := range dst {
			dst[i] = float64(int32(be.Uint32(src[4*i:])))
		}
	case d.kind == 'u' && d.size == 4 && !d.big:
		for i := range dst {
			dst[i] = float64(le.Uint32(src[4*i:]))
		}
	case d.kind == 'u' && d.size == 4:
		for i := range dst {
			dst[i] = float64(be.Uint32(src[4*i:]))
		}
	case d.kind == 'i' && d.size == 8 && !d.big:
		for i := range dst {
			dst[i] = float64(int64(le.Uint64(src[8*i:])))
		}
	case d.kind == 'i' && d.size == 8:
		for i := range dst {
			dst[i] = float64(int64(be.Uint64(src[8*i:])))
		}
	case d.kind == 'u' && d.size == 8 && !d.big:
		for i := range dst {
			dst[i] = float64(le.Uint64(src[8*i:]))
		}
	case d.kind == 'u' && d.size == 8:
		for i := range dst {
			dst[i] = float64(be.Uint64(src[8*i:]))
		}
	default:
		panic("matio: decode of unsupported dtype " + d.descr)
	}
}

// float64Bytes returns the memory of f as bytes, in the machine's byte order.
func float64Bytes(f []float64) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), len(f)*8)
}
