package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// journal is the JSON Lines results file. Records reach it a chunk at a
// time, each chunk one write of whole lines, so after a crash the file holds
// whole records and at most one torn line at its end, which a resume cuts
// off.
type journal struct {
	f    *os.File // nil: standard output
	mu   sync.Mutex
	w    io.Writer // f, or standard output
	mode string    // every | interval | end
	last time.Time
	// syncable: f is a regular file (a device such as /dev/null or a pipe
	// cannot be fsynced, and need not be).
	syncable bool

	// From the file's earlier contents (resume only):
	done   map[string]bool // inputs with an ok record
	failed int             // of them, failed ones (retried now)
	cut    int64           // bytes of a torn last line removed
}

// syncInterval is how often -sync interval forces records to disk.
const syncInterval = time.Second

// openJournal opens path for the run's records: truncated, or with resume,
// read for the inputs already done, cut after its last whole line, and
// opened for appending. kernel must match the kernel of the records found.
// An empty path or "-" means standard output (no resume).
func openJournal(path string, resume bool, kernel, mode string, stdout io.Writer) (*journal, error) {
	j := &journal{mode: mode, last: time.Now()}
	if path == "" || path == "-" {
		if resume {
			return nil, fmt.Errorf("-resume needs -jsonl FILE: it reads what FILE already holds")
		}
		j.w = stdout
		return j, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if resume {
		if err := j.load(path, kernel); err != nil {
			return nil, err
		}
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	j.f = f
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		j.syncable = true
	}
	j.w = f
	return j, nil
}

// load reads the records of an earlier run and cuts a torn last line.
func (j *journal) load(path, kernel string) error {
	j.done = map[string]bool{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	whole := bytes.LastIndexByte(b, '\n') + 1
	if whole < len(b) {
		// Written whole or not at all: a line without its newline is what
		// a kill left of the last write. It was never a result.
		j.cut = int64(len(b) - whole)
		if err := os.Truncate(path, int64(whole)); err != nil {
			return fmt.Errorf("cutting the torn last line of %s: %w", path, err)
		}
	}
	for n, line := range bytes.Split(b[:whole], []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r struct {
			Input  string `json:"input"`
			Kernel string `json:"kernel"`
			OK     bool   `json:"ok"`
		}
		if err := json.Unmarshal(line, &r); err != nil || r.Input == "" {
			return fmt.Errorf("%s line %d is not a blasbatch record (%.60q): not resuming into it", path, n+1, line)
		}
		if r.Kernel != kernel {
			return fmt.Errorf("%s holds %s records (line %d); resuming with -kernel %s would mix them", path, r.Kernel, n+1, kernel)
		}
		if r.OK {
			j.done[r.Input] = true
		} else {
			j.failed++
		}
	}
	return nil
}

// isDone says whether an earlier run recorded input as ok.
func (j *journal) isDone(input string) bool { return j.done[input] }

// Write writes whole records and pushes them to the file; with -sync every
// it also syncs them to disk, with interval at most once a second.
func (j *journal) Write(p []byte) (int, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	// Unbuffered: each call is a chunk of whole records, written at once.
	n, err := j.w.Write(p)
	if err == nil && j.syncable && (j.mode == "every" || j.mode == "interval" && time.Since(j.last) >= syncInterval) {
		err = j.f.Sync()
		j.last = time.Now()
	}
	return n, err
}

// Close syncs (a regular file) and closes the journal.
func (j *journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	var err error
	if j.syncable {
		err = j.f.Sync()
	}
	if e := j.f.Close(); err == nil {
		err = e
	}
	return err
}
