//go:build unix

package lanes

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/blasbatch/blasbatch/internal/inputs"
)

// direct reads a task of contiguous little-endian float64 items
// (inputs.Run.Direct) into slabs with one system call per chunk besides
// open and close (no open when the scan kept the file open: Task.Kept) —
// the items' bytes land where they belong, with no copy and no conversion
// — and returns how many of the task's items it read, from the first: all
// of them, or all when ctx was cancelled (nothing more is read then). It
// reads none when the task is not such or the file no longer starts as the
// scan saw it, and stops at a chunk the file no longer holds whole: the
// careful path then reads the rest through matio, item by item, and says
// what changed.
func (r *reader) direct(t *Task) int {
	if len(t.Runs) != 1 || !t.Runs[0].Direct || t.Runs[0].Offset <= 0 || r.spec.Pairwise || r.budget > 0 && t.Bytes > r.budget {
		return 0
	}
	run := t.Runs[0]
	n := run.Rows * run.Cols
	if n == 0 {
		return 0
	}
	fd, ok := t.Kept.Take()
	if !ok {
		var err error
		if fd, err = unix.Open(t.Path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0); err != nil {
			return 0
		}
	}
	defer unix.Close(fd)
	if cap(r.head) < int(run.Offset) {
		r.head = make([]byte, run.Offset)
	}
	head := r.head[:run.Offset]
	// Items per chunk: a slab's worth, at least one (an item larger than a
	// slab gets a chunk its size: takeFor), at most chunkItems.
	per := max(1, min(r.slabFloats/n, r.chunkItems))
	for done := 0; done < t.Count; {
		k := min(per, t.Count-done)
		c := r.takeFor(n*k, k)
		if c == nil {
			return t.Count // cancelled: nothing more is read
		}
		off := c.used()
		data := unsafe.Slice((*byte)(unsafe.Pointer(&c.slab[off])), 8*n*k)
		at := run.Offset + 8*int64(n)*int64(t.First-t.Start+done)
		var got int
		var err error
		switch {
		case done > 0:
			got, err = unix.Pread(fd, data, at)
		case at == run.Offset:
			got, err = unix.Preadv(fd, [][]byte{head, data}, 0)
			got -= len(head)
		default:
			if _, err = unix.Pread(fd, head, 0); err == nil {
				got, err = unix.Pread(fd, data, at)
			}
		}
		if done == 0 && inputs.HeadHash(head) != t.Head {
			return 0
		}
		if err != nil || got != len(data) {
			return done // the slab space taken is simply not used
		}
		for i := range k {
			c.entries = append(c.entries, entry{id: run.ID(t.First - t.Start + done + i), rows: run.Rows, cols: run.Cols, off: off + i*n})
		}
		done += k
	}
	return t.Count
}
