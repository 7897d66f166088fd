//go:build unix

package scanner

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileID is an existing file's device and inode.
func fileID(st fs.FileInfo) (string, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("dev %d inode %d", s.Dev, s.Ino), true
}
