package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/scanner"
)

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
			rep, err := scanner.Coverage(cat, baseline)
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
