package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestUpdateWisdomMagicLink: -wisdom /dev/stdout (here /proc/self/fd/N of a
// redirected file) is written through, with no lock file attempted in /proc.
func TestUpdateWisdomMagicLink(t *testing.T) {
	out := filepath.Join(t.TempDir(), "redirected.json")
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = UpdateWisdom(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), func(w *Wisdom) {
		w.Learn("k", WisdomEntry{Cost: Cost{Seconds1: 2}})
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := LoadWisdom(out)
	if e, ok := w.Lookup("k"); err != nil || !ok || e.Seconds1 != 2 {
		t.Errorf("the redirected file holds %v, %v", w, err)
	}
}
