package report

import (
	"fmt"

	"github.com/meshaudit/meshaudit/rules"
)

// KeepSeverity drops the findings below min, by each finding's own
// severity (a rule may report a finding below its own severity), for
// `scan --severity`. Verdicts do not change: a rule that failed only on
// findings below min still failed, and its reason says how many findings
// are not shown; its findings count and the summary count what is shown.
// It returns the number of findings dropped.
func (r *Report) KeepSeverity(min rules.Severity) int {
	kept := r.Findings[:0]
	hidden := map[string]int{}
	for _, f := range r.Findings {
		if f.Severity >= min {
			kept = append(kept, f)
		} else {
			hidden[f.RuleID]++
		}
	}
	dropped := len(r.Findings) - len(kept)
	r.Findings = kept
	for i := range r.Rules {
		rr := &r.Rules[i]
		if n := hidden[rr.ID]; n > 0 {
			rr.Findings -= n
			note := fmt.Sprintf("%d finding(s) below %s not shown (--severity)", n, min)
			if rr.Reason == "" {
				rr.Reason = note
			} else {
				rr.Reason += "; " + note
			}
		}
	}
	r.Summary = Summarize(r)
	return dropped
}

// Summarize counts what the report holds (its Summary field).
func Summarize(rep *Report) Summary {
	s := Summary{Complete: true, Incomplete: []string{}, Warnings: []string{}, Findings: map[string]int{}, Rules: map[string]int{}, Controls: map[string]int{}}
	for _, sev := range []rules.Severity{rules.SeverityCritical, rules.SeverityHigh, rules.SeverityMedium, rules.SeverityLow} {
		s.Findings[sev.String()] = 0
	}
	for _, st := range []Status{StatusPass, StatusFail, StatusNotApplicable, StatusUnknown, StatusExcepted} {
		s.Rules[string(st)] = 0
		s.Controls[string(st)] = 0
	}
	for _, f := range rep.Findings {
		if f.Exception != nil {
			s.Excepted++
			continue
		}
		s.Findings[f.Severity.String()]++
	}
	for _, e := range rep.Exceptions {
		switch e.Status {
		case ExceptionExpired:
			s.Warnings = append(s.Warnings, fmt.Sprintf("exception %s expired on %s and no longer applies", e.ID, e.Expires))
		case ExceptionStale:
			s.Warnings = append(s.Warnings, fmt.Sprintf("exception %s matched no finding (stale)", e.ID))
		}
	}
	for _, r := range rep.Rules {
		s.Rules[string(r.Status)]++
		if r.Status == StatusUnknown {
			s.Incomplete = append(s.Incomplete, fmt.Sprintf("rule %s is unknown: %s", r.ID, r.Reason))
		}
	}
	for _, c := range rep.Controls {
		s.Controls[string(c.Status)]++
	}
	if n := len(rep.ParseErrors); n > 0 {
		s.Incomplete = append([]string{fmt.Sprintf("%d input(s) could not be parsed", n)}, s.Incomplete...)
	}
	s.Complete = len(s.Incomplete) == 0
	return s
}
