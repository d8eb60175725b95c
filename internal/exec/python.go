package exec

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	_ "embed"

	"github.com/blasbatch/blasbatch/results"
)

// workerPy is the Python worker of -py, run with python -c, so nothing
// needs installing beside Python.
//
//go:embed worker.py
var workerPy string

// pythonProtocol speaks to worker.py.
type pythonProtocol struct{}

func newPythonWorker(cfg Config, l Lane) (Runner, error) {
	if cfg.PythonExe == "" {
		cfg.PythonExe = "python3"
	}
	return newLineWorker(cfg, l, pythonProtocol{}), nil
}

func (pythonProtocol) args(cfg Config) []string {
	return []string{cfg.PythonExe, "-c", workerPy, cfg.Function}
}

func (pythonProtocol) handshake(line func() ([]byte, error)) error {
	b, err := line()
	if err != nil {
		return errors.New("the Python worker did not start (its standard error says why)")
	}
	var h struct {
		Ready *int   `json:"ready"`
		Fatal string `json:"fatal"`
	}
	if json.Unmarshal(b, &h) != nil || h.Ready == nil && h.Fatal == "" {
		return fmt.Errorf("the Python worker said %q instead of being ready", b)
	}
	if h.Fatal != "" {
		return errors.New(h.Fatal)
	}
	return nil
}

func (pythonProtocol) request(it Item) ([]byte, error) {
	b, err := json.Marshal(struct {
		Path string `json:"path_b64"`
	}{base64.StdEncoding.EncodeToString([]byte(it.Path))})
	return append(b, '\n'), err
}

func (pythonProtocol) response(line []byte, rec *results.Record) {
	var r struct {
		OK        bool            `json:"ok"`
		Result    json.RawMessage `json:"result"`
		Error     string          `json:"error"`
		Traceback string          `json:"traceback"`
	}
	if err := json.Unmarshal(line, &r); err != nil {
		rec.Error = fmt.Sprintf("the Python worker said %q", truncate(line, 200))
		return
	}
	rec.OK, rec.Error = r.OK, r.Error
	if r.OK {
		rec.Result = r.Result // null (None, NaN) stays null
	}
	// The traceback's last lines, which Run puts after what the function
	// printed.
	rec.Stderr = r.Traceback
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
