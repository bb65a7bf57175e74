// Package safefile reads the files the plugin's properties name (rule
// files, placeholders, field_map) so that no file-system entry can stall
// Fluent Bit's start or a rule refresh: only regular files are read (after
// resolving symbolic links), a named pipe, socket, device or directory is
// refused before it is opened, the open itself never waits (O_NONBLOCK),
// sizes are bounded, and a file that changes while it is read is reported
// instead of returned half-written.
package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

var (
	// ErrNotRegular marks a path that is not a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge marks a file over the size limit.
	ErrTooLarge = errors.New("file too large")
	// ErrChanged marks a file that kept changing while it was read.
	ErrChanged = errors.New("file changed while being read")
)

// Attempts is how many times Read reads a file that changes under it
// before it gives up with ErrChanged.
const Attempts = 3

// Settle is how old a file's last modification must be for Read to take
// its content as finished. A file modified more recently may be in the
// middle of an update written in place (truncated, then written in
// pieces): Read waits until it is Settle old and reads it again, and
// takes it only if nothing changed. Files are usually older than this, and
// the waits of a whole directory overlap, so a load waits at most about
// Settle in all.
const Settle = 100 * time.Millisecond

// Read returns the content of the regular file name, at most limit bytes.
// A missing file is an error that satisfies errors.Is(err, fs.ErrNotExist),
// so that callers can give an optional file its documented meaning. Errors
// are *fs.PathError naming the file; their Err is the cause alone.
func Read(name string, limit int64) ([]byte, error) {
	info, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	// Checked before opening: opening some devices has side effects.
	if err := check(info, limit); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	for attempt := 1; ; attempt++ {
		data, err := readSettled(name, limit)
		if !errors.Is(err, ErrChanged) || attempt == Attempts {
			return data, err
		}
	}
}

// readSettled reads name and, when it was modified less than Settle ago,
// waits and reads it again: the two reads must agree.
func readSettled(name string, limit int64) ([]byte, error) {
	data, before, err := readOnce(name, limit)
	if err != nil {
		return nil, err
	}
	age := time.Since(before.ModTime())
	if age >= Settle {
		return data, nil
	}
	time.Sleep(min(Settle-age, Settle)) // a modification time in the future waits Settle once
	again, after, err := readOnce(name, limit)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(data, again) || !sameState(before, after) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes, then %d bytes %s later)",
			ErrChanged, len(data), len(again), Settle)}
	}
	return data, nil
}

// readOnce opens name without blocking, checks again what it opened (the
// path may have been replaced since the Stat), and reads it, comparing the
// file's size and modification time before and after. It returns the
// file's state as it was read.
func readOnce(name string, limit int64) ([]byte, fs.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if err := check(before, limit); err != nil {
		return nil, nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	after, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) != before.Size() || !sameState(before, after) {
		return nil, nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes when opened, %d read, %d after)",
			ErrChanged, before.Size(), len(data), after.Size())}
	}
	return data, before, nil
}

// sameState says whether a and b describe the same file, unmodified.
func sameState(a, b fs.FileInfo) bool {
	idA, _ := IDOf(a)
	idB, _ := IDOf(b)
	return idA == idB && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// check refuses what is not a regular file of at most limit bytes.
func check(info fs.FileInfo, limit int64) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s, %w", Kind(info.Mode()), ErrNotRegular)
	}
	if info.Size() > limit {
		return fmt.Errorf("%w: %d bytes, larger than the limit of %d", ErrTooLarge, info.Size(), limit)
	}
	return nil
}

// Kind names the type of file m describes, for messages: "a named pipe".
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file"
}

// OpenDir opens the directory name for reading its entries. Like Read it
// never waits, and it opens nothing but a directory: the path may have
// become a named pipe or a device since it was listed (O_DIRECTORY fails
// with ENOTDIR then).
func OpenDir(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_DIRECTORY, 0)
}
