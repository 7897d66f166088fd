//go:build linux

package output

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestDeviceTargetsStayDevices: a character device (made with mknod in a
// temporary folder; CI runs as root), a symbolic link to it (as
// /dev/stdout is to a descriptor) and a FIFO are written in place, never
// replaced by a regular file.
func TestDeviceTargetsStayDevices(t *testing.T) {
	dir := t.TempDir()
	null := filepath.Join(dir, "null")
	if err := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatalf("mknod (needs root, as in CI): %v", err)
	}
	link := filepath.Join(dir, "stdout")
	os.Symlink(null, link)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the writer opens it
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	file := filepath.Join(dir, "r.json")
	err := WriteAll(context.Background(), []Target{{null, text("to null")}, {link, text("to link")}, {fifo, text("through the fifo")}, {file, text("a file")}})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(null); st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("the device became %v", st.Mode())
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link became %v", st.Mode())
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO became %v", st.Mode())
	}
	select {
	case s := <-got:
		if s != "through the fifo" {
			t.Errorf("FIFO reader got %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached the FIFO")
	}
	if b, _ := os.ReadFile(file); string(b) != "a file" {
		t.Errorf("file: %q", b)
	}
	// A symbolic link to a file not there yet: the link stays, its target
	// gets the report.
	dangling := filepath.Join(dir, "latest.json")
	os.Symlink(filepath.Join(dir, "target.json"), dangling)
	if err := WriteFile(dangling, text("via the link")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "target.json")); string(b) != "via the link" {
		t.Errorf("link target: %q", b)
	}
	if st, _ := os.Lstat(dangling); st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link became %v", st.Mode())
	}
	// A FIFO without a reader is waited for only while the context lasts.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := WriteAll(ctx, []Target{{fifo, text("x")}}); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("FIFO without reader: %v after %s", err, time.Since(start))
	}
}

// TestAllOrNothing: on a full disk (a 64 KiB tmpfs), a report that does
// not fit leaves every previous report as it was and no temporary file;
// the reports that fit are not written either.
func TestAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount tmpfs (CI runs as root): %v", err)
		}
		t.Skipf("this machine does not allow a tmpfs mount (%v); CI runs it as root", err)
	}
	defer syscall.Unmount(dir, 0)
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.sarif")
	os.WriteFile(a, []byte("previous a"), 0o644)
	os.WriteFile(b, []byte("previous b"), 0o644)
	big := strings.Repeat("x", 128<<10)
	err := WriteAll(context.Background(), []Target{{a, text("new a")}, {b, text(big)}})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("full disk: %v", err)
	}
	for p, want := range map[string]string{a: "previous a", b: "previous b"} {
		if got, _ := os.ReadFile(p); string(got) != want {
			t.Errorf("%s: %q, want the previous report", p, got)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left: %v", entries)
	}
	// A render error too.
	err = WriteAll(context.Background(), []Target{{a, text("new a")}, {b, func(io.Writer) error { return errors.New("boom") }}})
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("render error: %v", err)
	}
	if got, _ := os.ReadFile(a); string(got) != "previous a" {
		t.Errorf("a written although b failed: %q", got)
	}
	if err := WriteAll(context.Background(), []Target{{a, text("new a")}, {b, text("new b")}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(b); !bytes.Equal(got, []byte("new b")) {
		t.Errorf("b: %q", got)
	}
}

// TestDevStdout: -o json=/dev/stdout reaches the process's stdout (here a
// pipe) and leaves /dev/stdout alone.
func TestDevStdout(t *testing.T) {
	if os.Getenv("MESHAUDIT_DEVSTDOUT") == "1" {
		if err := WriteFile("/dev/stdout", text("hello through /dev/stdout")); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDevStdout$")
	cmd.Env = append(os.Environ(), "MESHAUDIT_DEVSTDOUT=1")
	out, err := cmd.Output()
	if err != nil || string(out) != "hello through /dev/stdout" {
		t.Fatalf("%v: %q", err, out)
	}
	if st, err := os.Lstat("/dev/stdout"); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("/dev/stdout: %v %v", st, err)
	}
}
