//go:build linux

package policies

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// TestLoadDirRefusesFIFO: a FIFO named *.rego in a policy directory is
// refused, never waited on.
func TestLoadDirRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "x.rego"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadDir(dir); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Fatalf("FIFO: %v", err)
	}
}
