package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	names := []string{"prod-20260101T000000Z", "prod-20260102T000000Z", "prod-20260103T000000Z", "stage-20260101T000000Z", "prod-20260104T000000Z"}
	for i, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "manifest.json"), []byte("{}"), 0o644)
		mt := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, mt, mt)
	}
	os.MkdirAll(filepath.Join(dir, "lost+found"), 0o755)
	os.MkdirAll(filepath.Join(dir, ".prod-in-progress"), 0o755)
	os.Chtimes(filepath.Join(dir, "lost+found"), base.Add(-time.Hour), base.Add(-time.Hour))

	// Dry run deletes nothing.
	code, _, stderr := run(t, "", "prune", "--dir", dir, "--keep", "2", "--dry-run")
	if code != 0 || strings.Count(stderr, "would delete") != 3 {
		t.Fatalf("dry run: exit %d; stderr:\n%s", code, stderr)
	}
	// Per cluster.
	if code, _, stderr := run(t, "", "prune", "--dir", dir, "--keep", "2", "--cluster", "prod"); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	left := func() string {
		es, _ := os.ReadDir(dir)
		var ns []string
		for _, e := range es {
			ns = append(ns, e.Name())
		}
		return strings.Join(ns, " ")
	}
	if got, want := left(), ".prod-in-progress lost+found prod-20260103T000000Z prod-20260104T000000Z stage-20260101T000000Z"; got != want {
		t.Errorf("left %q, want %q", got, want)
	}
	// All clusters, keep 1: only the newest bundle, hidden and lost+found untouched.
	if code, _, stderr := run(t, "", "prune", "--dir", dir, "--keep", "1"); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if got, want := left(), ".prod-in-progress lost+found prod-20260104T000000Z"; got != want {
		t.Errorf("left %q, want %q", got, want)
	}
	if code, _, _ := run(t, "", "prune", "--keep", "1"); code != ExitUsage {
		t.Errorf("no --dir: exit %d", code)
	}
	if code, _, _ := run(t, "", "prune", "--dir", filepath.Join(dir, "missing"), "--keep", "1"); code == 0 {
		t.Error("missing dir: exit 0")
	}
}
