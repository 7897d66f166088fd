package evaluate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

// spinRule iterates tens of millions of times without holding memory: far
// longer than any deadline of the test.
const spinRule = `# METADATA
# title: Spin
# description: A rule that runs for a long time.
# custom:
#   id: SPIN-01
#   severity: low
#   controls: [CM-8]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: none
package meshaudit.custom.rules.spin_01

import data.meshaudit.lib

n := count([1 | some i in numbers.range(1, 20000); some j in numbers.range(1, 20000); i == j + 1])

deny contains {"msg": sprintf("%d", [n]), "resource": w.resource} if {
	some w in lib.workloads
	n > 0
}
`

// TestDeadlineHonoured: the evaluation ends within 20 % of its deadline
// (it took twice as long when the per-rule fallback got a deadline of its
// own); the runaway rule is unknown, saying so, and the other rules are
// still judged.
func TestDeadlineHonoured(t *testing.T) {
	ctx := context.Background()
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	mods = append(mods, policies.Module{Path: "team/spin_01.rego", Source: spinRule})
	all, err := catalog.Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	cat := all.Filter(func(r rules.Rule) bool { return r.ID == "SPIN-01" || r.ID == "POD-03" || r.ID == "MTLS-02" })
	eng, err := New(ctx, cat, mods, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	eng.Deadline = 3 * time.Second
	snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../examples/shop"}, Cluster: "c", RootNamespace: "istio-system", Namespace: "default"})
	start := time.Now()
	rep, err := eng.Evaluate(ctx, snap)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > eng.Deadline*12/10 {
		t.Errorf("evaluation took %s with a deadline of %s", took, eng.Deadline)
	}
	for _, r := range rep.Rules {
		switch r.ID {
		case "SPIN-01":
			if r.Status != report.StatusUnknown || !strings.Contains(r.Reason, "evaluation deadline of 3s exceeded") {
				t.Errorf("SPIN-01: %s %s", r.Status, r.Reason)
			}
		default:
			if r.Status == report.StatusUnknown {
				t.Errorf("%s unknown beside a runaway rule: %s", r.ID, r.Reason)
			}
		}
	}
}
