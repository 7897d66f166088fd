// Package rules holds meshaudit's rule catalog types, severities and the
// NIST SP 800-53 control table. It has no OPA dependency: the catalog is
// decoded from the policies' `# METADATA` annotations by rules/catalog;
// nothing about a rule is restated in Go.
package rules

import (
	"encoding/json"
	"fmt"
	"sort"
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

// NewCatalog returns the catalog of rs, sorted by id. Ids must be unique
// (rules/catalog reports a duplicate with its file and line).
func NewCatalog(rs []Rule) *Catalog {
	c := &Catalog{Rules: rs, byID: make(map[string]int, len(rs))}
	sort.Slice(c.Rules, func(i, j int) bool { return c.Rules[i].ID < c.Rules[j].ID })
	for i, r := range c.Rules {
		c.byID[r.ID] = i
	}
	return c
}
