package report

import (
	"testing"

	"github.com/meshaudit/meshaudit/rules"
)

func TestKeepSeverity(t *testing.T) {
	r := &Report{
		Findings: []Finding{{RuleID: "A", Severity: rules.SeverityHigh}, {RuleID: "A", Severity: rules.SeverityMedium}, {RuleID: "B", Severity: rules.SeverityMedium}},
		Rules:    []RuleResult{{ID: "A", Severity: rules.SeverityHigh, Status: StatusFail, Findings: 2}, {ID: "B", Severity: rules.SeverityHigh, Status: StatusFail, Findings: 1}},
	}
	if n := r.KeepSeverity(rules.SeverityHigh); n != 2 {
		t.Errorf("dropped %d", n)
	}
	if len(r.Findings) != 1 || r.Findings[0].Severity != rules.SeverityHigh {
		t.Errorf("findings %+v", r.Findings)
	}
	if r.Rules[0].Findings != 1 || r.Rules[1].Findings != 0 || r.Rules[1].Status != StatusFail || r.Rules[1].Reason != "1 finding(s) below high not shown (--severity)" {
		t.Errorf("rules %+v", r.Rules)
	}
	if r.Summary.Findings["medium"] != 0 || r.Summary.Findings["high"] != 1 || r.Summary.Rules["fail"] != 2 {
		t.Errorf("summary %+v", r.Summary)
	}
}
