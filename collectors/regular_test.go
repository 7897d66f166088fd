//go:build linux

package collectors

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/snapshot"
)

// TestOnlyRegularFilesInsideTheTree: a FIFO, a character device (mknod; CI
// runs as root), a socket and symbolic links out of the tree are skipped
// with a parse error naming them, never read and never blocking; links
// inside the tree are read.
func TestOnlyRegularFilesInsideTheTree(t *testing.T) {
	outside := t.TempDir()
	secret := write(t, outside, "passwd.yaml", "root:x:0:0:root:/root:/bin/bash\n")
	write(t, outside, "d/x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: outside}\n")
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	write(t, tree, "ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
	if err := syscall.Mkfifo(filepath.Join(tree, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(tree, "null.yaml"), syscall.S_IFCHR|0o644, 1<<8|3); err != nil {
		t.Fatalf("mknod (needs root, as in CI): %v", err)
	}
	ln, err := net.Listen("unix", filepath.Join(tree, "sock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	os.Symlink(secret, filepath.Join(tree, "passwd.yaml"))
	os.Symlink(filepath.Join(outside, "d"), filepath.Join(tree, "elsewhere"))
	os.Symlink(filepath.Join(tree, "ok.yaml"), filepath.Join(tree, "alias.yml"))
	os.Symlink(filepath.Join(tree, "fifo.yaml"), filepath.Join(tree, "fifolink.yaml"))

	done := make(chan struct{})
	var s *snapshot.Snapshot
	go func() {
		defer close(done)
		s = collect(t, dir, tree, filepath.Join(tree, "fifo.yaml"))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scan blocked on a FIFO")
	}
	reasons := map[string]string{}
	for _, pe := range s.ParseErrors {
		reasons[pe.File] += pe.Reason
		if strings.Contains(pe.Reason, "root:x:0") {
			t.Errorf("content of a file out of the tree reported: %s", pe.Reason)
		}
	}
	for file, want := range map[string]string{
		"tree/fifo.yaml":     "not a regular file (named pipe (FIFO))",
		"tree/null.yaml":     "not a regular file (character device)",
		"tree/sock.yaml":     "not a regular file (socket)",
		"tree/passwd.yaml":   "symbolic link out of the scanned tree",
		"tree/elsewhere":     "symbolic link to a directory out of the scanned tree",
		"tree/fifolink.yaml": "symbolic link to a named pipe (FIFO)",
	} {
		if !strings.Contains(reasons[file], want) {
			t.Errorf("%s: %q, want %q", file, reasons[file], want)
		}
	}
	// The FIFO named on the command line is refused too (a second error
	// for the same file).
	if strings.Count(reasons["tree/fifo.yaml"], "not a regular file") != 2 {
		t.Errorf("explicit FIFO: %q", reasons["tree/fifo.yaml"])
	}
	if len(s.Objects) != 1 || s.Objects[0].Name != "ok" {
		t.Errorf("objects: %+v", s.Objects)
	}
	if fi, _ := os.Lstat(filepath.Join(tree, "null.yaml")); fi.Mode()&os.ModeCharDevice == 0 {
		t.Error("the device was replaced")
	}
}

// TestSnapshotFIFORefused: --snapshot naming a FIFO is refused at once.
func TestSnapshotFIFORefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "snap.json")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := FromSnapshotFile(p, nil, "istio-system", nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("FIFO: %v", err)
	}
}
