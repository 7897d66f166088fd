//go:build linux

package fsutil

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestReadRegularRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	dev := filepath.Join(dir, "null.yaml")
	// CI runs as root; mknod needs it (no skip: a non-root run fails here).
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		t.Fatalf("mknod (run as root): %v", err)
	}
	file := filepath.Join(dir, "f.yaml")
	os.WriteFile(file, []byte("0123456789"), 0o644)
	link := filepath.Join(dir, "link.yaml")
	os.Symlink(file, link)

	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, p := range []string{fifo, dev} {
			_, err := ReadRegular(p, 100, false)
			var nr *NotRegularError
			if !errors.As(err, &nr) || !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: %v", p, err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
	if _, err := ReadRegular(link, 100, true); !errors.Is(err, ErrNotRegular) {
		t.Errorf("symlink with noFollow: %v", err)
	}
	if b, err := ReadRegular(link, 100, false); err != nil || string(b) != "0123456789" {
		t.Errorf("symlink followed: %q %v", b, err)
	}
	if _, err := ReadRegular(file, 9, false); !errors.Is(err, ErrTooLarge) {
		t.Errorf("limit: %v", err)
	}
	if b, err := ReadRegular(file, 10, true); err != nil || len(b) != 10 {
		t.Errorf("exact limit: %q %v", b, err)
	}
}

func TestLimitedReader(t *testing.T) {
	b, err := io.ReadAll(&LimitedReader{R: bytes.NewReader(make([]byte, 10)), N: 10})
	if err != nil || len(b) != 10 {
		t.Fatalf("within: %d %v", len(b), err)
	}
	if _, err := io.ReadAll(&LimitedReader{R: bytes.NewReader(make([]byte, 11)), N: 10}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("past: %v", err)
	}
}
