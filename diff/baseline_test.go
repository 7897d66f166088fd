package diff_test

import (
	"testing"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

func mkReport(cluster string, fs ...report.Finding) *report.Report {
	r := &report.Report{Cluster: cluster, Findings: fs}
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.RuleID] {
			seen[f.RuleID] = true
			r.Rules = append(r.Rules, report.RuleResult{ID: f.RuleID, Status: report.StatusFail})
		}
	}
	return r
}

func finding(rule, name string, line int) report.Finding {
	return report.Finding{RuleID: rule, Severity: rules.SeverityHigh, Resource: snapshot.Ref{Kind: "Pod", Namespace: "ns", Name: name}, File: "f.yaml", Line: line, Fingerprint: rule + "/" + name}
}

func TestBaselineStates(t *testing.T) {
	old := mkReport("c", finding("R1", "a", 1), finding("R1", "b", 5), finding("R1", "gone", 9), finding("R2", "other", 1))
	cur := mkReport("c", finding("R1", "a", 1), finding("R1", "b", 6), finding("R1", "new", 3))
	b := diff.NewBaseline([]*report.Report{old}, []*report.Report{cur})
	for name, want := range map[string]string{"a": diff.StateUnchanged, "b": diff.StateUpdated, "new": diff.StateNew} {
		if got := b.State("c", finding("R1", name, 0)); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	// R2 was not judged this time: its finding is not "fixed".
	if abs := b.Absent("c"); len(abs) != 1 || abs[0].Resource.Name != "gone" {
		t.Errorf("absent %+v", abs)
	}
	if c := b.Counts("c"); c != (diff.Counts{New: 1, Unchanged: 1, Updated: 1, Absent: 1}) {
		t.Errorf("counts %+v", c)
	}
	// A cluster the previous run did not have: everything new.
	other := diff.NewBaseline([]*report.Report{old}, []*report.Report{mkReport("d", finding("R1", "a", 1))})
	if other.State("d", finding("R1", "a", 1)) != diff.StateNew || len(other.Absent("d")) != 0 {
		t.Error("a new cluster's findings are not new")
	}
	var none *diff.Baseline
	if none.State("c", finding("R1", "a", 1)) != "" || none.Absent("c") != nil {
		t.Error("nil baseline")
	}
}

// TestCompareUsesBaseline: the diff command's comparison and the scan's
// baseline agree, and a cluster only in the old run has every finding fixed.
func TestCompareUsesBaseline(t *testing.T) {
	old := []*report.Report{mkReport("c", finding("R1", "a", 1), finding("R1", "b", 5)), mkReport("gone", finding("R1", "x", 1))}
	cur := []*report.Report{mkReport("c", finding("R1", "a", 1), finding("R1", "b", 6), finding("R1", "n", 2))}
	res := diff.Compare(old, cur)
	if len(res.Clusters) != 2 {
		t.Fatalf("%+v", res)
	}
	c := res.Clusters[0]
	if len(c.New) != 1 || len(c.Updated) != 1 || c.Unchanged != 1 || len(c.Fixed) != 0 {
		t.Errorf("cluster c: %+v", c)
	}
	if g := res.Clusters[1]; g.Cluster != "gone" || len(g.Fixed) != 1 || len(g.New) != 0 {
		t.Errorf("cluster gone: %+v", g)
	}
}
