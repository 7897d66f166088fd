package cmd

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/scanner"
)

func newRulesCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "rules [ID]",
		Short: "List the rule catalog, or show one rule",
		Long: `List every rule (id, severity, NIST SP 800-53 controls, title), or show one
rule with its description and remediation. -o json for machine-readable output.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, _ := cmd.Flags().GetString("output")
			if format != "table" && format != "wide" && format != "json" {
				return usageErr("rules: unknown output %q (want table, wide or json)", format)
			}
			_, cat, err := a.policySet()
			if err != nil {
				return err
			}
			if len(args) == 1 {
				r, ok := cat.Get(strings.ToUpper(args[0]))
				if !ok {
					return usageErr("no rule %q (meshaudit rules lists them)", args[0])
				}
				if format == "json" {
					return writeJSON(a, r)
				}
				fmt.Fprintf(a.stdout, "%s  %s\n\nSeverity:     %s\nNIST 800-53:  %s\nReads:        %s\n", r.ID, r.Title, r.Severity, strings.Join(r.Controls, ", "), strings.Join(r.Inputs, ", "))
				if len(r.Requires) > 0 {
					fmt.Fprintf(a.stdout, "Manifest scan needs: %s\n", strings.Join(r.Requires, ", "))
				}
				fmt.Fprintf(a.stdout, "\n%s\n\nRemediation:\n%s\n", r.Description, r.Remediation)
				return nil
			}
			if format == "json" {
				return writeJSON(a, cat.Rules)
			}
			var rows [][]string
			for _, r := range cat.Rules {
				rows = append(rows, []string{r.ID, r.Severity.String(), strings.Join(r.Controls, ", "), r.Title})
			}
			return output.TextTable(a.stdout, a.width(cmd), []string{"ID", "Severity", "NIST 800-53", "Title"}, rows)
		},
	}
	c.Flags().StringP("output", "o", "table", "output format: table (fits the terminal, $COLUMNS or 80 columns), wide or json")
	addPolicyFlags(c)
	return c
}

func writeJSON(a *app, v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// policySet loads the embedded policies and every --policy directory.
func (a *app) policySet() ([]policies.Module, *rules.Catalog, error) {
	var o struct {
		Dirs []string `mapstructure:"policy"`
	}
	if err := a.decode(&o); err != nil {
		return nil, nil, err
	}
	return scanner.LoadPolicies(o.Dirs)
}
