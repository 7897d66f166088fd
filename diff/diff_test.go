package diff_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// fps lists the fingerprints of findings, in order.
func fps(fs []report.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Fingerprint)
	}
	return out
}

func withControls(r *report.Report, cs ...report.ControlResult) *report.Report {
	r.Controls = cs
	return r
}

func control(id string, st report.Status) report.ControlResult {
	return report.ControlResult{ID: id, Status: st}
}

// TestCompareStates: every finding of the new report is new, updated or
// unchanged by its fingerprint alone, and every finding of the old report
// whose fingerprint is gone is fixed.
func TestCompareStates(t *testing.T) {
	keep := finding("R1", "keep", 3)
	moved := finding("R1", "moved", 3)
	sev := finding("R1", "sev", 3)
	ctl := finding("R1", "ctl", 3)
	ctl.Controls = []string{"SC-8"}
	renamed := finding("R1", "renamed", 3)
	old := mkReport("c", keep, moved, sev, ctl, finding("R1", "fixed", 1))
	old.Findings = append(old.Findings, renamed)

	moved2 := moved
	moved2.Line = 9 // same file, another line
	sev2 := sev
	sev2.Severity = rules.SeverityCritical
	ctl2 := ctl
	ctl2.Controls = []string{"SC-8", "SC-8(1)"}
	keep2 := keep
	keep2.Message, keep2.Title = "reworded", "retitled" // the fingerprint decides, not the text
	renamed2 := renamed
	renamed2.File, renamed2.Line = "elsewhere/f.yaml", 40 // another checkout: not a change
	cur := mkReport("c", keep2, moved2, sev2, ctl2, renamed2, finding("R1", "added", 2))

	res := diff.Compare([]*report.Report{old}, []*report.Report{cur})
	if res.SchemaVersion != diff.SchemaVersion || len(res.Clusters) != 1 {
		t.Fatalf("%+v", res)
	}
	c := res.Clusters[0]
	if got := fps(c.New); !reflect.DeepEqual(got, []string{"R1/added"}) {
		t.Errorf("new %v", got)
	}
	if got := fps(c.Updated); !reflect.DeepEqual(got, []string{"R1/moved", "R1/sev", "R1/ctl"}) {
		t.Errorf("updated %v", got)
	}
	if got := fps(c.Fixed); !reflect.DeepEqual(got, []string{"R1/fixed"}) {
		t.Errorf("fixed %v", got)
	}
	if c.Unchanged != 2 { // keep (reworded) and renamed (other file)
		t.Errorf("unchanged %d, want 2", c.Unchanged)
	}
	// Updated findings are reported as they are now.
	if c.Updated[1].Severity != rules.SeverityCritical || c.Updated[0].Line != 9 {
		t.Errorf("updated findings not the current ones: %+v", c.Updated)
	}
	// The scan's baseline marks agree with the diff.
	b := diff.NewBaseline([]*report.Report{old}, []*report.Report{cur})
	want := map[string]string{"R1/keep": diff.StateUnchanged, "R1/renamed": diff.StateUnchanged, "R1/moved": diff.StateUpdated,
		"R1/sev": diff.StateUpdated, "R1/ctl": diff.StateUpdated, "R1/added": diff.StateNew}
	for _, f := range cur.Findings {
		if got := b.State("c", f); got != want[f.Fingerprint] {
			t.Errorf("baseline %s: %s, want %s", f.Fingerprint, got, want[f.Fingerprint])
		}
	}
	if n := b.Counts("c"); n != (diff.Counts{New: 1, Updated: 3, Unchanged: 2, Absent: 1}) {
		t.Errorf("counts %+v", n)
	}
}

// TestFingerprintIsIdentity: two findings on one resource and rule with
// different fingerprints are different findings (one fixed, one new); a
// finding whose fingerprint is unchanged is the same one, whatever moved.
func TestFingerprintIsIdentity(t *testing.T) {
	a := finding("R1", "x", 1)
	b := a
	b.Fingerprint = "R1/x/other-message"
	res := diff.Compare([]*report.Report{mkReport("c", a)}, []*report.Report{mkReport("c", b)})
	c := res.Clusters[0]
	if len(c.New) != 1 || len(c.Fixed) != 1 || c.Unchanged != 0 {
		t.Errorf("%+v", c)
	}
	// Findings with an empty fingerprint (a report not written by
	// meshaudit) still compare consistently: both sides equal.
	e := finding("R1", "y", 1)
	e.Fingerprint = ""
	res = diff.Compare([]*report.Report{mkReport("c", e)}, []*report.Report{mkReport("c", e)})
	if c := res.Clusters[0]; c.Unchanged != 1 || len(c.New)+len(c.Fixed)+len(c.Updated) != 0 {
		t.Errorf("empty fingerprints: %+v", c)
	}
}

// TestFixedOnlyWhenJudged: a previous finding is fixed only when its rule
// was judged again — not when the rule was left out of the new run
// (--rules, --skip-rules) or is unknown there (a kind not collected).
func TestFixedOnlyWhenJudged(t *testing.T) {
	old := mkReport("c", finding("R1", "a", 1), finding("R2", "b", 1), finding("R3", "c", 1), finding("R4", "d", 1))
	cur := &report.Report{Cluster: "c", Rules: []report.RuleResult{
		{ID: "R1", Status: report.StatusPass},
		{ID: "R2", Status: report.StatusUnknown},
		{ID: "R3", Status: report.StatusNotApplicable},
		// R4: not evaluated at all
	}}
	c := diff.Compare([]*report.Report{old}, []*report.Report{cur}).Clusters[0]
	if got := fps(c.Fixed); !reflect.DeepEqual(got, []string{"R1/a", "R3/c"}) {
		t.Errorf("fixed %v, want R1 (passes now) and R3 (not applicable now)", got)
	}
}

// TestCompareClusters: clusters are matched by name and listed sorted; a
// cluster only in the new run has every finding new and every control
// changed from "not assessed"; one only in the old run has every finding
// fixed and every control changed to "not assessed".
func TestCompareClusters(t *testing.T) {
	old := []*report.Report{
		withControls(mkReport("zeta", finding("R1", "z", 1)), control("SC-8", report.StatusFail)),
		withControls(mkReport("both", finding("R1", "b", 1)), control("SC-8", report.StatusFail), control("AC-3", report.StatusPass)),
	}
	cur := []*report.Report{
		withControls(mkReport("alpha", finding("R1", "a", 1)), control("AC-3", report.StatusFail)),
		withControls(mkReport("both"), control("SC-8(1)", report.StatusPass), control("SC-8", report.StatusPass), control("AC-3", report.StatusPass)),
	}
	res := diff.Compare(old, cur)
	var names []string
	for _, c := range res.Clusters {
		names = append(names, c.Cluster)
	}
	if !reflect.DeepEqual(names, []string{"alpha", "both", "zeta"}) {
		t.Fatalf("clusters %v", names)
	}
	alpha, both, zeta := res.Clusters[0], res.Clusters[1], res.Clusters[2]
	if len(alpha.New) != 1 || len(alpha.Fixed) != 0 || !reflect.DeepEqual(alpha.Controls, []diff.ControlChange{{ID: "AC-3", Old: "", New: report.StatusFail}}) {
		t.Errorf("alpha %+v", alpha)
	}
	if len(zeta.Fixed) != 1 || len(zeta.New) != 0 || !reflect.DeepEqual(zeta.Controls, []diff.ControlChange{{ID: "SC-8", Old: report.StatusFail, New: ""}}) {
		t.Errorf("zeta %+v", zeta)
	}
	// both: R1 was not judged in the new run (its report has no rules), so
	// its finding is not fixed; controls in NIST order, unchanged ones left out.
	if len(both.Fixed) != 0 {
		t.Errorf("both: fixed %v although R1 was not judged", fps(both.Fixed))
	}
	want := []diff.ControlChange{{ID: "SC-8", Old: report.StatusFail, New: report.StatusPass}, {ID: "SC-8(1)", Old: "", New: report.StatusPass}}
	if !reflect.DeepEqual(both.Controls, want) {
		t.Errorf("both controls %+v, want %+v", both.Controls, want)
	}
}

// TestCompareEmpty: empty runs compare to an empty result whose lists are
// JSON arrays, never null (consumers index them).
func TestCompareEmpty(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, cur []*report.Report
	}{
		{"no reports", nil, nil},
		{"empty reports", []*report.Report{{Cluster: "c"}}, []*report.Report{{Cluster: "c"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := diff.Compare(tc.old, tc.cur)
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "null") {
				t.Errorf("null in %s", b)
			}
			for _, c := range res.Clusters {
				if len(c.New)+len(c.Fixed)+len(c.Updated)+c.Unchanged+len(c.Controls) != 0 {
					t.Errorf("%+v", c)
				}
			}
		})
	}
}

// severities gives the rule results a severity, as every real report has
// (the zero severity does not encode).
func severities(r *report.Report) *report.Report {
	for i := range r.Rules {
		r.Rules[i].Severity = rules.SeverityHigh
	}
	return r
}

func writeFile(t *testing.T, path string, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadReports: a JSON report, a fleet document and an evidence bundle
// directory are read; the findings, fingerprints included, survive the
// round trip exactly.
func TestReadReports(t *testing.T) {
	dir := t.TempDir()
	rep := mkReport("prod", finding("R1", "a", 4), finding("R2", "b", 7))
	rep.SchemaVersion = report.ReportSchemaVersion
	rep.Findings[0].Resource.Kind = "Deployment"
	rep.Findings[0].Evidence = []report.Evidence{{Path: "spec.x", Value: "y"}}
	severities(rep)
	single := writeFile(t, filepath.Join(dir, "r.json"), rep)

	got, err := diff.ReadReports(single)
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	if !reflect.DeepEqual(got[0].Findings, rep.Findings) || got[0].Cluster != "prod" {
		t.Errorf("round trip changed the findings:\n%+v\n%+v", got[0].Findings, rep.Findings)
	}
	if res := diff.Compare([]*report.Report{rep}, got); res.Clusters[0].Unchanged != 2 {
		t.Errorf("a report compared with itself read back: %+v", res.Clusters[0])
	}

	other := severities(mkReport("staging", finding("R1", "c", 1)))
	fleet := writeFile(t, filepath.Join(dir, "fleet.json"), map[string]any{"schemaVersion": "meshaudit.io/fleet/v1", "reports": []*report.Report{rep, other}})
	got, err = diff.ReadReports(fleet)
	if err != nil || len(got) != 2 || got[0].Cluster != "prod" || got[1].Cluster != "staging" {
		t.Fatalf("fleet: %v %v", got, err)
	}

	bundle := filepath.Join(dir, "prod-20260101T000000Z")
	if err := os.Mkdir(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bundle, "report.json"), rep)
	if got, err = diff.ReadReports(bundle); err != nil || len(got) != 1 || got[0].Cluster != "prod" {
		t.Fatalf("bundle: %v %v", got, err)
	}
}

// TestReadReportsErrors: what is not a meshaudit report is an error naming
// the file — another schema, a SARIF log, malformed JSON, a missing file, a
// bundle without report.json — and a FIFO is refused rather than read
// (it would block the run).
func TestReadReportsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		path string
		want string
	}{
		"other schema":    {write("v2.json", `{"schemaVersion": "meshaudit.io/report/v2", "findings": []}`), `not a meshaudit JSON report (schemaVersion "meshaudit.io/report/v2")`},
		"no schema":       {write("sarif.json", `{"version": "2.1.0", "runs": []}`), `not a meshaudit JSON report (schemaVersion "")`},
		"snapshot":        {write("snap.json", `{"schemaVersion": "`+snapshot.SchemaVersion+`", "objects": []}`), "not a meshaudit JSON report"},
		"malformed":       {write("bad.json", `{"schemaVersion": "meshaudit.io/report/v1", "findings": [`), "bad.json"},
		"wrong type":      {write("type.json", `{"schemaVersion": "meshaudit.io/report/v1", "findings": {}}`), "type.json"},
		"missing":         {filepath.Join(dir, "nope.json"), "nope.json"},
		"empty bundle":    {dir, "report.json"},
		"empty file":      {write("empty.json", ""), "empty.json"},
		"a list, no doc":  {write("list.json", `[]`), "list.json"},
		"fleet, no array": {write("fleet.json", `{"schemaVersion": "meshaudit.io/fleet/v1", "reports": {}}`), "fleet.json"},
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		cases["fifo"] = struct {
			path string
			want string
		}{fifo, "fifo.json"}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := diff.ReadReports(c.path)
			if err == nil {
				t.Fatalf("read %d report(s), want an error", len(got))
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

// TestBaselineEdges: a baseline of nothing marks every finding new and
// nothing absent; states asked for an unknown cluster are new; counts of an
// unknown cluster are zero.
func TestBaselineEdges(t *testing.T) {
	cur := mkReport("c", finding("R1", "a", 1))
	b := diff.NewBaseline(nil, []*report.Report{cur})
	if b.State("c", cur.Findings[0]) != diff.StateNew || len(b.Absent("c")) != 0 {
		t.Error("empty baseline")
	}
	if b.State("other", cur.Findings[0]) != diff.StateNew || b.Counts("other") != (diff.Counts{}) || b.Absent("other") != nil {
		t.Error("unknown cluster")
	}
	// A previous report with findings and an empty new run of the same
	// cluster, its rules judged: everything absent, in the old order.
	old := mkReport("c", finding("R1", "b", 1), finding("R1", "a", 1))
	empty := &report.Report{Cluster: "c", Rules: []report.RuleResult{{ID: "R1", Status: report.StatusPass}}}
	b = diff.NewBaseline([]*report.Report{old}, []*report.Report{empty})
	if got := fps(b.Absent("c")); !reflect.DeepEqual(got, []string{"R1/b", "R1/a"}) {
		t.Errorf("absent %v", got)
	}
}
