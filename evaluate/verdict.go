package evaluate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The verdict: one rule's status from its raw results, as docs/verdicts.md
// defines it, and the findings decoded from its deny set.

type rawFinding struct {
	Msg      string            `json:"msg"`
	Resource *snapshot.Ref     `json:"resource"`
	Severity string            `json:"severity"`
	Evidence []report.Evidence `json:"evidence"`
}

// verdict decides one rule's status from its results, following
// docs/verdicts.md: findings fail it; a kind it reads that could not be
// collected, or a policy error, makes it unknown; a rule's own unknown
// reason is unknown in a live scan and not applicable in a manifest scan
// (the input does not hold the fact); a pass needs at least one subject
// judged on evidence (the rule's judged set); a mesh-wide rule whose source
// is absent from a manifest scan keeps only its findings on objects of the
// input and is otherwise not applicable.
func (e *Engine) verdict(r rules.Rule, s *snapshot.Snapshot, ix *index, raw *results, noMesh string, findings *[]report.Finding) report.RuleResult {
	doc, evalErr := raw.docs[r.ID], raw.errs[r.ID]
	res := report.RuleResult{ID: r.ID, Title: r.Title, Severity: r.Severity, Controls: r.Controls}
	if noMesh != "" && readsIstio(r) {
		// A cluster without a mesh does not meet these controls by
		// mesh: every rule reading Istio's kinds fails, saying why.
		f := report.Finding{RuleID: r.ID, Title: r.Title, Severity: r.Severity, Controls: r.Controls, Resource: snapshot.Ref{Kind: "Mesh", Name: s.Cluster}, Message: noMesh}
		f.Fingerprint = fingerprint(f)
		res.Status, res.Reason, res.Findings = report.StatusFail, noMesh, 1
		*findings = append(*findings, f)
		return res
	}
	if reason := notCollected(s, r); reason != "" {
		res.Status, res.Reason = report.StatusUnknown, reason
		return res
	}
	if evalErr != nil {
		res.Status, res.Reason = report.StatusUnknown, "evaluation error: "+evalErr.Error()
		return res
	}
	judged := -1 // the rule reports no judged set
	if v, ok := doc["judged"]; ok {
		n, err := judgedCount(v)
		if err != nil {
			res.Status, res.Reason = report.StatusUnknown, "invalid policy result: "+err.Error()
			return res
		}
		judged = n
		res.Judged = &n
	}
	outOfScope := ""
	if s.Source.Type == snapshot.SourceManifests && len(r.Requires) > 0 {
		if raw.scopeErr != nil {
			res.Status, res.Reason = report.StatusUnknown, "evaluation error: mesh-wide scope: "+raw.scopeErr.Error()
			return res
		}
		outOfScope = raw.scope.missing(r, e.params.RootNamespace)
	}
	fs, err := raw.deny[r.ID].findings, raw.deny[r.ID].err
	if err != nil {
		res.Status, res.Reason = report.StatusUnknown, "invalid policy result: "+err.Error()
		return res
	}
	if outOfScope != "" {
		// Without the mesh-wide source only findings on objects the input
		// holds stand (a policy is judged on itself); a finding on the
		// mesh, or on an object not in the input, would rest on Istio's
		// defaults, which the input does not show.
		kept := fs[:0]
		for _, f := range fs {
			if f.Resource.Kind != "Mesh" && ix.locate(f.Resource) != nil {
				kept = append(kept, f)
			}
		}
		fs = kept
	}
	if len(fs) > 0 {
		res.Status, res.Findings = report.StatusFail, len(fs)
		*findings = append(*findings, fs...)
		return res
	}
	if outOfScope != "" {
		res.Status, res.Reason = report.StatusNotApplicable, outOfScope
		return res
	}
	if reason, err := reasons(doc, "unknown"); err != nil {
		res.Status, res.Reason = report.StatusUnknown, "invalid policy result: "+err.Error()
		return res
	} else if reason != "" {
		res.Status, res.Reason = report.StatusUnknown, reason
		if s.Source.Type == snapshot.SourceManifests {
			// The input is what was given: a fact it does not hold is
			// not a failure to read it.
			res.Status, res.Reason = report.StatusNotApplicable, "the input does not hold what decides it: "+reason
		}
		return res
	}
	if reason, err := reasons(doc, "not_applicable"); err != nil {
		res.Status, res.Reason = report.StatusUnknown, "invalid policy result: "+err.Error()
		return res
	} else if reason != "" {
		res.Status, res.Reason = report.StatusNotApplicable, reason
		return res
	}
	if judged >= 0 {
		if judged == 0 {
			res.Status, res.Reason = report.StatusNotApplicable, noneJudged(r)
			return res
		}
		res.Status = report.StatusPass
		return res
	}
	// A rule that does not report what it judged (a custom policy written
	// before judged existed): its declared subject kinds stand in.
	if reason := noSubjects(ix, r); reason != "" {
		res.Status, res.Reason = report.StatusNotApplicable, reason
		return res
	}
	res.Status = report.StatusPass
	return res
}

// noneJudged is the reason of a rule that judged no subject.
func noneJudged(r rules.Rule) string {
	if len(r.Subjects) == 0 {
		return "no subject in the input could be judged on evidence it holds"
	}
	return "no subject (" + strings.Join(r.Subjects, ", ") + ") in the input could be judged on evidence it holds"
}

// judgedCount reads the count(judged) a rule query returns.
func judgedCount(v any) (int, error) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return int(i), err
	case float64:
		return int(n), nil
	case int:
		return n, nil
	case int64:
		return int(n), nil
	}
	return 0, fmt.Errorf("judged count is %T", v)
}

// scope is the input's mesh-wide evidence, as lib.scope computes it.
type scope struct {
	MeshConfig   bool
	MeshEvidence bool
}

func decodeScope(v any) scope {
	m, _ := v.(map[string]any)
	var sc scope
	sc.MeshConfig, _ = m["mesh_config"].(bool)
	sc.MeshEvidence, _ = m["mesh_evidence"].(bool)
	return sc
}

// missing names the mesh-wide source a manifest scan lacks for the rule's
// requirements ("" when it has them).
func (sc scope) missing(r rules.Rule, root string) string {
	for _, q := range r.Requires {
		switch q {
		case rules.RequiresMeshConfig:
			if !sc.MeshConfig {
				return fmt.Sprintf("the input holds no mesh config (ConfigMap %s/istio, an IstioOperator's meshConfig or --mesh-config); a manifest scan judges mesh config only when it holds it", root)
			}
		case rules.RequiresRootNamespace:
			if !sc.MeshEvidence {
				return fmt.Sprintf("the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in root namespace %q); a manifest scan judges root-namespace policy only when it holds some", root)
			}
		}
	}
	return ""
}

// notCollected names the rule's input kinds that the snapshot could not
// collect; such a rule is unknown, never pass.
func notCollected(s *snapshot.Snapshot, r rules.Rule) string {
	var missing []string
	for _, k := range r.Inputs {
		st, reason := s.KindState(k)
		if st == snapshot.StatusCollected || st == snapshot.StatusAbsent {
			continue
		}
		if reason != "" {
			missing = append(missing, fmt.Sprintf("%s (%s: %s)", k, st, reason))
		} else {
			missing = append(missing, fmt.Sprintf("%s (%s)", k, st))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "input not collected: " + strings.Join(missing, ", ")
}

// meshNotInstalled: in a live snapshot where the API server serves none of
// Istio's kinds, Istio is not installed.
func meshNotInstalled(s *snapshot.Snapshot) string {
	if s.Source.Type != snapshot.SourceCluster {
		return ""
	}
	n := 0
	for _, k := range s.Kinds {
		if !snapshot.IstioKind(k.Kind) {
			continue
		}
		if k.Status != snapshot.StatusAbsent {
			return ""
		}
		n++
	}
	if n == 0 {
		return ""
	}
	return "Istio is not installed: the API server serves none of Istio's kinds (no *.istio.io CRDs)"
}

func readsIstio(r rules.Rule) bool {
	for _, q := range r.Requires {
		if q == rules.RequiresIstio {
			return true
		}
	}
	for _, k := range r.Inputs {
		if snapshot.IstioKind(k) {
			return true
		}
	}
	return false
}

// noSubjects: a rule whose subjects do not exist is not applicable.
func noSubjects(ix *index, r rules.Rule) string {
	if len(r.Subjects) == 0 {
		return ""
	}
	for _, k := range r.Subjects {
		if ix.kinds[k] > 0 {
			return ""
		}
	}
	return "no " + strings.Join(r.Subjects, ", ") + " in the input"
}

func decodeFindings(r rules.Rule, v any, ix *index, cluster string) ([]report.Finding, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.deny is %T, want a set", r.Package, v)
	}
	out := make([]report.Finding, 0, len(list))
	for _, item := range list {
		rf, b, err := decodeRawFinding(item)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(rf.Msg) == "" {
			return nil, fmt.Errorf("finding %s: msg is required", b)
		}
		f := report.Finding{RuleID: r.ID, Title: r.Title, Severity: r.Severity, Controls: r.Controls, Message: rf.Msg}
		for _, ev := range rf.Evidence {
			if strings.TrimSpace(ev.Path) == "" {
				return nil, fmt.Errorf("finding %s: evidence needs a path", b)
			}
			if ev.Resource != nil && (ev.Resource.Kind == "" || ev.Resource.Name == "") {
				return nil, fmt.Errorf("finding %s: evidence resource needs kind and name", b)
			}
		}
		f.Evidence = rf.Evidence
		if rf.Severity != "" {
			sev, err := rules.ParseSeverity(rf.Severity)
			if err != nil {
				return nil, fmt.Errorf("finding %s: %w", b, err)
			}
			if sev > r.Severity {
				return nil, fmt.Errorf("finding %s: severity %s above the rule's %s", b, sev, r.Severity)
			}
			f.Severity = sev
		}
		if rf.Resource == nil || rf.Resource.Kind == "" || rf.Resource.Name == "" {
			if rf.Resource != nil && (rf.Resource.Kind != "" || rf.Resource.Name != "") {
				return nil, fmt.Errorf("finding %s: resource needs kind and name", b)
			}
			f.Resource = snapshot.Ref{Kind: "Mesh", Name: cluster}
		} else {
			f.Resource = *rf.Resource
		}
		if o := ix.locate(f.Resource); o != nil {
			f.File, f.Line = o.File, o.Line
			if f.Resource.APIVersion == "" {
				f.Resource.APIVersion = o.APIVersion
			}
		}
		f.Fingerprint = fingerprint(f)
		out = append(out, f)
	}
	return out, nil
}

// reasons reads a rule's `unknown` or `not_applicable` set of strings: a
// rule that cannot decide from cluster objects says why instead of passing.
func reasons(doc map[string]any, key string) (string, error) {
	v, ok := doc[key]
	if !ok || v == nil {
		return "", nil
	}
	list, ok := v.([]any)
	if !ok {
		return "", fmt.Errorf("%s is %T, want a set of strings", key, v)
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok || strings.TrimSpace(s) == "" {
			return "", fmt.Errorf("%s holds %v, want non-empty strings", key, x)
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, "; "), nil
}

// fingerprint identifies a finding across runs: rule, resource and message,
// never time or order.
func fingerprint(f report.Finding) string {
	h := sha256.Sum256([]byte(f.RuleID + "\x00" + snapshot.GroupOf(f.Resource.APIVersion) + "\x00" + f.Resource.FQN() + "\x00" + f.Message))
	return hex.EncodeToString(h[:16])
}
