package scanner

import (
	"fmt"
	"sort"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
)

// ControlCoverage is one NIST control and the rules that assess it.
type ControlCoverage struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Family    string   `json:"family"`
	Baselines []string `json:"baselines"`
	Assessed  bool     `json:"assessed"`
	Rules     []string `json:"rules"`
}

// CoverageReport is the controls command's document: the controls
// assessed, or with a baseline, all of its controls, assessed or not.
type CoverageReport struct {
	Baseline    string            `json:"baseline,omitempty"`
	Controls    []ControlCoverage `json:"controls"`
	Assessed    int               `json:"assessed"`
	NotAssessed int               `json:"notAssessed"`
}

// Coverage maps rules to controls; with a baseline, it lists all of the
// baseline's controls, assessed or not.
func Coverage(cat *rules.Catalog, baseline string) (*CoverageReport, error) {
	byControl := map[string][]string{}
	for _, r := range cat.Rules {
		for _, id := range r.Controls {
			byControl[id] = append(byControl[id], r.ID)
		}
	}
	rep := &CoverageReport{Baseline: baseline, Controls: []ControlCoverage{}}
	add := func(ctl rules.Control) {
		ids := byControl[ctl.ID]
		sort.Strings(ids)
		if ids == nil {
			ids = []string{}
		}
		rep.Controls = append(rep.Controls, ControlCoverage{ID: ctl.ID, Title: ctl.Title, Family: ctl.Family, Baselines: ctl.Baselines, Assessed: len(ids) > 0, Rules: ids})
		if len(ids) > 0 {
			rep.Assessed++
		} else {
			rep.NotAssessed++
		}
	}
	if baseline == "" {
		for id := range byControl {
			ctl, ok, err := rules.NISTControl(id)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("unknown control %s", id)
			}
			add(ctl)
		}
	} else {
		all, err := rules.NISTControls()
		if err != nil {
			return nil, err
		}
		for _, ctl := range all {
			for _, b := range ctl.Baselines {
				if b == baseline {
					add(ctl)
				}
			}
		}
	}
	sort.Slice(rep.Controls, func(i, j int) bool { return report.ControlLess(rep.Controls[i].ID, rep.Controls[j].ID) })
	return rep, nil
}
