package batch

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/blasbatch/blasbatch/kernels"
)

// encoder appends JSON Lines records without reflection: records of tiny
// matrices are produced by the million, and encoding/json would dominate
// their cost. Field names are a contract (see README).
type encoder struct {
	kernel, field string
	pairs         bool
	lane          int
}

func (e *encoder) head(b []byte, id string, rows, cols int) []byte {
	b = append(b, `{"input":`...)
	b = appendString(b, id)
	b = append(b, `,"kernel":`...)
	b = appendString(b, e.kernel)
	b = append(b, `,"rows":`...)
	b = strconv.AppendInt(b, int64(rows), 10)
	b = append(b, `,"cols":`...)
	b = strconv.AppendInt(b, int64(cols), 10)
	return b
}

// success encodes an ok record; fallback, when not empty, is the routine
// that produced the values after the first one failed.
func (e *encoder) success(b []byte, id string, rows, cols int, res kernels.Result, secs float64) []byte {
	b = e.head(b, id, rows, cols)
	b = append(b, `,"ok":true`...)
	if e.field != "" {
		b = append(b, `,"`...)
		b = append(b, e.field...)
		b = append(b, `":[`...)
		if e.pairs {
			for i := 0; i+1 < len(res.Values); i += 2 {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = appendFloat(b, res.Values[i])
				b = append(b, ',')
				b = appendFloat(b, res.Values[i+1])
				b = append(b, ']')
			}
		} else {
			for i, v := range res.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendFloat(b, v)
			}
		}
		b = append(b, ']')
	}
	for _, sc := range res.Scalars {
		b = append(b, ',')
		b = appendString(b, sc.Name)
		b = append(b, ':')
		b = appendFloat(b, sc.Value)
	}
	b = append(b, `,"seconds":`...)
	b = strconv.AppendFloat(b, secs, 'g', 6, 64)
	if res.Fallback != "" {
		b = append(b, `,"fallback":`...)
		b = appendString(b, res.Fallback)
	}
	return e.tail(b)
}

// appendFloat writes v as the shortest decimal that reads back exactly, or
// null for NaN and ±Inf, which JSON cannot hold.
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

func (e *encoder) failure(b []byte, id string, rows, cols int, msg string) []byte {
	b = e.head(b, id, rows, cols)
	b = append(b, `,"ok":false,"error":`...)
	b = appendString(b, msg)
	return e.tail(b)
}

func (e *encoder) tail(b []byte) []byte {
	b = append(b, `,"lane":`...)
	b = strconv.AppendInt(b, int64(e.lane), 10)
	return append(b, "}\n"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 (file names are
// bytes on Linux) becomes U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
