// Package diff compares two scans: findings new, fixed and unchanged by
// stable fingerprint, and control status changes, per cluster.
package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/internal/fsutil"
)

// SchemaVersion versions the JSON diff.
const SchemaVersion = "meshaudit.io/diff/v1"

// Result is the comparison of two runs.
type Result struct {
	SchemaVersion string    `json:"schemaVersion"`
	Clusters      []Cluster `json:"clusters"`
}

// Cluster is the comparison of one cluster's reports.
type Cluster struct {
	Cluster   string           `json:"cluster"`
	New       []report.Finding `json:"new"`
	Fixed     []report.Finding `json:"fixed"`
	Updated   []report.Finding `json:"updated"`   // same fingerprint; severity, controls or line (same file) changed
	Unchanged int              `json:"unchanged"` // not counting updated ones
	Controls  []ControlChange  `json:"controls"`  // only controls whose status changed
}

// ControlChange is a control whose status differs.
type ControlChange struct {
	ID  string        `json:"id"`
	Old report.Status `json:"old"` // "" when the control was not assessed
	New report.Status `json:"new"`
}

// ReadReports reads a JSON report (meshaudit.io/report/v1), a fleet
// document (meshaudit.io/fleet/v1), or an evidence bundle directory (its
// report.json).
func ReadReports(path string) ([]*report.Report, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "report.json")
	}
	b, err := fsutil.ReadRegular(path, 1<<30, false) // a FIFO would block the run
	if err != nil {
		return nil, err
	}
	var head struct {
		SchemaVersion string           `json:"schemaVersion"`
		Reports       []*report.Report `json:"reports"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch head.SchemaVersion {
	case "meshaudit.io/fleet/v1":
		return head.Reports, nil
	case report.ReportSchemaVersion:
		var r report.Report
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return []*report.Report{&r}, nil
	}
	return nil, fmt.Errorf("%s: not a meshaudit JSON report (schemaVersion %q)", path, head.SchemaVersion)
}

// Compare compares old and new reports cluster by cluster (a cluster only
// in new has every finding new; only in old, every finding fixed).
func Compare(old, cur []*report.Report) Result {
	byName := func(rs []*report.Report) map[string]*report.Report {
		m := map[string]*report.Report{}
		for _, r := range rs {
			m[r.Cluster] = r
		}
		return m
	}
	om, nm := byName(old), byName(cur)
	names := map[string]bool{}
	for n := range om {
		names[n] = true
	}
	for n := range nm {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	res := Result{SchemaVersion: SchemaVersion, Clusters: []Cluster{}}
	for _, n := range sorted {
		o, c := om[n], nm[n]
		if o == nil {
			o = &report.Report{Cluster: n}
		}
		if c == nil {
			c = &report.Report{Cluster: n}
		}
		res.Clusters = append(res.Clusters, compareOne(n, o, c, nm[n] == nil))
	}
	return res
}

func compareOne(name string, o, c *report.Report, gone bool) Cluster {
	cl := Cluster{Cluster: name, New: []report.Finding{}, Fixed: []report.Finding{}, Updated: []report.Finding{}, Controls: []ControlChange{}}
	b := NewBaseline([]*report.Report{o}, []*report.Report{c})
	for _, f := range c.Findings {
		switch b.State(c.Cluster, f) {
		case StateNew:
			cl.New = append(cl.New, f)
		case StateUpdated:
			cl.Updated = append(cl.Updated, f)
		default:
			cl.Unchanged++
		}
	}
	cl.Fixed = append(cl.Fixed, b.Absent(c.Cluster)...)
	if gone { // the cluster is not in the new run at all
		cl.Fixed = append(cl.Fixed, o.Findings...)
	}
	statuses := func(cs []report.ControlResult) map[string]report.Status {
		m := make(map[string]report.Status, len(cs))
		for _, ctl := range cs {
			m[ctl.ID] = ctl.Status
		}
		return m
	}
	cl.Controls = ControlChanges(statuses(o.Controls), statuses(c.Controls))
	return cl
}

// ControlChanges lists the controls whose status differs between two runs,
// in NIST order: Old is "" for a control not assessed before, New "" for
// one no longer assessed. Never nil.
func ControlChanges(old, cur map[string]report.Status) []ControlChange {
	out := []ControlChange{}
	for id, st := range cur {
		if old[id] != st {
			out = append(out, ControlChange{ID: id, Old: old[id], New: st})
		}
	}
	for id, st := range old {
		if _, ok := cur[id]; !ok {
			out = append(out, ControlChange{ID: id, Old: st})
		}
	}
	sort.Slice(out, func(i, j int) bool { return report.ControlLess(out[i].ID, out[j].ID) })
	return out
}
