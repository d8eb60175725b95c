package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Record is one item's result: one line of a results file. Field names are
// a contract (README, "Output").
//
// Kernel records (blasbatch run) carry Kernel, Rows and Cols and the
// kernel's own fields in Fields: its vector (singular_values, eigenvalues,
// r_diagonal) and its scalars (log_det, rcond, checksum …), each a
// top-level JSON field. Records of the user's own commands (blasbatch exec)
// carry Result, Exit, Signal, Stderr and Attempts.
type Record struct {
	// Input is the item's id: the input path (escaped as matio.EscapeID
	// does, so every id is valid UTF-8 and no two files share one) with
	// the item suffix ("[i]" for a stack, ":NAME" for an .npz member).
	Input string `json:"input"`
	// Kernel is the kernel's name; "exec" for records of blasbatch exec.
	Kernel string `json:"kernel"`
	// Rows and Cols are the matrix's shape (0 when it was never known).
	Rows int `json:"rows,omitempty"`
	Cols int `json:"cols,omitempty"`
	// OK is true when the item succeeded; Error says why it did not.
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Seconds is the item's own compute time.
	Seconds float64 `json:"seconds,omitempty"`
	// Lane is the outer worker that computed the item; -1 when none did.
	Lane int `json:"lane"`
	// Fallback names the routine that computed the item after the
	// kernel's own did not converge (-fallback); "" otherwise.
	Fallback string `json:"fallback,omitempty"`

	// Result is what the user's function or command returned (exec).
	Result json.RawMessage `json:"result,omitempty"`
	// Exit is the command's exit status, nil when it was not known (a
	// signal, a timeout, a Python function).
	Exit *int `json:"exit,omitempty"`
	// Signal names the signal that ended the command ("SIGSEGV").
	Signal string `json:"signal,omitempty"`
	// Stderr is the last lines of the command's standard error, bounded.
	Stderr string `json:"stderr,omitempty"`
	// Attempts is how many times the item was tried (exec -retries).
	Attempts int `json:"attempts,omitempty"`

	// Fields holds every other field of the line, by name, as raw JSON: a
	// kernel's vector and scalars.
	Fields map[string]json.RawMessage `json:"-"`
}

// ErrNotRecord means a line is not a blasbatch record: not a JSON object,
// or one without a non-empty "input" string and a boolean "ok".
var ErrNotRecord = errors.New("not a blasbatch record")

// Decode parses one line (with or without its newline) as a Record. It is
// the only decoder of records: everything that reads results (resume,
// merge, lanes, scale, the tests) goes through it or through [Decoder].
func Decode(line []byte) (Record, error) {
	var r Record
	err := r.UnmarshalJSON(bytes.TrimRight(line, "\r\n"))
	return r, err
}

// UnmarshalJSON implements json.Unmarshaler with Decode's checks.
func (r *Record) UnmarshalJSON(b []byte) error {
	*r = Record{Lane: -1}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return fmt.Errorf("%w: not a JSON object", ErrNotRecord)
	}
	var sawOK, sawInput bool
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrNotRecord, err)
		}
		key, _ := tok.(string)
		var dst any
		switch key {
		case "input":
			dst, sawInput = &r.Input, true
		case "kernel":
			dst = &r.Kernel
		case "rows":
			dst = &r.Rows
		case "cols":
			dst = &r.Cols
		case "ok":
			dst, sawOK = &r.OK, true
		case "error":
			dst = &r.Error
		case "seconds":
			dst = &r.Seconds
		case "lane":
			dst = &r.Lane
		case "fallback":
			dst = &r.Fallback
		case "result":
			dst = &r.Result
		case "exit":
			dst = &r.Exit
		case "signal":
			dst = &r.Signal
		case "stderr":
			dst = &r.Stderr
		case "attempts":
			dst = &r.Attempts
		default:
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return fmt.Errorf("%w: field %q: %v", ErrNotRecord, key, err)
			}
			if r.Fields == nil {
				r.Fields = map[string]json.RawMessage{}
			}
			r.Fields[key] = raw
			continue
		}
		if err := d.Decode(dst); err != nil {
			return fmt.Errorf("%w: field %q: %v", ErrNotRecord, key, err)
		}
	}
	if _, err := d.Token(); err != nil {
		return fmt.Errorf("%w: %v", ErrNotRecord, err)
	}
	if d.More() {
		return fmt.Errorf("%w: text after the object", ErrNotRecord)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("%w: text after the object", ErrNotRecord)
	}
	if !sawInput || r.Input == "" || !sawOK {
		return fmt.Errorf("%w: no \"input\" or no \"ok\"", ErrNotRecord)
	}
	return nil
}

// MarshalJSON writes the record as one JSON object: the named fields in
// their usual order, then Fields sorted by name.
func (r Record) MarshalJSON() ([]byte, error) {
	type plain Record // without the methods
	b, err := json.Marshal(plain(r))
	if err != nil || len(r.Fields) == 0 {
		return b, err
	}
	b = b[:len(b)-1]
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		b = append(append(append(b, ','), kb...), ':')
		b = append(b, r.Fields[k]...)
	}
	return append(b, '}'), nil
}

// Float returns the named kernel field as a number (false when it is
// absent, null or not a number).
func (r Record) Float(name string) (float64, bool) {
	var v *float64
	if json.Unmarshal(r.Fields[name], &v) != nil || v == nil {
		return 0, false
	}
	return *v, true
}

// Floats returns the named kernel field as a vector of numbers (null
// entries as NaN); complex pairs [re, im] are flattened.
func (r Record) Floats(name string) ([]float64, bool) {
	raw, ok := r.Fields[name]
	if !ok {
		return nil, false
	}
	var flat []*float64
	if json.Unmarshal(raw, &flat) == nil {
		out := make([]float64, len(flat))
		for i, v := range flat {
			out[i] = nanIfNil(v)
		}
		return out, true
	}
	var pairs [][]*float64
	if json.Unmarshal(raw, &pairs) != nil {
		return nil, false
	}
	var out []float64
	for _, p := range pairs {
		for _, v := range p {
			out = append(out, nanIfNil(v))
		}
	}
	return out, true
}

func nanIfNil(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// Line is one line of a results file as a Decoder reads it.
type Line struct {
	// N is the line's number, from 1.
	N int
	// Offset is where the line starts in the stream, and Len its length
	// with its newline.
	Offset, Len int64
	// Raw is the line without its newline; valid until the next call to
	// Next.
	Raw []byte
}

// maxLineBytes bounds the line a Decoder holds (and the first line a
// journal reads): no record of blasbatch's is near it, and a file that is
// not a results file may hold gigabytes without a newline.
const maxLineBytes = 64 << 20

// Decoder reads the records of a results file one line at a time, without
// holding more than one line, nor more than 64 MiB of one: a longer line is
// not a record (ErrNotRecord), counted whole but not kept.
type Decoder struct {
	br  *bufio.Reader
	off int64
	n   int
	buf []byte
	// Torn, after Next returned io.EOF, is the length of a last line that
	// had no newline (what a kill leaves of the last write): not a record.
	Torn int64
}

// NewDecoder returns a Decoder reading r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{br: bufio.NewReaderSize(r, 256<<10)}
}

// Next returns the next whole line and its record. An empty line is
// skipped. A line that is not a record returns an error wrapping
// ErrNotRecord with the line's number (the Line is still returned); the
// decoder can go on. At the end it returns io.EOF, with Torn set when the
// stream ended in a line without its newline.
func (d *Decoder) Next() (Line, Record, error) {
	for {
		d.buf = d.buf[:0]
		var err error
		var skipped int64 // bytes of a line over maxLineBytes, not kept
		for {
			var frag []byte
			frag, err = d.br.ReadSlice('\n')
			if len(d.buf) < maxLineBytes {
				// Doubling (append grows a large slice by a quarter at a
				// time, and a long line would pay five times its length).
				if cap(d.buf)-len(d.buf) < len(frag) {
					nb := make([]byte, len(d.buf), min(2*cap(d.buf), maxLineBytes)+len(frag))
					copy(nb, d.buf)
					d.buf = nb
				}
				d.buf = append(d.buf, frag...)
			} else {
				skipped += int64(len(frag))
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err == io.EOF {
			d.Torn = int64(len(d.buf)) + skipped
			return Line{}, Record{}, io.EOF
		}
		if err != nil {
			return Line{}, Record{}, err
		}
		d.n++
		ln := Line{N: d.n, Offset: d.off, Len: int64(len(d.buf)) + skipped, Raw: bytes.TrimRight(d.buf, "\r\n")}
		d.off += ln.Len
		if skipped > 0 {
			return ln, Record{}, fmt.Errorf("line %d: %w: longer than %d MiB", ln.N, ErrNotRecord, maxLineBytes>>20)
		}
		if len(bytes.TrimSpace(ln.Raw)) == 0 {
			continue
		}
		rec, err := Decode(ln.Raw)
		if err != nil {
			return ln, rec, fmt.Errorf("line %d: %w", ln.N, err)
		}
		return ln, rec, nil
	}
}
