package evaluate

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/rules/catalog"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The engine: the modules compiled once, one prepared query per rule, and
// their evaluation by one worker per core under one deadline. Queries are
// built as OPA terms (ast.Body), never as text.

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
	each    map[string]rego.PreparedEvalQuery // by rule id
	scope   rego.PreparedEvalQuery            // data.meshaudit.lib.scope
	toolVer string
	// regoOnly leaves every library fact to Rego (no input.derived): the
	// reference the tests hold the Go-derived evaluation equal to.
	regoOnly bool
	// Deadline bounds the whole evaluation (within a few percent); a rule
	// still running at it is unknown. 0: DefaultDeadline.
	Deadline time.Duration
}

// DefaultDeadline bounds policy evaluation (a runaway custom policy, e.g. a
// huge comprehension, must not hang a scan).
const DefaultDeadline = 2 * time.Minute

// New parses the modules (library and rules; _test.rego files are skipped)
// and builds the engine (see NewParsed). A caller that also loads the
// catalog from the same modules parses them once with policies.Parse and
// calls NewParsed instead.
func New(ctx context.Context, cat *rules.Catalog, mods []policies.Module, params policies.Params, toolVersion string) (*Engine, error) {
	parsed, err := policies.Parse(mods)
	if err != nil {
		return nil, fmt.Errorf("parse policies: %w", err)
	}
	return NewParsed(ctx, cat, parsed, params, toolVersion)
}

// NewEmbedded builds an engine over meshaudit's embedded rule set, parsing
// it once for the catalog and the engine.
func NewEmbedded(ctx context.Context, params policies.Params, toolVersion string) (*Engine, *rules.Catalog, error) {
	mods, err := policies.Modules(false)
	if err != nil {
		return nil, nil, fmt.Errorf("read embedded policies: %w", err)
	}
	parsed, err := policies.Parse(mods)
	if err != nil {
		return nil, nil, err
	}
	cat, err := catalog.LoadModules(parsed)
	if err != nil {
		return nil, nil, err
	}
	e, err := NewParsed(ctx, cat, parsed, params, toolVersion)
	return e, cat, err
}

// NewParsed compiles already-parsed modules (policies.Parse; the compiler
// works on its own copies, so the catalog may share them) once and prepares
// one query per rule of the catalog and one for lib.scope.
func NewParsed(ctx context.Context, cat *rules.Catalog, mods []*ast.Module, params policies.Params, toolVersion string) (*Engine, error) {
	byPath := make(map[string]*ast.Module, len(mods))
	for i, m := range mods {
		key := fmt.Sprintf("%05d", i)
		if m.Package != nil && m.Package.Location != nil {
			key = m.Package.Location.File
		}
		if _, dup := byPath[key]; dup {
			key = fmt.Sprintf("%s#%d", key, i)
		}
		byPath[key] = m
	}
	compiler := ast.NewCompiler().WithCapabilities(Capabilities()).WithEnablePrintStatements(false)
	compiler.Compile(byPath)
	if compiler.Failed() {
		return nil, fmt.Errorf("compile policies: %w", compiler.Errors)
	}
	pdata, err := params.Data()
	if err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	store := inmem.NewFromObject(map[string]any{"meshaudit": map[string]any{"params": pdata}})
	prep := func(q ast.Body) (rego.PreparedEvalQuery, error) {
		// Strict built-in errors: a built-in that fails on an odd object
		// makes the rule unknown with the error, instead of quietly
		// undefined (which would read as a pass).
		return rego.New(rego.Compiler(compiler), rego.Store(store), rego.ParsedQuery(q), rego.StrictBuiltinErrors(true)).PrepareForEval(ctx)
	}
	e := &Engine{catalog: cat, params: params, each: map[string]rego.PreparedEvalQuery{}, toolVer: toolVersion}
	results := resultRules(compiler)
	for _, r := range cat.Rules {
		if e.each[r.ID], err = prep(bind(ruleTerm(r, results))); err != nil {
			return nil, fmt.Errorf("prepare %s: %w", r.ID, err)
		}
	}
	if e.scope, err = prep(bind(ast.RefTerm(dataRef("meshaudit", "lib", "scope")...))); err != nil {
		return nil, fmt.Errorf("prepare scope: %w", err)
	}
	return e, nil
}

// resultVar is the variable every query binds its result to.
const resultVar = "x"

// bind is the query `x = value`.
func bind(value *ast.Term) ast.Body {
	return ast.NewBody(ast.Equality.Expr(ast.VarTerm(resultVar), value))
}

// dataRef is the reference data.<path...>.
func dataRef(path ...string) ast.Ref {
	ref := ast.Ref{ast.DefaultRootDocument.Copy()}
	for _, p := range path {
		ref = append(ref, ast.StringTerm(p))
	}
	return ref
}

// resultNames are the result rules a rule package may define besides
// judged (whose count is queried).
var resultNames = []string{"deny", "unknown", "not_applicable", "notices"}

// ruleTerm is the query term of one rule's results: the object of its
// deny, unknown and not_applicable sets and the number of subjects it
// judged (only the result rules: querying a whole package would also copy
// every helper value it defines into the result).
func ruleTerm(r rules.Rule, results map[string]*packageResults) *ast.Term {
	p := results[r.Package]
	if p == nil {
		return ast.ObjectTerm()
	}
	var items [][2]*ast.Term
	for _, name := range resultNames {
		if p.names[name] {
			items = append(items, ast.Item(ast.StringTerm(name), ast.NewTerm(p.path.Append(ast.StringTerm(name)).Copy())))
		}
	}
	if p.names["judged"] {
		items = append(items, ast.Item(ast.StringTerm("judged"), ast.Count.Call(ast.NewTerm(p.path.Append(ast.StringTerm("judged")).Copy()))))
	}
	return ast.ObjectTerm(items...)
}

// packageResults are the result rules one package defines.
type packageResults struct {
	path  ast.Ref         // data.meshaudit.rules.<id>
	names map[string]bool // deny, unknown, not_applicable, notices, judged
}

// resultRules lists, by package path (as the catalog writes it), the result
// rules each package defines.
func resultRules(c *ast.Compiler) map[string]*packageResults {
	out := map[string]*packageResults{}
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
			if name == "deny" || name == "unknown" || name == "not_applicable" || name == "judged" || name == "notices" {
				if out[pkg] == nil {
					out[pkg] = &packageResults{path: m.Package.Path.Copy(), names: map[string]bool{}}
				}
				out[pkg].names[name] = true
			}
		}
	}
	return out
}

// Evaluate runs every rule over the snapshot.
func (e *Engine) Evaluate(ctx context.Context, s *snapshot.Snapshot) (*report.Report, error) {
	val, err := inputValueOf(s, !e.regoOnly)
	if err != nil {
		return nil, fmt.Errorf("build input: %w", err)
	}
	ix := newIndex(s)
	res, err := e.run(ctx, val, func(r rules.Rule, doc map[string]any) decoded {
		fs, err := decodeFindings(r, doc["deny"], ix, s.Cluster)
		return decoded{findings: fs, err: err}
	})
	if err != nil {
		return nil, err
	}
	return e.assemble(s, ix, res)
}

// results are the raw results of one evaluation.
type results struct {
	docs     map[string]map[string]any // rule id → its result document, without deny
	deny     map[string]decoded        // rule id → its deny set, decoded
	errs     map[string]error          // rule id → its evaluation error
	scope    scope                     // lib.scope
	scopeErr error
}

// decoded is a rule's deny set decoded into findings, or why it could not
// be.
type decoded struct {
	findings []report.Finding
	err      error
}

// run evaluates the rule set on the input: one query per rule, taken from a
// queue by one worker per core, so that a costly rule never leaves a core
// idle behind it, and each rule's intermediate values (OPA's per-query
// cache of documents and function results) are dropped as soon as it ends
// instead of living until a whole share of the rule set is done. A rule
// whose query fails, or runs past the deadline, is unknown with its error;
// the others are judged. Each rule's findings are decoded (decode) by the
// worker as soon as the rule ends, so that only their compact form is held
// while the other rules run. lib.scope is read alongside. The error is the
// run's own cancellation only.
func (e *Engine) run(ctx context.Context, val ast.Value, decode func(rules.Rule, map[string]any) decoded) (*results, error) {
	res := &results{docs: map[string]map[string]any{}, deny: map[string]decoded{}, errs: map[string]error{}}
	deadline := e.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	// One deadline for the whole evaluation: a rule still running at it is
	// unknown, a rule not started by then is unknown too, and the
	// evaluation ends within the deadline.
	dctx, cancelAll := context.WithTimeout(ctx, deadline)
	defer cancelAll()
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The input's mesh-wide evidence (lib.scope), read once: the one
	// definition the rules' own guards use too.
	wg.Add(1)
	go func() {
		defer wg.Done()
		rs, err := e.scope.Eval(dctx, rego.EvalParsedInput(val))
		if err != nil {
			res.scopeErr = err
			return
		}
		if len(rs) == 1 {
			res.scope = decodeScope(rs[0].Bindings[resultVar])
		}
	}()
	queue := make(chan rules.Rule, len(e.catalog.Rules))
	for _, r := range e.catalog.Rules {
		queue <- r
	}
	close(queue)
	workers := runtime.GOMAXPROCS(0)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range queue {
				if ctx.Err() != nil {
					return
				}
				rs, err := e.each[r.ID].Eval(dctx, rego.EvalParsedInput(val))
				timedOut := dctx.Err() == context.DeadlineExceeded
				if ctx.Err() != nil {
					return
				}
				var doc map[string]any
				var d decoded
				if err == nil && len(rs) == 1 {
					doc, _ = rs[0].Bindings[resultVar].(map[string]any)
					d = decode(r, doc)
					delete(doc, "deny")
				}
				mu.Lock()
				switch {
				case err != nil && timedOut:
					res.errs[r.ID] = fmt.Errorf("evaluation deadline of %s exceeded", deadline)
				case err != nil:
					res.errs[r.ID] = err
				case len(rs) == 1:
					res.docs[r.ID], res.deny[r.ID] = doc, d
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err // the run itself was cancelled
	}
	return res, nil
}
