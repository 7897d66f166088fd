package report

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoOPADependency: the report types, and what only renders or compares
// reports, build without OPA (issue 15) — an output format or the diff
// must never pull in the policy engine.
func TestNoOPADependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../report", "../output", "../diff", "../metrics", "../rules").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, "open-policy-agent") {
			t.Errorf("%s is in the dependency graph of report/output/diff/metrics/rules", p)
		}
	}
}
