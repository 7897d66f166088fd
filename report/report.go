// Package report holds the result of a scan: the types every output
// format, the diff, the metrics and the evidence bundles read. It has no
// OPA dependency (evaluate fills it; docs/report-schema.md describes it).
package report

import (
	"fmt"
	"strings"

	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// ReportSchemaVersion versions the JSON report (docs/report-schema.md).
const ReportSchemaVersion = "meshaudit.io/report/v1"

// Status of a rule or control.
type Status string

// Statuses.
const (
	StatusPass          Status = "pass"
	StatusFail          Status = "fail"
	StatusNotApplicable Status = "not_applicable"
	StatusUnknown       Status = "unknown"
	// StatusExcepted: the rule failed only on findings covered by valid
	// exceptions.
	StatusExcepted Status = "excepted"
)

// Report is the result of one scan; every output format renders it.
type Report struct {
	SchemaVersion string                `json:"schemaVersion"`
	Tool          Tool                  `json:"tool"`
	Cluster       string                `json:"cluster"`
	Source        snapshot.Source       `json:"source"`
	CollectedAt   string                `json:"collectedAt,omitempty"`
	Summary       Summary               `json:"summary"`
	Findings      []Finding             `json:"findings"`
	Rules         []RuleResult          `json:"rules"`
	Controls      []ControlResult       `json:"controls"`
	ParseErrors   []snapshot.ParseError `json:"parseErrors"`
	// Notices: inputs skipped as not Kubernetes, duplicate definitions,
	// objects the API server or istioctl validate would reject. They never
	// change a verdict.
	Notices    []snapshot.Notice     `json:"notices,omitempty"`
	Kinds      []snapshot.KindStatus `json:"kinds"`
	Exceptions []ExceptionStatus     `json:"exceptions"`
	// CustomPolicies are the custom (--policy) modules evaluated, each
	// with the SHA-256 of its source; absent when there are none.
	CustomPolicies []CustomPolicy `json:"customPolicies,omitempty"`
}

// CustomPolicy is one custom Rego module of a scan.
type CustomPolicy struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // "sha256:<hex>" of the source
}

// Exception statuses.
const (
	ExceptionApplied = "applied"
	ExceptionExpired = "expired"
	ExceptionStale   = "stale" // valid, but matched no finding
)

// ExceptionStatus is what became of one exception in this scan.
type ExceptionStatus struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	Matched      int    `json:"matched"`
	Expires      string `json:"expires"`
	SelfDeclared bool   `json:"selfDeclared,omitempty"`
}

// AppliedException is the exception covering a finding.
type AppliedException struct {
	ID            string `json:"id"`
	Justification string `json:"justification"`
	Approver      string `json:"approver,omitempty"`
	Ticket        string `json:"ticket,omitempty"`
	Expires       string `json:"expires"`
	SelfDeclared  bool   `json:"selfDeclared,omitempty"`
}

// Tool identifies meshaudit and its policy bundle.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts what the report holds.
type Summary struct {
	// Complete is false when an input could not be parsed or a rule's
	// status is unknown; Incomplete says why.
	Complete   bool     `json:"complete"`
	Incomplete []string `json:"incomplete"`
	// Warnings: expired and stale exceptions.
	Warnings []string       `json:"warnings"`
	Findings map[string]int `json:"findings"` // open findings by severity
	Excepted int            `json:"excepted"` // findings covered by exceptions
	Rules    map[string]int `json:"rules"`    // by status
	Controls map[string]int `json:"controls"` // by status
}

// Finding is one failing resource of one rule.
type Finding struct {
	RuleID      string         `json:"ruleId"`
	Title       string         `json:"title"`
	Severity    rules.Severity `json:"severity"`
	Controls    []string       `json:"controls"`
	Resource    snapshot.Ref   `json:"resource"`
	Message     string         `json:"message"`
	File        string         `json:"file,omitempty"`
	Line        int            `json:"line,omitempty"`
	Fingerprint string         `json:"fingerprint"`
	// Evidence: the field paths and values that decided the finding
	// (docs/verdicts.md), so it can be checked against the input.
	Evidence []Evidence `json:"evidence,omitempty"`
	// Exception, when set, accepts this finding: it stays in the report
	// but does not count toward --fail-on.
	Exception *AppliedException `json:"exception,omitempty"`
}

// Evidence is one fact that decided a finding.
type Evidence struct {
	Path     string        `json:"path"`               // dotted field path, or a description of a lookup
	Value    any           `json:"value,omitempty"`    // the value found; absent when the field is not set
	Resource *snapshot.Ref `json:"resource,omitempty"` // the object holding the field, when not the finding's own
}

// FQN is the finding's resource as Kind/namespace/name.
func (f Finding) FQN() string { return f.Resource.FQN() }

// RuleResult is the outcome of one rule.
type RuleResult struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Severity rules.Severity `json:"severity"`
	Controls []string       `json:"controls"`
	Status   Status         `json:"status"`
	Reason   string         `json:"reason,omitempty"`
	Findings int            `json:"findings"`
	// Judged counts the subjects the rule judged on evidence in the input
	// (pass or fail); nil for a custom rule that does not report them.
	Judged *int `json:"judged,omitempty"`
}

// ControlResult is the roll-up of the rules mapped to one NIST control.
type ControlResult struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Family    string   `json:"family"`
	Baselines []string `json:"baselines"`
	Status    Status   `json:"status"`
	Rules     []string `json:"rules"`
	Failed    []string `json:"failedRules"`
	Unknown   []string `json:"unknownRules"`
}

// CountAtOrAbove counts open (not excepted) findings at or above a
// severity.
func (r *Report) CountAtOrAbove(min rules.Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Exception == nil && f.Severity >= min {
			n++
		}
	}
	return n
}

// ControlLess orders control ids naturally: AC-3 < AC-17 < AC-17(2).
func ControlLess(a, b string) bool {
	fa, na, ea := splitControl(a)
	fb, nb, eb := splitControl(b)
	if fa != fb {
		return fa < fb
	}
	if na != nb {
		return na < nb
	}
	return ea < eb
}

func splitControl(id string) (fam string, num, enh int) {
	fam, rest, _ := strings.Cut(id, "-")
	base, e, _ := strings.Cut(rest, "(")
	fmt.Sscanf(base, "%d", &num)
	if e != "" {
		fmt.Sscanf(strings.TrimSuffix(e, ")"), "%d", &enh)
	}
	return fam, num, enh
}
