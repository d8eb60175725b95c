package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEveryCommandDocumented: the commands dispatch takes are exactly the
// ones the package comment (go doc) and the usage text list, and each
// answers -h with its own usage and exit 0.
func TestEveryCommandDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "main.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var dispatched []string
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "dispatch" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if c, ok := n.(*ast.CaseClause); ok {
				for _, e := range c.List {
					if lit, ok := e.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						if !strings.HasPrefix(s, "-") && s != "help" {
							dispatched = append(dispatched, s)
						}
					}
				}
			}
			return true
		})
		return false
	})
	listed := func(text string) []string {
		var cmds []string
		for _, line := range strings.Split(text, "\n") {
			fields := strings.Fields(line)
			if len(fields) >= 2 && fields[0] == "blasbatch" && !strings.HasPrefix(fields[1], "-") && !strings.HasPrefix(fields[1], "—") && fields[1] != "COMMAND" {
				cmds = append(cmds, fields[1])
			}
		}
		slices.Sort(cmds)
		return slices.Compact(cmds)
	}
	slices.Sort(dispatched)
	if len(dispatched) < 9 {
		t.Fatalf("found only %v in dispatch", dispatched)
	}
	if doc := listed(f.Doc.Text()); !slices.Equal(doc, dispatched) {
		t.Errorf("the package comment lists %v, dispatch takes %v", doc, dispatched)
	}
	if u := listed(usage); !slices.Equal(u, dispatched) {
		t.Errorf("the usage text lists %v, dispatch takes %v", u, dispatched)
	}
	for _, cmd := range dispatched {
		var errOut strings.Builder
		if code := dispatch([]string{cmd, "-h"}, io.Discard, &errOut); code != exitOK || !strings.HasPrefix(errOut.String(), "Usage: blasbatch "+cmd+" ") {
			t.Errorf("blasbatch %s -h: exit %d, %.60q", cmd, code, errOut.String())
		}
	}
}
