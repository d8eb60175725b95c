package results

import (
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/blasbatch/blasbatch/kernels"
)

// Encoder appends records as JSON Lines without reflection: records of tiny
// matrices are produced by the million, and encoding/json would dominate
// their cost. Its output is exactly what [Decode] reads (a test round-trips
// it), field names as in [Record].
//
// The zero Encoder writes records with an empty kernel name and lane 0; set
// the fields first. An Encoder holds no buffers: it is safe to copy, and
// each goroutine may use its own copy.
type Encoder struct {
	// Kernel is written as "kernel".
	Kernel string
	// Field names the kernel's vector (kernels.Spec.Field; "" for none)
	// and Pairs says it holds [re, im] pairs (kernels.Spec.Pairs).
	Field string
	Pairs bool
	// Lane is written as "lane": the outer worker, -1 for none.
	Lane int
}

// NewEncoder returns the Encoder of spec's records, as computed by lane.
func NewEncoder(spec kernels.Spec, lane int) Encoder {
	return Encoder{Kernel: spec.Name, Field: spec.Field, Pairs: spec.Pairs, Lane: lane}
}

func (e *Encoder) head(b []byte, id string, rows, cols int) []byte {
	b = append(b, `{"input":`...)
	b = AppendString(b, id)
	b = append(b, `,"kernel":`...)
	b = AppendString(b, e.Kernel)
	b = append(b, `,"rows":`...)
	b = strconv.AppendInt(b, int64(rows), 10)
	b = append(b, `,"cols":`...)
	b = strconv.AppendInt(b, int64(cols), 10)
	return b
}

// AppendOK appends the ok record of item id (rows×cols) with the kernel's
// result res, computed in secs seconds. Each Scalar of res becomes a
// top-level field by its name: its Exact digits when it has them and they
// are a JSON integer (kernels.ValidExact), else its Value (null when not
// finite), so the line is valid JSON whatever a kernel puts in Exact.
func (e *Encoder) AppendOK(b []byte, id string, rows, cols int, res kernels.Result, secs float64) []byte {
	b = e.head(b, id, rows, cols)
	b = append(b, `,"ok":true`...)
	if e.Field != "" {
		b = append(b, `,`...)
		b = AppendString(b, e.Field)
		b = append(b, `:[`...)
		if e.Pairs {
			for i := 0; i+1 < len(res.Values); i += 2 {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, '[')
				b = AppendFloat(b, res.Values[i])
				b = append(b, ',')
				b = AppendFloat(b, res.Values[i+1])
				b = append(b, ']')
			}
		} else {
			for i, v := range res.Values {
				if i > 0 {
					b = append(b, ',')
				}
				b = AppendFloat(b, v)
			}
		}
		b = append(b, ']')
	}
	for _, sc := range res.Scalars {
		b = append(b, ',')
		b = AppendString(b, sc.Name)
		b = append(b, ':')
		if sc.Exact != "" && kernels.ValidExact(sc.Exact) {
			b = append(b, sc.Exact...)
		} else {
			b = AppendFloat(b, sc.Value)
		}
	}
	b = append(b, `,"seconds":`...)
	b = strconv.AppendFloat(b, secs, 'g', 6, 64)
	if res.Fallback != "" {
		b = append(b, `,"fallback":`...)
		b = AppendString(b, res.Fallback)
	}
	return e.tail(b)
}

// AppendFailure appends the failed record of item id (rows×cols, 0×0 when
// the shape is not known) with the reason msg.
func (e *Encoder) AppendFailure(b []byte, id string, rows, cols int, msg string) []byte {
	b = e.head(b, id, rows, cols)
	b = append(b, `,"ok":false,"error":`...)
	b = AppendString(b, msg)
	return e.tail(b)
}

func (e *Encoder) tail(b []byte) []byte {
	b = append(b, `,"lane":`...)
	b = strconv.AppendInt(b, int64(e.Lane), 10)
	return append(b, "}\n"...)
}

// AppendFloat writes v as the shortest decimal that reads back exactly, or
// null for NaN and ±Inf, which JSON cannot hold.
func AppendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as
// encoding/json does (ids never hold any: see matio.EscapeID).
func AppendString(b []byte, s string) []byte {
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
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
