package evaluate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

func module(id, extra, body string) policies.Module {
	pkg := strings.ReplaceAll(strings.ToLower(id), "-", "_")
	return policies.Module{Path: "rules/" + pkg + ".rego", Source: "# METADATA\n# title: " + id + "\n# description: d\n# custom:\n#   id: " + id +
		"\n#   severity: high\n#   controls: [AC-4]\n#   remediation: r\n" + extra + "package meshaudit.rules." + pkg + "\n\nimport rego.v1\n\n" + body}
}

func engine(t *testing.T, mods ...policies.Module) (*evaluate.Engine, *rules.Catalog) {
	t.Helper()
	cat, err := catalog.Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	// The rule library too: the engine reads the input's mesh-wide scope
	// from it (lib.scope).
	all, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if strings.HasPrefix(m.Path, "lib/") {
			mods = append(mods, m)
		}
	}
	e, err := evaluate.New(context.Background(), cat, mods, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return e, cat
}

func snap(source string, objs ...snapshot.Object) *snapshot.Snapshot {
	return &snapshot.Snapshot{SchemaVersion: snapshot.SchemaVersion, Cluster: "c", Source: snapshot.Source{Type: source}, Objects: objs}
}

func pod(ns, name string, spec map[string]any) snapshot.Object {
	return snapshot.Object{APIVersion: "v1", Kind: "Pod", Namespace: ns, Name: name, File: "p.yaml", Line: 3,
		Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": name, "namespace": ns}, "spec": spec}}
}

func status(t *testing.T, rep *report.Report, id string) report.RuleResult {
	t.Helper()
	for _, r := range rep.Rules {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("rule %s not in report", id)
	return report.RuleResult{}
}

const findPods = `deny contains {"msg": sprintf("pod %s", [p.metadata.name]), "resource": {"apiVersion": "v1", "kind": "Pod", "namespace": p.metadata.namespace, "name": p.metadata.name}} if {
	some p in input.objects.Pod
}
`

func TestFailingRuleIsUnknownOthersStillRun(t *testing.T) {
	e, _ := engine(t,
		module("T-01", "#   inputs: [Pod]\n", findPods),
		// A built-in error on a string that is not a number.
		module("T-02", "#   inputs: [Pod]\n", `deny contains {"msg": "x"} if { some p in input.objects.Pod; to_number(p.metadata.name) > 1 }`+"\n"),
		// Conflicting values for a complete rule.
		module("T-03", "#   inputs: [Pod]\n", `x := p.metadata.name if { some p in input.objects.Pod }`+"\n"+`deny contains {"msg": x} if x`+"\n"),
	)
	rep, err := e.Evaluate(context.Background(), snap("manifests", pod("a", "one", nil), pod("a", "two", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if r := status(t, rep, "T-01"); r.Status != report.StatusFail || r.Findings != 2 {
		t.Errorf("T-01: %+v", r)
	}
	for _, id := range []string{"T-02", "T-03"} {
		if r := status(t, rep, id); r.Status != report.StatusUnknown || !strings.Contains(r.Reason, "evaluation error") {
			t.Errorf("%s: %+v", id, r)
		}
	}
	if rep.Summary.Complete {
		t.Error("report with unknown rules is complete")
	}
	f := rep.Findings[0]
	if f.File != "p.yaml" || f.Line != 3 || f.FQN() != "Pod/a/one" || f.Fingerprint == "" {
		t.Errorf("finding %+v", f)
	}
}

func TestStatuses(t *testing.T) {
	e, _ := engine(t,
		module("T-01", "#   inputs: [Pod]\n#   subjects: [Pod]\n", findPods),
		module("T-02", "#   inputs: [PeerAuthentication]\n#   requires: [root_namespace]\n", `deny contains {"msg": "no mesh policy"} if { count(object.get(input.objects, "PeerAuthentication", [])) == 0 }`+"\n"),
		module("T-03", "#   inputs: [Gateway]\n#   subjects: [Gateway]\n", `deny contains {"msg": "x"} if false`+"\n"),
		module("T-04", "#   inputs: [Pod]\n", `deny contains {"msg": "m", "severity": "critical"} if true`+"\n"),
		module("T-05", "#   inputs: [Pod]\n", `deny contains {"msg": "m", "severity": "low", "resource": {"kind": "Namespace", "name": "a"}} if true`+"\n"),
	)
	ctx := context.Background()
	// Manifests without the root namespace: T-02 not applicable; no
	// Gateway: T-03 not applicable; a severity above the rule's: unknown.
	rep, err := e.Evaluate(ctx, snap("manifests", pod("a", "one", nil)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]report.Status{"T-01": report.StatusFail, "T-02": report.StatusNotApplicable, "T-03": report.StatusNotApplicable, "T-04": report.StatusUnknown, "T-05": report.StatusFail}
	for id, st := range want {
		if r := status(t, rep, id); r.Status != st {
			t.Errorf("%s: %s (%s), want %s", id, r.Status, r.Reason, st)
		}
	}
	// The implied namespace is located at its first object.
	for _, f := range rep.Findings {
		if f.RuleID == "T-05" && (f.File != "p.yaml" || f.Severity != rules.SeverityLow) {
			t.Errorf("T-05 finding %+v", f)
		}
	}
	// An object that merely lives in the root namespace is no mesh-wide
	// evidence; the mesh config is, and T-02 is judged.
	rep, _ = e.Evaluate(ctx, snap("manifests", pod("a", "one", nil), pod("istio-system", "x", nil)))
	if r := status(t, rep, "T-02"); r.Status != report.StatusNotApplicable {
		t.Errorf("T-02 with an unrelated root object: %+v", r)
	}
	meshCM := snapshot.Object{APIVersion: "v1", Kind: "ConfigMap", Namespace: "istio-system", Name: "istio", File: "m.yaml", Line: 1,
		Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "istio", "namespace": "istio-system"}, "data": map[string]any{"mesh": "{}"}}}
	rep, _ = e.Evaluate(ctx, snap("manifests", pod("a", "one", nil), meshCM))
	if r := status(t, rep, "T-02"); r.Status != report.StatusFail {
		t.Errorf("T-02 with the mesh config: %+v", r)
	}
	// A live snapshot whose Pods were forbidden: rules reading Pods are
	// unknown, never pass; the control rolls up to unknown.
	s := snap("cluster")
	s.Kinds = []snapshot.KindStatus{{Kind: "Pod", Status: snapshot.StatusForbidden, Reason: "pods is forbidden"}, {Kind: "Gateway", Status: snapshot.StatusAbsent}, {Kind: "PeerAuthentication", Status: snapshot.StatusCollected}}
	rep, _ = e.Evaluate(ctx, s)
	if r := status(t, rep, "T-01"); r.Status != report.StatusUnknown || !strings.Contains(r.Reason, "forbidden") {
		t.Errorf("T-01 forbidden: %+v", r)
	}
	if r := status(t, rep, "T-03"); r.Status != report.StatusNotApplicable {
		t.Errorf("T-03 absent kind: %+v", r)
	}
	if r := status(t, rep, "T-02"); r.Status != report.StatusFail {
		t.Errorf("T-02 live: %+v", r)
	}
	if len(rep.Controls) != 1 || rep.Controls[0].Status != report.StatusFail {
		t.Errorf("controls %+v", rep.Controls)
	}
}

func TestRollUp(t *testing.T) {
	e, _ := engine(t,
		module("T-01", "#   inputs: [Pod]\n", `deny contains {"msg": "x"} if false`+"\n"),
		module("T-02", "#   inputs: [Service]\n", `deny contains {"msg": "x"} if false`+"\n"),
	)
	s := snap("cluster")
	s.Kinds = []snapshot.KindStatus{{Kind: "Pod", Status: snapshot.StatusCollected}, {Kind: "Service", Status: snapshot.StatusError, Reason: "timeout"}}
	rep, _ := e.Evaluate(context.Background(), s)
	if c := rep.Controls[0]; c.Status != report.StatusUnknown || len(c.Unknown) != 1 {
		t.Errorf("pass + unknown must roll up to unknown: %+v", c)
	}
}

// TestRuleSaysUnknownOrNotApplicable: a rule that cannot decide says why.
func TestRuleSaysUnknownOrNotApplicable(t *testing.T) {
	e, _ := engine(t,
		module("T-01", "#   inputs: [Pod]\n", `unknown contains "audit logging cannot be seen from cluster objects" if true`+"\n"+`not_applicable contains "ignored" if true`+"\n"),
		module("T-02", "#   inputs: [Pod]\n", `not_applicable contains "no istiod in the input" if true`+"\n"),
		module("T-03", "#   inputs: [Pod]\n", `deny contains {"msg": "x"} if true`+"\n"+`unknown contains "partly" if true`+"\n"),
		module("T-04", "#   inputs: [Pod]\n", `unknown contains 3 if true`+"\n"),
	)
	// Live: a rule's own unknown stays unknown.
	live := snap("cluster", pod("a", "one", nil))
	live.Kinds = []snapshot.KindStatus{{Kind: "Pod", Status: snapshot.StatusCollected}}
	rep, _ := e.Evaluate(context.Background(), live)
	if r := status(t, rep, "T-01"); r.Status != report.StatusUnknown || r.Reason != "audit logging cannot be seen from cluster objects" {
		t.Errorf("live T-01: %+v", r)
	}
	// Manifests: the input is what was given; a fact it does not hold makes
	// the rule not applicable, with the rule's reason.
	rep, _ = e.Evaluate(context.Background(), snap("manifests", pod("a", "one", nil)))
	want := map[string]report.Status{"T-01": report.StatusNotApplicable, "T-02": report.StatusNotApplicable, "T-03": report.StatusFail, "T-04": report.StatusUnknown}
	for id, st := range want {
		if r := status(t, rep, id); r.Status != st {
			t.Errorf("%s: %s (%s), want %s", id, r.Status, r.Reason, st)
		}
	}
	if r := status(t, rep, "T-01"); r.Reason != "the input does not hold what decides it: audit logging cannot be seen from cluster objects" {
		t.Errorf("T-01 reason %q", r.Reason)
	}
	if r := status(t, rep, "T-04"); !strings.Contains(r.Reason, "invalid policy result") {
		t.Errorf("T-04 reason %q", r.Reason)
	}
}

// TestRunawayPolicyIsUnknown: a policy that runs past the deadline is
// unknown with a clear reason; the others are still evaluated.
func TestRunawayPolicyIsUnknown(t *testing.T) {
	mods := []policies.Module{
		module("T-01", "#   inputs: [Pod]\n", findPods),
		module("T-02", "#   inputs: [Pod]\n", `deny contains {"msg": sprintf("%d", [n])} if { n := count([x | some x in numbers.range(1, 100000000); x % 7 == 0]); n < 0 }`+"\n"),
	}
	e, _ := engine(t, mods...)
	e.Deadline = 300 * time.Millisecond
	start := time.Now()
	rep, err := e.Evaluate(context.Background(), snap("manifests", pod("a", "one", nil)))
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("deadline not enforced: %s", time.Since(start))
	}
	if r := status(t, rep, "T-02"); r.Status != report.StatusUnknown || !strings.Contains(r.Reason, "deadline") {
		t.Errorf("T-02: %+v", r)
	}
	if r := status(t, rep, "T-01"); r.Status != report.StatusFail {
		t.Errorf("T-01: %+v", r)
	}
}

// TestPassNeedsJudgedSubject: a rule that reports what it judged passes only
// when it judged at least one subject; findings and evidence are decoded.
func TestPassNeedsJudgedSubject(t *testing.T) {
	e, _ := engine(t,
		module("T-01", "#   inputs: [Pod]\n#   subjects: [Pod]\n", `judged contains p.metadata.name if { some p in input.objects.Pod; p.metadata.namespace == "meshed" }`+"\n"),
		module("T-02", "#   inputs: [Pod]\n#   subjects: [Pod]\n", `deny contains {"msg": "m", "evidence": [{"path": "spec.hostNetwork", "value": true}]} if true`+"\n"),
		module("T-03", "#   inputs: [Pod]\n", `deny contains {"msg": "m", "evidence": [{"value": true}]} if true`+"\n"),
		module("T-04", "#   inputs: [Pod]\n#   subjects: [Pod]\n", `deny contains {"msg": "x"} if false`+"\n"),
	)
	rep, _ := e.Evaluate(context.Background(), snap("manifests", pod("a", "one", nil)))
	if r := status(t, rep, "T-01"); r.Status != report.StatusNotApplicable || r.Judged == nil || *r.Judged != 0 || !strings.Contains(r.Reason, "no subject (Pod)") {
		t.Errorf("nothing judged must not pass: %+v", r)
	}
	if r := status(t, rep, "T-04"); r.Status != report.StatusPass || r.Judged != nil {
		t.Errorf("a rule without judged keeps the subjects contract: %+v", r)
	}
	if r := status(t, rep, "T-03"); r.Status != report.StatusUnknown || !strings.Contains(r.Reason, "evidence needs a path") {
		t.Errorf("evidence without a path: %+v", r)
	}
	var got []report.Evidence
	for _, f := range rep.Findings {
		if f.RuleID == "T-02" {
			got = f.Evidence
		}
	}
	if len(got) != 1 || got[0].Path != "spec.hostNetwork" || got[0].Value != true {
		t.Errorf("evidence %+v", got)
	}
	rep, _ = e.Evaluate(context.Background(), snap("manifests", pod("meshed", "one", nil), pod("meshed", "two", nil)))
	if r := status(t, rep, "T-01"); r.Status != report.StatusPass || r.Judged == nil || *r.Judged != 2 {
		t.Errorf("judged subjects pass: %+v", r)
	}
}
