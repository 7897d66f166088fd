package evaluate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The roll-up: the report of one evaluation — every rule's verdict, the
// findings sorted, each control's status from its rules, and the summary.

// assemble assembles the report of the snapshot from the raw results.
func (e *Engine) assemble(s *snapshot.Snapshot, ix *index, res *results) (*report.Report, error) {
	rep := &report.Report{
		SchemaVersion: report.ReportSchemaVersion,
		Tool:          report.Tool{Name: "meshaudit", Version: e.toolVer},
		Cluster:       s.Cluster,
		Source:        s.Source,
		CollectedAt:   s.CollectedAt,
		Findings:      []report.Finding{},
		ParseErrors:   s.ParseErrors,
		Notices:       s.Notices,
		Kinds:         s.Kinds,
		Exceptions:    []report.ExceptionStatus{},
	}
	noMesh := meshNotInstalled(s)
	for _, r := range e.catalog.Rules {
		rep.Rules = append(rep.Rules, e.verdict(r, s, ix, res, noMesh, &rep.Findings))
	}
	if ns := ruleNotices(e.catalog.Rules, res, ix); len(ns) > 0 {
		rep.Notices = append(append([]snapshot.Notice{}, s.Notices...), ns...)
		snapshot.SortNotices(rep.Notices)
	}
	sortFindings(rep.Findings)
	var err error
	if rep.Controls, err = rollUpResults(rep.Rules); err != nil {
		return nil, err
	}
	rep.Summary = report.Summarize(rep)
	return rep, nil
}

func sortFindings(fs []report.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.FQN() != b.FQN() {
			return a.FQN() < b.FQN()
		}
		return a.Message < b.Message
	})
}

// rollUpResults derives each control's status from its rules: fail if any failed,
// else unknown if any is unknown, else excepted if any failed only on
// excepted findings, else pass if any passed, else not applicable.
func rollUpResults(results []report.RuleResult) ([]report.ControlResult, error) {
	byID := map[string]*report.ControlResult{}
	for _, res := range results {
		for _, id := range res.Controls {
			c := byID[id]
			if c == nil {
				ctl, ok, err := rules.NISTControl(id)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, fmt.Errorf("rule %s: unknown control %s", res.ID, id)
				}
				c = &report.ControlResult{ID: id, Title: ctl.Title, Family: ctl.Family, Baselines: ctl.Baselines, Rules: []string{}, Failed: []string{}, Unknown: []string{}, Status: report.StatusNotApplicable}
				byID[id] = c
			}
			c.Rules = append(c.Rules, res.ID)
			switch res.Status {
			case report.StatusFail:
				c.Failed = append(c.Failed, res.ID)
				c.Status = report.StatusFail
			case report.StatusUnknown:
				c.Unknown = append(c.Unknown, res.ID)
				if c.Status != report.StatusFail {
					c.Status = report.StatusUnknown
				}
			case report.StatusExcepted:
				if c.Status == report.StatusPass || c.Status == report.StatusNotApplicable {
					c.Status = report.StatusExcepted
				}
			case report.StatusPass:
				if c.Status == report.StatusNotApplicable {
					c.Status = report.StatusPass
				}
			}
		}
	}
	out := make([]report.ControlResult, 0, len(byID))
	for _, c := range byID {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return report.ControlLess(out[i].ID, out[j].ID) })
	return out, nil
}

// ruleNotices are the notices rules report (their `notices` set: facts
// about the input that change no verdict, e.g. POD-11's build-tool
// placeholders): {kind, msg, resource, field}, each located at its
// resource and prefixed with the rule's id. A malformed entry is dropped:
// a notice never decides anything.
func ruleNotices(rs []rules.Rule, res *results, ix *index) []snapshot.Notice {
	var out []snapshot.Notice
	for _, r := range rs {
		if res.errs[r.ID] != nil {
			continue
		}
		list, _ := res.docs[r.ID]["notices"].([]any)
		for _, x := range list {
			m, _ := x.(map[string]any)
			msg, _ := m["msg"].(string)
			if strings.TrimSpace(msg) == "" {
				continue
			}
			kind, _ := m["kind"].(string)
			if kind == "" {
				kind = "rule"
			}
			n := snapshot.Notice{Kind: kind, Message: r.ID + ": " + msg}
			n.Field, _ = m["field"].(string)
			if ref, ok := noticeRef(m["resource"]); ok {
				n.Object = ref.FQN()
				if o := ix.locate(ref); o != nil {
					n.File, n.Line = o.File, o.Line
				}
			}
			out = append(out, n)
		}
	}
	return out
}

// noticeRef reads a notice's resource ({apiVersion, kind, namespace, name}).
func noticeRef(v any) (snapshot.Ref, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return snapshot.Ref{}, false
	}
	var ref snapshot.Ref
	ref.APIVersion, _ = m["apiVersion"].(string)
	ref.Kind, _ = m["kind"].(string)
	ref.Namespace, _ = m["namespace"].(string)
	ref.Name, _ = m["name"].(string)
	return ref, ref.Kind != "" && ref.Name != ""
}
