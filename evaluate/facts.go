package evaluate

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The workload facts: lib.rego's per-workload predicates (injected,
// has_proxy_container, host_network, opted_out, gateway, meshed, sidecar,
// runs_sidecar), computed once in Go for every element w of
// input.derived.workloads and handed over as w.facts, {predicate: bool}.
// lib reads w.facts.<p> when it is there and evaluates its own definition
// (rego_<p>) otherwise — on a w that did not come from input.derived
// (the rules' _test.rego files, a workload a rule builds) and on a w
// whose fact derive left out.
//
// lib.rego stays the definition: each fact is exactly its predicate, and
// TestWorkloadFacts holds the two equal. derive leaves a fact out wherever
// Rego's definition could raise an error on w (labels, annotations or the
// pod spec not an object, a sidecar.istio.io/inject value that is neither
// a string nor a boolean, an inject.istio.io/templates annotation that is
// not a string, a namespace whose Namespace object's labels are not an
// object, two Namespace objects of one name), so that the rule reading it
// meets Rego's own error, never a value Go made up.
//
// meshed, sidecar and runs_sidecar read the labels of w's namespace:
// derive reads them from its Namespace object, or as none when there is
// none. lib uses those three only when that is ns_labels(n) too: a
// Namespace object, or no params.namespace_labels entry for n (Go does not
// see the parameters; lib checks, once per namespace).

// Workload facts, as lib.rego names its predicates.
const (
	wfInjected          = "injected"
	wfHasProxyContainer = "has_proxy_container"
	wfHostNetwork       = "host_network"
	wfOptedOut          = "opted_out"
	wfGateway           = "gateway"
	wfMeshed            = "meshed"
	wfSidecar           = "sidecar"
	wfRunsSidecar       = "runs_sidecar"
)

// workloadFactNames lists them; the last three read namespace labels.
var workloadFactNames = []string{wfInjected, wfHasProxyContainer, wfHostNetwork, wfOptedOut, wfGateway, wfMeshed, wfSidecar, wfRunsSidecar}

// factsKey is the field of a derived workload holding its facts.
const factsKey = "facts"

// factKeyTerms are the facts' keys, one term each for every workload.
var factKeyTerms = func() map[string]*ast.Term {
	m := map[string]*ast.Term{}
	for _, n := range workloadFactNames {
		m[n] = ast.StringTerm(n)
	}
	return m
}()

// nsLabels is lib.ns_labels as derive sees it: the labels of each
// Namespace object, by name. ok false: namespace_objects is a conflict
// error (two different Namespace objects of one name).
type nsLabels struct {
	byName map[string]*ast.Term
	ok     bool
}

// readNSLabels reads lib.namespace_objects' labels.
func readNSLabels(list []*ast.Term, metas map[*ast.Term]*objMeta) nsLabels {
	l := nsLabels{byName: map[string]*ast.Term{}, ok: true}
	objs := map[string]*ast.Term{}
	for _, t := range list {
		m := metas[t]
		if m == nil || m.name == nil {
			continue // name(n) undefined
		}
		k := termKey(m.name)
		if prev, dup := objs[k]; dup {
			if prev.Value.Compare(t.Value) != 0 {
				l.ok = false
			}
			continue
		}
		objs[k] = t
		md := field(t, "metadata")
		l.byName[k] = getOr(md.Value.(ast.Object), "labels", ast.ObjectTerm())
	}
	return l
}

// of is ns_labels(n) when n has a Namespace object; {} when it has none
// (lib checks params.namespace_labels); nil when it is not an object
// (object.keys on it is a type error) or namespace_objects is a conflict.
func (l nsLabels) of(n *ast.Term) ast.Object {
	if !l.ok {
		return nil
	}
	t, ok := l.byName[termKey(n)]
	if !ok {
		return ast.NewObject()
	}
	o, _ := t.Value.(ast.Object)
	return o
}

var (
	sTrue  = ast.StringTerm("true")
	sEmpty = ast.StringTerm("")
	bTrue  = ast.BooleanTerm(true)
)

// is: t is there and equals v (Rego's t == v on a defined t).
func is(t, v *ast.Term) bool { return t != nil && t.Value.Compare(v.Value) == 0 }

// setNonEmpty is object.get(o, key, "") != "" of an object o.
func setNonEmpty(o ast.Object, key string) bool {
	t := o.Get(ast.StringTerm(key))
	return t != nil && !is(t, sEmpty)
}

func hasKey(o ast.Object, key string) bool { return o.Get(ast.StringTerm(key)) != nil }

// workloadFacts computes w.facts for a workload of namespace n with its pod
// template's labels, annotations and spec (lib's definitions in comments).
func workloadFacts(n, labels, annots, spec *ast.Term, nsl nsLabels) *ast.Term {
	facts := ast.NewObject()
	put := func(name string, v bool) { facts.Insert(factKeyTerms[name], ast.InternedTerm(v)) }
	lb, lbOK := labels.Value.(ast.Object)
	an, anOK := annots.Value.(ast.Object)
	sp, spOK := spec.Value.(ast.Object)

	// injected(w) if w.annotations["sidecar.istio.io/status"]: defined and
	// not false (on a value that is not an object: undefined).
	_, anSet := annots.Value.(ast.Set)
	injected := false
	if anOK {
		v := an.Get(ast.StringTerm("sidecar.istio.io/status"))
		injected = v != nil && v.Value.Compare(ast.Boolean(false)) != 0
	}
	if !anSet {
		put(wfInjected, injected)
	}

	// all_containers(w): object.get(w.spec, kind, []) (a type error when
	// w.spec is not an object).
	var containers []ast.Object
	if spOK {
		for _, kind := range []string{"initContainers", "containers", "ephemeralContainers"} {
			if v := sp.Get(ast.StringTerm(kind)); v != nil {
				for _, c := range elems(v.Value) {
					if o, ok := c.Value.(ast.Object); ok {
						containers = append(containers, o) // c.name of another value is undefined
					}
				}
			}
		}
	}
	proxy := false // has_proxy_container: some container named istio-proxy
	router := false
	for _, c := range containers {
		if is(c.Get(ast.StringTerm("name")), ast.StringTerm("istio-proxy")) {
			proxy = true
			// "router" in object.get(x.c, "args", []) (false on a scalar)
			if args := c.Get(ast.StringTerm("args")); args != nil {
				for _, a := range elems(args.Value) {
					router = router || is(a, ast.StringTerm("router"))
				}
			}
		}
	}
	// host_network: object.get(w.spec, "hostNetwork", false) == true.
	hostNet := spOK && is(sp.Get(ast.StringTerm("hostNetwork")), bTrue)
	if spOK {
		put(wfHasProxyContainer, proxy)
		put(wfHostNetwork, hostNet)
	}

	// inject_setting: the label (object.keys(w.labels)), else the
	// annotation (object.keys(w.annotations)), lower(sprintf("%v", [v])).
	setting, settingOK := "", lbOK
	hasSetting := false
	if lbOK {
		v := lb.Get(ast.StringTerm("sidecar.istio.io/inject"))
		if v == nil {
			if !anOK {
				settingOK = false
			} else {
				v = an.Get(ast.StringTerm("sidecar.istio.io/inject"))
			}
		}
		if v != nil {
			hasSetting = true
			switch x := v.Value.(type) {
			case ast.String:
				setting = strings.ToLower(string(x))
			case ast.Boolean:
				setting = "false"
				if x {
					setting = "true"
				}
			default:
				settingOK = false // sprintf's formatting of other values is Rego's
			}
		}
	}
	optedOut := false
	if hasSetting && setting != "" {
		switch setting {
		case "y", "yes", "true", "on":
		default:
			optedOut = true
		}
	}
	if settingOK {
		put(wfOptedOut, optedOut)
	}

	// gateway(w): an istio-proxy container with the router argument, the
	// gateway injection template, or a gateway-name label.
	if spOK && anOK && lbOK {
		tmpl := an.Get(ast.StringTerm("inject.istio.io/templates"))
		tmplS, isStr := "", true
		if tmpl != nil {
			var s ast.String
			s, isStr = tmpl.Value.(ast.String)
			tmplS = string(s)
		}
		if isStr { // contains() of anything else is a type error
			put(wfGateway, router || strings.Contains(tmplS, "gateway") ||
				hasKey(lb, "gateway.networking.k8s.io/gateway-name") || hasKey(lb, "istio.io/gateway-name"))
		}
	}

	// meshed, sidecar, runs_sidecar: every ingredient known.
	nl := nsl.of(n)
	if anSet || !spOK || !settingOK || nl == nil {
		return ast.NewTerm(facts)
	}
	// sidecar_enrolled(n), ambient_enrolled(n), unlabelled_ns(n).
	sidecarEnrolled := is(nl.Get(ast.StringTerm("istio-injection")), ast.StringTerm("enabled")) ||
		(!hasKey(nl, "istio-injection") && setNonEmpty(nl, "istio.io/rev"))
	ambientEnrolled := is(nl.Get(ast.StringTerm("istio.io/dataplane-mode")), ast.StringTerm("ambient"))
	unlabelled := !hasKey(nl, "istio-injection") && !hasKey(nl, "istio.io/rev")

	injectTrue := is(lb.Get(ast.StringTerm("sidecar.istio.io/inject")), sTrue)
	podRev := setNonEmpty(lb, "istio.io/rev")
	dm := lb.Get(ast.StringTerm("istio.io/dataplane-mode"))
	meshed := injected || proxy ||
		(!hostNet && !optedOut && sidecarEnrolled) ||
		(!hostNet && injectTrue && unlabelled) ||
		(!hostNet && podRev && !optedOut && unlabelled) ||
		(!hostNet && ambientEnrolled && !is(dm, ast.StringTerm("none"))) ||
		(!hostNet && is(dm, ast.StringTerm("ambient")))
	sidecar := injected || proxy ||
		(sidecarEnrolled && !optedOut) ||
		(injectTrue && unlabelled) ||
		(podRev && unlabelled && !optedOut)
	put(wfMeshed, meshed)
	put(wfSidecar, sidecar)
	put(wfRunsSidecar, injected || proxy || (!hostNet && sidecar))
	return ast.NewTerm(facts)
}
