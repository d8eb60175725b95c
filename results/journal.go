package results

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/matio"
)

// SyncMode says when a Journal forces its records to disk.
type SyncMode int

const (
	// SyncInterval syncs at most once a second, in the background (a
	// Write never waits for it; its failure is the next Write's or Close's
	// error), and at Close: the default.
	SyncInterval SyncMode = iota
	// SyncEvery syncs after every Write (every chunk of records).
	SyncEvery
	// SyncEnd syncs at Close only.
	SyncEnd
)

// ParseSyncMode reads "interval", "every" or "end".
func ParseSyncMode(s string) (SyncMode, error) {
	switch s {
	case "interval", "":
		return SyncInterval, nil
	case "every":
		return SyncEvery, nil
	case "end":
		return SyncEnd, nil
	}
	return 0, fmt.Errorf("-sync %q: want every, interval or end", s)
}

func (m SyncMode) String() string {
	return [...]string{"interval", "every", "end"}[m]
}

// syncInterval is how often SyncInterval forces records to disk.
const syncInterval = time.Second

// Errors of OpenJournal, each wrapped in a *JournalError naming the file.
var (
	// ErrLocked: another run holds the results file.
	ErrLocked = errors.New("another blasbatch run is writing it")
	// ErrNotResults: the file holds something other than records.
	ErrNotResults = errors.New("not a blasbatch results file")
	// ErrOtherKernel: resuming would mix the records of two kernels.
	ErrOtherKernel = errors.New("another kernel's records")
	// ErrNoReader: the results file is a named pipe nobody reads yet
	// (safefile's, for a run's other outputs too).
	ErrNoReader = safefile.ErrNoReader
	// ErrSync: the records were written, but forcing them to disk failed
	// (fsync: a full or failing disk), so not all of them may be there.
	ErrSync = errors.New("forcing the records to disk failed")
)

// JournalError is a results file that cannot be used, and why.
type JournalError struct {
	Path string
	// Line is the offending line's number (0 when the problem is not a line).
	Line int
	Err  error
	// Detail says more (the line's start, the other kernel).
	Detail string
}

func (e *JournalError) Error() string {
	s := matio.EscapeID(e.Path) + ": " + e.Err.Error()
	if e.Line > 0 {
		s += fmt.Sprintf(" (line %d", e.Line)
		if e.Detail != "" {
			s += ": " + e.Detail
		}
		s += ")"
	} else if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

func (e *JournalError) Unwrap() error { return e.Err }

// JournalOptions say how a results file is opened.
type JournalOptions struct {
	// Resume keeps the file's records: the items they record as ok are
	// done, and new records are appended after a torn last line is cut.
	// Without it the file is replaced (emptied, by the first Write after
	// Begin), and only a file that is empty or whose first line is a record
	// may be.
	Resume bool
	// Kernel is the kernel of the run: with Resume, every record must be
	// of it.
	Kernel string
	// Sync says when records are forced to disk (regular files only).
	Sync SyncMode
}

// Journal is a run's results file. It is opened and validated before the
// run plans ([OpenJournal]: nothing in the file changes yet), emptied or cut
// after a torn line only once the run computes ([Journal.Begin]) and has
// its first records to write, and written a chunk of whole records at a
// time (a write the disk cuts short is cut back to the last whole record). A regular file is held
// under an exclusive lock (flock) from OpenJournal to Close, so a second run
// on the same file fails at once with ErrLocked; other targets (/dev/null,
// a pipe) are neither locked, validated nor emptied.
//
// Write may be called from several goroutines; each call is written whole.
type Journal struct {
	path    string
	f       *os.File
	regular bool
	// createdPath is the file OpenJournal created (Abort removes it): path,
	// or a dangling link's target; "" when it created none.
	createdPath string
	opt         JournalOptions

	mu     sync.Mutex
	begun  bool
	last   time.Time
	wrote  bool
	closed bool
	// The background sync of SyncInterval: one at a time (syncing), its
	// error kept for the next Write or Close, waited for by Close.
	syncing  bool
	syncErr  error
	syncs    sync.WaitGroup
	end      int64        // where the next Write writes (a regular file)
	started  int64        // where the records not yet handed to the disk begin
	fsync    func() error // the file's Sync; tests stand in for it
	prepared bool         // the first Write has emptied the file (or cut its torn line)

	done   map[string]bool // ids recorded ok (Resume)
	failed map[string]bool // ids recorded failed and never ok (Resume)
	whole  int64           // bytes of whole lines
	torn   int64           // bytes of a torn last line
	id     safefile.ID
}

// OpenJournal opens path for a run's records, taking its lock and checking
// what it holds, without changing a byte of it. A path that does not exist
// is created (empty; Abort removes it again). Errors are *JournalError
// wrapping ErrLocked, ErrNotResults or ErrOtherKernel, or the file
// system's error.
func OpenJournal(path string, opt JournalOptions) (*Journal, error) {
	j := &Journal{path: path, opt: opt, done: map[string]bool{}, failed: map[string]bool{}, last: time.Now()}
	jerr := func(err error, line int, detail string) error {
		return &JournalError{Path: path, Line: line, Err: err, Detail: detail}
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// A dangling symbolic link (ln -s /scratch/r.jsonl r.jsonl before
		// the first run) creates its target, as safefile.WriteFile does:
		// O_EXCL on the link itself fails with "file exists".
		target := path
		if t, _, rerr := safefile.Resolve(path); rerr == nil {
			target = t
		}
		f, err := os.OpenFile(target, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			return nil, jerr(unwrapPath(err), 0, "")
		}
		j.f, j.regular, j.createdPath = f, true, target
	case err != nil:
		return nil, jerr(unwrapPath(err), 0, "")
	case fi.IsDir():
		return nil, jerr(syscall.EISDIR, 0, "")
	case fi.Mode().IsRegular():
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, jerr(unwrapPath(err), 0, "")
		}
		j.f, j.regular = f, true
	default:
		// A device or a pipe: written through, never locked or read. A
		// named pipe is opened without waiting for a reader (the open
		// would block until one came, and no signal could stop it): with
		// none there yet the run stops at once and says so.
		f, err := safefile.OpenThrough(path)
		if errors.Is(err, safefile.ErrNoReader) {
			return nil, jerr(ErrNoReader, 0, "start the command that reads it first")
		}
		if err != nil {
			return nil, jerr(unwrapPath(err), 0, "")
		}
		j.f = f
		return j, nil
	}
	if err := j.lock(); err != nil {
		return nil, err
	}
	if st, err := j.f.Stat(); err == nil {
		j.id, _ = safefile.IdentityOf(st)
	}
	if err := j.load(); err != nil {
		j.release()
		return nil, err
	}
	return j, nil
}

// lock takes the exclusive lock of j's regular file, or closes it and
// returns a *JournalError wrapping ErrLocked (another run holds it) or the
// system's error.
func (j *Journal) lock() error {
	err := safefile.TryLock(j.f)
	if err == nil {
		return nil
	}
	j.f.Close()
	if errors.Is(err, safefile.ErrLocked) {
		return &JournalError{Path: j.path, Err: ErrLocked, Detail: "wait for it to finish, or give another -jsonl FILE"}
	}
	return &JournalError{Path: j.path, Err: err}
}

// load reads what the file holds: with Resume every line, else the first.
func (j *Journal) load() error {
	if err := j.checkStart(); err != nil {
		return err
	}
	if !j.opt.Resume {
		return j.checkFirstLine()
	}
	d := NewDecoder(io.NewSectionReader(j.f, 0, 1<<62))
	for {
		ln, rec, err := d.Next()
		if err == io.EOF {
			// A torn last line is cut once the run begins: it must be what a kill
			// leaves of a record, never the user's text.
			if d.Torn > 0 && !looksLikeRecord(d.buf) {
				return &JournalError{Path: j.path, Line: d.n + 1, Err: ErrNotResults, Detail: quoteStart(d.buf) + ", not a record cut short; not resuming into it"}
			}
			j.torn = d.Torn
			return nil
		}
		if err != nil {
			if ln.N == 0 {
				return &JournalError{Path: j.path, Err: err}
			}
			return &JournalError{Path: j.path, Line: ln.N, Err: ErrNotResults, Detail: quoteStart(ln.Raw) + "; not resuming into it"}
		}
		j.whole = ln.Offset + ln.Len
		if rec.Kernel != j.opt.Kernel {
			return &JournalError{Path: j.path, Line: ln.N, Err: ErrOtherKernel,
				Detail: fmt.Sprintf("it holds %s records; resuming with -kernel %s would mix them", rec.Kernel, j.opt.Kernel)}
		}
		if rec.OK {
			j.done[rec.Input] = true
			delete(j.failed, rec.Input)
		} else if !j.done[rec.Input] {
			j.failed[rec.Input] = true
		}
	}
}

// recordPeek is how much of a file's first line checkStart reads to tell
// whether it starts like a record (looksLikeRecord needs less).
const recordPeek = 4 << 10

// checkStart refuses, from its first bytes alone, a file whose first line
// does not start like a record: a user's notes, a binary file without a
// newline of any length, JSON of another program. An empty file passes.
func (j *Journal) checkStart() error {
	buf := make([]byte, recordPeek)
	n, err := j.f.ReadAt(buf, 0)
	if err != nil && err != io.EOF {
		return &JournalError{Path: j.path, Err: unwrapPath(err)}
	}
	start := buf[:n]
	if i := bytes.IndexByte(start, '\n'); i >= 0 {
		start = start[:i]
	}
	if looksLikeRecord(bytes.TrimRight(start, "\r")) {
		return nil
	}
	what := "refusing to replace it (remove it, or give another -jsonl FILE)"
	if j.opt.Resume {
		what = "not resuming into it"
	}
	return &JournalError{Path: j.path, Line: 1, Err: ErrNotResults, Detail: quoteStart(start) + "; " + what}
}

// checkFirstLine allows a fresh run to replace the file only when it is
// empty or starts with a record (a whole first line, or a record cut short
// by a kill: a line that decodes once closed is not required then, since
// a torn record cannot decode; checkStart has seen that it starts like one).
// A first line longer than maxLineBytes is taken for a record (it starts
// like one) rather than read whole: the file may be anything.
func (j *Journal) checkFirstLine() error {
	const chunk = 64 << 10
	br := bufio.NewReaderSize(io.NewSectionReader(j.f, 0, 1<<62), chunk)
	var line []byte
	for {
		frag, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull && line == nil {
			// A long line: room for as much as will be read, at once.
			size := int64(maxLineBytes + chunk)
			if fi, err := j.f.Stat(); err == nil {
				size = min(size, fi.Size())
			}
			line = make([]byte, 0, max(size, int64(len(frag))))
		}
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			if len(line) > maxLineBytes {
				return nil // starts like a record: taken for one
			}
			continue
		}
		if err != nil && err != io.EOF {
			return &JournalError{Path: j.path, Err: err}
		}
		break
	}
	if len(line) == 0 {
		return nil
	}
	whole := line[len(line)-1] == '\n'
	if _, err := Decode(line); err == nil || !whole {
		return nil
	}
	return &JournalError{Path: j.path, Line: 1, Err: ErrNotResults, Detail: quoteStart(bytes.TrimRight(line, "\r\n")) + "; refusing to replace it (remove it, or give another -jsonl FILE)"}
}

// recordStart is how every record the Encoder writes begins.
const recordStart = `{"input":`

// quoteStart quotes the first 60 bytes of a line for a message.
func quoteStart(b []byte) string {
	s := string(b)
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// Path is the file's path as given.
func (j *Journal) Path() string { return j.path }

// Regular reports whether the journal is a regular file (locked, resumable).
func (j *Journal) Regular() bool { return j.regular }

// Identity is the file's identity (device and inode), for telling whether an
// input is the results file; false for a target that is not a regular file.
func (j *Journal) Identity() (safefile.ID, bool) { return j.id, j.regular }

// Done reports whether an earlier run recorded item id as ok (Resume).
func (j *Journal) Done(id string) bool { return j.done[id] }

// Failed reports whether an earlier run recorded item id as failed, and
// never as ok (Resume).
func (j *Journal) Failed(id string) bool { return j.failed[id] }

// Torn is the length of a torn last line the file holds (Resume: the run
// cuts it once it begins).
func (j *Journal) Torn() int64 { return j.torn }

// Begin marks the start of the run: from here on the file may change.
// Call it once, when everything that can fail before the first record has
// succeeded. The file is made ready for the records — emptied (no Resume)
// or cut after its last whole line (Resume) — by the first Write, so a run
// stopped before its first record leaves the file as it was, and the
// lanes compute the first records while a large file's blocks are freed.
func (j *Journal) Begin() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.begun {
		j.begun = true
		j.last = time.Now() // the first sync a second from now
	}
	return nil
}

// prepare empties the file or cuts its torn line, once, before the first
// record is written; j.mu is held.
func (j *Journal) prepare() error {
	if j.prepared || !j.regular {
		j.prepared = true
		return nil
	}
	size := int64(0)
	if j.opt.Resume {
		size = j.whole
	}
	what := "emptying it"
	if j.opt.Resume {
		what = "cutting its torn last line"
	}
	if err := j.f.Truncate(size); err != nil {
		return &JournalError{Path: j.path, Err: fmt.Errorf("%s: %w", what, unwrapPath(err))}
	}
	if _, err := j.f.Seek(size, io.SeekStart); err != nil {
		return &JournalError{Path: j.path, Err: unwrapPath(err)}
	}
	j.prepared = true
	j.end, j.started = size, size
	return nil
}

// Write writes whole records (Begin is called first if it was not) and
// forces them to disk as the Sync mode says.
func (j *Journal) Write(p []byte) (int, error) {
	if err := j.Begin(); err != nil {
		return 0, err
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return 0, fs.ErrClosed
	}
	if err := j.prepare(); err != nil {
		return 0, err
	}
	n, err := j.f.Write(p)
	if err != nil && j.regular && n < len(p) {
		// A write cut short (a full disk) leaves part of a record: the
		// file is cut back to the last whole one, and only whole
		// records are reported written.
		n = bytes.LastIndexByte(p[:n], '\n') + 1
		if terr := j.f.Truncate(j.end + int64(n)); terr == nil {
			j.f.Seek(j.end+int64(n), io.SeekStart)
		}
	}
	j.wrote = j.wrote || n > 0
	j.end += int64(n)
	if j.regular && j.opt.Sync != SyncEvery && j.end-j.started >= 8<<20 {
		// The disk starts on these records now, so the sync at Close
		// (at the end of the run, when nothing else is left to do) has
		// only the last of them to wait for.
		startWriteback(j.f, j.started, j.end-j.started)
		j.started = j.end
	}
	switch {
	case err != nil || !j.regular:
	case j.opt.Sync == SyncEvery:
		err = j.sync()
	case j.opt.Sync == SyncInterval && !j.syncing && time.Since(j.last) >= syncInterval:
		// In the background: an fsync waits for the disk (tens of
		// milliseconds, the first after emptying a large file more), and
		// the lanes would wait for this writer meanwhile.
		j.syncing, j.last = true, time.Now()
		j.syncs.Add(1)
		go func() {
			defer j.syncs.Done()
			e := j.sync()
			j.mu.Lock()
			defer j.mu.Unlock()
			j.syncing = false
			if j.syncErr == nil {
				j.syncErr = e
			}
		}()
	}
	if err == nil {
		err = j.syncErr
	}
	if err != nil {
		err = &JournalError{Path: j.path, Err: unwrapPath(err)}
	}
	return n, err
}

// sync forces the file's records to disk; its error wraps ErrSync.
func (j *Journal) sync() error {
	var err error
	if j.fsync != nil {
		err = j.fsync()
	} else {
		err = j.f.Sync()
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSync, unwrapPath(err))
	}
	return nil
}

// Close syncs a regular file, releases its lock and closes it. Calling it
// again does nothing.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true // no Write starts another background sync
	j.mu.Unlock()
	j.syncs.Wait()
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.syncErr
	if err == nil && j.begun && !j.prepared && j.opt.Resume && j.torn > 0 {
		// Nothing was written, but a torn last line is cut all the same:
		// the file then holds whole records only.
		err = j.prepare()
	}
	if err == nil && j.regular && j.prepared {
		err = j.sync()
	}
	if e := j.release(); err == nil {
		err = e
	}
	var je *JournalError
	if err != nil && !errors.As(err, &je) {
		err = &JournalError{Path: j.path, Err: unwrapPath(err)}
	}
	return err
}

// Abort gives the file up before the run began: nothing in it has changed,
// and a file OpenJournal created is removed again.
func (j *Journal) Abort() {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return
	}
	j.closed = true
	j.mu.Unlock()
	j.syncs.Wait()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.createdPath != "" && !j.wrote {
		os.Remove(j.createdPath)
	}
	j.release()
}

func (j *Journal) release() error {
	if j.regular {
		safefile.Unlock(j.f)
	}
	return j.f.Close()
}

// unwrapPath drops an *fs.PathError, whose path JournalError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
