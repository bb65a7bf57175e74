//go:build !unix

package safefile

import "io/fs"

// ID identifies a file by device and inode: two paths with the same ID
// are the same file, however they were reached.
type ID struct{ Dev, Ino uint64 }

// IDOf returns info's ID; ok is false when the platform does not say, as
// here: callers fall back to the resolved path.
func IDOf(info fs.FileInfo) (id ID, ok bool) { return ID{}, false }
