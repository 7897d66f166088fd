package evaluate

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
	r.Summary = summarize(r)
	return dropped
}
