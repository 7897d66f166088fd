package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
)

// The differential test of the workload facts (facts.go): every fact derive
// hands over in w.facts equals lib.rego's definition (rego_<predicate>)
// evaluated on the input without input.derived; a fact derive leaves out is
// one Rego decides (with a value or its error).

// withoutFacts is a derived workloads set with the facts field dropped,
// which is lib.rego's workloads.
func withoutFacts(v ast.Value) ast.Value {
	set, ok := v.(ast.Set)
	if !ok {
		return v
	}
	var out []*ast.Term
	set.Foreach(func(w *ast.Term) { out = append(out, stripFacts(w)) })
	return ast.NewSet(out...)
}

func stripFacts(w *ast.Term) *ast.Term {
	o, ok := w.Value.(ast.Object)
	if !ok {
		return w
	}
	c := ast.NewObject()
	o.Foreach(func(k, v *ast.Term) {
		if !k.Equal(ast.StringTerm(factsKey)) {
			c.Insert(k, v)
		}
	})
	return ast.NewTerm(c)
}

// factsCompared counts workload facts by outcome.
type factsCompared struct {
	Equal      int // derive's fact is Rego's value
	RegoErrors int // left to Rego, which raises an error on it
	LeftValues int // left to Rego, which computes a value
	True       int // facts equal and true (so both values are reached)
}

func (c *factsCompared) add(o factsCompared) {
	c.Equal += o.Equal
	c.RegoErrors += o.RegoErrors
	c.LeftValues += o.LeftValues
	c.True += o.True
}

// nsFacts are the facts lib uses only on go_ns_labels(w.namespace).
var nsFacts = map[string]bool{wfMeshed: true, wfSidecar: true, wfRunsSidecar: true}

// evalBody evaluates a query binding x, on input in.
func (rf *regoFacts) evalBody(q ast.Body, in ast.Value) (ast.Value, error) {
	cq, err := rf.compiler.QueryCompiler().Compile(q)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	txn, err := rf.store.NewTransaction(ctx)
	if err != nil {
		return nil, err
	}
	defer rf.store.Abort(ctx, txn)
	var out ast.Value
	err = topdown.NewQuery(cq).WithCompiler(rf.compiler).WithStore(rf.store).WithTransaction(txn).
		WithInput(ast.NewTerm(in)).WithStrictBuiltinErrors(true).
		Iter(ctx, func(qr topdown.QueryResult) error {
			out = qr[ast.Var(resultVar)].Value
			return nil
		})
	if err == nil && out == nil {
		err = fmt.Errorf("no result")
	}
	return out, err
}

// holds is {"p" | data.meshaudit.lib.<fn>(arg)}: whether the predicate
// holds of arg, or Rego's error.
func (rf *regoFacts) holds(fn string, arg *ast.Term, in ast.Value) (bool, error) {
	call := ast.NewExpr([]*ast.Term{ast.NewTerm(dataRef("meshaudit", "lib", fn)), arg})
	q := bind(ast.SetComprehensionTerm(ast.StringTerm("p"), ast.NewBody(call)))
	v, err := rf.evalBody(q, in)
	if err != nil {
		return false, err
	}
	return v.(ast.Set).Len() == 1, nil
}

// bulkFacts evaluates every predicate of every lib.workloads element in one
// query: {w: {predicates that hold, and "ns" when go_ns_labels}}. An error
// on any w fails it (then holds is asked w by w).
func (rf *regoFacts) bulkFacts(in ast.Value) (ast.Object, error) {
	var parts []string
	for _, p := range workloadFactNames {
		parts = append(parts, fmt.Sprintf("{%q | data.meshaudit.lib.rego_%s(w)}", p, p))
	}
	parts = append(parts, `{"ns" | data.meshaudit.lib.go_ns_labels(w.namespace)}`)
	c, err := ast.ParseTerm(fmt.Sprintf("{w: s | some w in data.meshaudit.lib.workloads; s := %s}", strings.Join(parts, " | ")))
	if err != nil {
		return nil, err
	}
	v, err := rf.evalBody(bind(c), in)
	if err != nil {
		return nil, err
	}
	return v.(ast.Object), nil
}

// compareWorkloadFacts checks every w.facts of derived against Rego on the
// input without input.derived (in).
func (rf *regoFacts) compareWorkloadFacts(t *testing.T, in ast.Value, derived ast.Object) (st factsCompared) {
	t.Helper()
	ws := derived.Get(ast.StringTerm(factWorkloads))
	if ws == nil {
		return st // workloads left to Rego: no facts at all
	}
	bulk, bulkErr := rf.bulkFacts(in)
	ws.Value.(ast.Set).Foreach(func(w *ast.Term) {
		facts, ok := field(w, factsKey).Value.(ast.Object)
		if !ok {
			t.Errorf("workload %s: facts %v is not an object", short(field(w, "resource")), field(w, factsKey))
			return
		}
		plain := stripFacts(w)
		var want ast.Set
		if bulkErr == nil {
			s := bulk.Get(plain)
			if s == nil {
				t.Errorf("workload %s: not in Rego's lib.workloads", short(field(w, "resource")))
				return
			}
			want = s.Value.(ast.Set)
		}
		ask := func(fn string) (bool, error) {
			if want != nil {
				return want.Contains(ast.StringTerm(fn)), nil
			}
			if fn == "ns" {
				return rf.holds("go_ns_labels", field(w, "namespace"), in)
			}
			return rf.holds("rego_"+fn, plain, in)
		}
		nsOK, nsErr := ask("ns")
		for _, p := range workloadFactNames {
			got := facts.Get(ast.StringTerm(p))
			if got != nil {
				if _, ok := got.Value.(ast.Boolean); !ok {
					t.Errorf("workload %s: fact %s = %v, not a boolean", short(field(w, "resource")), p, got)
				}
			}
			if got != nil && nsFacts[p] && nsErr != nil {
				t.Errorf("workload %s: derive decided %s, but go_ns_labels raises %v", short(field(w, "resource")), p, nsErr)
			}
			used := got != nil && (!nsFacts[p] || nsOK)
			v, err := ask(p)
			switch {
			case !used && err != nil:
				st.RegoErrors++
			case !used:
				st.LeftValues++
			case err != nil:
				t.Errorf("workload %s: derive decided %s = %v, but Rego raises %v", short(field(w, "resource")), p, got, err)
			case got.Value.Compare(ast.Boolean(v)) != 0:
				t.Errorf("workload %s: %s is %v in Go, %v in lib.rego (w = %s)", short(field(w, "resource")), p, got, v, short(plain))
			default:
				st.Equal++
				if v {
					st.True++
				}
			}
		}
	})
	return st
}

// pickWorkload is a random workload object of s (its pod template's
// metadata and spec made objects if they are not), or nil.
func pickWorkload(rnd *rand.Rand, s *snapshot.Snapshot) (o, meta, spec map[string]any) {
	var idx []int
	for i, x := range s.Objects {
		if isWorkloadKey(x.Key()) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, nil, nil
	}
	o = s.Objects[idx[rnd.IntN(len(idx))]].Object
	tmpl := o
	switch o["kind"] {
	case "Pod":
	case "CronJob":
		tmpl = ensure(ensure(ensure(ensure(o, "spec"), "jobTemplate"), "spec"), "template")
	default:
		tmpl = ensure(ensure(o, "spec"), "template")
	}
	return o, ensure(tmpl, "metadata"), ensure(tmpl, "spec")
}

func ensure(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}

// mutateFacts changes what a workload fact reads: pod labels and
// annotations (of odd types too), hostNetwork, containers, namespaces and
// their labels, and says which.
func mutateFacts(rnd *rand.Rand, s *snapshot.Snapshot) string {
	odd := func() any { return deepCopyJSON(oddValues[rnd.IntN(len(oddValues))]) }
	pick := func(vs ...any) any { return deepCopyJSON(vs[rnd.IntN(len(vs))]) }
	o, meta, spec := pickWorkload(rnd, s)
	if o == nil {
		return "no workload"
	}
	what := fmt.Sprintf("%v %v: ", o["kind"], o["metadata"])
	switch rnd.IntN(12) {
	case 0:
		key := pick("labels", "annotations").(string)
		v := pick(odd(), "false", "False", "", "no", "yes", "true", "TRUE", "on", "y", "enabled", true, false)
		ensure(meta, key)["sidecar.istio.io/inject"] = v
		return what + fmt.Sprintf("pod %s sidecar.istio.io/inject = %#v", key, v)
	case 1:
		v := pick(true, "true", false, odd())
		spec["hostNetwork"] = v
		return what + fmt.Sprintf("hostNetwork = %#v", v)
	case 2:
		key := pick("istio.io/rev", "istio.io/dataplane-mode").(string)
		v := pick("", "canary", "default", "ambient", "none", odd())
		ensure(meta, "labels")[key] = v
		return what + fmt.Sprintf("pod label %s = %#v", key, v)
	case 3:
		c := map[string]any{"name": pick("istio-proxy", "istio-init", "app", odd()), "image": pick("auto", "x")}
		if rnd.IntN(2) == 0 {
			c["args"] = pick([]any{"proxy", "router"}, []any{"proxy", "sidecar"}, "router", odd())
		}
		key := pick("containers", "initContainers", "ephemeralContainers").(string)
		cs, _ := spec[key].([]any)
		spec[key] = append(cs, c)
		return what + fmt.Sprintf("%s += %v", key, c)
	case 4:
		key := pick("containers", "initContainers").(string)
		v := pick(odd(), map[string]any{"a": map[string]any{"name": "istio-proxy", "args": []any{"router"}}})
		spec[key] = v
		return what + fmt.Sprintf("%s = %v", key, v)
	case 5:
		key := pick("inject.istio.io/templates", "sidecar.istio.io/status").(string)
		v := pick("gateway", "sidecar", "sidecar,gateway", odd())
		ensure(meta, "annotations")[key] = v
		return what + fmt.Sprintf("annotation %s = %#v", key, v)
	case 6:
		key := pick("gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name").(string)
		ensure(meta, "labels")[key] = odd()
		return what + "label " + key
	case 7:
		key := pick("labels", "annotations").(string)
		v := odd()
		meta[key] = v
		return what + fmt.Sprintf("pod %s = %v", key, v)
	case 8:
		return nsMutation(rnd, s, odd, pick)
	case 9:
		// A namespace implied: its Namespace object dropped.
		return dropNamespace(rnd, s)
	case 10:
		// A second Namespace object of one name, different or equal.
		for _, x := range s.Objects {
			if x.Kind == "Namespace" {
				c := x
				c.Object = deepCopyJSON(x.Object).(map[string]any)
				if rnd.IntN(2) == 0 {
					ensure(ensure(c.Object, "metadata"), "labels")["other"] = "x"
				}
				s.Objects = append(s.Objects, c)
				return "Namespace " + x.Name + " twice"
			}
		}
		return "no Namespace"
	default:
		return mutate(rnd, o, s)
	}
}

// nsMutation sets an enrolment label of a Namespace object, of any type.
func nsMutation(rnd *rand.Rand, s *snapshot.Snapshot, odd func() any, pick func(...any) any) string {
	var nss []map[string]any
	for _, x := range s.Objects {
		if x.Kind == "Namespace" {
			nss = append(nss, x.Object)
		}
	}
	if len(nss) == 0 {
		return "no Namespace"
	}
	o := nss[rnd.IntN(len(nss))]
	md := ensure(o, "metadata")
	if rnd.IntN(5) == 0 {
		v := odd()
		md["labels"] = v
		return fmt.Sprintf("Namespace %v labels = %v", md["name"], v)
	}
	key := pick("istio-injection", "istio.io/rev", "istio.io/dataplane-mode").(string)
	var v any
	if rnd.IntN(4) == 0 {
		delete(ensure(md, "labels"), key)
	} else {
		v = pick("enabled", "disabled", "", "canary", "ambient", odd())
		ensure(md, "labels")[key] = v
	}
	return fmt.Sprintf("Namespace %v label %s = %#v", md["name"], key, v)
}

// dropNamespace removes a Namespace object that has workloads, so that
// their namespace is implied.
func dropNamespace(rnd *rand.Rand, s *snapshot.Snapshot) string {
	used := map[string]bool{}
	for _, x := range s.Objects {
		if isWorkloadKey(x.Key()) {
			used[x.Namespace] = true
		}
	}
	var idx []int
	for i, x := range s.Objects {
		if x.Kind == "Namespace" && used[x.Name] {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return "no Namespace with workloads"
	}
	i := idx[rnd.IntN(len(idx))]
	n := s.Objects[i].Name
	s.Objects = append(s.Objects[:i:i], s.Objects[i+1:]...)
	return "Namespace " + n + " implied"
}

// factsParams states the labels of some namespaces in
// params.namespace_labels (an implied one's are then those).
func factsParams(s *snapshot.Snapshot) policies.Params {
	p := policies.Defaults()
	p.NamespaceLabels = map[string]map[string]string{}
	var nss []string
	seen := map[string]bool{}
	for _, x := range s.Objects {
		if x.Namespace != "" && !seen[x.Namespace] {
			seen[x.Namespace] = true
			nss = append(nss, x.Namespace)
		}
	}
	sort.Strings(nss)
	labels := []map[string]string{{"istio-injection": "enabled"}, {"istio.io/rev": "canary"}, {"istio.io/dataplane-mode": "ambient"}, {}}
	for i, n := range nss {
		if i%2 == 0 {
			p.NamespaceLabels[n] = labels[(i/2)%len(labels)]
		}
	}
	return p
}

// factsCases are generated clusters of every shape, each with a few
// mutations of what the workload facts read (fixed seeds).
func factsCases(n int) (names []string, cases map[string]*snapshot.Snapshot) {
	cases = map[string]*snapshot.Snapshot{}
	var bases []*snapshot.Snapshot
	for i, sh := range gen.Shapes {
		bases = append(bases, gen.Generate(gen.Config{Objects: 150, Seed: uint64(11 + i), Shape: sh}).Snapshot("gen"))
	}
	for seed := 0; seed < n; seed++ {
		rnd := rand.New(rand.NewPCG(uint64(seed), 42))
		s := copySnapshot(bases[seed%len(bases)])
		var did []string
		for k := 0; k < 1+rnd.IntN(4); k++ {
			did = append(did, mutateFacts(rnd, s))
		}
		name := fmt.Sprintf("%d %s", seed, strings.Join(did, "; "))
		names = append(names, name)
		cases[name] = s
	}
	return names, cases
}

// TestWorkloadFactsMalformed: on workloads whose labels, annotations,
// containers, host network and namespaces take every odd shape, each
// workload fact derive hands over is lib.rego's predicate, with the
// default parameters and with params.namespace_labels stating the labels
// of some namespaces; every fact Rego would raise an error on is left out.
func TestWorkloadFactsMalformed(t *testing.T) {
	n := 32
	if testing.Short() {
		n = 16
	}
	names, cases := factsCases(n)
	var total factsCompared
	def := newRegoFacts(t)
	for i, name := range names {
		s := cases[name]
		rf := def
		if i%3 == 2 {
			rf = newRegoFactsWith(t, factsParams(s))
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Log(name)
			total.add(rf.compare(t, s, false).facts)
		})
	}
	t.Logf("workload facts: %+v", total)
	if total.Equal == 0 || total.True == 0 || total.RegoErrors == 0 || total.LeftValues == 0 {
		t.Errorf("the cases do not reach every outcome: %+v", total)
	}
}

// TestWorkloadFactsVerdicts: the whole report with the workload facts equals
// the report with every predicate evaluated in Rego (no input.derived), on
// the mutated clusters, with the default parameters and with
// params.namespace_labels.
func TestWorkloadFactsVerdicts(t *testing.T) {
	ctx := context.Background()
	n := 6
	if testing.Short() {
		n = 4
	}
	names, cases := factsCases(n)
	for i, name := range names {
		s := cases[name]
		p := policies.Defaults()
		if i%2 == 1 {
			p = factsParams(s)
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Log(name)
			eng, _, err := NewEmbedded(ctx, p, "test")
			if err != nil {
				t.Fatal(err)
			}
			sameReportAsRego(t, eng, s, "workload facts")
		})
	}
}

// factsGrid writes a cluster whose Pods combine, at random (fixed seed),
// every value the workload facts read: the injection setting (of every
// case and type, as label, annotation or both), revision and dataplane-mode
// labels, hostNetwork, istio-proxy containers with and without the router
// argument, the injection status and template annotations, gateway-name
// labels; in namespaces of every enrolment, two of them implied (no
// Namespace object). With odd, also pod labels, annotations, specs and
// Namespace labels that are not objects. It returns the snapshot and the
// implied namespaces.
func factsGrid(t *testing.T, odd bool, pods int) (*snapshot.Snapshot, []string) {
	rnd := rand.New(rand.NewPCG(5, 5))
	pick := func(vs ...any) any { return deepCopyJSON(vs[rnd.IntN(len(vs))]) }
	nsLabels := []any{
		map[string]any{}, map[string]any{"istio-injection": "enabled"}, map[string]any{"istio-injection": "disabled"},
		map[string]any{"istio-injection": "enabled", "istio.io/rev": "canary"}, map[string]any{"istio-injection": "disabled", "istio.io/rev": "canary"},
		map[string]any{"istio.io/rev": "canary"}, map[string]any{"istio.io/rev": ""}, map[string]any{"istio.io/rev": "default"},
		map[string]any{"istio.io/dataplane-mode": "ambient"}, map[string]any{"istio.io/dataplane-mode": "ambient", "istio-injection": "enabled"},
		map[string]any{"istio.io/dataplane-mode": "none"}, map[string]any{"istio-injection": true},
	}
	if odd {
		nsLabels = append(nsLabels, "x", []any{"istio-injection"})
	}
	var docs []any
	var nss []string
	for i, l := range nsLabels {
		n := fmt.Sprintf("ns-%d", i)
		nss = append(nss, n)
		docs = append(docs, map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": n, "labels": l}})
	}
	implied := []string{"implied-a", "implied-b"}
	nss = append(nss, implied...)
	injectValues := []any{"true", "false", "True", "FALSE", "on", "On", "off", "y", "Y", "yes", "no", "n", "", "enabled", true, false}
	if odd {
		injectValues = append(injectValues, 1, 1.5, []any{"true"}, map[string]any{"a": "b"})
	}
	for i := 0; i < pods; i++ {
		labels := map[string]any{"app": fmt.Sprint("a", i%7)}
		annots := map[string]any{}
		if rnd.IntN(3) > 0 {
			v := pick(injectValues...)
			switch rnd.IntN(3) {
			case 0:
				labels["sidecar.istio.io/inject"] = v
			case 1:
				annots["sidecar.istio.io/inject"] = v
			default:
				labels["sidecar.istio.io/inject"] = v
				annots["sidecar.istio.io/inject"] = pick(injectValues...)
			}
		}
		if rnd.IntN(4) == 0 {
			labels["istio.io/rev"] = pick("", "canary", "default")
		}
		if rnd.IntN(4) == 0 {
			labels["istio.io/dataplane-mode"] = pick("", "none", "ambient", "Ambient")
		}
		if rnd.IntN(8) == 0 {
			labels[pick("gateway.networking.k8s.io/gateway-name", "istio.io/gateway-name").(string)] = "gw"
		}
		if rnd.IntN(6) == 0 {
			annots["sidecar.istio.io/status"] = pick("{}", "", false, true)
		}
		if rnd.IntN(8) == 0 {
			annots["inject.istio.io/templates"] = pick("gateway", "sidecar", "sidecar,gateway")
		}
		spec := map[string]any{"containers": []any{map[string]any{"name": "app", "image": "app:1"}}}
		if rnd.IntN(5) == 0 {
			spec["hostNetwork"] = pick(true, false, "true")
		}
		if rnd.IntN(5) == 0 {
			c := map[string]any{"name": pick("istio-proxy", "istio-init", "istio-validation"), "image": pick("auto", "proxyv2")}
			if rnd.IntN(2) == 0 {
				c["args"] = pick([]any{"proxy", "router"}, []any{"proxy", "sidecar"}, "router")
			}
			key := pick("containers", "initContainers", "ephemeralContainers").(string)
			cs, _ := spec[key].([]any)
			spec[key] = append(cs, c)
		}
		meta := map[string]any{"name": fmt.Sprint("p", i), "namespace": nss[rnd.IntN(len(nss))], "labels": labels, "annotations": annots}
		if odd && rnd.IntN(10) == 0 {
			meta[pick("labels", "annotations").(string)] = pick("x", 1, []any{"sidecar.istio.io/inject"})
		}
		if odd && rnd.IntN(20) == 0 {
			spec["containers"] = pick("x", map[string]any{"a": map[string]any{"name": "istio-proxy", "args": []any{"router"}}})
		}
		pod := map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
		if odd && rnd.IntN(30) == 0 {
			pod["spec"] = "x"
		}
		docs = append(docs, pod)
	}
	var b strings.Builder
	for _, d := range docs {
		j, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(j)
		b.WriteString("\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "grid.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	s := readManifests(t, dir)
	if len(s.Objects) != len(docs) {
		t.Fatalf("read %d objects of %d", len(s.Objects), len(docs))
	}
	return s, implied
}

// gridParams states the labels of one implied namespace (and of an
// enrolled one, which its Namespace object's labels override).
func gridParams(implied []string) policies.Params {
	p := policies.Defaults()
	p.NamespaceLabels = map[string]map[string]string{implied[0]: {"istio-injection": "enabled"}, "ns-0": {"istio-injection": "enabled"}}
	return p
}

// TestWorkloadFactsGrid: on the grid (well-formed and odd), every workload
// fact equals lib.rego's predicate, under the default parameters and with
// params.namespace_labels, and the whole report with the facts equals the
// report computed in Rego alone.
func TestWorkloadFactsGrid(t *testing.T) {
	ctx := context.Background()
	for _, odd := range []bool{false, true} {
		pods := 500
		if odd {
			pods = 150 // Rego raises errors: each predicate is asked w by w
		}
		s, implied := factsGrid(t, odd, pods)
		for _, p := range []policies.Params{policies.Defaults(), gridParams(implied)} {
			name := fmt.Sprintf("odd=%v/namespace_labels=%d", odd, len(p.NamespaceLabels))
			t.Run(name, func(t *testing.T) {
				st := newRegoFactsWith(t, p).compare(t, s, !odd).facts
				t.Logf("workload facts: %+v", st)
				if st.Equal == 0 || st.True == 0 || (odd && st.RegoErrors == 0) || (len(p.NamespaceLabels) > 0 && st.LeftValues == 0) {
					t.Errorf("the grid does not reach every outcome: %+v", st)
				}
				eng, _, err := NewEmbedded(ctx, p, "test")
				if err != nil {
					t.Fatal(err)
				}
				sameReportAsRego(t, eng, s, "workload facts")
			})
		}
	}
}
