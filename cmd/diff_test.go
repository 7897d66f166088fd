package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// TestDiffCommand: diff's contract — its JSON names new findings, and
// --exit-code exits 1 for new findings (excepted ones aside), 0 with only
// fixed ones. (The comparison itself: the diff package's tests.)
func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	finding := func(name string) report.Finding {
		return report.Finding{RuleID: "POD-03", Severity: rules.SeverityHigh, Controls: []string{"AC-6"},
			Resource: snapshot.Ref{Kind: "Pod", Namespace: "shop", Name: name}, Fingerprint: "fp-" + name}
	}
	write := func(name string, fs ...report.Finding) string {
		rep := report.Report{SchemaVersion: report.ReportSchemaVersion, Cluster: "manifests", Findings: fs,
			Rules: []report.RuleResult{{ID: "POD-03", Severity: rules.SeverityHigh, Status: report.StatusFail}}}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := write("base.json", finding("web"))
	excepted := finding("legacy")
	excepted.Exception = &report.AppliedException{ID: "EXC-1", Justification: "j", Expires: "2099-01-01"}
	head := write("head.json", finding("web"), finding("debug"), excepted)
	onlyExcepted := write("excepted.json", finding("web"), excepted)

	if code, _, stderr := run(t, "", "diff", "--exit-code", base, head); code != ExitFindings || !strings.Contains(stderr, "1 new finding(s)") {
		t.Errorf("diff --exit-code with a new finding: exit %d %s", code, stderr)
	}
	if code, _, _ := run(t, "", "diff", "--exit-code", head, base); code != ExitOK {
		t.Errorf("diff --exit-code with only fixed findings: exit %d", code)
	}
	if code, _, _ := run(t, "", "diff", "--exit-code", base, onlyExcepted); code != ExitOK {
		t.Errorf("diff --exit-code with only an excepted new finding: exit %d", code)
	}
	code, out, _ := run(t, "", "diff", base, head, "-o", "json")
	var res struct {
		Clusters []struct {
			New []struct {
				Resource struct{ Name string }
			}
			Unchanged int
		}
	}
	if code != ExitOK || json.Unmarshal([]byte(out), &res) != nil || len(res.Clusters) != 1 || len(res.Clusters[0].New) != 2 || res.Clusters[0].Unchanged != 1 {
		t.Fatalf("diff -o json: exit %d\n%s", code, out)
	}
	if code, out, _ := run(t, "", "diff", base, head); code != ExitOK || !strings.Contains(out, "2 new, 0 fixed, 0 updated, 1 unchanged") || !strings.Contains(out, "NEW") {
		t.Errorf("diff table: exit %d\n%s", code, out)
	}
	if code, _, _ := run(t, "", "diff", base, filepath.Join(dir, "missing.json")); code != ExitUsage {
		t.Errorf("missing report: exit %d", code)
	}
}
