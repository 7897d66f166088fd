//go:build linux

package exceptions

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// TestFIFORefused: an exceptions "file" that is a FIFO is refused at once.
func TestFIFORefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "exceptions.yaml")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); !errors.Is(err, fsutil.ErrNotRegular) {
		t.Fatalf("FIFO: %v", err)
	}
}
