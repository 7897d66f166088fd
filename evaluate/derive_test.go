package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The differential test: lib.rego's facts, evaluated in Rego on an input
// without input.derived, against derive's on the same input.

// regoFacts evaluates lib.rego's definition of the derived facts.
type regoFacts struct {
	compiler *ast.Compiler
	store    storage.Store
	queries  map[string]ast.Body // compiled
}

func newRegoFacts(t testing.TB) *regoFacts { return newRegoFactsWith(t, policies.Defaults()) }

// newRegoFactsWith evaluates lib.rego under the parameters p.
func newRegoFactsWith(t testing.TB, p policies.Params) *regoFacts {
	t.Helper()
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := policies.Parse(mods)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]*ast.Module{}
	for _, m := range parsed {
		byPath[m.Package.Location.File] = m
	}
	c := ast.NewCompiler().WithCapabilities(Capabilities())
	if c.Compile(byPath); c.Failed() {
		t.Fatal(c.Errors)
	}
	pdata, err := p.Data()
	if err != nil {
		t.Fatal(err)
	}
	store := inmem.NewFromObject(map[string]any{"meshaudit": map[string]any{"params": pdata}})
	rf := &regoFacts{compiler: c, store: store, queries: map[string]ast.Body{}}
	for _, f := range derivedFacts {
		q, err := c.QueryCompiler().Compile(bind(ast.RefTerm(dataRef("meshaudit", "lib", f)...)))
		if err != nil {
			t.Fatal(err)
		}
		rf.queries[f] = q
	}
	return rf
}

// eval is the fact's value in Rego, or Rego's error.
// As the engine evaluates it: strict built-in errors; the value as OPA
// holds it (sets stay sets, array keys stay arrays).
func (rf *regoFacts) eval(fact string, in ast.Value) (ast.Value, error) {
	ctx := context.Background()
	txn, err := rf.store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer rf.store.Abort(ctx, txn)
	var out []ast.Value
	err = topdown.NewQuery(rf.queries[fact]).WithCompiler(rf.compiler).WithStore(rf.store).WithTransaction(txn).
		WithInput(ast.NewTerm(in)).WithStrictBuiltinErrors(true).
		Iter(ctx, func(qr topdown.QueryResult) error {
			out = append(out, qr[ast.Var(resultVar)].Value)
			return nil
		})
	if err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("lib.%s: %d results", fact, len(out))
	}
	return out[0], nil
}

// compare checks derive against Rego on one snapshot: every fact derive
// computes equals Rego's value; every fact on which Rego raises an error is
// left to Rego; with strict, derive leaves no fact to Rego at all.
func (rf *regoFacts) compare(t *testing.T, s *snapshot.Snapshot, strict bool) (st compared) {
	t.Helper()
	in, err := buildInput(s, false)
	if err != nil {
		t.Fatal(err)
	}
	derived, falls := derive(in.keys, in.lists)
	if strict && len(falls) > 0 {
		t.Errorf("derive left facts to Rego on a well-formed input: %+v", falls)
	}
	for _, f := range derivedFacts {
		want, rerr := rf.eval(f, in.doc)
		got := derived.Get(ast.StringTerm(f))
		switch {
		case got == nil && !leftWithReason(falls, f):
			t.Errorf("%s: missing from input.derived, and no reason given", f)
		case got == nil && rerr != nil:
			// Left to Rego, which raises the error the rules reading
			// the fact are unknown with.
			st.regoErrors++
		case got == nil:
			// Left to Rego, which computes it.
			st.leftValues++
		case rerr != nil:
			t.Errorf("%s: derive computed it, but Rego raises %v: the rules reading it would be judged on a value lib does not define", f, rerr)
		default:
			gv := got.Value
			if f == factWorkloads {
				gv = withoutFacts(gv) // compared with Rego's predicates below
			}
			if d := firstDiff("lib."+f, gv, want); d != "" {
				t.Errorf("derive differs from lib.rego: %s", d)
			}
			st.equal++
		}
	}
	st.facts = rf.compareWorkloadFacts(t, in.doc, derived)
	return st
}

// compared counts the facts of a comparison by outcome.
type compared struct {
	equal      int // derive computed Rego's value
	regoErrors int // left to Rego, which raises an error
	leftValues int // left to Rego, which computes a value
	facts      factsCompared
}

func leftWithReason(falls []fallback, fact string) bool {
	for _, f := range falls {
		if f.Fact == fact && f.Reason != "" {
			return true
		}
	}
	return false
}

// firstDiff describes the first difference between Go's value and Rego's
// ("" when equal), by path: a missing key or set element, or two values.
func firstDiff(path string, got, want ast.Value) string {
	if got.Compare(want) == 0 {
		return ""
	}
	switch w := want.(type) {
	case ast.Object:
		g, ok := got.(ast.Object)
		if !ok {
			break
		}
		for _, k := range sortedKeys(w) {
			gv := g.Get(k)
			if gv == nil {
				return fmt.Sprintf("%s[%s]: in Rego (%s), not in Go", path, short(k), short(w.Get(k)))
			}
			if d := firstDiff(path+"["+short(k)+"]", gv.Value, w.Get(k).Value); d != "" {
				return d
			}
		}
		for _, k := range sortedKeys(g) {
			if w.Get(k) == nil {
				return fmt.Sprintf("%s[%s]: in Go (%s), not in Rego", path, short(k), short(g.Get(k)))
			}
		}
	case *ast.Array:
		g, ok := got.(*ast.Array)
		if !ok || g.Len() != w.Len() {
			break
		}
		for i := 0; i < w.Len(); i++ {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), g.Elem(i).Value, w.Elem(i).Value); d != "" {
				return d
			}
		}
	case ast.Set:
		g, ok := got.(ast.Set)
		if !ok {
			break
		}
		ws, gs := w.Sorted(), g.Sorted()
		for i := 0; i < ws.Len(); i++ {
			if e := ws.Elem(i); !g.Contains(e) {
				if twin := twinOf(e, g); twin != nil {
					return firstDiff(path+"{"+short(field(e, "resource"))+"}", twin.Value, e.Value)
				}
				return fmt.Sprintf("%s: element %s in Rego, not in Go (%d vs %d elements)", path, short(e), w.Len(), g.Len())
			}
		}
		for i := 0; i < gs.Len(); i++ {
			if e := gs.Elem(i); !w.Contains(e) {
				return fmt.Sprintf("%s: element %s in Go, not in Rego (%d vs %d elements)", path, short(e), g.Len(), w.Len())
			}
		}
	}
	return fmt.Sprintf("%s: Go %s, Rego %s", path, short(ast.NewTerm(got)), short(ast.NewTerm(want)))
}

// twinOf is the element of s with the same "resource" as e (a workload
// entry), so that a difference is shown field by field.
func twinOf(e *ast.Term, s ast.Set) *ast.Term {
	r := field(e, "resource")
	if r == nil {
		return nil
	}
	var twin *ast.Term
	s.Until(func(x *ast.Term) bool {
		if xr := field(x, "resource"); xr != nil && xr.Equal(r) {
			twin = x
			return true
		}
		return false
	})
	return twin
}

func sortedKeys(o ast.Object) []*ast.Term {
	ks := o.Keys()
	sort.Slice(ks, func(i, j int) bool { return ks[i].Value.Compare(ks[j].Value) < 0 })
	return ks
}

func short(t *ast.Term) string {
	s := t.String()
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}

// TestDerivedFacts: derive equals lib.rego's facts, and leaves none to Rego,
// on generated clusters of several sizes and seeds (live-shaped snapshots
// and their manifests read back), every scenario and the repository
// fixtures.
func TestDerivedFacts(t *testing.T) {
	rf := newRegoFacts(t)
	cfgs := []gen.Config{{Objects: 150, Seed: 1}, {Objects: 600, Seed: 2}, {Objects: 1500, Seed: 3}}
	for _, sh := range gen.Shapes[1:] {
		cfgs = append(cfgs, gen.Config{Objects: 600, Seed: 4, Shape: sh})
	}
	for _, cfg := range cfgs {
		c := gen.Generate(cfg)
		t.Run(fmt.Sprintf("gen-%s-%d-seed%d/snapshot", cfg.Shape.Name(), cfg.Objects, cfg.Seed), func(t *testing.T) {
			st := rf.compare(t, c.Snapshot("gen"), true).facts
			t.Logf("workload facts: %+v", st)
			if st.True == 0 || st.Equal == 0 {
				t.Errorf("no workload fact compared: %+v", st)
			}
		})
		if cfg.Objects > 1000 {
			continue // reading manifests back costs more than it adds
		}
		t.Run(fmt.Sprintf("gen-%s-%d-seed%d/manifests", cfg.Shape.Name(), cfg.Objects, cfg.Seed), func(t *testing.T) {
			dir := t.TempDir()
			if _, err := c.WriteManifests(dir); err != nil {
				t.Fatal(err)
			}
			rf.compare(t, readManifests(t, dir), true)
		})
	}
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "scenarios", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	repos, err := filepath.Glob(filepath.Join("..", "testdata", "repos", "*"))
	if err != nil || len(repos) == 0 {
		t.Fatalf("no repository fixtures: %v", err)
	}
	for _, dir := range append(dirs, repos...) {
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			s := readManifests(t, dir)
			if len(s.Objects) == 0 {
				t.Fatal("no objects")
			}
			rf.compare(t, s, true)
		})
	}
}

func readManifests(t *testing.T, dir string) *snapshot.Snapshot {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return collectors.FromFiles(collectors.FileOptions{Paths: []string{abs}, WorkDir: abs, Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
}

// TestDerivedFactsMalformed: on objects of every odd shape — metadata,
// names, namespaces, owner references, controllers and pod templates of
// the wrong type, missing or doubled — derive computes exactly what
// lib.rego computes, and leaves to Rego (with a reason) every fact Rego
// raises an error on. Each case mutates a few objects of a small generated
// cluster at random (fixed seeds).
func TestDerivedFactsMalformed(t *testing.T) {
	rf := newRegoFacts(t)
	base := gen.Generate(gen.Config{Objects: 150, Seed: 7}).Snapshot("gen")
	n := 150
	if testing.Short() {
		n = 40
	}
	var total compared
	for seed := 0; seed < n; seed++ {
		rnd := rand.New(rand.NewPCG(uint64(seed), 99))
		s := copySnapshot(base)
		var did []string
		for k := 0; k < 1+rnd.IntN(3); k++ {
			i := rnd.IntN(len(s.Objects))
			did = append(did, s.Objects[i].Ref().FQN()+": "+mutate(rnd, s.Objects[i].Object, s))
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Log(strings.Join(did, "; "))
			st := rf.compare(t, s, false)
			total.equal += st.equal
			total.regoErrors += st.regoErrors
			total.leftValues += st.leftValues
			total.facts.add(st.facts)
		})
	}
	// The cases reach both sides: facts derive computes on odd shapes, and
	// facts Rego raises an error on.
	t.Logf("facts equal: %d; left to Rego, which raised an error: %d; left to Rego, which computed a value: %d; workload facts: %+v", total.equal, total.regoErrors, total.leftValues, total.facts)
	if total.regoErrors == 0 || total.equal == 0 {
		t.Errorf("the malformed cases do not exercise both derive and its fallback: %+v", total)
	}
}

// oddValues are values of every JSON type.
var oddValues = []any{nil, true, false, json.Number("0"), json.Number("1.5"), "", "x", "true", []any{}, []any{"x"}, []any{map[string]any{}}, map[string]any{}, map[string]any{"a": "b"}}

// mutate changes one field of o to an odd shape and says which.
func mutate(rnd *rand.Rand, o map[string]any, s *snapshot.Snapshot) string {
	odd := func() any { return deepCopyJSON(oddValues[rnd.IntN(len(oddValues))]) }
	md, _ := o["metadata"].(map[string]any)
	other := s.Objects[rnd.IntN(len(s.Objects))]
	ref := func(controller any) map[string]any {
		r := map[string]any{"apiVersion": other.APIVersion, "kind": other.Kind, "name": other.Name, "uid": "u"}
		if controller != "absent" {
			r["controller"] = controller
		}
		return r
	}
	refs, _ := md["ownerReferences"].([]any)
	set := func(m map[string]any, key, label string) string {
		v := odd()
		m[key] = v
		return fmt.Sprintf("%s = %v", label, v)
	}
	switch rnd.IntN(16) {
	case 0:
		return set(o, "metadata", "metadata")
	case 1:
		delete(o, "metadata")
		return "no metadata"
	case 2:
		return set(md, "name", "metadata.name")
	case 3:
		return set(md, "namespace", "metadata.namespace")
	case 4:
		return set(md, "ownerReferences", "metadata.ownerReferences")
	case 5:
		v := odd()
		md["ownerReferences"] = append(refs, v)
		return fmt.Sprintf("metadata.ownerReferences += %v", v)
	case 6:
		md["ownerReferences"] = append(refs, ref(true))
		return "a second controller " + other.Ref().FQN()
	case 7:
		c := odd()
		md["ownerReferences"] = []any{ref(c)}
		return fmt.Sprintf("controller %s with controller = %v", other.Ref().FQN(), c)
	case 8:
		r := ref(true)
		v := odd()
		r[[]string{"kind", "name"}[rnd.IntN(2)]] = v
		md["ownerReferences"] = []any{r}
		return fmt.Sprintf("controller %s with kind or name = %v", other.Ref().FQN(), v)
	case 9:
		r := ref(true)
		delete(r, []string{"kind", "name"}[rnd.IntN(2)])
		md["ownerReferences"] = []any{r}
		return "controller without kind or name"
	case 10:
		md["ownerReferences"] = map[string]any{"a": ref(true)}
		return "ownerReferences an object"
	case 11:
		return set(o, "spec", "spec")
	case 12:
		spec, _ := o["spec"].(map[string]any)
		if spec == nil {
			spec = map[string]any{}
			o["spec"] = spec
		}
		v := odd()
		spec["template"] = v
		return fmt.Sprintf("spec.template = %v", v)
	case 13:
		tmpl, _ := find2(o, "spec", "template").(map[string]any)
		if tmpl == nil {
			tmpl = o
		}
		v := odd()
		key := []string{"metadata", "spec"}[rnd.IntN(2)]
		tmpl[key] = v
		return fmt.Sprintf("pod template %s = %v", key, v)
	case 14:
		tmpl, _ := find2(o, "spec", "template").(map[string]any)
		if tmpl == nil {
			tmpl = o
		}
		tmd, _ := tmpl["metadata"].(map[string]any)
		if tmd == nil {
			tmd = map[string]any{}
			tmpl["metadata"] = tmd
		}
		v := odd()
		key := []string{"labels", "annotations"}[rnd.IntN(2)]
		tmd[key] = v
		return fmt.Sprintf("pod template metadata.%s = %v", key, v)
	default:
		key := []string{"kind", "apiVersion"}[rnd.IntN(2)]
		if rnd.IntN(2) == 0 {
			delete(o, key)
			return "no " + key
		}
		v := odd()
		o[key] = v
		return fmt.Sprintf("%s = %v", key, v)
	}
}

func find2(o map[string]any, a, b string) any {
	x, _ := o[a].(map[string]any)
	return x[b]
}

func copySnapshot(s *snapshot.Snapshot) *snapshot.Snapshot {
	c := *s
	c.Objects = make([]snapshot.Object, len(s.Objects))
	for i, o := range s.Objects {
		o.Object = deepCopyJSON(o.Object).(map[string]any)
		c.Objects[i] = o
	}
	return &c
}

func deepCopyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopyJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopyJSON(e)
		}
		return out
	}
	return v
}

// TestDerivedVerdicts: the whole report with input.derived equals the
// report with every library fact computed in Rego, on every scenario and on
// malformed objects — the Go facts change no verdict, finding or reason,
// and a fact Rego raises an error on makes its rules unknown with that
// error, not judged.
func TestDerivedVerdicts(t *testing.T) {
	ctx := context.Background()
	eng, _, err := NewEmbedded(ctx, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]*snapshot.Snapshot{}
	dirs, _ := filepath.Glob(filepath.Join("..", "testdata", "scenarios", "*"))
	for _, dir := range dirs {
		cases[filepath.Base(dir)] = readManifests(t, dir)
	}
	base := gen.Generate(gen.Config{Objects: 150, Seed: 7}).Snapshot("gen")
	unknownSeen := false
	for seed := 0; seed < 5; seed++ {
		rnd := rand.New(rand.NewPCG(uint64(seed), 7))
		s := copySnapshot(base)
		i := rnd.IntN(len(s.Objects))
		cases[fmt.Sprintf("malformed-%d %s: %s", seed, s.Objects[i].Ref().FQN(), mutate(rnd, s.Objects[i].Object, s))] = s
	}
	// One object whose owner reference is not an object: lib.workloads is
	// a type error in Rego.
	s := copySnapshot(base)
	for i := range s.Objects {
		if s.Objects[i].Kind == "Deployment" {
			s.Objects[i].Object["metadata"].(map[string]any)["ownerReferences"] = []any{"x"}
			break
		}
	}
	cases["owner reference not an object"] = s
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s := cases[name]
		t.Run(name, func(t *testing.T) {
			got := sameReportAsRego(t, eng, s, "input.derived")
			if name == "owner reference not an object" {
				for _, r := range got.Rules {
					if r.ID == "POD-03" {
						unknownSeen = r.Status == report.StatusUnknown && strings.Contains(r.Reason, "evaluation error")
						if !unknownSeen {
							t.Errorf("POD-03 is %s (%s), want unknown with the evaluation error", r.Status, r.Reason)
						}
					}
				}
			}
		})
	}
}

// sameReportAsRego evaluates s with eng and with the same engine leaving
// every library fact to Rego (regoOnly), fails unless the two reports are
// identical (naming the first rule whose verdict differs, computed "with"
// the Go-derived facts), and returns eng's report.
func sameReportAsRego(t *testing.T, eng *Engine, s *snapshot.Snapshot, with string) *report.Report {
	t.Helper()
	ctx := context.Background()
	ref := *eng
	ref.regoOnly = true
	got, err := eng.Evaluate(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Evaluate(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		for i := range want.Rules {
			if g, w := got.Rules[i], want.Rules[i]; g.Status != w.Status || g.Reason != w.Reason || g.Findings != w.Findings {
				t.Fatalf("rule %s: with %s %s (%s, %d findings), in Rego %s (%s, %d findings)", w.ID, with, g.Status, g.Reason, g.Findings, w.Status, w.Reason, w.Findings)
			}
		}
		t.Fatalf("the report with %s differs from the report computed in Rego (findings: %d vs %d)", with, len(got.Findings), len(want.Findings))
	}
	return got
}
