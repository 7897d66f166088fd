package cmd

import (
	"fmt"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/diff"
)

func newDiffCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Compare two scans: new, fixed and unchanged findings, control status changes",
		Long: `Compare two JSON reports (or fleet reports, or evidence bundle directories):
findings new, fixed and unchanged by their stable fingerprint, and controls
whose status changed, cluster by cluster.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, _ := cmd.Flags().GetString("output")
			if format != "table" && format != "json" {
				return usageErr("diff: unknown output %q (want table or json)", format)
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
				return writeJSON(a, res)
			}
			for _, cl := range res.Clusters {
				fmt.Fprintf(a.stdout, "cluster %q: %d new, %d fixed, %d unchanged findings; %d control status changes\n", cl.Cluster, len(cl.New), len(cl.Fixed), cl.Unchanged, len(cl.Controls))
				var rows [][]string
				for _, f := range cl.New {
					rows = append(rows, []string{"NEW", strings.ToUpper(f.Severity.String()), f.RuleID, f.FQN(), f.Message})
				}
				for _, f := range cl.Fixed {
					rows = append(rows, []string{"FIXED", strings.ToUpper(f.Severity.String()), f.RuleID, f.FQN(), f.Message})
				}
				if len(rows) > 0 {
					t := tablewriter.NewTable(a.stdout, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowMaxWidth(60))
					t.Header([]string{"Change", "Severity", "Rule", "Resource", "Message"})
					if err := t.Bulk(rows); err != nil {
						return err
					}
					if err := t.Render(); err != nil {
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
		},
	}
	c.Flags().StringP("output", "o", "table", "output format: table or json")
	return c
}
