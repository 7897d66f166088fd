package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvidenceCommands: keygen, scan --evidence-dir --sign-key, verify
// --pub-key, and verify failing on an edited file, end to end.
func TestEvidenceCommands(t *testing.T) {
	exceptionsDay(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "audit")
	if code, out, stderr := run(t, "", "keygen", "--out", prefix); code != ExitOK || !strings.Contains(out, prefix+".pub") {
		t.Fatalf("keygen: %d %s %s", code, out, stderr)
	}
	if code, _, _ := run(t, "", "keygen", "--out", prefix); code != ExitUsage {
		t.Fatalf("keygen over existing keys: exit %d", code)
	}
	if code, _, stderr := run(t, "", "scan", "-f", "examples/shop", "--sign-key", prefix+".key"); code != ExitUsage || !strings.Contains(stderr, "--evidence-dir") {
		t.Fatalf("--sign-key alone: %d %s", code, stderr)
	}
	ev := filepath.Join(dir, "evidence")
	code, _, stderr := run(t, "", "scan", "-f", "examples/shop", "--exceptions", "examples/config/exceptions.yaml", "--evidence-dir", ev, "--sign-key", prefix+".key", "-o", "json="+filepath.Join(dir, "r.json"))
	if code != ExitFindings || !strings.Contains(stderr, "evidence bundle") {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	bundles, _ := filepath.Glob(filepath.Join(ev, "manifests-*"))
	if len(bundles) != 1 {
		t.Fatalf("bundles: %v", bundles)
	}
	if code, out, stderr := run(t, "", "verify", bundles[0], "--pub-key", prefix+".pub"); code != ExitOK || !strings.Contains(out, "verified") {
		t.Fatalf("verify: %d %s %s", code, out, stderr)
	}
	// diff reads a bundle too.
	if code, _, stderr := run(t, "", "diff", bundles[0], filepath.Join(dir, "r.json")); code != ExitOK {
		t.Fatalf("diff of a bundle: %d %s", code, stderr)
	}
	p := filepath.Join(bundles[0], "oscal.json")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	os.WriteFile(p, b, 0o640)
	code, out, _ := run(t, "", "verify", bundles[0], "--pub-key", prefix+".pub")
	if code != ExitVerifyFailed || !strings.Contains(out, "FAIL  oscal.json:") {
		t.Fatalf("verify of an edited bundle: %d %s", code, out)
	}
}
