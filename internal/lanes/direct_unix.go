//go:build unix

package lanes

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/internal/inputs"
)

// direct reads a task of contiguous little-endian float64 items
// (inputs.Run.Direct) into the slab with one system call besides open and
// close (no open when the scan kept the file open: Task.Kept) — the file's head and the items' bytes land where they belong,
// with no copy and no conversion — and reports whether it did. It does
// not when the task is not such, does not fit one chunk (its slab or its
// item count), or the file no longer starts as the scan saw it (or is
// shorter): the careful path then reads it through matio, item by item,
// and says what changed.
func (r *reader) direct(t *Task) bool {
	if len(t.Runs) != 1 || !t.Runs[0].Direct || t.Runs[0].Offset <= 0 || r.spec.Pairwise || r.budget > 0 && t.Bytes > r.budget {
		return false
	}
	run := t.Runs[0]
	n := run.Rows * run.Cols
	floats := n * t.Count
	// A task of one item larger than a slab gets a chunk its size (takeFor).
	if floats > r.slabFloats && t.Count > 1 || floats == 0 || t.Count > r.chunkItems {
		return false
	}
	fd, ok := t.Kept.Take()
	if !ok {
		var err error
		if fd, err = unix.Open(t.Path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0); err != nil {
			return false
		}
	}
	defer unix.Close(fd)
	c := r.takeFor(floats, t.Count)
	if c == nil {
		return true // cancelled: nothing more is read
	}
	off := c.used()
	data := unsafe.Slice((*byte)(unsafe.Pointer(&c.slab[off])), 8*floats)
	if cap(r.head) < int(run.Offset) {
		r.head = make([]byte, run.Offset)
	}
	head := r.head[:run.Offset]
	at := run.Offset + 8*int64(n)*int64(t.First-t.Start)
	var got int
	var err error
	if at == run.Offset {
		got, err = unix.Preadv(fd, [][]byte{head, data}, 0)
		got -= len(head)
	} else if _, err = unix.Pread(fd, head, 0); err == nil {
		got, err = unix.Pread(fd, data, at)
	}
	if err != nil || got != len(data) || inputs.HeadHash(head) != t.Head {
		return false // the slab space taken is simply not used
	}
	for i := range t.Count {
		c.entries = append(c.entries, entry{id: run.ID(t.First - t.Start + i), rows: run.Rows, cols: run.Cols, off: off + i*n})
	}
	return true
}
