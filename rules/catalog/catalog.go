// Package catalog decodes meshaudit's rule catalog strictly from the
// `# METADATA` annotations of the Rego policies (the OPA side of package
// rules, which stays free of OPA).
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

// custom is the strict shape of `# METADATA custom:`.
type custom struct {
	ID          string         `json:"id"`
	Severity    string         `json:"severity"`
	Controls    []string       `json:"controls"`
	Remediation string         `json:"remediation"`
	Inputs      []string       `json:"inputs"`
	Subjects    []string       `json:"subjects"`
	Requires    []string       `json:"requires"`
	Examples    rules.Examples `json:"examples"`
}

var (
	idPattern      = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9]{2,}$`)
	controlPattern = regexp.MustCompile(`^[A-Z]{2}-[0-9]+(\([0-9]+\))?$`)
	kindPattern    = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(\.[a-z0-9.-]+)?$`)
)

// Embedded decodes the catalog of the embedded policies.
func Embedded() (*rules.Catalog, error) {
	mods, err := policies.Modules(false)
	if err != nil {
		return nil, fmt.Errorf("read embedded policies: %w", err)
	}
	return Load(mods)
}

// Load decodes the rules of the given Rego modules (see LoadModules),
// parsing them first; a caller that also builds an engine parses them once
// with policies.Parse and passes the result to both (evaluate.NewParsed).
func Load(mods []policies.Module) (*rules.Catalog, error) {
	parsed, err := policies.Parse(mods)
	if err != nil {
		return nil, err
	}
	return LoadModules(parsed)
}

// LoadModules decodes the rules of already-parsed Rego modules (parsed with
// policies.Parse: annotations processed): every module whose package is
// under meshaudit.rules or meshaudit.custom.rules (other packages are
// helper libraries). Every rule module must carry a package METADATA block
// with a valid custom section; anything missing, unknown or invalid, and a
// duplicate id, is an error naming file and line. The modules are only
// read.
func LoadModules(mods []*ast.Module) (*rules.Catalog, error) {
	var out []rules.Rule
	byID := map[string]int{}
	for _, mod := range mods {
		if !isRulePackage(mod.Package.Path.String()) {
			continue
		}
		path := mod.Package.Location.File
		line := mod.Package.Location.Row
		for _, a := range mod.Annotations {
			if a.Scope == "package" && a.Location != nil {
				line = a.Location.Row
			}
		}
		r, err := decode(path, mod)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if i, dup := byID[r.ID]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate rule id %s (also in %s)", path, line, r.ID, out[i].File)
		}
		byID[r.ID] = len(out)
		out = append(out, r)
	}
	return rules.NewCatalog(out), nil
}

// isRulePackage: built-in rules are in meshaudit.rules.<id>, custom ones
// in meshaudit.custom.rules.<id> (policies.CustomRulesRoot).
func isRulePackage(pkg string) bool {
	return strings.HasPrefix(pkg, "data.meshaudit.rules.") || strings.HasPrefix(pkg, "data."+policies.CustomRulesRoot+".")
}

func decode(path string, mod *ast.Module) (rules.Rule, error) {
	var pkgAnn *ast.Annotations
	for _, a := range mod.Annotations {
		if a.Scope == "package" {
			pkgAnn = a
		}
	}
	if pkgAnn == nil {
		return rules.Rule{}, fmt.Errorf("no package-scoped # METADATA block")
	}
	raw, err := json.Marshal(pkgAnn.Custom)
	if err != nil {
		return rules.Rule{}, fmt.Errorf("metadata custom: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var cu custom
	if err := dec.Decode(&cu); err != nil {
		return rules.Rule{}, fmt.Errorf("metadata custom: %w", err)
	}
	r := rules.Rule{
		ID:          cu.ID,
		Title:       strings.TrimSpace(pkgAnn.Title),
		Description: strings.TrimSpace(pkgAnn.Description),
		Controls:    cu.Controls,
		Remediation: strings.TrimSpace(cu.Remediation),
		Requires:    cu.Requires,
		Examples:    cu.Examples,
		Package:     mod.Package.Path.String(),
		File:        path,
	}
	if !idPattern.MatchString(r.ID) {
		return r, fmt.Errorf("custom.id %q is not of the form AREA-NN", r.ID)
	}
	root := "data.meshaudit.rules."
	if strings.HasPrefix(r.Package, "data."+policies.CustomRulesRoot+".") {
		root = "data." + policies.CustomRulesRoot + "."
	}
	if want := root + strings.ReplaceAll(strings.ToLower(r.ID), "-", "_"); r.Package != want {
		return r, fmt.Errorf("rule %s must be in package %s, not %s", r.ID, strings.TrimPrefix(want, "data."), strings.TrimPrefix(r.Package, "data."))
	}
	if r.Severity, err = rules.ParseSeverity(cu.Severity); err != nil {
		return r, fmt.Errorf("custom.severity: %w", err)
	}
	if r.Title == "" {
		return r, fmt.Errorf("title is required")
	}
	if r.Description == "" {
		return r, fmt.Errorf("description is required")
	}
	if r.Remediation == "" {
		return r, fmt.Errorf("custom.remediation is required")
	}
	if len(r.Controls) == 0 {
		return r, fmt.Errorf("custom.controls: at least one NIST SP 800-53 control is required")
	}
	for _, id := range r.Controls {
		if !controlPattern.MatchString(id) {
			return r, fmt.Errorf("custom.controls: %q is not of the form SC-8 or SC-8(1)", id)
		}
		ctl, ok, err := rules.NISTControl(id)
		if err != nil {
			return r, err
		}
		if !ok {
			return r, fmt.Errorf("custom.controls: %s is not a NIST SP 800-53 Rev5 control", id)
		}
		if ctl.Withdrawn {
			return r, fmt.Errorf("custom.controls: %s is withdrawn in NIST SP 800-53 Rev5", id)
		}
	}
	if r.Inputs, err = kinds("inputs", cu.Inputs); err != nil {
		return r, err
	}
	if len(r.Inputs) == 0 {
		return r, fmt.Errorf("custom.inputs: list every kind the rule reads")
	}
	if r.Subjects, err = kinds("subjects", cu.Subjects); err != nil {
		return r, err
	}
	for _, q := range r.Requires {
		if q != rules.RequiresRootNamespace && q != rules.RequiresMeshConfig && q != rules.RequiresIstio {
			return r, fmt.Errorf("custom.requires: unknown %q (want %s, %s or %s)", q, rules.RequiresRootNamespace, rules.RequiresMeshConfig, rules.RequiresIstio)
		}
	}
	if r.Requires == nil {
		r.Requires = []string{}
	}
	// Mesh config lives in a ConfigMap: a rule requiring it reads ConfigMaps.
	if has(r.Requires, rules.RequiresMeshConfig) && !has(r.Inputs, "ConfigMap") {
		r.Inputs = append(r.Inputs, "ConfigMap")
		sort.Strings(r.Inputs)
	}
	return r, nil
}

func kinds(field string, in []string) ([]string, error) {
	set := map[string]bool{}
	for _, k := range in {
		if k == "workloads" {
			for _, w := range rules.WorkloadKinds {
				set[w] = true
			}
			continue
		}
		if !kindPattern.MatchString(k) {
			return nil, fmt.Errorf("custom.%s: %q is not a kind key (Kind or Kind.group) or `workloads`", field, k)
		}
		set[k] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
