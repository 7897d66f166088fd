package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// meshContext is the smallest compliant mesh around the chart, for the
// rules that judge a workload against its mesh (MESH-08 reads the mesh
// config, MESH-01/02 the namespace's enrolment): Istio's mesh ConfigMap in
// the root namespace and the namespace the chart is installed in, labelled
// as docs/deploy.md says.
const meshContext = "testdata/mesh-context.yaml"

type dogfoodResult struct {
	rep  *report.Report
	snap *snapshot.Snapshot
}

// scanRendered scans a rendered chart (plus extra files) in-process, as
// `meshaudit scan -f` would, and applies the exceptions the chart ships in
// its ConfigMap.
func scanRendered(t *testing.T, rendered string, extra ...string) dogfoodResult {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "chart.yaml")
	if err := os.WriteFile(file, []byte(rendered), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, _, err := evaluate.NewEmbedded(context.Background(), policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	snap := collectors.FromFiles(collectors.FileOptions{Paths: append([]string{file}, extra...), Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
	for _, pe := range snap.ParseErrors {
		t.Errorf("parse error: %+v", pe)
	}
	rep, err := eng.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	excs := shippedExceptions(t, rendered)
	if err := evaluate.ApplyExceptions(rep, snap, excs, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	return dogfoodResult{rep, snap}
}

// shippedExceptions parses exceptions.yaml of the rendered ConfigMap.
func shippedExceptions(t *testing.T, rendered string) []exceptions.Exception {
	t.Helper()
	cm := find(t, decode(t, rendered), "ConfigMap", "meshaudit-config")
	raw, _ := get(cm.raw, "data", "exceptions.yaml").(string)
	excs, err := exceptions.Parse("exceptions.yaml", []byte(raw))
	if err != nil {
		t.Fatalf("the chart's exceptions: %v", err)
	}
	for _, e := range excs {
		if len(strings.Fields(e.Justification)) < 8 {
			t.Errorf("exception %s: justification too thin: %q", e.ID, e.Justification)
		}
	}
	return excs
}

// TestDogfood: `helm template` of the chart with default values passes
// meshaudit's own rules at --fail-on medium, alone (no mesh-wide finding:
// its objects in the root namespace are not mesh policy) and inside a
// compliant mesh; the only findings allowed are covered by exceptions the chart
// ships (each justified), and no shipped exception is stale.
func TestDogfood(t *testing.T) {
	rendered := render(t, nil)
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"chart alone", nil},
		{"chart in a mesh", []string{meshContext}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := scanRendered(t, rendered, tc.extra...)
			for _, f := range r.rep.Findings {
				if f.Exception != nil {
					t.Logf("excepted: %s %s %s/%s (%s): %s", f.RuleID, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Exception.ID, f.Message)
					continue
				}
				if f.Severity >= rules.SeverityMedium {
					t.Errorf("finding %s (%s) on %s %s/%s: %s", f.RuleID, f.Severity, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Message)
				} else {
					t.Logf("low finding %s on %s %s/%s: %s", f.RuleID, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name, f.Message)
				}
			}
			// The chart alone holds objects in istio-system (the Role that
			// reads the mesh ConfigMap) but no mesh policy: no mesh-wide
			// rule may switch on (docs/verdicts.md), so it is clean too.
			if n := r.rep.CountAtOrAbove(rules.SeverityMedium); n != 0 {
				t.Errorf("%d finding(s) at or above medium count toward --fail-on", n)
			}
			for _, w := range r.rep.Summary.Warnings {
				t.Errorf("warning: %s", w)
			}
			for _, rr := range r.rep.Rules {
				if rr.Status == report.StatusUnknown {
					t.Errorf("rule %s unknown: %s", rr.ID, rr.Reason)
				}
			}
		})
	}
}
