package diff

import (
	"slices"

	"github.com/meshaudit/meshaudit/report"
)

// Baseline states of a finding, as SARIF 2.1.0 defines result.baselineState.
const (
	StateNew       = "new"       // not in the previous report (no finding with its fingerprint)
	StateUnchanged = "unchanged" // in the previous report, as it is
	StateUpdated   = "updated"   // same fingerprint, but its severity, controls or line (in the same file) changed
	StateAbsent    = "absent"    // in the previous report only: fixed
)

// Baseline compares a run's reports with a previous run's, cluster by
// cluster: the state of every current finding, and the findings that are
// gone. A cluster the previous run did not have has every finding new.
type Baseline struct {
	clusters map[string]*clusterBaseline
}

type clusterBaseline struct {
	state  map[string]string
	absent []report.Finding
	counts Counts
}

// Counts counts findings by baseline state.
type Counts struct {
	New       int `json:"new"`
	Unchanged int `json:"unchanged"`
	Updated   int `json:"updated"`
	Absent    int `json:"absent"`
}

// NewBaseline compares cur with old.
func NewBaseline(old, cur []*report.Report) *Baseline {
	b := &Baseline{clusters: map[string]*clusterBaseline{}}
	prev := map[string]*report.Report{}
	for _, r := range old {
		prev[r.Cluster] = r
	}
	for _, r := range cur {
		cb := &clusterBaseline{state: map[string]string{}}
		b.clusters[r.Cluster] = cb
		was := map[string]report.Finding{}
		if o := prev[r.Cluster]; o != nil {
			for _, f := range o.Findings {
				was[f.Fingerprint] = f
			}
		}
		seen := map[string]bool{}
		for _, f := range r.Findings {
			seen[f.Fingerprint] = true
			o, ok := was[f.Fingerprint]
			switch {
			case !ok:
				cb.state[f.Fingerprint] = StateNew
				cb.counts.New++
			case updated(o, f):
				cb.state[f.Fingerprint] = StateUpdated
				cb.counts.Updated++
			default:
				cb.state[f.Fingerprint] = StateUnchanged
				cb.counts.Unchanged++
			}
		}
		// A previous finding is absent (fixed) only when its rule was
		// judged again: not when it was left out (--rules) or is unknown.
		judged := map[string]bool{}
		for _, rr := range r.Rules {
			judged[rr.ID] = rr.Status != report.StatusUnknown
		}
		if o := prev[r.Cluster]; o != nil {
			for _, f := range o.Findings {
				if !seen[f.Fingerprint] && judged[f.RuleID] {
					cb.absent = append(cb.absent, f)
				}
			}
		}
		cb.counts.Absent = len(cb.absent)
	}
	return b
}

// updated: the same finding (fingerprint: rule, resource, message) whose
// severity, controls or line changed. A different file name alone is not
// a change of the finding (the same tree scanned from another directory).
func updated(o, f report.Finding) bool {
	return o.Severity != f.Severity || o.File == f.File && o.Line != f.Line || !slices.Equal(o.Controls, f.Controls)
}

// State is the baseline state of a finding of cluster's current report
// ("" without a baseline).
func (b *Baseline) State(cluster string, f report.Finding) string {
	if b == nil {
		return ""
	}
	if cb := b.clusters[cluster]; cb != nil {
		if s, ok := cb.state[f.Fingerprint]; ok {
			return s
		}
	}
	return StateNew
}

// Absent lists the findings of the previous report that cluster's current
// report no longer has although their rule was judged again (fixed), in the
// previous report's order.
func (b *Baseline) Absent(cluster string) []report.Finding {
	if b == nil {
		return nil
	}
	if cb := b.clusters[cluster]; cb != nil {
		return cb.absent
	}
	return nil
}

// Counts counts cluster's findings by state.
func (b *Baseline) Counts(cluster string) Counts {
	if b == nil {
		return Counts{}
	}
	if cb := b.clusters[cluster]; cb != nil {
		return cb.counts
	}
	return Counts{}
}
