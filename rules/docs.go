package rules

import (
	"fmt"
	"strings"
)

// Markdown renders the catalog reference (docs/rules.md). It is generated
// from the annotations; a test fails when the checked-in file drifts.
func Markdown(c *Catalog) string {
	var b strings.Builder
	b.WriteString("# meshaudit rules\n\n")
	b.WriteString("<!-- Generated from the policies' # METADATA annotations by `MESHAUDIT_UPDATE_GOLDEN=1 go test ./rules/`. Do not edit. -->\n\n")
	fmt.Fprintf(&b, "%d rules.\n\n", len(c.Rules))
	b.WriteString("| ID | Severity | NIST SP 800-53 Rev5 | Title |\n|---|---|---|---|\n")
	for _, r := range c.Rules {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, strings.Join(r.Controls, ", "), r.Title)
	}
	for _, r := range c.Rules {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** — severity %s; NIST SP 800-53 Rev5: %s.\n\n", r.ID, r.Title, r.Severity, strings.Join(r.Controls, ", "))
		fmt.Fprintf(&b, "%s\n\n", r.Description)
		fmt.Fprintf(&b, "Reads: %s.", strings.Join(r.Inputs, ", "))
		if len(r.Requires) > 0 {
			fmt.Fprintf(&b, " In a manifest scan, needs: %s (otherwise not applicable).", strings.Join(r.Requires, ", "))
		}
		fmt.Fprintf(&b, " Source: `policies/%s`.\n\n**Remediation.** %s\n", r.File, r.Remediation)
		if r.Examples.Fail != "" {
			fmt.Fprintf(&b, "\nFails:\n\n```yaml\n%s\n```\n", strings.TrimRight(r.Examples.Fail, "\n"))
		}
		if r.Examples.Note != "" {
			fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(r.Examples.Note))
		}
		if r.Examples.Pass != "" {
			fmt.Fprintf(&b, "\nPasses:\n\n```yaml\n%s\n```\n", strings.TrimRight(r.Examples.Pass, "\n"))
		}
	}
	return b.String()
}
