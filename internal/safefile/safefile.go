package safefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// TempPrefix begins the name of every temporary file [WriteFile] creates
// (in the target's directory); [CleanTemps] removes files with this prefix.
const TempPrefix = ".blasbatch-tmp-"

// ErrLocked is wrapped by the error [TryLock] returns when another open file
// description (another process, or another open of the same file in this
// one) holds the lock.
var ErrLocked = errors.New("locked by another process")

// ErrNoReader is wrapped by the error [WriteFile] returns when its target is
// a FIFO that no process has open for reading: WriteFile does not wait for
// one.
var ErrNoReader = errors.New("FIFO has no reader")

// ErrUnsupportedTarget is wrapped by the error [WriteFile] returns for a
// target that exists and is neither a regular file, a character device nor a
// FIFO: a socket or a block device (blasbatch never writes a disk device by
// accident). A directory gives an error wrapping syscall.EISDIR instead.
var ErrUnsupportedTarget = errors.New("not a regular file, character device or FIFO")

// maxLinks bounds the symbolic links [Resolve] follows, as Linux's
// MAXSYMLINKS (40) does for path lookup.
const maxLinks = 40

// WriteFile writes the file named path with the bytes that write sends to
// the io.Writer it is given (buffered; it must not be used after write
// returns). What happens depends on what path names:
//
//   - Nothing, or a regular file: the bytes go to a new temporary file in
//     the same directory (named [TempPrefix] and a random suffix), which is
//     flushed, fsynced, closed and renamed over path; then the directory is
//     fsynced (an EINVAL from a file system that cannot sync directories is
//     ignored). Readers see the old content or the new, never a mix. A new
//     file gets mode 0666 minus the process's umask (the kernel applies it
//     when the temporary file is created); a file that existed keeps its
//     permission bits (not its owner, and not its other hard links, which
//     keep the old content). On EVERY failure — write's error, a short
//     write, fsync, close or rename failing, a panic in write — the
//     temporary file is removed and path is untouched. A panic in write is
//     re-raised after that cleanup.
//
//   - A symbolic link: it is followed (see [Resolve]) and its target is
//     written as above; the link stays a link. A dangling link creates its
//     target.
//
//   - A character device (/dev/null, a terminal) or a FIFO:
//     never replaced, since renaming a regular file over /dev/null would
//     break every other user of the machine. WriteFile opens it for writing
//     without O_CREAT or O_TRUNC and writes through to it; there is no
//     atomicity and no fsync. A FIFO is opened with O_NONBLOCK, so one with
//     no reader fails at once with an error wrapping [ErrNoReader] instead
//     of blocking; the flag is then cleared, and writes wait for the reader.
//     A panic in write is re-raised after the file is closed.
//
//   - A magic link: one in /proc (/proc/self/fd/N, and so /dev/stdout,
//     /dev/stderr and /dev/fd/N), or any whose text does not name the file
//     the kernel reaches through it (for a pipe it reads "pipe:[1234]"); it
//     stands for an open file description, not a name. WriteFile writes
//     through to what the kernel reaches, as for a device: a pipe or a
//     terminal as above, and a regular file (a shell's redirection) is
//     appended to, as the shell's ">>" would, never replaced or truncated
//     (after ">" it is empty anyway, and after ">>" truncating would lose
//     what it held).
//
//   - A directory: an error wrapping syscall.EISDIR. A socket or a block
//     device: an error wrapping [ErrUnsupportedTarget].
//
// WriteFile creates no directories, and replacing a file needs write
// permission on its directory (for the temporary file), not on the file.
// Errors name path (and the link's target
// when they differ); write's own error is wrapped, so errors.Is and
// errors.As see it.
func WriteFile(path string, write func(io.Writer) error) error {
	return writeFile(path, write, systemOps())
}

// ops are the steps of a replacing write that can fail for reasons a test
// cannot provoke on demand; tests substitute failing ones.
type ops struct {
	sync    func(*os.File) error
	rename  func(oldpath, newpath string) error
	syncDir func(dir string) error
}

func systemOps() ops {
	return ops{sync: (*os.File).Sync, rename: os.Rename, syncDir: syncDir}
}

func writeFile(path string, write func(io.Writer) error, o ops) error {
	target, fi, magic, err := resolve(path)
	if err != nil {
		return fmt.Errorf("safefile: %w", err)
	}
	name := path
	if target != path {
		name = path + " (-> " + target + ")"
	}
	if !magic && (fi == nil || fi.Mode().IsRegular()) {
		return replace(name, target, fi, write, o)
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return &fs.PathError{Op: "safefile: write", Path: name, Err: syscall.EISDIR}
	case m.IsRegular(): // only through a magic link: append to the open file
		return writeThrough(name, target, true, write)
	case m&fs.ModeNamedPipe != 0, m&fs.ModeCharDevice != 0:
		return writeThrough(name, target, false, write)
	default:
		return &fs.PathError{Op: "safefile: write", Path: name, Err: fmt.Errorf("%w (mode %v)", ErrUnsupportedTarget, m.Type())}
	}
}

// OpenThrough opens an existing character device or FIFO for writing
// through, as [WriteFile] does for such a target: without O_CREAT or
// O_TRUNC, and a FIFO without waiting for a reader — one with none gives
// an error wrapping [ErrNoReader] at once. Writes then wait for a slow
// reader. The caller closes the file.
func OpenThrough(path string) (*os.File, error) {
	f, err := openThrough(path, false)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return f, nil
}

// replace writes a temporary file beside target and renames it over target.
// fi describes the existing target, or is nil.
func replace(name, target string, fi fs.FileInfo, write func(io.Writer) error, o ops) (err error) {
	dir := rawDir(target)
	perm := fs.FileMode(0o666) // a new file: the kernel applies the umask
	if fi != nil {
		// Never more open than the file it replaces, even for the moment
		// before the Chmod below sets the bits exactly.
		perm = fi.Mode().Perm()
	}
	f, err := createTemp(dir, perm)
	if err != nil {
		return fmt.Errorf("safefile: write %s: %w", name, err)
	}
	tmp := f.Name()
	closed, renamed := false, false
	defer func() {
		// Runs on errors and while a panic in write unwinds (the panic then
		// goes on): the target keeps its old content, the temporary goes.
		if !renamed {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	fail := func(step string, e error) error {
		return fmt.Errorf("safefile: write %s: %s: %w", name, step, e)
	}
	if fi != nil {
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			return fail("keeping the mode", err)
		}
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("safefile: write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return fail("writing", err)
	}
	if err := o.sync(f); err != nil {
		return fail("fsync", err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fail("closing", err)
	}
	if err := o.rename(tmp, target); err != nil {
		return fail("rename", err)
	}
	renamed = true
	if err := o.syncDir(dirOrDot(dir)); err != nil {
		return fail("fsync of the directory (the new content is in place)", err)
	}
	return nil
}

// writeThrough writes to an existing character device or FIFO, or appends
// to a regular file.
func writeThrough(name, target string, appendTo bool, write func(io.Writer) error) error {
	f, err := openThrough(target, appendTo)
	if err != nil {
		return &fs.PathError{Op: "safefile: write", Path: name, Err: err}
	}
	closed := false
	defer func() {
		if !closed {
			f.Close()
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("safefile: write %s: %w", name, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safefile: write %s: %w", name, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("safefile: write %s: closing: %w", name, err)
	}
	return nil
}

// createTemp creates a new file named TempPrefix and a random suffix in dir
// ("" is the working directory), with O_EXCL and mode perm less the umask
// (the kernel applies it).
func createTemp(dir string, perm fs.FileMode) (*os.File, error) {
	for range 10000 {
		name := dir + TempPrefix + strconv.FormatUint(rand.Uint64(), 36)
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("no unused temporary file name in %s", dirOrDot(dir))
}

// syncDir fsyncs a directory, so that a rename in it survives a crash.
// EINVAL (a file system that cannot sync directories) is not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return err
}

// Resolve returns the file [WriteFile] writes for path: path itself, or,
// when path is a symbolic link, the file it points to, following links in
// turn (at most 40; more is an error wrapping syscall.ELOOP). A relative
// link target is taken relative to the link's directory, as the kernel
// does; the result is not cleaned, so ".." after a linked directory keeps
// the kernel's meaning. fi describes the final file (not a link), or is nil
// when it does not exist (a new file, or a dangling link's target). For a
// magic link (one in /proc, as /dev/stdout leads to, or one whose text
// names another file than the kernel reaches through it), target is path
// itself and fi describes what the kernel reaches. Errors other than "does not
// exist" name path.
func Resolve(path string) (target string, fi fs.FileInfo, err error) {
	target, fi, _, err = resolve(path)
	return target, fi, err
}

// resolve is Resolve, also reporting whether path is a magic link.
func resolve(path string) (target string, fi fs.FileInfo, magic bool, err error) {
	target, fi, links, viaProc, err := followLinks(path)
	if err != nil || links == 0 {
		return target, fi, false, err
	}
	// What the kernel reaches through the links: for a magic link
	// (/proc/self/fd/N) the descriptor's open file, which its text may not
	// name ("pipe:[1234]"), or may name while meaning the open file
	// description, not a name to replace.
	kfi, kerr := os.Stat(path)
	if kerr == nil && (viaProc || fi == nil || !os.SameFile(fi, kfi)) {
		return path, kfi, true, nil
	}
	return target, fi, false, nil
}

// followLinks follows the symbolic links of Resolve by their text, counts
// them, and says whether one of them is in /proc (where links are magic).
func followLinks(path string) (target string, fi fs.FileInfo, links int, viaProc bool, err error) {
	p := path
	for links = range maxLinks + 1 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil, links, viaProc, nil
		}
		if err != nil {
			return "", nil, links, viaProc, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, fi, links, viaProc, nil
		}
		if abs, err := filepath.Abs(p); err == nil && strings.HasPrefix(abs, "/proc/") {
			viaProc = true
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", nil, links, viaProc, err
		}
		if filepath.IsAbs(link) {
			p = link
		} else {
			p = rawDir(p) + link
		}
	}
	return "", nil, links, viaProc, &fs.PathError{Op: "resolve", Path: path, Err: syscall.ELOOP}
}

// rawDir returns p up to and including its last separator, uncleaned; ""
// when p has none (the working directory).
func rawDir(p string) string {
	return p[:strings.LastIndexByte(p, filepath.Separator)+1]
}

func dirOrDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// CleanTemps removes from dir the temporary files that [WriteFile] leaves
// when its process is killed mid-write (regular files whose names begin with
// [TempPrefix]), and returns how many it removed. It must not run while
// another WriteFile into dir may be in progress — that write would then
// fail — so call it while holding the lock that guards dir's files. A file
// that vanished meanwhile is not an error; the first other error is
// returned, after trying the rest.
func CleanTemps(dir string) (removed int, err error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("safefile: cleaning temporary files: %w", err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), TempPrefix) || !e.Type().IsRegular() {
			continue
		}
		rerr := os.Remove(filepath.Join(dir, e.Name()))
		switch {
		case rerr == nil:
			removed++
		case errors.Is(rerr, fs.ErrNotExist):
		case err == nil:
			err = fmt.Errorf("safefile: cleaning temporary files: %w", rerr)
		}
	}
	return removed, err
}

// ID identifies a file: its device and inode numbers. Two names with equal
// IDs (compare with ==) are the same file: a relative and an absolute path,
// a symbolic link and its target, two hard links. The zero ID is no file.
type ID struct {
	Dev, Ino uint64
}

func (id ID) String() string { return fmt.Sprintf("dev %d inode %d", id.Dev, id.Ino) }

// Identity returns the ID of the file path names, following symbolic links
// (os.Stat). Errors name path; on systems without inode numbers the error
// wraps [errors.ErrUnsupported].
func Identity(path string) (ID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return ID{}, fmt.Errorf("safefile: %w", err)
	}
	id, ok := IdentityOf(fi)
	if !ok {
		return ID{}, fmt.Errorf("safefile: identity of %s: %w", path, errors.ErrUnsupported)
	}
	return id, nil
}
