package cmd

import (
	"fmt"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/report"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/rules"
)

// controlCoverage is one NIST control and the rules that assess it.
type controlCoverage struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Family    string   `json:"family"`
	Baselines []string `json:"baselines"`
	Assessed  bool     `json:"assessed"`
	Rules     []string `json:"rules"`
}

type coverageReport struct {
	Baseline    string            `json:"baseline,omitempty"`
	Controls    []controlCoverage `json:"controls"`
	Assessed    int               `json:"assessed"`
	NotAssessed int               `json:"notAssessed"`
}

func newControlsCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "controls",
		Short: "Show the NIST SP 800-53 Rev5 controls meshaudit assesses",
		Long: `List every NIST SP 800-53 Rev5 control meshaudit assesses: id, title, family,
LOW/MODERATE/HIGH baseline membership and the rules mapped to it. With
--baseline low|moderate|high, list every control of that baseline and whether
meshaudit assesses it (and by which rules) or cannot.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, _ := cmd.Flags().GetString("output")
			if format != "table" && format != "wide" && format != "json" {
				return usageErr("controls: unknown output %q (want table, wide or json)", format)
			}
			baseline, _ := cmd.Flags().GetString("baseline")
			baseline = strings.ToUpper(baseline)
			if baseline != "" && baseline != "LOW" && baseline != "MODERATE" && baseline != "HIGH" {
				return usageErr("--baseline %q: want low, moderate or high", baseline)
			}
			_, cat, err := a.policySet()
			if err != nil {
				return err
			}
			rep, err := coverage(cat, baseline)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a, rep)
			}
			if baseline != "" {
				fmt.Fprintf(a.stdout, "NIST SP 800-53 Rev5 %s baseline: %d controls, %d assessed by meshaudit, %d not assessed\n\n",
					baseline, len(rep.Controls), rep.Assessed, rep.NotAssessed)
			} else {
				fmt.Fprintf(a.stdout, "meshaudit assesses %d NIST SP 800-53 Rev5 controls\n\n", rep.Assessed)
			}
			var rows [][]string
			for _, c := range rep.Controls {
				by := strings.Join(c.Rules, ", ")
				if !c.Assessed {
					by = "—"
				}
				rows = append(rows, []string{c.ID, c.Title, c.Family, strings.Join(c.Baselines, ", "), by})
			}
			return output.TextTable(a.stdout, a.width(cmd), []string{"Control", "Title", "Family", "Baselines", "Assessed by"}, rows)
		},
	}
	c.Flags().StringP("output", "o", "table", "output format: table (fits the terminal, $COLUMNS or 80 columns), wide or json")
	c.Flags().String("baseline", "", "list a baseline's controls and which meshaudit assesses: low, moderate or high")
	addPolicyFlags(c)
	return c
}

// coverage maps rules to controls; with a baseline, it lists all of the
// baseline's controls, assessed or not.
func coverage(cat *rules.Catalog, baseline string) (*coverageReport, error) {
	byControl := map[string][]string{}
	for _, r := range cat.Rules {
		for _, id := range r.Controls {
			byControl[id] = append(byControl[id], r.ID)
		}
	}
	rep := &coverageReport{Baseline: baseline, Controls: []controlCoverage{}}
	add := func(ctl rules.Control) {
		ids := byControl[ctl.ID]
		sort.Strings(ids)
		if ids == nil {
			ids = []string{}
		}
		rep.Controls = append(rep.Controls, controlCoverage{ID: ctl.ID, Title: ctl.Title, Family: ctl.Family, Baselines: ctl.Baselines, Assessed: len(ids) > 0, Rules: ids})
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
