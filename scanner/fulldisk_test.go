//go:build linux

package scanner

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFullDiskKeepsPreviousReports: on a full disk (a 16 KiB tmpfs) the
// scan exits 5, saying no report was written, and the previous reports are
// all still there, untouched, with no temporary file beside them.
func TestFullDiskKeepsPreviousReports(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16k"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount tmpfs (CI runs as root): %v", err)
		}
		t.Skipf("this machine does not allow a tmpfs mount (%v); CI runs it as root", err)
	}
	defer syscall.Unmount(dir, 0)
	j, s := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.sarif")
	os.WriteFile(j, []byte("previous json"), 0o644)
	os.WriteFile(s, []byte("previous sarif"), 0o644)
	code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "-o", "json="+j, "-o", "sarif="+s)
	if code != WriteFailed || !strings.Contains(stderr, "reports not written (none of them)") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for p, want := range map[string]string{j: "previous json", s: "previous sarif"} {
		if b, _ := os.ReadFile(p); string(b) != want {
			t.Errorf("%s: %.40q, want the previous report", p, b)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("left in the folder: %v", entries)
	}
}
