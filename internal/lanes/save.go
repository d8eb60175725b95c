package lanes

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
)

// ErrSaveInput means a --save file would have been one of the run's inputs.
var ErrSaveInput = errors.New("would overwrite an input")

// saveOutputs writes each output as DIR/SafeName(id).NAME.npy, each
// atomically (safefile.WriteFile: never half-written, mode from the
// umask). When one cannot be written, those of the item already written are
// removed again, so an item has all its save files or none. A target that
// is one of the run's inputs (by identity: any path, link or hard link) is
// never written.
func saveOutputs(dir, id string, outs []kernels.Output, inputs map[safefile.ID]bool) error {
	base := filepath.Join(dir, SafeName(id))
	var written []string
	for _, o := range outs {
		path := base + "." + o.Name + ".npy"
		if len(inputs) > 0 {
			if fid, err := safefile.Identity(path); err == nil && inputs[fid] {
				removeAll(written)
				return fmt.Errorf("--save: %s %w", path, ErrSaveInput)
			}
		}
		err := safefile.WriteFile(path, func(w io.Writer) error { return writeNpy(w, o) })
		if err != nil {
			removeAll(written)
			return fmt.Errorf("--save: %w", err)
		}
		written = append(written, path)
	}
	return nil
}

func removeAll(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

func writeNpy(w io.Writer, o kernels.Output) error {
	switch {
	case o.Raw != nil && o.Rows == 0:
		return matio.WriteNpyRaw1D(w, o.Signed, o.Bits, o.Raw)
	case o.Raw != nil:
		return matio.WriteNpyRaw(w, o.Rows, o.Cols, o.Signed, o.Bits, o.Raw, o.Fortran)
	case o.Imag != nil && o.Rows == 0:
		return matio.WriteNpyComplex1D(w, o.Data, o.Imag)
	case o.Imag != nil:
		return matio.WriteNpyComplex(w, o.Rows, o.Cols, o.Data, o.Imag, o.Fortran)
	case o.Rows == 0:
		return matio.WriteNpy1D(w, o.Data)
	default:
		return matio.WriteNpy(w, o.Rows, o.Cols, o.Data, o.Fortran)
	}
}
