package threads

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"
)

// Wisdom is what measuring taught the planner, kept between runs like
// FFTW's wisdom: the cost of one item per machine, BLAS build, kernel and
// shape class. The zero value is empty and ready to use.
type Wisdom struct {
	Entries map[string]WisdomEntry `json:"entries"`
}

// WisdomEntry is one measured cost.
type WisdomEntry struct {
	Cost
	Rows, Cols int       `json:",omitempty"` // the item measured
	Measured   time.Time `json:"measured"`
}

// WisdomKey names a cost: the CPU model, the cores the planner may use, the
// BLAS build (its configuration string), the kernel, and the shape class —
// rows and columns rounded to half-octaves, so 1000×1000 and 1024×1024
// share an entry while 500×500 does not.
func WisdomKey(cpuModel string, cores int, blasConfig, kernel string, rows, cols int) string {
	return fmt.Sprintf("%s|cores=%d|%s|%s|%s×%s", cpuModel, cores, blasConfig, kernel, sizeClass(rows), sizeClass(cols))
}

func sizeClass(n int) string {
	if n <= 1 {
		return "1"
	}
	return fmt.Sprintf("~%d", int(math.Round(math.Pow(2, math.Round(2*math.Log2(float64(n)))/2))))
}

// LoadWisdom reads a wisdom file. A missing file is empty wisdom, not an
// error; a file that is not wisdom is an error naming it.
func LoadWisdom(path string) (Wisdom, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Wisdom{}, nil
	}
	if err != nil {
		return Wisdom{}, err
	}
	var w Wisdom
	if err := json.Unmarshal(b, &w); err != nil {
		return Wisdom{}, fmt.Errorf("wisdom file %s: %w", path, err)
	}
	return w, nil
}

// Save writes the wisdom to path atomically (a temporary file renamed into
// place), creating its directory.
func (w Wisdom) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".wisdom-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// Lookup returns the entry for key.
func (w Wisdom) Lookup(key string) (WisdomEntry, bool) {
	e, ok := w.Entries[key]
	return e, ok
}

// Learn records an entry, replacing any older one for key.
func (w *Wisdom) Learn(key string, e WisdomEntry) {
	if w.Entries == nil {
		w.Entries = map[string]WisdomEntry{}
	}
	w.Entries[key] = e
}

// DefaultWisdomPath is the wisdom file under the user's cache directory
// ($XDG_CACHE_HOME/blasbatch/wisdom.json, or ~/.cache/...).
func DefaultWisdomPath() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "blasbatch", "wisdom.json"), nil
}

// FitCost derives a Cost from measured times of one item: t1 on one
// thread and tk on k threads, solving Amdahl's law for the parallel
// fraction (clamped to [0, 0.99]).
func FitCost(t1, tk float64, k int) Cost {
	c := Cost{Seconds1: t1}
	if k > 1 && t1 > 0 {
		p := (1 - tk/t1) / (1 - 1/float64(k))
		c.Parallel = math.Max(0, math.Min(0.99, p))
	}
	return c
}
