package cmd

import (
	"fmt"
	"strings"

	"github.com/meshaudit/meshaudit/report"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/output"
)

func newDiffCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two scans: new, fixed, updated and unchanged findings, control status changes",
		Long: `Compare two JSON reports (or fleet reports, or evidence bundle directories):
findings new, fixed, updated (same fingerprint; severity, controls or line in
the same file changed) and unchanged by their stable fingerprint, and controls whose
status changed, cluster by cluster.

With --exit-code, exit 1 when NEW has findings that OLD does not (excepted
ones aside), like git diff --exit-code; else 0.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, _ := cmd.Flags().GetString("output")
			if format != "table" && format != "wide" && format != "json" {
				return usageErr("diff: unknown output %q (want table, wide or json)", format)
			}
			old, err := diff.ReadReports(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			cur, err := diff.ReadReports(args[1])
			if err != nil {
				return usageErr("%v", err)
			}
			res := diff.Compare(old, cur)
			if format == "json" {
				err = writeJSON(a, res)
			} else {
				err = diffTable(a, a.width(cmd), res)
			}
			if err != nil {
				return err
			}
			if exit, _ := cmd.Flags().GetBool("exit-code"); exit {
				n := 0
				for _, cl := range res.Clusters {
					for _, f := range cl.New {
						if f.Exception == nil {
							n++
						}
					}
				}
				if n > 0 {
					fmt.Fprintf(a.stderr, "meshaudit: %d new finding(s)\n", n)
					return &exitError{code: ExitFindings, err: fmt.Errorf("%d new finding(s)", n)}
				}
			}
			return nil
		},
	}
	c.Flags().StringP("output", "o", "table", "output format: table (fits the terminal, $COLUMNS or 80 columns), wide or json")
	c.Flags().Bool("exit-code", false, "exit 1 when there are new findings (excepted ones aside), like git diff --exit-code")
	return c
}

func diffTable(a *app, width int, res diff.Result) error {
	for _, cl := range res.Clusters {
		output.Wrap(a.stdout, width, fmt.Sprintf("cluster %q: %d new, %d fixed, %d updated, %d unchanged findings; %d control status changes",
			cl.Cluster, len(cl.New), len(cl.Fixed), len(cl.Updated), cl.Unchanged, len(cl.Controls)))
		var rows [][]string
		add := func(change string, fs []report.Finding) {
			for _, f := range fs {
				rows = append(rows, []string{change, strings.ToUpper(f.Severity.String()), f.RuleID, f.FQN(), f.Message})
			}
		}
		add("NEW", cl.New)
		add("FIXED", cl.Fixed)
		add("UPDATED", cl.Updated)
		if len(rows) > 0 {
			if err := output.TextTable(a.stdout, width, []string{"Change", "Severity", "Rule", "Resource", "Message"}, rows); err != nil {
				return err
			}
		}
		for _, ch := range cl.Controls {
			old := string(ch.Old)
			if old == "" {
				old = "not assessed"
			}
			nw := string(ch.New)
			if nw == "" {
				nw = "not assessed"
			}
			fmt.Fprintf(a.stdout, "  %s: %s -> %s\n", ch.ID, old, nw)
		}
	}
	return nil
}
