package matio

import (
	"fmt"
	"math/bits"
	"path/filepath"
	"strconv"
	"strings"
)

// Options modify how [OpenWith] and [NewReaderWith] read a file.
type Options struct {
	// Shape is the shape of a raw .f64 file: {M, N} for one M×N matrix or
	// {K, M, N} for a stack of K M×N matrices (items PATH[0] … PATH[K-1]).
	// When not empty it wins over a PATH.shape sidecar file. It is ignored for
	// every other format, whose files carry their own shape.
	// [ParseShape] parses the command line's form ("MxN").
	Shape []int
}

// Input formats, chosen by a file's magic string or by its name.
type format int

const (
	formatUnknown format = iota
	formatCSV            // .csv: comma-separated
	formatTSV            // .tsv: tab-separated
	formatMTX            // .mtx: Matrix Market
	formatRaw            // .f64: raw little-endian float64
)

// formatOf returns the format a file's name (its extension, in any case)
// selects, or formatUnknown.
func formatOf(path string) format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return formatCSV
	case ".tsv":
		return formatTSV
	case ".mtx":
		return formatMTX
	case ".f64":
		return formatRaw
	}
	return formatUnknown
}

// listed reports whether a directory listing by [Expand] includes a file of
// this name (matched in any case).
func listed(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".npy", ".npz", ".mtx", ".csv", ".tsv", ".f64":
		return true
	}
	return false
}

// maxShapeText caps the size of a .shape sidecar file.
const maxShapeText = 4 << 10

// ParseShape parses the shape of a raw .f64 file as a sidecar file or the
// command line gives it: two or three positive integers separated by
// white space, commas, 'x', 'X' or '×', with optional surrounding
// parentheses or brackets: "3 4", "3x4", "(3, 4)", "10 3 4", "10x3x4".
// Two numbers M N are one M×N matrix; three K M N are a stack of K.
func ParseShape(s string) ([]int, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, "("), ")"))
	t = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(t, "["), "]"))
	words := strings.FieldsFunc(t, func(c rune) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == 'x' || c == 'X' || c == '×'
	})
	if len(words) != 2 && len(words) != 3 {
		return nil, fmt.Errorf("shape %s: want two numbers (M N, or MxN) or three (K M N)", quoteShort(s))
	}
	shape := make([]int, len(words))
	for i, w := range words {
		d, err := strconv.ParseInt(w, 10, 64)
		if err != nil || d < 1 {
			return nil, fmt.Errorf("shape %s: %s is not a positive integer", quoteShort(s), quoteShort(w))
		}
		shape[i] = int(d)
	}
	return shape, nil
}

// checkShape checks a raw file's shape and returns its number of elements.
func checkShape(shape []int) (int, error) {
	if len(shape) != 2 && len(shape) != 3 {
		return 0, errorf(ErrShape, "shape %s: need M×N or K×M×N", formatShape(shape))
	}
	n := uint64(1)
	for _, d := range shape {
		if d < 1 {
			return 0, errorf(ErrShape, "shape %s has an empty or negative dimension", formatShape(shape))
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > maxInt/8 {
			return 0, errorf(ErrTooLarge, "shape %s is too large", formatShape(shape))
		}
		n = lo
	}
	return int(n), nil
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}

// FormatShape writes a shape the way ParseShape reads it back: "3x4",
// "10x3x4".
func FormatShape(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return strings.Join(s, "x")
}
