package scanner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type excReport struct {
	Summary struct {
		Warnings []string
		Excepted int
	}
	Findings []struct {
		RuleID    string
		Resource  struct{ Name string }
		Exception *struct{ ID string }
	}
	Rules []struct{ ID, Status string }
}

func scanWithExceptions(t *testing.T, file string, extra ...string) (Kind, excReport, string) {
	t.Helper()
	code, out, stderr := scanCLI(t, "", append([]string{"scan", "-f", "examples/shop", "--exceptions", file, "-o", "json", "--fail-on", "high"}, extra...)...)
	var rep excReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, stderr)
	}
	return code, rep, stderr
}

// exceptionsDay pins the scan day (SOURCE_DATE_EPOCH, 2026-12-01) so that
// the example's exception is valid whenever the tests run.
func exceptionsDay(t *testing.T) { t.Setenv("SOURCE_DATE_EPOCH", "1796083200") }

func TestExceptions(t *testing.T) {
	exceptionsDay(t)
	// The example's approved exception covers the talk's database bypass.
	code, rep, _ := scanWithExceptions(t, "examples/config/exceptions.yaml", "--rules", "MESH-04")
	if code != OK {
		t.Fatalf("excepted finding counted toward --fail-on: exit %d", code)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Exception == nil || rep.Findings[0].Exception.ID != "EXC-2026-014" || rep.Summary.Excepted != 1 {
		t.Fatalf("excepted finding not kept with its exception: %+v", rep)
	}
	if rep.Rules[0].Status != "excepted" {
		t.Errorf("rule status %s", rep.Rules[0].Status)
	}

	// Expired: the finding comes back, and the report warns.
	dir := t.TempDir()
	b, _ := os.ReadFile("../examples/config/exceptions.yaml")
	expired := filepath.Join(dir, "expired.yaml")
	os.WriteFile(expired, []byte(strings.Replace(string(b), `expires: "2027-09-30"`, `expires: "2026-10-31"`, 1)), 0o644)
	code, rep, stderr := scanWithExceptions(t, expired, "--rules", "MESH-04")
	if code != Findings || rep.Findings[0].Exception != nil {
		t.Fatalf("expired exception still applies: exit %d %+v", code, rep)
	}
	if len(rep.Summary.Warnings) != 1 || !strings.Contains(rep.Summary.Warnings[0], "expired") || !strings.Contains(stderr, "expired") {
		t.Fatalf("no expiry warning: %+v / %s", rep.Summary, stderr)
	}

	// Stale: matches nothing.
	stale := filepath.Join(dir, "stale.yaml")
	os.WriteFile(stale, []byte(strings.Replace(string(b), "names: [payments]", "names: [nothing-here]", 1)), 0o644)
	_, rep, _ = scanWithExceptions(t, stale, "--rules", "MESH-04")
	if len(rep.Summary.Warnings) != 1 || !strings.Contains(rep.Summary.Warnings[0], "stale") {
		t.Fatalf("no stale warning: %+v", rep.Summary)
	}

	// Malformed: a usage error naming the entry.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(string(b), "    approver: ciso-office@example.com\n", "", 1)), 0o644)
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--exceptions", bad); code != Usage || !strings.Contains(stderr, "entry 1 (EXC-2026-014): missing approver") {
		t.Fatalf("malformed exceptions: exit %d %s", code, stderr)
	}

	// Blanket and long-lived exceptions are refused; broad ones pass with
	// --allow-broad-exceptions.
	blanket := filepath.Join(dir, "blanket.yaml")
	os.WriteFile(blanket, []byte(strings.NewReplacer("rules: [MESH-04]", `rules: ["*"]`, "namespaces: [shop]", `namespaces: ["*"]`, "kinds: [Deployment]", `kinds: ["*"]`, "names: [payments]", `names: ["*"]`).Replace(string(b))), 0o644)
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--exceptions", blanket); code != Usage || !strings.Contains(stderr, `EXC-2026-014: rule pattern "*" matches every rule`) {
		t.Fatalf("blanket exception: exit %d %s", code, stderr)
	}
	code, rep, _ = scanWithExceptions(t, blanket, "--allow-broad-exceptions", "--fail-on", "low")
	if code != OK || rep.Summary.Excepted != len(rep.Findings) || len(rep.Findings) < 10 {
		t.Fatalf("--allow-broad-exceptions: exit %d, %d of %d excepted", code, rep.Summary.Excepted, len(rep.Findings))
	}
	long := filepath.Join(dir, "long.yaml")
	os.WriteFile(long, []byte(strings.Replace(string(b), `expires: "2027-09-30"`, `expires: "9999-12-31"`, 1)), 0o644)
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--exceptions", long, "--allow-broad-exceptions"); code != Usage || !strings.Contains(stderr, "longer than params.max_exception_days (365)") {
		t.Fatalf("9999 expiry: exit %d %s", code, stderr)
	}
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--exceptions", long, "--param", "max_exception_days=3000000", "--rules", "MESH-04"); code != OK {
		t.Fatalf("max_exception_days: exit %d %s", code, stderr)
	}
}

func TestSelfDeclaredExceptionsOnlyWhenEnabled(t *testing.T) {
	exceptionsDay(t)
	dir := t.TempDir()
	m := `apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: app
  annotations:
    meshaudit.io/exceptions: '[{"rules": ["POD-03"], "justification": "node agent", "expires": "2027-06-01"}]'
spec:
  hostPID: true
  containers: [{name: c, image: x:1}]
`
	f := filepath.Join(dir, "p.yaml")
	os.WriteFile(f, []byte(m), 0o644)
	if code, _, _ := scanCLI(t, "", "scan", "-f", f, "--rules", "POD-03"); code != Findings {
		t.Fatalf("self-declared exception honoured without being enabled: exit %d", code)
	}
	code, out, _ := scanCLI(t, "", "scan", "-f", f, "--rules", "POD-03", "--self-declared-exceptions", "-o", "json")
	if code != OK || !strings.Contains(out, `"selfDeclared": true`) {
		t.Fatalf("self-declared: exit %d %s", code, out)
	}
	// A self-declared exception counts its lifetime from the scan day.
	os.WriteFile(f, []byte(strings.Replace(m, "2027-06-01", "2036-01-01", 1)), 0o644)
	if code, _, stderr := scanCLI(t, "", "scan", "-f", f, "--rules", "POD-03", "--self-declared-exceptions"); code != Usage || !strings.Contains(stderr, "longer than params.max_exception_days") {
		t.Fatalf("self-declared 2036 expiry: exit %d %s", code, stderr)
	}
}
