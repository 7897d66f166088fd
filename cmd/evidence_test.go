package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

	// A folder of bundles: one line per bundle, exit 1 when any fails;
	// --latest verifies only the newest; without --pub-key, exit 1 unless
	// --allow-unsigned.
	time.Sleep(1100 * time.Millisecond) // the next bundle gets another name
	if code, _, stderr := run(t, "", "scan", "-f", "examples/shop", "--evidence-dir", ev, "--sign-key", prefix+".key", "-o", "json="+filepath.Join(dir, "r2.json")); code != ExitFindings {
		t.Fatalf("second scan: %d %s", code, stderr)
	}
	os.Mkdir(filepath.Join(ev, ".tmp-manifests-x-1"), 0o750)
	code, out, _ = run(t, "", "verify", ev, "--pub-key", prefix+".pub")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != ExitVerifyFailed || !strings.HasPrefix(lines[0], "skip  .tmp-manifests-x-1: unfinished bundle") || !strings.HasPrefix(lines[1], "FAIL  "+bundles[0]+": ") || !strings.HasPrefix(lines[len(lines)-1], "ok    ") || !strings.HasSuffix(lines[len(lines)-1], "verified (authenticated)") {
		t.Fatalf("verify of the folder: %d\n%s", code, out)
	}
	if code, out, _ := run(t, "", "verify", ev, "--latest", "--pub-key", prefix+".pub"); code != ExitOK || strings.Count(out, "ok    ") != 1 || strings.Contains(out, "FAIL") {
		t.Fatalf("verify --latest: %d %s", code, out)
	}
	if code, out, _ := run(t, "", "verify", ev, "--latest"); code != ExitVerifyFailed || !strings.Contains(out, "integrity only, not authenticated") {
		t.Fatalf("verify without a key: %d %s", code, out)
	}
	if code, out, _ := run(t, "", "verify", ev, "--latest", "--allow-unsigned"); code != ExitOK || !strings.Contains(out, "verified (integrity only, not authenticated)") {
		t.Fatalf("verify --allow-unsigned: %d %s", code, out)
	}
	// prune removes the dead temporary bundle.
	if code, _, stderr := run(t, "", "prune", "--dir", ev, "--keep", "5"); code != ExitOK || !strings.Contains(stderr, ".tmp-manifests-x-1") {
		t.Fatalf("prune: %d %s", code, stderr)
	}
}

// exceptionsDay pins the scan day (SOURCE_DATE_EPOCH, 2026-12-01) so that
// the example's exception is valid whenever the tests run.
func exceptionsDay(t *testing.T) { t.Setenv("SOURCE_DATE_EPOCH", "1796083200") }
