package evaluate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// Capabilities are the built-ins a policy may call: OPA's, minus every
// one OPA's own capability metadata marks nondeterministic — network
// (http.send, net.lookup_ip_addr), environment (opa.runtime), clock
// (time.now_ns, io.jwt.decode_verify), randomness (rand.intn,
// uuid.rfc4122), schemas that may be fetched — so that a report, and an
// evidence bundle's re-evaluation, never depends on when or where it runs.
func Capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if !b.Nondeterministic {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	return caps
}

// Engine is a compiled, prepared rule set. Build it once per run.
type Engine struct {
	catalog *rules.Catalog
	params  policies.Params
	groups  []group                           // rules split across cores
	each    map[string]rego.PreparedEvalQuery // by rule id
	scope   rego.PreparedEvalQuery            // data.meshaudit.lib.scope
	toolVer string
	// Deadline bounds the whole evaluation (within a few percent); a rule
	// still running at it is unknown. 0: DefaultDeadline.
	Deadline time.Duration
}

// group is a share of the rule set evaluated by one query, on one core.
type group struct {
	rules []rules.Rule
	query rego.PreparedEvalQuery
}

// DefaultDeadline bounds policy evaluation (a runaway custom policy, e.g. a
// huge comprehension, must not hang a scan).
const DefaultDeadline = 2 * time.Minute

// New compiles the modules (library and rules) once and prepares one query
// per core over a share of the rule set, and one per rule (used to isolate a
// failing rule).
func New(ctx context.Context, catalog *rules.Catalog, mods []policies.Module, params policies.Params, toolVersion string) (*Engine, error) {
	parsed := make(map[string]*ast.Module, len(mods))
	for _, m := range mods {
		if strings.HasSuffix(m.Path, "_test.rego") {
			continue
		}
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			return nil, fmt.Errorf("parse policies: %w", err)
		}
		parsed[m.Path] = pm
	}
	compiler := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(false)
	compiler.Compile(parsed)
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	pdata, err := params.Data()
	if err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	store := inmem.NewFromObject(map[string]any{"meshaudit": map[string]any{"params": pdata}})
	prep := func(q string) (rego.PreparedEvalQuery, error) {
		// Strict built-in errors: a built-in that fails on an odd object
		// makes the rule unknown with the error, instead of quietly
		// undefined (which would read as a pass).
		return rego.New(rego.Compiler(compiler), rego.Store(store), rego.Query(q), rego.StrictBuiltinErrors(true)).PrepareForEval(ctx)
	}
	e := &Engine{catalog: catalog, params: params, each: map[string]rego.PreparedEvalQuery{}, toolVer: toolVersion}
	// One query per core, each over a share of the selected rules (only
	// those: a filtered run evaluates nothing else).
	n := runtime.GOMAXPROCS(0)
	if n > len(catalog.Rules) {
		n = len(catalog.Rules)
	}
	shares := make([][]rules.Rule, n)
	for i, r := range catalog.Rules {
		shares[i%n] = append(shares[i%n], r)
	}
	results := resultRules(compiler)
	for _, share := range shares {
		parts := make([]string, 0, len(share))
		for _, r := range share {
			parts = append(parts, fmt.Sprintf("%q: %s", r.ID, ruleExpr(r, results)))
		}
		q, err := prep("x = {" + strings.Join(parts, ", ") + "}")
		if err != nil {
			return nil, fmt.Errorf("prepare rule set: %w", err)
		}
		e.groups = append(e.groups, group{rules: share, query: q})
	}
	for _, r := range catalog.Rules {
		if e.each[r.ID], err = prep("x = " + ruleExpr(r, results)); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", r.ID, err)
		}
	}
	if e.scope, err = prep("x = data.meshaudit.lib.scope"); err != nil {
		return nil, fmt.Errorf("prepare scope: %w", err)
	}
	return e, nil
}

// ruleExpr is the query expression of one rule's results: its deny,
// unknown and not_applicable sets and the number of subjects it judged
// (only the result rules: querying a whole package would also copy every
// helper value it defines into the result).
func ruleExpr(r rules.Rule, results map[string]map[string]bool) string {
	var fields []string
	for _, name := range []string{"deny", "unknown", "not_applicable"} {
		if results[r.Package][name] {
			fields = append(fields, fmt.Sprintf("%q: %s.%s", name, r.Package, name))
		}
	}
	if results[r.Package]["judged"] {
		fields = append(fields, fmt.Sprintf("%q: count(%s.judged)", "judged", r.Package))
	}
	return "{" + strings.Join(fields, ", ") + "}"
}

// leanCacheObjects: from this many objects on, queries use leanCache. Below
// it, cached per-object function results save more CPU than they cost (at
// 10k objects 25 % of the evaluation); above it their memory dominates the
// evaluation's (at 100k, 650 MB of 1.1 GB live) and, under the scan's soft
// memory limit, the garbage collector's work (recomputing them is 25 %
// faster there).
var leanCacheObjects = 25_000

func cacheOpt(objects int) rego.EvalOption {
	if objects >= leanCacheObjects {
		return rego.EvalVirtualCache(newLeanCache())
	}
	return rego.EvalVirtualCache(topdown.NewVirtualCache())
}

// resultRules lists, per package, the result rules it defines.
func resultRules(c *ast.Compiler) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, m := range c.Modules {
		pkg := m.Package.Path.String()
		for _, r := range m.Rules {
			name := r.Head.Name.String()
			if len(r.Head.Reference) > 0 {
				name = r.Head.Reference[0].Value.String()
				if len(r.Head.Reference) > 1 {
					name = strings.Trim(r.Head.Reference[1].Value.String(), `"`)
				}
			}
			if name == "judged" && (len(r.Head.Args) > 0 || r.Head.RuleKind() != ast.MultiValue) {
				continue // a helper of the same name, not the judged set
			}
			if name == "deny" || name == "unknown" || name == "not_applicable" || name == "judged" {
				if out[pkg] == nil {
					out[pkg] = map[string]bool{}
				}
				out[pkg][name] = true
			}
		}
	}
	return out
}

type rawFinding struct {
	Msg      string            `json:"msg"`
	Resource *snapshot.Ref     `json:"resource"`
	Severity string            `json:"severity"`
	Evidence []report.Evidence `json:"evidence"`
}

// Evaluate runs every rule over the snapshot.
func (e *Engine) Evaluate(ctx context.Context, s *snapshot.Snapshot) (*report.Report, error) {
	val, err := inputValue(s)
	if err != nil {
		return nil, fmt.Errorf("build input: %w", err)
	}
	ix := newIndex(s)

	// The rule set in one query per core; a runtime error in a share falls
	// back to one query per rule of that share, so that only the failing
	// rule is unknown.
	docs := map[string]map[string]any{} // rule id → its package document
	evalErr := map[string]error{}
	deadline := e.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	// One deadline for the whole evaluation: the share queries get half of
	// it; a share that fails or runs out falls back to its rules one by
	// one, concurrently, within what remains — so that a runaway rule is
	// unknown, the others are still judged, and the evaluation ends within
	// the deadline (not twice it).
	dctx, cancelAll := context.WithTimeout(ctx, deadline)
	defer cancelAll()
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The input's mesh-wide evidence (lib.scope), read once: the one
	// definition the rules' own guards use too.
	var sc scope
	var scopeErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		rs, err := e.scope.Eval(dctx, rego.EvalParsedInput(val))
		if err != nil {
			scopeErr = err
			return
		}
		if len(rs) == 1 {
			sc = decodeScope(rs[0].Bindings["x"])
		}
	}()
	for _, g := range e.groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gctx, cancel := context.WithTimeout(dctx, deadline/2)
			rs, err := g.query.Eval(gctx, rego.EvalParsedInput(val), cacheOpt(len(s.Objects)))
			cancel()
			if err == nil && len(rs) == 1 {
				if m, ok := rs[0].Bindings["x"].(map[string]any); ok {
					mu.Lock()
					for _, r := range g.rules {
						docs[r.ID], _ = m[r.ID].(map[string]any)
					}
					mu.Unlock()
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			var rwg sync.WaitGroup
			for _, r := range g.rules {
				rwg.Add(1)
				go func() {
					defer rwg.Done()
					rs, err := e.each[r.ID].Eval(dctx, rego.EvalParsedInput(val), cacheOpt(len(s.Objects)))
					timedOut := dctx.Err() == context.DeadlineExceeded
					if ctx.Err() != nil {
						return
					}
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil && timedOut:
						evalErr[r.ID] = fmt.Errorf("evaluation deadline of %s exceeded", deadline)
					case err != nil:
						evalErr[r.ID] = err
					case len(rs) == 1:
						docs[r.ID], _ = rs[0].Bindings["x"].(map[string]any)
					}
				}()
			}
			rwg.Wait()
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err // the run itself was cancelled
	}

	rep := &report.Report{
		SchemaVersion: report.ReportSchemaVersion,
		Tool:          report.Tool{Name: "meshaudit", Version: e.toolVer},
		Cluster:       s.Cluster,
		Source:        s.Source,
		CollectedAt:   s.CollectedAt,
		Findings:      []report.Finding{},
		ParseErrors:   s.ParseErrors,
		Notices:       s.Notices,
		Kinds:         s.Kinds,
		Exceptions:    []report.ExceptionStatus{},
	}
	noMesh := meshNotInstalled(s)
	for _, r := range e.catalog.Rules {
		rep.Rules = append(rep.Rules, e.verdict(r, s, ix, sc, scopeErr, noMesh, docs[r.ID], evalErr[r.ID], &rep.Findings))
	}
	sortFindings(rep.Findings)
	rep.Controls, err = rollUpResults(rep.Rules)
	if err != nil {
		return nil, err
	}
	rep.Summary = report.Summarize(rep)
	return rep, nil
}

// verdict decides one rule's status from its results, following
// docs/verdicts.md: findings fail it; a kind it reads that could not be
// collected, or a policy error, makes it unknown; a rule's own unknown
// reason is unknown in a live scan and not applicable in a manifest scan
// (the input does not hold the fact); a pass needs at least one subject
// judged on evidence (the rule's judged set); a mesh-wide rule whose source
// is absent from a manifest scan keeps only its findings on objects of the
// input and is otherwise not applicable.
func (e *Engine) verdict(r rules.Rule, s *snapshot.Snapshot, ix *index, sc scope, scopeErr error, noMesh string, doc map[string]any, evalErr error, findings *[]report.Finding) report.RuleResult {
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
		if scopeErr != nil {
			res.Status, res.Reason = report.StatusUnknown, "evaluation error: mesh-wide scope: "+scopeErr.Error()
			return res
		}
		outOfScope = sc.missing(r, e.params.RootNamespace)
	}
	fs, err := decodeFindings(r, doc["deny"], ix, s.Cluster)
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
		b, err := json.Marshal(item)
		if err != nil {
			return nil, err
		}
		var rf rawFinding
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rf); err != nil {
			return nil, fmt.Errorf("finding %s: %w", b, err)
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

func sortFindings(fs []report.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		if a.FQN() != b.FQN() {
			return a.FQN() < b.FQN()
		}
		return a.Message < b.Message
	})
}

// rollUpResults derives each control's status from its rules: fail if any failed,
// else unknown if any is unknown, else excepted if any failed only on
// excepted findings, else pass if any passed, else not applicable.
func rollUpResults(results []report.RuleResult) ([]report.ControlResult, error) {
	byID := map[string]*report.ControlResult{}
	for _, res := range results {
		for _, id := range res.Controls {
			c := byID[id]
			if c == nil {
				ctl, ok, err := rules.NISTControl(id)
				if err != nil {
					return nil, err
				}
				if !ok {
					return nil, fmt.Errorf("rule %s: unknown control %s", res.ID, id)
				}
				c = &report.ControlResult{ID: id, Title: ctl.Title, Family: ctl.Family, Baselines: ctl.Baselines, Rules: []string{}, Failed: []string{}, Unknown: []string{}, Status: report.StatusNotApplicable}
				byID[id] = c
			}
			c.Rules = append(c.Rules, res.ID)
			switch res.Status {
			case report.StatusFail:
				c.Failed = append(c.Failed, res.ID)
				c.Status = report.StatusFail
			case report.StatusUnknown:
				c.Unknown = append(c.Unknown, res.ID)
				if c.Status != report.StatusFail {
					c.Status = report.StatusUnknown
				}
			case report.StatusExcepted:
				if c.Status == report.StatusPass || c.Status == report.StatusNotApplicable {
					c.Status = report.StatusExcepted
				}
			case report.StatusPass:
				if c.Status == report.StatusNotApplicable {
					c.Status = report.StatusPass
				}
			}
		}
	}
	out := make([]report.ControlResult, 0, len(byID))
	for _, c := range byID {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return report.ControlLess(out[i].ID, out[j].ID) })
	return out, nil
}

// index answers lookups on the snapshot's objects.
type index struct {
	byRef      map[string]*snapshot.Object // key/ns/name
	byKindName map[string]*snapshot.Object // Kind/ns/name (first, when the group is not given)
	firstInNS  map[string]*snapshot.Object
	kinds      map[string]int
}

func newIndex(s *snapshot.Snapshot) *index {
	ix := &index{byRef: map[string]*snapshot.Object{}, byKindName: map[string]*snapshot.Object{}, firstInNS: map[string]*snapshot.Object{}, kinds: map[string]int{}}
	for i := range s.Objects {
		o := &s.Objects[i]
		ix.byRef[o.Key()+"/"+o.Namespace+"/"+o.Name] = o
		if _, ok := ix.byKindName[o.Kind+"/"+o.Namespace+"/"+o.Name]; !ok {
			ix.byKindName[o.Kind+"/"+o.Namespace+"/"+o.Name] = o
		}
		ix.kinds[o.Key()]++
		ns := o.Namespace
		if o.Kind == "Namespace" && o.Group() == "" {
			ns = o.Name
		}
		if ns != "" {
			if f := ix.firstInNS[ns]; f == nil || o.File < f.File || (o.File == f.File && o.Line < f.Line) {
				ix.firstInNS[ns] = o
			}
		}
	}
	return ix
}

// locate finds the object a finding is about; an implied Namespace (no
// object in the input) is located at the first object in it.
func (ix *index) locate(r snapshot.Ref) *snapshot.Object {
	if r.APIVersion != "" {
		if o := ix.byRef[snapshot.Key(snapshot.GroupOf(r.APIVersion), r.Kind)+"/"+r.Namespace+"/"+r.Name]; o != nil {
			return o
		}
	} else if o := ix.byKindName[r.Kind+"/"+r.Namespace+"/"+r.Name]; o != nil {
		return o
	}
	if r.Kind == "Namespace" && r.Namespace == "" {
		return ix.firstInNS[r.Name]
	}
	return nil
}

// NewEmbedded builds an engine over meshaudit's embedded rule set.
func NewEmbedded(ctx context.Context, params policies.Params, toolVersion string) (*Engine, *rules.Catalog, error) {
	cat, err := catalog.Embedded()
	if err != nil {
		return nil, nil, err
	}
	mods, err := policies.Modules(false)
	if err != nil {
		return nil, nil, err
	}
	e, err := New(ctx, cat, mods, params, toolVersion)
	return e, cat, err
}

// inputValue builds the Rego input document of a snapshot as an ast.Value
// ({cluster, source: the source type, objects: {kind key: [objects]},
// kinds: {kind key: collection status}}), converting the objects on
// every core, plus input.derived (see derive) when every object has the
// shape it assumes. Equal strings and equal sub-documents share one term
// (see converter). Objects a Converter converted as they were collected are
// used as they are; the others are converted here and keep their maps.
func inputValue(s *snapshot.Snapshot) (ast.Value, error) {
	terms := make([]*ast.Term, len(s.Objects))
	errs := make([]error, len(s.Objects))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		// Contiguous shares: neighbouring objects (the pods of one
		// ReplicaSet) are the ones most alike.
		lo, hi := w*len(s.Objects)/workers, (w+1)*len(s.Objects)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConverter()
			for i := lo; i < hi; i++ {
				if t, ok := s.Objects[i].Value.(*ast.Term); ok && s.Objects[i].Object == nil {
					terms[i] = t // converted as it was collected
					continue
				}
				if s.Objects[i].Object == nil {
					// Released without a converted value: never judge
					// an object as empty.
					errs[i] = fmt.Errorf("object %s has no content (released?)", s.Objects[i].Ref().FQN())
					continue
				}
				terms[i], errs[i] = c.term(s.Objects[i].Object)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	lists := map[string][]*ast.Term{}
	var keys []string
	for i := range s.Objects {
		k := s.Objects[i].Key()
		if _, ok := lists[k]; !ok {
			keys = append(keys, k)
		}
		lists[k] = append(lists[k], terms[i])
	}
	objs := ast.NewObject()
	for _, k := range keys {
		objs.Insert(ast.StringTerm(k), ast.ArrayTerm(lists[k]...))
	}
	kinds := map[string]any{}
	for _, k := range s.Kinds {
		kinds[k.Kind] = k.Status
	}
	rest, err := ast.InterfaceToValue(map[string]any{"cluster": s.Cluster, "source": s.Source.Type, "kinds": kinds})
	if err != nil {
		return nil, err
	}
	in := rest.(ast.Object)
	in.Insert(ast.StringTerm("objects"), ast.NewTerm(objs))
	if d := derive(keys, lists); d != nil {
		in.Insert(ast.StringTerm("derived"), ast.NewTerm(d))
	}
	return in, nil
}

var workloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

// derive computes in Go what lib.rego derives from every object for every
// rule (lib.namespaces, present, workloads_by_ref, owner_refs,
// pods_by_owner, workloads): input.derived.<name> holds the same value, and
// lib reads it instead of recomputing it in each query. The values share the
// objects' terms (no copy). It returns nil (lib computes them in Rego, with
// Rego's errors) when an object has a shape other than the one assumed here:
// metadata an object, name a string, namespace absent or a string,
// ownerReferences absent or an array of objects whose controller is absent
// or a boolean and, for a controller, kind and name strings; workload
// objects with kind and apiVersion strings and object-or-absent pod
// template paths.
func derive(keys []string, lists map[string][]*ast.Term) ast.Object {
	type meta struct {
		ns, name string
		ctrls    []ast.Object // controller references
	}
	metas := map[*ast.Term]*meta{}
	for _, k := range keys {
		for _, t := range lists[k] {
			o, ok := t.Value.(ast.Object)
			if !ok {
				return nil
			}
			md, ok := get(o, "metadata").(ast.Object)
			if !ok {
				return nil
			}
			m := &meta{}
			if m.name, ok = str(get(md, "name")); !ok {
				return nil
			}
			if v := get(md, "namespace"); v != nil {
				if m.ns, ok = str(v); !ok {
					return nil
				}
			}
			if v := get(md, "ownerReferences"); v != nil {
				refs, ok := v.(*ast.Array)
				if !ok {
					return nil
				}
				for i := 0; i < refs.Len(); i++ {
					ref, ok := refs.Elem(i).Value.(ast.Object)
					if !ok {
						return nil
					}
					c := get(ref, "controller")
					if c == nil {
						continue
					}
					b, ok := c.(ast.Boolean)
					if !ok {
						return nil
					}
					if !b {
						continue
					}
					if _, ok := str(get(ref, "kind")); !ok {
						return nil
					}
					if _, ok := str(get(ref, "name")); !ok {
						return nil
					}
					m.ctrls = append(m.ctrls, ref)
				}
				if len(m.ctrls) > 1 {
					return nil // lib.controller(o) is a conflict error in Rego
				}
			}
			metas[t] = m
		}
	}
	// present and workloads_by_ref
	type grp struct {
		key  *ast.Term
		vals []*ast.Term
	}
	groups := func() (map[string]*grp, []string) { return map[string]*grp{}, nil }
	add := func(g map[string]*grp, order *[]string, key []string, kt *ast.Term, v *ast.Term) {
		sk := strings.Join(key, "\x00")
		e := g[sk]
		if e == nil {
			e = &grp{key: kt}
			g[sk] = e
			*order = append(*order, sk)
		}
		e.vals = append(e.vals, v)
	}
	toObject := func(g map[string]*grp, order []string) ast.Object {
		out := ast.NewObject()
		for _, sk := range order {
			out.Insert(g[sk].key, ast.SetTerm(g[sk].vals...))
		}
		return out
	}
	ref3 := func(a, b, c string) *ast.Term {
		return ast.ArrayTerm(ast.StringTerm(a), ast.StringTerm(b), ast.StringTerm(c))
	}
	present := map[string]bool{}
	var presentTerms []*ast.Term
	byRef, byRefOrder := groups()
	kindOf := map[*ast.Term]string{}
	for _, k := range workloadKinds {
		for _, t := range lists[k] {
			o := t.Value.(ast.Object)
			kind, ok := str(get(o, "kind"))
			if !ok {
				return nil
			}
			if _, ok := str(get(o, "apiVersion")); !ok {
				return nil
			}
			kindOf[t] = kind
			m := metas[t]
			key := []string{kind, m.ns, m.name}
			sk := strings.Join(key, "\x00")
			if !present[sk] {
				present[sk] = true
				presentTerms = append(presentTerms, ref3(kind, m.ns, m.name))
			}
			add(byRef, &byRefOrder, key, ref3(kind, m.ns, m.name), t)
		}
	}
	isPresent := func(kind, ns, name string) bool { return present[kind+"\x00"+ns+"\x00"+name] }
	// owner_refs
	owners, ownersOrder := groups()
	ownerKinds := map[string][][2]string{} // key of owned object -> [kind, name] of its owners
	for _, k := range keys {
		for _, t := range lists[k] {
			m := metas[t]
			for _, ref := range m.ctrls {
				rk, _ := str(get(ref, "kind"))
				rn, _ := str(get(ref, "name"))
				if !isPresent(rk, m.ns, rn) {
					continue
				}
				key := []string{k, m.ns, m.name}
				add(owners, &ownersOrder, key, ref3(k, m.ns, m.name), ast.NewTerm(ref))
				sk := strings.Join(key, "\x00")
				ownerKinds[sk] = append(ownerKinds[sk], [2]string{rk, rn})
			}
		}
	}
	// pods_by_owner
	pods, podsOrder := groups()
	for _, p := range lists["Pod"] {
		m := metas[p]
		for _, ref := range m.ctrls {
			rk, _ := str(get(ref, "kind"))
			rn, _ := str(get(ref, "name"))
			tops := ownerKinds[rk+"\x00"+m.ns+"\x00"+rn]
			if len(tops) == 0 {
				tops = [][2]string{{rk, rn}}
			}
			for _, top := range tops {
				add(pods, &podsOrder, []string{top[0], m.ns, top[1]}, ref3(top[0], m.ns, top[1]), p)
			}
		}
	}
	// workloads
	var workloads []*ast.Term
	for _, k := range workloadKinds {
		for _, t := range lists[k] {
			o := t.Value.(ast.Object)
			m := metas[t]
			owned := false
			for _, ref := range m.ctrls {
				rk, _ := str(get(ref, "kind"))
				rn, _ := str(get(ref, "name"))
				owned = owned || isPresent(rk, m.ns, rn)
			}
			if owned {
				continue
			}
			var path []string
			switch kindOf[t] {
			case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
				path = []string{"spec", "template"}
			case "CronJob":
				path = []string{"spec", "jobTemplate", "spec", "template"}
			case "Pod":
			default:
				continue
			}
			tmpl := o
			for _, p := range path {
				v := get(tmpl, p)
				if v == nil {
					tmpl = ast.NewObject()
					break
				}
				next, ok := v.(ast.Object)
				if !ok {
					return nil
				}
				tmpl = next
			}
			tm := ast.NewObject()
			if v := get(tmpl, "metadata"); v != nil {
				var ok bool
				if tm, ok = v.(ast.Object); !ok {
					return nil
				}
			}
			orEmpty := func(o ast.Object, key string) *ast.Term {
				if t := o.Get(ast.StringTerm(key)); t != nil {
					return t
				}
				return ast.ObjectTerm()
			}
			w := ast.ObjectTerm(
				ast.Item(ast.StringTerm("obj"), t),
				ast.Item(ast.StringTerm("kind"), o.Get(ast.StringTerm("kind"))),
				ast.Item(ast.StringTerm("namespace"), ast.StringTerm(m.ns)),
				ast.Item(ast.StringTerm("resource"), ast.ObjectTerm(
					ast.Item(ast.StringTerm("apiVersion"), o.Get(ast.StringTerm("apiVersion"))),
					ast.Item(ast.StringTerm("kind"), o.Get(ast.StringTerm("kind"))),
					ast.Item(ast.StringTerm("namespace"), ast.StringTerm(m.ns)),
					ast.Item(ast.StringTerm("name"), ast.StringTerm(m.name)),
				)),
				ast.Item(ast.StringTerm("labels"), orEmpty(tm, "labels")),
				ast.Item(ast.StringTerm("annotations"), orEmpty(tm, "annotations")),
				ast.Item(ast.StringTerm("spec"), orEmpty(tmpl, "spec")),
			)
			workloads = append(workloads, w)
		}
	}
	// namespaces
	nsSet := map[string]bool{}
	var nsTerms []*ast.Term
	addNS := func(n string) {
		if !nsSet[n] {
			nsSet[n] = true
			nsTerms = append(nsTerms, ast.StringTerm(n))
		}
	}
	for _, t := range lists["Namespace"] {
		addNS(metas[t].name)
	}
	for _, k := range keys {
		for _, t := range lists[k] {
			if n := metas[t].ns; n != "" {
				addNS(n)
			}
		}
	}
	return ast.NewObject(
		ast.Item(ast.StringTerm("namespaces"), ast.SetTerm(nsTerms...)),
		ast.Item(ast.StringTerm("present"), ast.SetTerm(presentTerms...)),
		ast.Item(ast.StringTerm("workloads_by_ref"), ast.NewTerm(toObject(byRef, byRefOrder))),
		ast.Item(ast.StringTerm("owner_refs"), ast.NewTerm(toObject(owners, ownersOrder))),
		ast.Item(ast.StringTerm("pods_by_owner"), ast.NewTerm(toObject(pods, podsOrder))),
		ast.Item(ast.StringTerm("workloads"), ast.SetTerm(workloads...)),
	)
}

// get returns o[key]'s value, nil when absent.
func get(o ast.Object, key string) ast.Value {
	if t := o.Get(ast.StringTerm(key)); t != nil {
		return t.Value
	}
	return nil
}

func str(v ast.Value) (string, bool) {
	s, ok := v.(ast.String)
	return string(s), ok
}
