//go:build unix

package safefile

import (
	"io/fs"
	"syscall"
)

// ID identifies a file by device and inode: two paths with the same ID
// are the same file, however they were reached.
type ID struct{ Dev, Ino uint64 }

// IDOf returns info's ID; ok is false when the platform does not say.
func IDOf(info fs.FileInfo) (id ID, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return ID{}, false
	}
	// Dev is int32 on some platforms, uint64 on Linux.
	return ID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, true
}
