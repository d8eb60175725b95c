package threads

import (
	"os"
	"path/filepath"
)

// writeFile writes content to name (slash-separated) under dir, creating
// directories as needed.
func writeFile(dir, name, content string) error {
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}
