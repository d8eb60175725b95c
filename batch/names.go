package batch

import (
	"strings"
)

// SafeName turns an item's input id (a path, maybe with ":member" and "[i]")
// into one file name that stays inside the --save directory: separators and
// the characters that would let a name climb out become '_', so
// "../d/a.npz:x/y[3]" becomes "up_d_a.npz_x_y_3".
func SafeName(id string) string {
	id = strings.TrimLeft(id, "/")
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case strings.HasPrefix(id[i:], "../"):
			b.WriteString("up_")
			i += 2
		case c == '/' || c == '\\' || c == ':' || c == '[' || c == 0:
			b.WriteByte('_')
		case c == ']':
		default:
			b.WriteByte(c)
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		s = "item"
	}
	return s
}
