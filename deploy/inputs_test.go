package deploy_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/rules/catalog"
)

// rootNamespace is the Istio root namespace deploy/rbac.yaml and the
// chart's default values grant the mesh ConfigMaps in.
const rootNamespace = "istio-system"

// grant is one RBAC rule, with where it applies: cluster-wide (a
// ClusterRole) or in one namespace (a Role).
type grant struct {
	namespace string // "" for a ClusterRole
	groups    []string
	resources []string
	verbs     []string
}

// grantsOf reads the ClusterRoles' and Roles' rules of a manifest stream.
func grantsOf(t *testing.T, stream string) []grant {
	t.Helper()
	var out []grant
	for _, o := range decode(t, stream) {
		if o.Kind != "ClusterRole" && o.Kind != "Role" {
			continue
		}
		ns := ""
		if o.Kind == "Role" {
			ns, _ = o.Metadata["namespace"].(string)
		}
		for _, r := range rulesOf(t, o) {
			out = append(out, grant{namespace: ns, groups: r.APIGroups, resources: r.Resources, verbs: r.Verbs})
		}
	}
	return out
}

// place is somewhere a kind a rule reads must be provided.
type place struct {
	name string
	// missing says why kind is not provided there ("" when it is).
	missing func(kind string) string
}

// livePlace: the live collector lists the kind (collectors.LiveKinds, or
// collectors.SecretKind with --secret-names).
func livePlace() place {
	return place{"collected live (collectors/kinds.go LiveKinds)", func(kind string) string {
		if _, ok := liveSpec(kind); ok {
			return ""
		}
		return "not in collectors.LiveKinds"
	}}
}

func liveSpec(kind string) (collectors.KindSpec, bool) {
	for _, k := range append(slices.Clone(collectors.LiveKinds), collectors.SecretKind) {
		if k.Key() == kind {
			return k, true
		}
	}
	return collectors.KindSpec{}, false
}

// rbacPlace: the grants let the collector read the kind where it reads it
// — get and list cluster-wide, or in the root namespace for the kinds read
// only there; list for the metadata-only kinds (Secret names).
func rbacPlace(name string, grants func(kind collectors.KindSpec) []grant) place {
	return place{name, func(kind string) string {
		k, ok := liveSpec(kind)
		if !ok {
			return "no resource to grant (the kind is not collected live)"
		}
		need := []string{"get", "list"}
		if k.MetadataOnly {
			need = []string{"list"}
		}
		for _, verb := range need {
			if !granted(grants(k), k, verb) {
				where := "cluster-wide"
				if k.RootOnly {
					where = "in namespace " + rootNamespace
				}
				return fmt.Sprintf("%s %q of group %q not granted %s", verb, k.Resource, k.Group, where)
			}
		}
		return ""
	}}
}

func granted(gs []grant, k collectors.KindSpec, verb string) bool {
	for _, g := range gs {
		if g.namespace != "" && !(k.RootOnly && g.namespace == rootNamespace) {
			continue
		}
		if (slices.Contains(g.groups, k.Group) || slices.Contains(g.groups, "*")) &&
			(slices.Contains(g.resources, k.Resource) || slices.Contains(g.resources, "*")) &&
			(slices.Contains(g.verbs, verb) || slices.Contains(g.verbs, "*")) {
			return true
		}
	}
	return false
}

// genPlace: the generated clusters (benchmarks, the differential test)
// hold objects of the kind.
func genPlace(kinds map[string]int) place {
	return place{"produced by the generator (internal/gen)", func(kind string) string {
		if kinds[kind] > 0 {
			return ""
		}
		return "no object of the kind in a generated cluster"
	}}
}

// inputGaps lists, for every kind a rule reads (inputs:) or judges
// (subjects:), each place that does not provide it, naming the rule.
func inputGaps(rs []rules.Rule, places []place) []string {
	var out []string
	for _, r := range rs {
		kinds := slices.Clone(r.Inputs)
		for _, s := range r.Subjects {
			if !slices.Contains(kinds, s) {
				kinds = append(kinds, s)
			}
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			for _, p := range places {
				if why := p.missing(k); why != "" {
					out = append(out, fmt.Sprintf("%s (%s) reads %s: not %s: %s", r.ID, r.File, k, p.name, why))
				}
			}
		}
	}
	return out
}

// places are the real ones: the live collector, deploy/rbac.yaml, the
// chart's RBAC (rendered with default values; with rbac.secretNames for
// the kinds only that setting grants) and the generator.
func places(t *testing.T) []place {
	t.Helper()
	plain, err := os.ReadFile("rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plainGrants := grantsOf(t, string(plain))
	chart := grantsOf(t, render(t, nil))
	chartSecrets := grantsOf(t, render(t, map[string]any{"rbac": map[string]any{"secretNames": true}}))
	generated := map[string]int{}
	for _, k := range gen.Generate(gen.Config{Objects: 2000, Seed: 1}).Snapshot("gen").Kinds {
		generated[k.Kind] += k.Count
	}
	return []place{
		livePlace(),
		rbacPlace("granted by deploy/rbac.yaml", func(collectors.KindSpec) []grant { return plainGrants }),
		rbacPlace("granted by the chart's ClusterRole and Role (deploy/helm/meshaudit/templates)", func(k collectors.KindSpec) []grant {
			if k.MetadataOnly {
				return chartSecrets // rbac.secretNames: the operator's choice
			}
			return chart
		}),
		genPlace(generated),
	}
}

// TestInputsCollected: every kind a rule declares in its metadata
// (inputs:, subjects:) is collected live, granted by the RBAC meshaudit
// ships (deploy/rbac.yaml, the chart) and produced by the generator.
// Otherwise a new rule would go silently unknown in every live scan (its
// kind "not collected" or forbidden) and untested at scale.
func TestInputsCollected(t *testing.T) {
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Rules) == 0 {
		t.Fatal("no rules")
	}
	for _, gap := range inputGaps(cat.Rules, places(t)) {
		t.Error(gap)
	}
}

// TestInputsCollectedNamesGaps: a rule reading a kind nothing provides is
// reported once per place, naming the rule, its file and the kind; a kind
// collected but not granted is reported for the RBAC alone.
func TestInputsCollectedNamesGaps(t *testing.T) {
	ps := places(t)
	novel := rules.Rule{ID: "NEW-01", File: "policies/rules/new_01.rego", Inputs: []string{"Pod", "Widget.example.com"}}
	gaps := inputGaps([]rules.Rule{novel}, ps)
	if len(gaps) != len(ps) {
		t.Fatalf("gaps %q, want one per place (%d)", gaps, len(ps))
	}
	for i, g := range gaps {
		if !strings.HasPrefix(g, "NEW-01 (policies/rules/new_01.rego) reads Widget.example.com: not "+ps[i].name) {
			t.Errorf("gap %q does not name the rule, the kind and the place %q", g, ps[i].name)
		}
	}
	// Secrets are collected (names only, with --secret-names) and the
	// chart grants them with rbac.secretNames; deploy/rbac.yaml does not.
	gaps = inputGaps([]rules.Rule{{ID: "NEW-02", Subjects: []string{"Secret"}}}, ps)
	var where []string
	for _, g := range gaps {
		where = append(where, strings.SplitN(strings.TrimPrefix(g, "NEW-02 () reads Secret: not "), ":", 2)[0])
	}
	if len(gaps) != 2 || where[0] != "granted by deploy/rbac.yaml" || where[1] != ps[3].name {
		t.Errorf("Secret gaps %q", gaps)
	}
}
