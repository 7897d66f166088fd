// Package rules is meshaudit's rule catalog, decoded strictly from the
// `# METADATA` annotations of the Rego policies; nothing about a rule is
// restated in Go.
package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/policies"
)

// Severity of a rule or finding. The zero value is invalid.
type Severity int

// Severities, lowest first.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = map[Severity]string{
	SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high", SeverityCritical: "critical",
}

func (s Severity) String() string { return severityNames[s] }

// ParseSeverity parses critical|high|medium|low.
func ParseSeverity(v string) (Severity, error) {
	for s, n := range severityNames {
		if n == v {
			return s, nil
		}
	}
	return 0, fmt.Errorf("invalid severity %q (want critical, high, medium or low)", v)
}

// MarshalJSON writes the severity name.
func (s Severity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p, err := ParseSeverity(v)
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// SARIFScore is GitHub's security-severity for the severity.
func (s Severity) SARIFScore() string {
	switch s {
	case SeverityCritical:
		return "9.5"
	case SeverityHigh:
		return "8.0"
	case SeverityMedium:
		return "5.5"
	default:
		return "3.0"
	}
}

// Requirements (custom.requires). root_namespace and mesh_config scope a
// manifest scan: without them in the input the rule is not applicable.
// istio marks a rule about the mesh itself: on a live cluster where Istio is
// not installed it fails with that reason.
const (
	RequiresRootNamespace = "root_namespace"
	RequiresMeshConfig    = "mesh_config"
	RequiresIstio         = "istio"
)

// WorkloadKinds is what the `workloads` alias in inputs/subjects expands to.
var WorkloadKinds = []string{"CronJob", "DaemonSet", "Deployment", "Job", "Pod", "ReplicaSet", "StatefulSet"}

// Rule is one check.
type Rule struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    Severity `json:"severity"`
	Controls    []string `json:"controls"`
	Remediation string   `json:"remediation"`
	Inputs      []string `json:"inputs"`             // kind keys, aliases expanded, sorted
	Subjects    []string `json:"subjects,omitempty"` // kind keys; none in input ⇒ not applicable
	Requires    []string `json:"requires,omitempty"`
	Package     string   `json:"package"` // Rego package path, e.g. data.meshaudit.rules.mtls_01
	File        string   `json:"file"`
	// Examples are manifests on which the rule fails and passes; docs show
	// them and a test evaluates them.
	Examples Examples `json:"examples"`
}

// Examples of a rule, as manifest YAML (several documents allowed).
type Examples struct {
	Fail string `json:"fail,omitempty"`
	Pass string `json:"pass,omitempty"`
	// Note explains a missing example, e.g. a rule that fails only on a
	// live cluster.
	Note string `json:"note,omitempty"`
}

// custom is the strict shape of `# METADATA custom:`.
type custom struct {
	ID          string   `json:"id"`
	Severity    string   `json:"severity"`
	Controls    []string `json:"controls"`
	Remediation string   `json:"remediation"`
	Inputs      []string `json:"inputs"`
	Subjects    []string `json:"subjects"`
	Requires    []string `json:"requires"`
	Examples    Examples `json:"examples"`
}

var (
	idPattern      = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9]{2,}$`)
	controlPattern = regexp.MustCompile(`^[A-Z]{2}-[0-9]+(\([0-9]+\))?$`)
	kindPattern    = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*(\.[a-z0-9.-]+)?$`)
)

// Catalog is the set of rules, sorted by id.
type Catalog struct {
	Rules []Rule
	byID  map[string]int
}

// Filter returns the catalog of the rules keep accepts.
func (c *Catalog) Filter(keep func(Rule) bool) *Catalog {
	out := &Catalog{byID: map[string]int{}}
	for _, r := range c.Rules {
		if keep(r) {
			out.byID[r.ID] = len(out.Rules)
			out.Rules = append(out.Rules, r)
		}
	}
	return out
}

// Get returns a rule by id.
func (c *Catalog) Get(id string) (Rule, bool) {
	i, ok := c.byID[id]
	if !ok {
		return Rule{}, false
	}
	return c.Rules[i], true
}

// Embedded decodes the catalog of the embedded policies.
func Embedded() (*Catalog, error) {
	mods, err := policies.Modules(false)
	if err != nil {
		return nil, fmt.Errorf("read embedded policies: %w", err)
	}
	return Load(mods)
}

// Load decodes the rules of the given Rego modules: every module whose
// package is under meshaudit.rules or meshaudit.custom.rules (other packages are helper libraries;
// _test.rego files are tests). Every rule module must carry a package
// METADATA block with a valid custom section; anything missing, unknown or
// invalid, and a duplicate id, is an error naming file and line.
func Load(mods []policies.Module) (*Catalog, error) {
	c := &Catalog{byID: map[string]int{}}
	for _, m := range mods {
		if strings.HasSuffix(m.Path, "_test.rego") {
			continue
		}
		mod, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", m.Path, err)
		}
		if !isRulePackage(mod.Package.Path.String()) {
			continue
		}
		line := mod.Package.Location.Row
		for _, a := range mod.Annotations {
			if a.Scope == "package" && a.Location != nil {
				line = a.Location.Row
			}
		}
		r, err := decode(m.Path, mod)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", m.Path, line, err)
		}
		if i, dup := c.byID[r.ID]; dup {
			return nil, fmt.Errorf("%s:%d: duplicate rule id %s (also in %s)", m.Path, line, r.ID, c.Rules[i].File)
		}
		c.byID[r.ID] = len(c.Rules)
		c.Rules = append(c.Rules, r)
	}
	sort.Slice(c.Rules, func(i, j int) bool { return c.Rules[i].ID < c.Rules[j].ID })
	for i, r := range c.Rules {
		c.byID[r.ID] = i
	}
	return c, nil
}

// isRulePackage: built-in rules are in meshaudit.rules.<id>, custom ones
// in meshaudit.custom.rules.<id> (policies.CustomRulesRoot).
func isRulePackage(pkg string) bool {
	return strings.HasPrefix(pkg, "data.meshaudit.rules.") || strings.HasPrefix(pkg, "data."+policies.CustomRulesRoot+".")
}

func decode(path string, mod *ast.Module) (Rule, error) {
	var pkgAnn *ast.Annotations
	for _, a := range mod.Annotations {
		if a.Scope == "package" {
			pkgAnn = a
		}
	}
	if pkgAnn == nil {
		return Rule{}, fmt.Errorf("no package-scoped # METADATA block")
	}
	raw, err := json.Marshal(pkgAnn.Custom)
	if err != nil {
		return Rule{}, fmt.Errorf("metadata custom: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var cu custom
	if err := dec.Decode(&cu); err != nil {
		return Rule{}, fmt.Errorf("metadata custom: %w", err)
	}
	r := Rule{
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
	if r.Severity, err = ParseSeverity(cu.Severity); err != nil {
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
		ctl, ok, err := NISTControl(id)
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
		if q != RequiresRootNamespace && q != RequiresMeshConfig && q != RequiresIstio {
			return r, fmt.Errorf("custom.requires: unknown %q (want %s, %s or %s)", q, RequiresRootNamespace, RequiresMeshConfig, RequiresIstio)
		}
	}
	if r.Requires == nil {
		r.Requires = []string{}
	}
	// Mesh config lives in a ConfigMap: a rule requiring it reads ConfigMaps.
	if has(r.Requires, RequiresMeshConfig) && !has(r.Inputs, "ConfigMap") {
		r.Inputs = append(r.Inputs, "ConfigMap")
		sort.Strings(r.Inputs)
	}
	return r, nil
}

func kinds(field string, in []string) ([]string, error) {
	set := map[string]bool{}
	for _, k := range in {
		if k == "workloads" {
			for _, w := range WorkloadKinds {
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
