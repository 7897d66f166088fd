//go:build unix

package evidence

import (
	"os"
	"syscall"
)

// lockDir takes an exclusive lock on a directory being written, held until
// the returned function is called (or the process ends, however it ends).
func lockDir(p string) func() {
	f, err := os.Open(p)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return func() {}
	}
	return func() { f.Close() }
}

// abandoned reports whether nobody holds the lock of a temporary bundle.
func abandoned(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
