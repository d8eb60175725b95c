package matio

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Expand turns command-line arguments (files or directories) into input
// files. A directory contributes the regular files (or links to them) in it
// whose names end in .npy, .npz, .mtx, .csv, .tsv or .f64 (in any case; not
// .shape sidecars) and do not start with '.', not recursively,
// sorted by name and joined to the argument with filepath.Join. Any other
// argument is taken as it is, whatever its name, so that the reader can say
// clearly what is wrong with it. Arguments named twice are returned twice.
//
// Missing or unreadable paths are reported in errs as *Error and do not stop
// the expansion of the other arguments.
func Expand(args []string) (files []string, errs []error) {
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			errs = append(errs, &Error{Path: arg, Err: unwrapPath(err)})
			continue
		}
		if !fi.IsDir() {
			files = append(files, arg)
			continue
		}
		entries, err := os.ReadDir(arg) // sorted by name
		if err != nil {
			errs = append(errs, &Error{Path: arg, Err: unwrapPath(err)})
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !listed(name) {
				continue
			}
			path := filepath.Join(arg, name)
			switch t := e.Type(); {
			case t.IsRegular():
			case t&fs.ModeSymlink != 0:
				fi, err := os.Stat(path)
				if err != nil {
					errs = append(errs, &Error{Path: path, Err: unwrapPath(err)})
					continue
				}
				if !fi.Mode().IsRegular() {
					continue
				}
			default:
				continue
			}
			files = append(files, path)
		}
	}
	return files, errs
}
