package matio

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	valid := []struct {
		in   string
		want header
	}{
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }" + strings.Repeat(" ", 10) + "\n",
			header{descr: "<f8", shape: []int{3, 4}}},
		{"{'shape': (2, 3, 4), 'fortran_order': True, 'descr': '>f4'}",
			header{descr: ">f4", fortran: true, shape: []int{2, 3, 4}}},
		{`{"descr":"|u1","fortran_order":False,"shape":(5,)}`,
			header{descr: "|u1", shape: []int{5}}},
		{"  {\n 'descr' :  '<i2' ,\t'fortran_order':False , 'shape':( 7 , 8 , ) , }  \n",
			header{descr: "<i2", shape: []int{7, 8}}},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (), }\n",
			header{descr: "<f8", shape: []int{}}},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }\n", // Python 2
			header{descr: "<f8", shape: []int{3, 4}}},
		{"{'descr': [('a', '<f8'), ('b', '<i4', (2,)), (('t', 'c'), '|S3')], 'fortran_order': False, 'shape': (2, 2), }",
			header{structured: true, shape: []int{2, 2}}},
		{"{'descr': '<U1', 'fortran_order': False, 'shape': (0, 5)}",
			header{descr: "<U1", shape: []int{0, 5}}},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 1)}",
			header{descr: "<f8", shape: []int{9223372036854775807, 1}}},
	}
	for _, c := range valid {
		h, err := parseHeader([]byte(c.in))
		if err != nil {
			t.Errorf("parseHeader(%q): %v", c.in, err)
			continue
		}
		if h.descr != c.want.descr || h.structured != c.want.structured || h.fortran != c.want.fortran || !slices.Equal(h.shape, c.want.shape) {
			t.Errorf("parseHeader(%q) = %+v, want %+v", c.in, h, c.want)
		}
	}

	invalid := []struct {
		in   string
		want error
	}{
		{"", ErrHeader},
		{"   \n", ErrHeader},
		{"{", ErrHeader},
		{"{}", ErrHeader}, // keys missing
		{"{'descr': '<f8', 'fortran_order': False}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)}}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)} x", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), 'extra': 1}", ErrHeader},
		{"{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': 0, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': Truth, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4]}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (-3, 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3.0, 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (3 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (,)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (0x3, 4)}", ErrHeader},
		{"{'descr': <f8, 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8, 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8\n', 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': [('a', '<f8'], 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + ", 'fortran_order': False, 'shape': (1, 1)}", ErrHeader},
		{"{descr: '<f8', 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8' 'fortran_order': False, 'shape': (3, 4)}", ErrHeader},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775808, 1)}", ErrTooLarge},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (19000000000000000000, 1)}", ErrTooLarge},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (92233720368547758070, 1)}", ErrTooLarge},
		{"{'descr': '<f8', 'fortran_order': False, 'shape': (" + strings.Repeat("1, ", 65) + ")}", ErrShape},
	}
	for _, c := range invalid {
		_, err := parseHeader([]byte(c.in))
		if !errors.Is(err, c.want) {
			t.Errorf("parseHeader(%q) = %v, want %v", c.in, err, c.want)
		}
	}
}

// TestFormatHeaderRoundTrip checks that formatHeader's output parses back.
func TestFormatHeaderRoundTrip(t *testing.T) {
	for _, h := range []header{
		{descr: "<f8", shape: []int{}},
		{descr: "<f8", shape: []int{5}},
		{descr: ">i4", fortran: true, shape: []int{2, 3}},
		{descr: "|b1", shape: []int{1, 2, 3, 4}},
	} {
		got, err := parseHeader(formatHeader(h))
		if err != nil || got.descr != h.descr || got.fortran != h.fortran || !slices.Equal(got.shape, h.shape) {
			t.Errorf("round trip of %+v: got %+v, %v", h, got, err)
		}
	}
}

func TestParsePreamble(t *testing.T) {
	cases := []struct {
		in      string
		want    error
		size    int
		hdrLen  int64
		version byte
	}{
		{"\x93NUMPY\x01\x00\x76\x00", nil, 10, 0x76, 1},
		{"\x93NUMPY\x02\x00\x01\x02\x03\x04", nil, 12, 0x04030201, 2},
		{"\x93NUMPY\x03\x00\xff\xff\xff\xff", nil, 12, 0xffffffff, 3},
		{"", ErrNotNumPy, 0, 0, 0},
		{"\x93NUMP", ErrNotNumPy, 0, 0, 0},
		{"\x93NUMPZ\x01\x00\x76\x00", ErrNotNumPy, 0, 0, 0},
		{"\x93NUMPY", ErrTruncated, 0, 0, 0},
		{"\x93NUMPY\x01\x00\x76", ErrTruncated, 0, 0, 0},
		{"\x93NUMPY\x02\x00\x76\x00\x00", ErrTruncated, 0, 0, 0},
		{"\x93NUMPY\x04\x00\x76\x00\x00\x00", ErrHeader, 0, 0, 0},
		{"\x93NUMPY\x01\x01\x76\x00", ErrHeader, 0, 0, 0},
		{"\x93NUMPY\x00\x00\x76\x00", ErrHeader, 0, 0, 0},
	}
	for _, c := range cases {
		p, err := parsePreamble([]byte(c.in))
		if !errors.Is(err, c.want) || (err == nil && (p.size != c.size || p.headerLen != c.hdrLen || p.major != c.version)) {
			t.Errorf("parsePreamble(%q) = %+v, %v; want size %d, header length %d, error %v", c.in, p, err, c.size, c.hdrLen, c.want)
		}
	}
}

func TestParseDescr(t *testing.T) {
	host := !hostLittleEndian()
	valid := []struct {
		in   string
		kind byte
		size int
		big  bool
	}{
		{"<f8", 'f', 8, false}, {">f8", 'f', 8, true}, {"=f8", 'f', 8, host}, {"f8", 'f', 8, host},
		{"<f4", 'f', 4, false}, {">f4", 'f', 4, true},
		{"|i1", 'i', 1, false}, {"<i1", 'i', 1, false}, {">i1", 'i', 1, false}, {"|u1", 'u', 1, false},
		{"<i2", 'i', 2, false}, {">i2", 'i', 2, true}, {"<u2", 'u', 2, false}, {">u2", 'u', 2, true},
		{"<i4", 'i', 4, false}, {">i4", 'i', 4, true}, {"<u4", 'u', 4, false}, {">u4", 'u', 4, true},
		{"<i8", 'i', 8, false}, {">i8", 'i', 8, true}, {"<u8", 'u', 8, false}, {">u8", 'u', 8, true},
		{"|b1", 'b', 1, false},
	}
	for _, c := range valid {
		d, err := parseDescr(c.in)
		if err != nil || d.kind != c.kind || d.size != c.size || d.big != c.big {
			t.Errorf("parseDescr(%q) = %+v, %v; want kind %c size %d big %v", c.in, d, err, c.kind, c.size, c.big)
		}
	}
	invalid := []struct {
		in, msg string
		want    error
	}{
		{"|O", "object arrays are refused (pickle is never loaded)", ErrObject},
		{"<O8", "object", ErrObject},
		{"<c16", "complex arrays are not supported yet", ErrDtype},
		{"<c8", "complex arrays are not supported yet", ErrDtype},
		{"|S5", "string arrays", ErrDtype},
		{"<U3", "string arrays", ErrDtype},
		{"<f2", "float16", ErrDtype},
		{"<f16", "float128", ErrDtype},
		{"<M8[ns]", "datetime", ErrDtype},
		{"<m8[s]", "timedelta", ErrDtype},
		{"|V16", "void", ErrDtype},
		{"|f8", "byte order '|'", ErrDtype},
		{"<i3", "unrecognized", ErrDtype},
		{"<b2", "unrecognized", ErrDtype},
		{"<f8[ns]", "unrecognized", ErrDtype},
		{"<f+8", "unrecognized", ErrDtype},
		{"<f", "unrecognized", ErrDtype},
		{"<", "unrecognized", ErrDtype},
		{"", "unrecognized", ErrDtype},
		{"d", "unrecognized", ErrDtype},
		{"<x8", "unrecognized", ErrDtype},
	}
	for _, c := range invalid {
		_, err := parseDescr(c.in)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("parseDescr(%q) = %v, want %v containing %q", c.in, err, c.want, c.msg)
		}
	}
}

// TestParseDimRange checks the integer parsing of shapes against strconv:
// a dimension parses if and only if it fits in an int, and then exactly.
func TestParseDimRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for i := range 20000 {
		n := 1 + rng.IntN(22)
		digits := make([]byte, n)
		for j := range digits {
			digits[j] = byte('0' + rng.IntN(10))
		}
		if i%3 == 0 { // near the limit
			digits = strconv.AppendUint(nil, uint64(math.MaxInt)+uint64(rng.IntN(40))-20, 10)
		}
		s := string(digits)
		h, err := parseHeader([]byte("{'descr': '<f8', 'fortran_order': False, 'shape': (" + s + ", 1)}"))
		want, werr := strconv.ParseInt(s, 10, 0)
		switch {
		case werr == nil && (err != nil || h.shape[0] != int(want)):
			t.Fatalf("dimension %s: got %v, %v; want %d", s, h.shape, err, want)
		case werr != nil && !errors.Is(err, ErrTooLarge):
			t.Fatalf("dimension %s: got %v, %v; want ErrTooLarge", s, h.shape, err)
		}
	}
}
