package rules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/fluent-bit-sigma/fluent-bit-sigma/internal/safefile"
)

// Limits of one load when Options leave them zero. They sit far above
// SigmaHQ's rule set (about 3,800 files, 6 MB) and stop a mistaken rules
// path (/, a home directory, a large share) within a second or two, with
// a message, instead of reading for minutes.
const (
	DefaultMaxEntries       = 100_000   // directory entries visited
	DefaultMaxBytes   int64 = 256 << 20 // bytes read from rule files
)

// ErrLimit marks a load stopped by Options.MaxEntries or Options.MaxBytes.
var ErrLimit = errors.New("limit reached")

// Walk is what listing (and, in Load, reading) the rule paths found.
type Walk struct {
	Files   []string // rule files, in load order
	Entries int      // directory entries visited
	Bytes   int64    // bytes read from the rule files (by Load)
	// Followed lists the links to directories that were walked, as
	// "link -> target".
	Followed []string
	// Repeated lists directories reached again (a link loop, two links to
	// one directory), as "path = path walked before"; each directory is
	// walked once. RepeatedFiles lists the filters paths' files that the
	// rules paths reached already, each read once.
	Repeated      []string
	RepeatedFiles []string
	// Skipped holds the directories that could not be read.
	Skipped []Skipped
	Took    time.Duration // listing and reading
}

// String is the walk in one line for the load summary.
func (w Walk) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d directory entries visited, %d rule file(s) found, %.1f KiB read in %.1f ms",
		w.Entries, len(w.Files), float64(w.Bytes)/1024, float64(w.Took)/float64(time.Millisecond))
	if len(w.Followed) > 0 {
		fmt.Fprintf(&b, "; directory links followed: %s", strings.Join(w.Followed, ", "))
	}
	if len(w.Repeated) > 0 {
		fmt.Fprintf(&b, "; directories reached again, not walked twice: %s", strings.Join(w.Repeated, ", "))
	}
	if len(w.RepeatedFiles) > 0 {
		fmt.Fprintf(&b, "; filter files the rules paths hold too, read once: %s", strings.Join(w.RepeatedFiles, ", "))
	}
	return b.String()
}

func (o *Options) maxEntries() int {
	if o.MaxEntries > 0 {
		return o.MaxEntries
	}
	return DefaultMaxEntries
}

func (o *Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

// RuleFiles lists the rule files Load reads for paths. A path that is a
// file is listed whatever its name; a directory is walked for *.yml and
// *.yaml entries of any type (Load reads only regular files and skips the
// others with a reason). Links to directories are followed, and each
// directory (by device and inode) is walked once, so a link loop ends.
// Hidden directories (.git, .github, and the ..data link Kubernetes mounts
// ConfigMaps with) are not searched. Each path's files are sorted. A path
// that does not exist or cannot be read, or more than opts.MaxEntries
// entries, is an error; a subdirectory that cannot be read is reported in
// Walk.Skipped.
func RuleFiles(paths []string, opts Options) (Walk, error) {
	start := time.Now()
	w := walker{max: opts.maxEntries(), visited: map[any]string{}}
	for _, p := range paths {
		n := len(w.walk.Files)
		w.root = p
		if err := w.path(p); err != nil {
			return Walk{}, err
		}
		sort.Strings(w.walk.Files[n:])
	}
	w.walk.Took = time.Since(start)
	return w.walk, nil
}

type walker struct {
	walk    Walk
	max     int
	root    string         // the path being walked, for messages
	visited map[any]string // directories walked: safefile.ID or resolved path -> the path walked
}

func (w *walker) path(p string) error {
	info, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	if !info.IsDir() {
		w.walk.Files = append(w.walk.Files, p)
		return nil
	}
	if first, seen := w.seen(p, info); seen {
		w.walk.Repeated = append(w.walk.Repeated, p+" = "+first)
		return nil
	}
	err = w.dir(p)
	if err != nil && !errors.Is(err, ErrLimit) {
		err = fmt.Errorf("rules: %w", err)
	}
	return err
}

// dir walks the directory path, already marked as seen.
func (w *walker) dir(path string) error {
	entries, err := w.readDir(path)
	if err != nil {
		return err
	}
	for _, d := range entries {
		if err := w.entry(path, d); err != nil {
			return err
		}
	}
	return nil
}

// readDir reads a directory's entries in batches, so that one directory
// of a million entries stops at the limit rather than being read whole.
// The directory is closed before its subdirectories are walked: deep
// trees do not hold one descriptor per level.
func (w *walker) readDir(path string) ([]fs.DirEntry, error) {
	f, err := safefile.OpenDir(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []fs.DirEntry
	for {
		batch, err := f.ReadDir(1024)
		w.walk.Entries += len(batch)
		if w.walk.Entries > w.max {
			return nil, fmt.Errorf("rules: %s: %w: more than %d directory entries visited (the limit; SigmaHQ's rules are about 3,800 files), stopped in %s: is the rules path right?",
				w.root, ErrLimit, w.max, path)
		}
		out = append(out, batch...)
		if errors.Is(err, io.EOF) {
			// Sorted, so that which of two links to one directory is
			// walked does not depend on the file system's order.
			slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (w *walker) entry(dir string, d fs.DirEntry) error {
	name := d.Name()
	path := filepath.Join(dir, name)
	hidden := strings.HasPrefix(name, ".")
	switch {
	case d.Type()&fs.ModeSymlink != 0:
		info, err := os.Stat(path)
		if err != nil || !info.IsDir() {
			w.addRuleFile(path) // a broken link is skipped with its error when read
			return nil
		}
		if !hidden {
			return w.subdir(path, info, true)
		}
	case d.IsDir():
		if hidden {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			w.walk.Skipped = append(w.walk.Skipped, Skipped{File: path, Err: withoutPath(err)})
			return nil
		}
		return w.subdir(path, info, false)
	default:
		w.addRuleFile(path)
	}
	return nil
}

func (w *walker) subdir(path string, info fs.FileInfo, link bool) error {
	if first, seen := w.seen(path, info); seen {
		w.walk.Repeated = append(w.walk.Repeated, path+" = "+first)
		return nil
	}
	if link {
		target, err := filepath.EvalSymlinks(path)
		if err != nil {
			target, _ = os.Readlink(path)
		}
		w.walk.Followed = append(w.walk.Followed, path+" -> "+target)
	}
	err := w.dir(path)
	if err != nil && !errors.Is(err, ErrLimit) {
		w.walk.Skipped = append(w.walk.Skipped, Skipped{File: path, Err: withoutPath(err)})
		return nil
	}
	return err
}

// seen marks the directory path as walked and says whether it was walked
// before, and by which path.
func (w *walker) seen(path string, info fs.FileInfo) (first string, seen bool) {
	key := identity(path, info)
	if first, seen = w.visited[key]; seen {
		return first, true
	}
	w.visited[key] = path
	return "", false
}

// identity tells the file or directory path names (info its stat, or nil)
// from others whatever the path to it: its device and inode, else the path
// with links resolved, else the path.
func identity(path string, info fs.FileInfo) any {
	if info != nil {
		if id, ok := safefile.IDOf(info); ok {
			return id
		}
	}
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		return resolved
	}
	return path
}

func (w *walker) addRuleFile(path string) {
	if ext := strings.ToLower(filepath.Ext(path)); ext == ".yml" || ext == ".yaml" {
		w.walk.Files = append(w.walk.Files, path)
	}
}

// withoutPath is err without the path a *fs.PathError repeats: Skipped names
// the file already.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
