//go:build unix

package fsutil

import (
	"os"
	"syscall"
)

const (
	oNonblock = syscall.O_NONBLOCK
	oNoFollow = syscall.O_NOFOLLOW
)

func clearNonblock(f *os.File) error {
	return syscall.SetNonblock(int(f.Fd()), false)
}
