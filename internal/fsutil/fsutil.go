// Package fsutil reads and writes files that must be what they claim:
// regular files (never a FIFO, device or socket, which could block a run
// forever or feed it without end), of bounded size.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular: the path is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge: the file is larger than the limit given.
var ErrTooLarge = errors.New("larger than the limit")

// TypeName names a file mode's type for messages.
func TypeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "block device"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "regular file"
	}
	return "irregular file"
}

// NotRegularError says what a path is instead of a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: not a regular file (%s)", e.Path, TypeName(e.Mode))
}

func (e *NotRegularError) Unwrap() error { return ErrNotRegular }

// OpenRegular opens a file for reading only if it is a regular file. The
// open never blocks on a FIFO (non-blocking open) and, with noFollow, does
// not follow a final symbolic link.
func OpenRegular(p string, noFollow bool) (*os.File, fs.FileInfo, error) {
	flags := os.O_RDONLY | oNonblock
	if noFollow {
		flags |= oNoFollow
	}
	f, err := os.OpenFile(p, flags, 0)
	if err != nil {
		if noFollow {
			if st, lerr := os.Lstat(p); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
				return nil, nil, &NotRegularError{Path: p, Mode: st.Mode()}
			}
		}
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Path: p, Mode: st.Mode()}
	}
	if err := clearNonblock(f); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// ReadRegular reads a regular file of at most max bytes.
func ReadRegular(p string, max int64, noFollow bool) ([]byte, error) {
	f, st, err := OpenRegular(p, noFollow)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", p, st.Size(), ErrTooLarge, max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: grew past %d bytes while read: %w", p, max, ErrTooLarge)
	}
	return b, nil
}

// LimitedReader fails with ErrTooLarge once more than N bytes were read
// (io.LimitReader would end quietly, truncating).
type LimitedReader struct {
	R io.Reader
	N int64
}

func (l *LimitedReader) Read(p []byte) (int, error) {
	if l.N < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.N+1 {
		p = p[:l.N+1]
	}
	n, err := l.R.Read(p)
	l.N -= int64(n)
	if l.N < 0 {
		return n, ErrTooLarge
	}
	return n, err
}

// SyncDir flushes a directory's entries (a rename into it) to disk, on a
// best-effort basis: a file system that cannot sync a directory is no error.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
