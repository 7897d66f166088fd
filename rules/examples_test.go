package rules_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/rules/catalog"
)

// TestExamples evaluates every rule's documented examples: the failing
// example must make the rule fail, the passing one must make it pass. Every
// built-in rule must have both, unless examples.note says why a manifest
// cannot show one (MESHAUDIT_EXAMPLES_PARTIAL=1 relaxes this while they are
// being written).
func TestExamples(t *testing.T) {
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, r := range cat.Rules {
		t.Run(r.ID, func(t *testing.T) {
			if r.Examples.Pass == "" || (r.Examples.Fail == "" && r.Examples.Note == "") {
				if os.Getenv("MESHAUDIT_EXAMPLES_PARTIAL") != "" {
					t.Skip("no examples yet")
				}
				t.Fatalf("%s needs custom.examples fail and pass (%s)", r.ID, r.File)
			}
			one := cat.Filter(func(x rules.Rule) bool { return x.ID == r.ID })
			eng, err := evaluate.New(ctx, one, mods, policies.Defaults(), "test")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name, src string
				want      report.Status
			}{{"fail", r.Examples.Fail, report.StatusFail}, {"pass", r.Examples.Pass, report.StatusPass}} {
				if c.src == "" {
					continue // explained by examples.note
				}
				snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"-"}, Stdin: strings.NewReader(c.src), Namespace: "default", Cluster: "example", RootNamespace: "istio-system"})
				if len(snap.ParseErrors) > 0 {
					t.Fatalf("%s example does not parse: %+v", c.name, snap.ParseErrors)
				}
				rep, err := eng.Evaluate(ctx, snap)
				if err != nil {
					t.Fatal(err)
				}
				got := rep.Rules[0]
				if got.Status != c.want {
					var msgs []string
					for _, f := range rep.Findings {
						msgs = append(msgs, f.Message)
					}
					t.Errorf("%s example: status %s (%s) %v, want %s", c.name, got.Status, got.Reason, msgs, c.want)
				}
			}
		})
	}
}
