package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// Target is one file a run writes.
type Target struct {
	Path   string
	Render func(io.Writer) error
}

// direct reports whether a target is written in place rather than through
// a temporary file and a rename: when it exists and is not a regular file —
// a character device (/dev/null), a FIFO, a socket, or a symbolic link such
// as /dev/stdout (renaming over it would replace the device or the link).
func direct(path string) bool {
	st, err := os.Lstat(path)
	return err == nil && !st.Mode().IsRegular()
}

// WriteAll writes every target, or none of them: each regular-file target
// is rendered into a temporary file beside it (synced), and only once all
// rendered are they renamed into place; a failure before that removes every
// temporary file and leaves the previous files as they were. Targets that
// are not regular files (see direct) are rendered in memory and written in
// place after the renames; a FIFO without a reader is waited for while ctx
// lasts. ctx nil means no cancellation.
func WriteAll(ctx context.Context, targets []Target) error {
	if ctx == nil {
		ctx = context.Background()
	}
	type pending struct {
		path, tmp string
		buf       *bytes.Buffer // direct targets
	}
	var ps []pending
	cleanup := func() {
		for _, p := range ps {
			if p.tmp != "" {
				os.Remove(p.tmp)
			}
		}
	}
	for _, t := range targets {
		if direct(t.Path) {
			var b bytes.Buffer
			if err := t.Render(&b); err != nil {
				cleanup()
				return fmt.Errorf("write %s: %w", t.Path, err)
			}
			ps = append(ps, pending{path: t.Path, buf: &b})
			continue
		}
		tmp, err := renderTemp(t)
		if err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", t.Path, err)
		}
		ps = append(ps, pending{path: t.Path, tmp: tmp})
	}
	if err := ctx.Err(); err != nil {
		cleanup()
		return err
	}
	for i, p := range ps {
		if p.tmp == "" {
			continue
		}
		if err := os.Rename(p.tmp, p.path); err != nil {
			for _, rest := range ps[i:] {
				if rest.tmp != "" {
					os.Remove(rest.tmp)
				}
			}
			return fmt.Errorf("write %s: %w", p.path, err)
		}
		fsutil.SyncDir(filepath.Dir(p.path))
	}
	for _, p := range ps {
		if p.buf == nil {
			continue
		}
		if err := writeInPlace(ctx, p.path, p.buf.Bytes()); err != nil {
			return fmt.Errorf("write %s: %w", p.path, err)
		}
	}
	return nil
}

// renderTemp renders a target into a synced temporary file beside it and
// returns its name.
func renderTemp(t Target) (string, error) {
	tmp, err := os.CreateTemp(filepath.Dir(t.Path), "."+filepath.Base(t.Path)+".tmp-*")
	if err != nil {
		return "", err
	}
	name := tmp.Name()
	err = t.Render(tmp)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
}

// writeInPlace writes b to an existing non-regular target without
// replacing it. Opening a FIFO for writing blocks until a reader comes: it
// is opened non-blocking and retried while ctx lasts.
func writeInPlace(ctx context.Context, path string, b []byte) error {
	var f *os.File
	for {
		var err error
		// O_CREATE: a dangling symbolic link gets its target created.
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NONBLOCK, 0o644)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ENXIO) { // ENXIO: a FIFO with no reader yet
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no reader: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	defer f.Close()
	// A pipe opened non-blocking is written through Go's poller: a write
	// waits for the reader to read, at its pace.
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Close()
}
