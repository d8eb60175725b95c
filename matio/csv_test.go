package matio

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

const bom = "\ufeff"

// plainRows parses the data lines of a CSV body the plain way: after the
// leading BOM, the lines that are not blank or comments, from the first
// (header false) or the second (header true), split at delim, each field
// trimmed and parsed with strconv.ParseFloat.
func plainRows(t *testing.T, body string, delim byte, header bool) (rows, cols int, vals []float64) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimPrefix(body, bom), "\n") {
		if l = strings.TrimSpace(l); l != "" && l[0] != '#' {
			lines = append(lines, l)
		}
	}
	if header {
		lines = lines[1:]
	}
	for _, l := range lines {
		fields := strings.Split(l, string(delim))
		for _, f := range fields {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				t.Fatalf("test case: %q is not a number", f)
			}
			vals = append(vals, v)
		}
		rows, cols = rows+1, len(fields)
	}
	return rows, cols, vals
}

// TestCSVFirstRow checks the header rule and the byte-order mark: the first
// row is a header only if none of its fields is a number; a first row with
// a number and a bad field is an error naming line and field, never a
// dropped row; a BOM at the start is not part of the first field.
func TestCSVFirstRow(t *testing.T) {
	for _, c := range []struct {
		name   string
		body   string
		header bool   // the first row is a header (when no error)
		msg    string // the error Read must return, if any
	}{
		{name: "bom_numeric.csv", body: bom + "1,2,3\n4,5,6\n"},
		{name: "bom_numeric_crlf.csv", body: bom + "1.5,2\r\n3,4\r\n"},
		{name: "bom_header.csv", body: bom + "a,b,c\n1,2,3\n", header: true},
		{name: "bom_comment.csv", body: bom + "# x,y\n7,8\n"},
		{name: "bom_quoted_header.csv", body: bom + "\"a\",\"b\"\n1,2\n", header: true},
		{name: "header.csv", body: "a,b,c\n1,2,3\n4,5,6\n", header: true},
		{name: "pandas_index.csv", body: ",a,b\n0,1,2\n", header: true},
		{name: "numeric_first.csv", body: "1,2\n3,4\n"},
		{name: "comment_then_header.csv", body: "# saved\n\nx,y\n1,2\n", header: true},
		{name: "na_first.csv", body: "1,NA,3\n4,5,6\n", msg: `line 1, field 2: "NA" is not a number`},
		{name: "bom_na_first.csv", body: bom + "1,NA,3\n4,5,6\n", msg: `line 1, field 2: "NA" is not a number`},
		{name: "mixed_first.csv", body: "x,2,y\n1,2,3\n", msg: `line 1, field 1: "x" is not a number`},
		{name: "mixed_after_comment.csv", body: "# c\nid,2\n1,2\n", msg: `line 2, field 1: "id" is not a number`},
		{name: "bom_inside.csv", body: "1,2\n" + bom + "3,4\n", msg: "line 2, field 1: " + strconv.Quote(bom+"3") + " is not a number"},
		{name: "bom_numeric.tsv", body: bom + "1\t2\n3\t4\n"},
		{name: "bom_header.tsv", body: bom + "a\tb\n1\t2\n", header: true},
		{name: "na_first.tsv", body: "1\tNA\t3\n4\t5\t6\n", msg: `line 1, field 2: "NA" is not a number`},
		{name: "mixed_first.tsv", body: "x\t2\ty\n1\t2\t3\n", msg: `line 1, field 1: "x" is not a number`},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), c.name, []byte(c.body))
			evs := readAll(t, path, nil)
			if len(evs) != 1 {
				t.Fatalf("%d events, want 1: %+v", len(evs), evs)
			}
			ev := evs[0]
			if c.msg != "" {
				if !errors.Is(ev.Err, ErrFormat) || ev.ID == "" || !strings.Contains(ev.Err.Error(), path+": "+c.msg) {
					t.Fatalf("got %v (from Next: %v), want ErrFormat from Read with %q", ev.Err, ev.ID == "", c.msg)
				}
				return
			}
			delim := byte(',')
			if strings.HasSuffix(c.name, ".tsv") {
				delim = '\t'
			}
			rows, cols, want := plainRows(t, c.body, delim, c.header)
			if ev.Err != nil || ev.Rows != rows || ev.Cols != cols || !sameBits(ev.Vals, want) {
				t.Errorf("got %d×%d %v %v, want %d×%d %v", ev.Rows, ev.Cols, ev.Vals, ev.Err, rows, cols, want)
			}
		})
	}
}

// TestCSVFirstRowEmptyField checks that a first row with a number and an
// empty field is refused at Next, as empty fields in later rows are, and
// says why the row is data.
func TestCSVFirstRowEmptyField(t *testing.T) {
	for _, c := range []struct{ name, body, msg string }{
		{"empty_first.csv", "1,,3\n4,5,6\n", "line 1, field 2 is empty" + firstDataHint},
		{"pandas_numeric_names.csv", ",0,1\n0,1.5,2.5\n", "line 1, field 1 is empty" + firstDataHint},
		{"empty_second.csv", "1,2,3\n4,,6\n", "line 2, field 2 is empty"},
	} {
		path := writeFile(t, t.TempDir(), c.name, []byte(c.body))
		evs := readAll(t, path, nil)
		if len(evs) != 1 || evs[0].ID != "" || !errors.Is(evs[0].Err, ErrFormat) || evs[0].Err.Error() != path+": "+c.msg {
			t.Errorf("%s: %+v, want the error %q from Next", c.name, evs, c.msg)
		}
	}
}

// TestBOMOtherFormats checks that a Matrix Market file and a .shape
// sidecar may start with a UTF-8 byte-order mark.
func TestBOMOtherFormats(t *testing.T) {
	runFormatCases(t, []formatCase{
		{name: "bom.mtx", body: bom + mtxBanner + "array real general\n2 1\n1\n2\n", rows: 2, cols: 1, want: [][]float64{{1, 2}}},
		{name: "bom_coord.mtx", body: bom + mtxBanner + "coordinate real general\n1 2 1\n1 2 5\n", rows: 1, cols: 2, want: [][]float64{{0, 5}}},
		{name: "bom_side.f64", body: f64s(1, 2, 3, 4, 5, 6), shape: bom + "2 3\n", rows: 2, cols: 3, want: [][]float64{{1, 2, 3, 4, 5, 6}}},
		{name: "bom_inside.mtx", body: mtxBanner + "array real general\n" + bom + "2 1\n1\n2\n", err: ErrFormat, msg: "line 2: size line"},
	})
}

// TestCSVHeaderRuleAgainstReference compares generated first rows
// (numbers, names, empty fields) against the reference reading of FuzzCSV.
func TestCSVHeaderRuleAgainstReference(t *testing.T) {
	words := []string{"1", "-2.5", "nan", "inf", "0x1p3", "NA", "a", "", " ", "id", "1e5", "x1"}
	for i := range 300 {
		var first []string
		for j := range 1 + i%4 {
			first = append(first, words[(i*7+j*5+i/3)%len(words)])
		}
		body := strings.Join(first, ",") + "\n" + strings.TrimSuffix(strings.Repeat("3,", len(first)), ",") + "\n"
		if i%2 == 1 {
			body = bom + body
		}
		path := writeFile(t, t.TempDir(), fmt.Sprintf("r%d.csv", i), []byte(body))
		evs := readAll(t, path, nil)
		rows, cols, want, ok := refCSV(body, ',')
		if len(evs) != 1 || (evs[0].Err == nil) != ok || ok && (evs[0].Rows != rows || evs[0].Cols != cols || !sameValues(evs[0].Vals, want)) {
			t.Errorf("body %q: %+v, reference %d×%d %v ok=%v", body, evs, rows, cols, want, ok)
		}
	}
}
