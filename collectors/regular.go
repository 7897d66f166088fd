package collectors

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// skipEntry says why the directory walk of root does not read the
// manifest-named entry p, or "" to read it. Only regular files inside the
// tree are read: a FIFO, device or socket could block a run forever or
// never end, and a symbolic link out of the tree could read any file of the
// machine (e.g. passwd.yaml → /etc/passwd) into a report.
func skipEntry(root, p string, d fs.DirEntry) string {
	t := d.Type()
	if t.IsRegular() {
		return ""
	}
	if t&fs.ModeSymlink == 0 {
		return fmt.Sprintf("not a regular file (%s)", fsutil.TypeName(t))
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "symbolic link: " + errReason(err)
	}
	if !inside(root, target) {
		return fmt.Sprintf("symbolic link out of the scanned tree (to %s): not followed", target)
	}
	st, err := os.Stat(target)
	if err != nil {
		return errReason(err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Sprintf("symbolic link to a %s", fsutil.TypeName(st.Mode().Type()))
	}
	return ""
}

// dirLink reports whether p is a symbolic link to a directory, never
// followed by the walk (no loops): one into root's tree is skipped (its
// files are read through their own path), one out of the tree is reported
// (reason), never skipped silently.
func dirLink(root, p string, d fs.DirEntry) (reason string, ok bool) {
	if d.Type()&fs.ModeSymlink == 0 {
		return "", false
	}
	st, err := os.Stat(p)
	if err != nil || !st.IsDir() {
		return "", false
	}
	target, err := filepath.EvalSymlinks(p)
	if err == nil && inside(root, target) {
		return "", true
	}
	return fmt.Sprintf("symbolic link to a directory out of the scanned tree (to %s): not followed", target), true
}

// inside reports whether target (a resolved path) is in root's tree.
func inside(root, target string) bool {
	r, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	r, _ = filepath.Abs(r)
	t, _ := filepath.Abs(target)
	rel, err := filepath.Rel(r, t)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readInput reads one input file: a regular file of at most max bytes (a
// FIFO or device named on the command line is refused, never opened in a
// way that blocks).
func readInput(p string, max int64) ([]byte, string) {
	b, err := fsutil.ReadRegular(p, max, false)
	var nr *fsutil.NotRegularError
	switch {
	case err == nil:
		return b, ""
	case errors.As(err, &nr):
		return nil, fmt.Sprintf("not a regular file (%s)", fsutil.TypeName(nr.Mode))
	case errors.Is(err, fsutil.ErrTooLarge):
		return nil, fmt.Sprintf("file is more than the %d-byte limit; not read", max)
	}
	return nil, errReason(err)
}
