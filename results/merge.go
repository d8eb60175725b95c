package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/blasbatch/blasbatch/internal/safefile"
)

// MergeOptions say what a merge expects.
type MergeOptions struct {
	// Kernel is the kernel the records must be of; "" takes the first
	// record's.
	Kernel string
	// Expected, when not nil, lists every item id of the run's input set
	// (in any order, each once): items without a record are missing, and
	// records of other items are reported.
	Expected []string
}

// MergeReport is what Merge found.
type MergeReport struct {
	// Count is the shard count N the files say; Files the shard files read.
	Count int
	Files []string
	// Kernel is the records' kernel.
	Kernel string
	// OK and Failed count the merged records (one per item).
	OK, Failed int
	// Problems list, in a user's words, everything that makes the set
	// incomplete or suspect: a missing shard, a shard file with a torn last
	// line, an item computed ok in two shards, a failed item, an expected
	// item with no record, a record of an item outside the input set.
	Problems []string
	// Complete is true when there is no problem.
	Complete bool
}

// ErrMixed means the shard files are not one run's: different shard
// counts, or another kernel's records. Merge writes nothing then.
var ErrMixed = errors.New("the shard files are not one run's")

// entry locates the kept record of one item.
type entry struct {
	file int   // index into the shard files
	off  int64 // where its line starts
	n    int32 // the line's length, newline included
	ok   bool
}

// Merge joins the shard files of the results file path (see FindShards)
// into path itself: one record per item — its ok record where a resumed or
// retried shard wrote several, else its last failure — in the order the
// shards hold them, written atomically (safefile.WriteFile). It streams:
// what it holds is an index of the items (id → where its record is), never
// the records.
//
// The report lists the problems; Merge returns an error only when it could
// not merge: path is a file that is not a results file (a *JournalError
// naming path, wrapping ErrNotResults) or one a run holds (ErrLocked) —
// merge replaces path only when a fresh run could —, no shard file (an
// error naming the pattern), shard files of different counts or kernels
// (ErrMixed), a line that is not a record (ErrNotResults, naming the
// shard), or an I/O failure. Nothing is written on these errors but the
// last.
func Merge(path string, opt MergeOptions) (MergeReport, error) {
	var rep MergeReport
	// Never replace what is not a results file, nor one a run is writing.
	held, err := holdOutput(path)
	if err != nil {
		return rep, err
	}
	if held != nil {
		defer held.release()
	}
	shards, err := FindShards(path)
	if err != nil {
		return rep, err
	}
	if len(shards) == 0 {
		return rep, fmt.Errorf("no shard files beside %s (names like %s)", path, filepath.Base(ShardPath(path, 0, 2)))
	}
	rep.Count = shards[0].Count
	have := make([]bool, rep.Count)
	for _, s := range shards {
		if s.Count != rep.Count {
			return rep, fmt.Errorf("%w: %s is one of %d shards, %s one of %d", ErrMixed, s.Path, s.Count, shards[0].Path, rep.Count)
		}
		have[s.Index] = true
		rep.Files = append(rep.Files, s.Path)
	}
	for i, ok := range have {
		if !ok {
			rep.Problems = append(rep.Problems, fmt.Sprintf("shard %d of %d: no file %s", i, rep.Count, ShardPath(path, i, rep.Count)))
		}
	}

	rep.Kernel = opt.Kernel
	index := map[string]int{} // id → position in order
	var order []string
	var entries []entry
	files := make([]*os.File, len(shards))
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for fi, s := range shards {
		f, err := os.Open(s.Path)
		if err != nil {
			return rep, err
		}
		files[fi] = f
		// A run still writing the shard holds its lock: its missing items
		// are not lost, only not done yet. (Held for an instant only, so
		// that a run starting on the shard now is refused for no longer.)
		if err := safefile.TryLock(f); errors.Is(err, safefile.ErrLocked) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: a blasbatch run is still writing it: merge again once it has finished", s.Path))
		} else if err == nil {
			safefile.Unlock(f)
		}
		d := NewDecoder(f)
		for {
			ln, rec, err := d.Next()
			if err == io.EOF {
				if d.Torn > 0 {
					what := "an unreadable item"
					if id, ok := tornID(d.buf); ok {
						what = id
					}
					rep.Problems = append(rep.Problems, fmt.Sprintf("%s: torn last line (%d bytes, a run killed while writing): %s counted missing; rerun the shard with -resume", s.Path, d.Torn, what))
				}
				break
			}
			if err != nil {
				return rep, &JournalError{Path: s.Path, Line: ln.N, Err: ErrNotResults, Detail: quoteStart(ln.Raw)}
			}
			if rep.Kernel == "" {
				rep.Kernel = rec.Kernel
			}
			if rec.Kernel != rep.Kernel {
				return rep, fmt.Errorf("%w: %s line %d holds %s records, the others %s", ErrMixed, s.Path, ln.N, rec.Kernel, rep.Kernel)
			}
			e := entry{file: fi, off: ln.Offset, n: int32(ln.Len), ok: rec.OK}
			k, seen := index[rec.Input]
			switch {
			case !seen:
				index[rec.Input] = len(entries)
				order = append(order, rec.Input)
				entries = append(entries, e)
			case entries[k].ok && rec.OK && entries[k].file != fi:
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: computed ok in two shards (%s and %s)", rec.Input, shards[entries[k].file].Path, s.Path))
			case entries[k].ok && !rec.OK:
				// An ok record is never replaced by a failure.
			default:
				entries[k] = e
			}
		}
	}

	if opt.Expected != nil {
		want := make(map[string]bool, len(opt.Expected))
		for _, id := range opt.Expected {
			want[id] = true
			if _, ok := index[id]; !ok {
				rep.Problems = append(rep.Problems, id+": no record in any shard")
			}
		}
		for _, id := range order {
			if !want[id] {
				rep.Problems = append(rep.Problems, id+": recorded, but not an item of the inputs given to merge")
			}
		}
	}
	for i, id := range order {
		if entries[i].ok {
			rep.OK++
		} else {
			rep.Failed++
			rep.Problems = append(rep.Problems, id+": failed (its record says why)")
		}
	}

	err = safefile.WriteFile(path, func(w io.Writer) error {
		var buf []byte
		for _, e := range entries {
			if cap(buf) < int(e.n) {
				buf = make([]byte, e.n)
			}
			buf = buf[:e.n]
			if _, err := files[e.file].ReadAt(buf, e.off); err != nil {
				return fmt.Errorf("reading %s: %w", shards[e.file].Path, err)
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
	rep.Complete = len(rep.Problems) == 0
	return rep, err
}

// tornID pulls the item id out of the start of a torn record, if it got
// that far (its string closed).
func tornID(b []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(recordStart))
	if !ok {
		return "", false
	}
	after, ok, end := jsonString(rest)
	if !ok || end && after == nil { // cut inside the string
		return "", false
	}
	var id string
	if err := json.Unmarshal(rest[:len(rest)-len(after)], &id); err != nil {
		return "", false
	}
	return id, true
}
