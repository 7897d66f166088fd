package cmd

import (
	"strings"

	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

func addPolicyFlags(c *cobra.Command) {
	c.Flags().StringArray("policy", nil, "directory of custom Rego policies (same annotation contract); repeatable")
}

func addFilterFlags(c *cobra.Command) {
	c.Flags().StringSlice("rules", nil, "evaluate only these rule ids (comma-separated)")
	c.Flags().StringSlice("skip-rules", nil, "do not evaluate these rule ids")
	c.Flags().StringSlice("controls", nil, "evaluate only rules mapped to these NIST controls; a control selects its enhancements (SC-8 selects SC-8(1))")
	c.Flags().String("severity", "", "report only findings at or above this severity, by the finding's own severity (a rule may report findings below its own): critical, high, medium or low; rules that cannot reach it are not evaluated")
}

// policySet loads the embedded policies and every --policy directory, and
// decodes the catalog (custom rules must follow the same contract).
func (a *app) policySet() ([]policies.Module, *rules.Catalog, error) {
	mods, _, cat, err := a.parsedPolicySet()
	return mods, cat, err
}

// parsedPolicySet is policySet with the modules parsed, once, for both the
// catalog and the engine (evaluate.NewParsed).
func (a *app) parsedPolicySet() ([]policies.Module, []*ast.Module, *rules.Catalog, error) {
	mods, err := policies.Modules(false)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, dir := range a.list("policy") {
		custom, err := policies.LoadDir(dir)
		if err != nil {
			return nil, nil, nil, usageErr("%v", err)
		}
		if err := policies.CheckCustom(custom); err != nil {
			return nil, nil, nil, usageErr("policies: %v", err)
		}
		for _, m := range custom {
			if !strings.HasSuffix(m.Path, "_test.rego") {
				mods = append(mods, m)
			}
		}
	}
	parsed, err := policies.Parse(mods)
	if err != nil {
		return nil, nil, nil, usageErr("policies: %v", err)
	}
	cat, err := catalog.LoadModules(parsed)
	if err != nil {
		return nil, nil, nil, usageErr("policies: %v", err)
	}
	return mods, parsed, cat, nil
}

// filter applies --rules, --skip-rules, --controls and --severity. An id or
// control that selects nothing is a usage error (a typo must not silently
// evaluate nothing).
func (a *app) filter(cat *rules.Catalog) (*rules.Catalog, error) {
	only := set(a.list("rules"))
	skip := set(a.list("skip-rules"))
	controls := a.list("controls")
	var min rules.Severity
	if s := a.v.GetString("severity"); s != "" {
		var err error
		if min, err = rules.ParseSeverity(strings.ToLower(s)); err != nil {
			return nil, usageErr("--severity: %v", err)
		}
	}
	for _, list := range []map[string]bool{only, skip} {
		for id := range list {
			if _, ok := cat.Get(id); !ok {
				return nil, usageErr("no rule %q (meshaudit rules lists them)", id)
			}
		}
	}
	for _, c := range controls {
		if _, ok, _ := rules.NISTControl(c); !ok {
			return nil, usageErr("--controls: %s is not a NIST SP 800-53 Rev5 control", c)
		}
	}
	out := cat.Filter(func(r rules.Rule) bool {
		if len(only) > 0 && !only[r.ID] || skip[r.ID] || r.Severity < min {
			return false
		}
		if len(controls) == 0 {
			return true
		}
		for _, want := range controls {
			for _, have := range r.Controls {
				if have == want || (!strings.Contains(want, "(") && rules.BaseID(have) == want) {
					return true
				}
			}
		}
		return false
	})
	if len(out.Rules) == 0 {
		return nil, usageErr("the filters select no rule")
	}
	return out, nil
}

func set(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[strings.ToUpper(strings.TrimSpace(s))] = true
	}
	return m
}
