package scanner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/evidence"
)

// TestEvidenceFlags: --sign-key needs --evidence-dir, and a bad key is
// refused before the scan; a bundle that cannot be written does not cost
// the reports (EvidenceFailed: exit 4). (keygen, verify and prune
// end to end: cmd's TestEvidenceCommands.)
func TestEvidenceFlags(t *testing.T) {
	exceptionsDay(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "audit")
	if _, _, err := evidence.GenerateKeyPair(prefix); err != nil {
		t.Fatal(err)
	}
	ev := filepath.Join(dir, "evidence")
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--sign-key", prefix+".key"); code != Usage || !strings.Contains(stderr, "--evidence-dir") {
		t.Fatalf("--sign-key alone: %d %s", code, stderr)
	}
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--evidence-dir", ev, "--sign-key", prefix+".pub"); code != Usage || !strings.Contains(stderr, "--sign-key") {
		t.Fatalf("bad --sign-key: %d %s", code, stderr)
	}
	if _, err := os.Stat(ev); !os.IsNotExist(err) {
		t.Errorf("a refused key still wrote evidence: %v", err)
	}
	for _, args := range [][]string{
		{"--evidence-dir", ev, "--retain-days", "3"},                           // retention needs object storage
		{"--evidence-dir", "s3://meshaudit-evidence/p", "--retain-days", "-1"}, // a negative retention
		{"--evidence-dir", "s3:///p"},                                          // no bucket
		{"--evidence-dir", "s3://b/../p"},                                      // a .. prefix element
	} {
		if code, _, stderr := scanCLI(t, "", append([]string{"scan", "-f", "examples/shop"}, args...)...); code != Usage || !strings.Contains(stderr, args[len(args)-2]) && !strings.Contains(stderr, "--evidence-dir") {
			t.Errorf("%v: exit %d %s", args, code, stderr)
		}
	}
	if _, err := os.Stat(ev); !os.IsNotExist(err) {
		t.Errorf("refused evidence options still wrote evidence: %v", err)
	}
	blocked := filepath.Join(dir, "blocked")
	os.WriteFile(blocked, nil, 0o644) // a file where the evidence folder should be
	r3 := filepath.Join(dir, "r3.json")
	code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--evidence-dir", blocked, "-o", "json="+r3)
	if _, err := os.Stat(r3); code != EvidenceFailed || err != nil || !strings.Contains(stderr, "the reports were written, the evidence bundle was not") {
		t.Fatalf("failed evidence: exit %d, report %v: %s", code, err, stderr)
	}
}

// TestOutputsToOneFile: two outputs naming one file (two spellings) are a
// usage error, and nothing is written.
func TestOutputsToOneFile(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "r.json")
	code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "-o", "json="+a, "-o", "sarif="+filepath.Join(dir, ".", "r.json"))
	if code != Usage || !strings.Contains(stderr, "write the same file") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(a); !os.IsNotExist(err) {
		t.Fatalf("written anyway: %v", err)
	}
}
