// Package safefile reads the files the plugin's properties name (rule
// files, placeholders, field_map) so that no file-system entry can stall
// Fluent Bit's start or a rule refresh: only regular files are read (after
// resolving symbolic links), a named pipe, socket, device or directory is
// refused before it is opened, the open itself never waits (O_NONBLOCK),
// sizes are bounded, and a file that changes while it is read is reported
// instead of returned half-written.
package safefile

import (
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
// before it gives up with ErrChanged; the waits between attempts add up
// to 60 ms.
const Attempts = 3

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
		data, err := readOnce(name, limit)
		if !errors.Is(err, ErrChanged) || attempt == Attempts {
			return data, err
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
}

// readOnce opens name without blocking, checks again what it opened (the
// path may have been replaced since the Stat), and reads it, comparing the
// file's size and modification time before and after.
func readOnce(name string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := check(before, limit); err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != before.Size() || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (%d bytes when opened, %d read, %d after, modified %s)",
			ErrChanged, before.Size(), len(data), after.Size(), after.ModTime().Format(time.RFC3339Nano))}
	}
	return data, nil
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
// never waits: the path may have become a named pipe since it was listed.
func OpenDir(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
