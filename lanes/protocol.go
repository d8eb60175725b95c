package lanes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/blasbatch/blasbatch/batch"
)

// recordPrefix starts every record (see batch's encoder), and no control
// line.
const recordPrefix = `{"input":`

// taskLine is a task sent to a lane. A path that is not valid UTF-8 (Linux
// file names are bytes), which a JSON string cannot carry, travels as
// PathBytes, in base64.
type taskLine struct {
	Seq       int    `json:"lane_task"`
	Path      string `json:"path,omitempty"`
	PathBytes []byte `json:"path_bytes,omitempty"`
	First     int    `json:"first"`
	Count     int    `json:"count"`
}

func newTaskLine(seq int, src batch.Source) taskLine {
	t := taskLine{Seq: seq, Path: src.Path, First: src.First, Count: src.Count}
	if !utf8.ValidString(src.Path) {
		t.Path, t.PathBytes = "", []byte(src.Path)
	}
	return t
}

func (t taskLine) source() batch.Source {
	path := t.Path
	if t.PathBytes != nil {
		path = string(t.PathBytes)
	}
	return batch.Source{Path: path, First: t.First, Count: t.Count}
}

// control is any control line a lane writes.
type control struct {
	Ready       *int    `json:"lane_ready"`
	CPUs        *string `json:"cpus"`
	BLASThreads int     `json:"blas_threads"`
	Started     *int    `json:"lane_task_started"`
	Done        *int    `json:"lane_task_done"`
	Records     int     `json:"records"`
}

// record is the part of a record Run reads.
type record struct {
	Input string `json:"input"`
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed types of this file are marshalled
	}
	return append(append(b, j...), '\n')
}

func readyLine(pid int, cpus string, blasThreads int) []byte {
	c, _ := json.Marshal(cpus)
	return fmt.Appendf(nil, `{"lane_ready":%d,"cpus":%s,"blas_threads":%d}`+"\n", pid, c, blasThreads)
}

// quote shortens and quotes an unexpected line for a warning.
func quote(line []byte) string {
	line = bytes.TrimRight(line, "\n")
	if len(line) > 200 {
		return strconv.Quote(string(line[:200])) + "…"
	}
	return strconv.Quote(string(line))
}
