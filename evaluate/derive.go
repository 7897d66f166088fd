package evaluate

import (
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The derived facts: lib.rego's namespaces, present, workloads_by_ref,
// owner_refs, pods_by_owner and workloads, computed once in Go for every
// rule (lib reads input.derived.<fact> when it is there, and computes the
// fact itself in Rego otherwise). lib.rego is the definition: derive
// computes exactly its value on every input on which Rego computes one
// (TestDerivedFacts holds the two equal on generated clusters, every
// scenario, the repository fixtures and malformed objects). Where Rego's
// definition raises an error (object.get on a metadata, owner reference or
// pod template that is not an object; an object with two different
// controller references), derive leaves the fact to Rego, so that the rules
// reading it are unknown with Rego's own error — never judged on a value
// Go made up.

// Facts of input.derived, as lib.rego names them.
const (
	factNamespaces     = "namespaces"
	factPresent        = "present"
	factWorkloadsByRef = "workloads_by_ref"
	factOwnerRefs      = "owner_refs"
	factPodsByOwner    = "pods_by_owner"
	factWorkloads      = "workloads"
)

// derivedFacts lists them in the order lib.rego defines them.
var derivedFacts = []string{factNamespaces, factPresent, factWorkloadsByRef, factOwnerRefs, factPodsByOwner, factWorkloads}

// workloadKinds is lib.workload_kinds.
var workloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}

// fallback is a fact derive left to lib.rego, with the first object that
// made it.
type fallback struct {
	Fact   string
	Reason string
}

// objMeta is what lib's helpers read of one object's metadata.
type objMeta struct {
	name *ast.Term // name(o); nil: undefined
	ns   *ast.Term // ns(o); nil: undefined (no metadata)
	// bad: metadata is there but not an object (ns(o) is a type error).
	bad bool
	// refs are object.get(metadata, "ownerReferences", []) iterated (an
	// array's elements, an object's values).
	refs []*ast.Term
	// badRef: a reference is not an object (object.get(ref, "controller",
	// false) is a type error).
	badRef bool
	// ctrls are the distinct references with controller: true; two or
	// more make controller(o) a conflict error.
	ctrls []ast.Object
}

func readMeta(o ast.Object) *objMeta {
	m := &objMeta{}
	mt := o.Get(ast.StringTerm("metadata"))
	if mt == nil {
		return m
	}
	md, ok := mt.Value.(ast.Object)
	if !ok {
		m.bad = true
		return m
	}
	m.name = md.Get(ast.StringTerm("name"))
	if m.ns = md.Get(ast.StringTerm("namespace")); m.ns == nil {
		m.ns = ast.StringTerm("")
	}
	if v := md.Get(ast.StringTerm("ownerReferences")); v != nil {
		m.refs = elems(v.Value)
	}
	for _, r := range m.refs {
		ref, ok := r.Value.(ast.Object)
		if !ok {
			m.badRef = true
			continue
		}
		if c := ref.Get(ast.StringTerm("controller")); c == nil || c.Value.Compare(ast.Boolean(true)) != 0 {
			continue
		}
		dup := false
		for _, c := range m.ctrls {
			dup = dup || c.Compare(ref) == 0
		}
		if !dup {
			m.ctrls = append(m.ctrls, ref)
		}
	}
	return m
}

// elems is what `some x in v` iterates: an array's or a set's elements,
// an object's values, nothing of a scalar.
func elems(v ast.Value) []*ast.Term {
	var out []*ast.Term
	switch c := v.(type) {
	case *ast.Array:
		c.Foreach(func(t *ast.Term) { out = append(out, t) })
	case ast.Set:
		c.Foreach(func(t *ast.Term) { out = append(out, t) })
	case ast.Object:
		c.Foreach(func(_, t *ast.Term) { out = append(out, t) })
	}
	return out
}

// field is o[key], nil when o is not an object or has no key.
func field(t *ast.Term, key string) *ast.Term {
	if t == nil {
		return nil
	}
	if o, ok := t.Value.(ast.Object); ok {
		return o.Get(ast.StringTerm(key))
	}
	return nil
}

// find is object.get(o, path, null)'s lookup: nil unless every step is an
// object holding the key.
func find(t *ast.Term, path ...string) *ast.Term {
	for _, p := range path {
		if t = field(t, p); t == nil {
			return nil
		}
	}
	return t
}

// getOr is object.get(o, key, def) of an object o.
func getOr(o ast.Object, key string, def *ast.Term) *ast.Term {
	if t := o.Get(ast.StringTerm(key)); t != nil {
		return t
	}
	return def
}

// termKey is a map key for a tuple of terms: equal terms, equal keys.
func termKey(ts ...*ast.Term) string {
	var b strings.Builder
	for _, t := range ts {
		if s, ok := t.Value.(ast.String); ok {
			b.WriteByte('s')
			b.WriteString(string(s))
		} else {
			b.WriteByte('v')
			b.WriteString(t.String())
		}
		b.WriteByte(0)
	}
	return b.String()
}

// grouping is lib.group: key → the set of its values, in first-seen order.
type grouping struct {
	index map[string]int
	keys  []*ast.Term
	vals  [][]*ast.Term
}

func newGrouping() *grouping { return &grouping{index: map[string]int{}} }

func (g *grouping) add(key *ast.Term, sk string, v *ast.Term) {
	i, ok := g.index[sk]
	if !ok {
		i = len(g.keys)
		g.index[sk] = i
		g.keys = append(g.keys, key)
		g.vals = append(g.vals, nil)
	}
	g.vals[i] = append(g.vals[i], v)
}

func (g *grouping) get(sk string) []*ast.Term {
	if i, ok := g.index[sk]; ok {
		return g.vals[i]
	}
	return nil
}

func (g *grouping) term() *ast.Term {
	items := make([][2]*ast.Term, len(g.keys))
	for i, k := range g.keys {
		items[i] = ast.Item(k, ast.SetTerm(g.vals[i]...))
	}
	return ast.ObjectTerm(items...)
}

func triple(a, b, c *ast.Term) *ast.Term { return ast.ArrayTerm(a, b, c) }

// derive computes the facts lib.rego derives from every object (see the
// file comment): the object of those it computed, and the ones it left to
// Rego with the reason. The values share the objects' terms (no copy).
func derive(keys []string, lists map[string][]*ast.Term) (ast.Object, []fallback) {
	var falls []fallback
	left := map[string]bool{}
	leave := func(fact, reason string) {
		if !left[fact] {
			left[fact] = true
			falls = append(falls, fallback{Fact: fact, Reason: reason})
		}
	}
	metas := map[*ast.Term]*objMeta{}
	for _, k := range keys {
		for i, t := range lists[k] {
			o, ok := t.Value.(ast.Object)
			if !ok {
				// The input never holds one; lib would read it as
				// objects without metadata, but say so.
				for _, f := range derivedFacts {
					leave(f, fmt.Sprintf("%s object %d is a %s, not an object", k, i, ast.ValueName(t.Value)))
				}
				continue
			}
			m := readMeta(o)
			metas[t] = m
			what := describe(k, i, m)
			if m.bad {
				// ns(o) is a type error for every fact reading it.
				leave(factNamespaces, what+": metadata is not an object")
				leave(factOwnerRefs, what+": metadata is not an object")
				if isWorkloadKey(k) {
					for _, f := range []string{factPresent, factWorkloadsByRef, factPodsByOwner, factWorkloads} {
						leave(f, what+": metadata is not an object")
					}
				}
			}
			if m.badRef || len(m.ctrls) > 1 {
				why := what + ": an ownerReferences entry is not an object"
				if !m.badRef {
					why = what + ": two controller ownerReferences (lib.controller is a conflict error)"
				}
				leave(factOwnerRefs, why)
				if k == "Pod" {
					leave(factPodsByOwner, why)
				}
				if m.badRef && isWorkloadKey(k) {
					leave(factWorkloads, why) // owned(o) reads every reference
				}
			}
		}
	}
	if left[factOwnerRefs] {
		leave(factPodsByOwner, "owner_refs is computed in Rego") // top_owners reads it
	}
	if left[factPresent] {
		leave(factOwnerRefs, "present is computed in Rego")
		leave(factPodsByOwner, "present is computed in Rego")
		leave(factWorkloads, "present is computed in Rego")
	}

	out := ast.NewObject()
	put := func(fact string, v func() *ast.Term) {
		if !left[fact] {
			out.Insert(ast.StringTerm(fact), v())
		}
	}

	// present and workloads_by_ref: [o.kind, ns(o), name(o)] of every
	// workload object.
	present := map[string]bool{}
	var presentTerms []*ast.Term
	byRef := newGrouping()
	if !left[factPresent] {
		for _, k := range workloadKinds {
			for _, t := range lists[k] {
				m := metas[t]
				kind := field(t, "kind")
				if m == nil || kind == nil || m.ns == nil || m.name == nil {
					continue
				}
				sk := termKey(kind, m.ns, m.name)
				if !present[sk] {
					present[sk] = true
					presentTerms = append(presentTerms, triple(kind, m.ns, m.name))
				}
				byRef.add(triple(kind, m.ns, m.name), sk, t)
			}
		}
	}
	isPresent := func(ref ast.Object, ns *ast.Term) bool {
		kind, name := ref.Get(ast.StringTerm("kind")), ref.Get(ast.StringTerm("name"))
		return kind != nil && name != nil && present[termKey(kind, ns, name)]
	}
	put(factPresent, func() *ast.Term { return ast.SetTerm(presentTerms...) })
	put(factWorkloadsByRef, byRef.term)

	// owner_refs: [key, ns(o), name(o)] → controller(o), when that
	// controller is present.
	owners := newGrouping()
	if !left[factOwnerRefs] {
		for _, k := range keys {
			for _, t := range lists[k] {
				m := metas[t]
				if m == nil || m.ns == nil || m.name == nil || len(m.ctrls) != 1 || !isPresent(m.ctrls[0], m.ns) {
					continue
				}
				kt := ast.StringTerm(k)
				owners.add(triple(kt, m.ns, m.name), termKey(kt, m.ns, m.name), ast.NewTerm(m.ctrls[0]))
			}
		}
	}
	put(factOwnerRefs, owners.term)

	// pods_by_owner: each Pod under the top owners of its controller
	// (lib.top_owners).
	pods := newGrouping()
	if !left[factPodsByOwner] {
		for _, p := range lists["Pod"] {
			m := metas[p]
			if m == nil || m.ns == nil || len(m.ctrls) != 1 {
				continue
			}
			rk, rn := m.ctrls[0].Get(ast.StringTerm("kind")), m.ctrls[0].Get(ast.StringTerm("name"))
			if rk == nil || rn == nil {
				continue
			}
			var tops [][2]*ast.Term
			seen := map[string]bool{}
			for _, r := range owners.get(termKey(rk, m.ns, rn)) {
				ro := r.Value.(ast.Object)
				top := [2]*ast.Term{ro.Get(ast.StringTerm("kind")), ro.Get(ast.StringTerm("name"))}
				if sk := termKey(top[0], top[1]); !seen[sk] {
					seen[sk] = true
					tops = append(tops, top)
				}
			}
			if len(tops) == 0 {
				tops = [][2]*ast.Term{{rk, rn}}
			}
			for _, top := range tops {
				pods.add(triple(top[0], m.ns, top[1]), termKey(top[0], m.ns, top[1]), p)
			}
		}
	}
	put(factPodsByOwner, pods.term)

	// workloads: every workload object not owned by a present one, with its
	// pod template's metadata and spec, and its facts (facts.go).
	var workloads []*ast.Term
	if !left[factWorkloads] {
		nsl := readNSLabels(lists["Namespace"], metas)
	kinds:
		for _, k := range workloadKinds {
		objects:
			for i, t := range lists[k] {
				m := metas[t]
				if m == nil || m.ns == nil {
					continue // owned(o) undefined, and so is ns(o)
				}
				o := t.Value.(ast.Object)
				for _, r := range m.refs {
					ref, ok := r.Value.(ast.Object)
					if !ok {
						continue // badRef: workloads is left to Rego
					}
					if c := ref.Get(ast.StringTerm("controller")); c != nil && c.Value.Compare(ast.Boolean(true)) == 0 && isPresent(ref, m.ns) {
						continue objects // owned
					}
				}
				kind := o.Get(ast.StringTerm("kind"))
				tmpl, ok := podTemplate(t, kind)
				if !ok {
					continue
				}
				tm, ok := tmpl.Value.(ast.Object)
				if !ok {
					leave(factWorkloads, describe(k, i, m)+": its pod template is not an object")
					break kinds
				}
				meta, ok := getOr(tm, "metadata", ast.ObjectTerm()).Value.(ast.Object)
				if !ok {
					leave(factWorkloads, describe(k, i, m)+": its pod template's metadata is not an object")
					break kinds
				}
				apiVersion := o.Get(ast.StringTerm("apiVersion"))
				if m.name == nil || apiVersion == nil {
					continue // resource(o) undefined
				}
				labels := getOr(meta, "labels", ast.ObjectTerm())
				annots := getOr(meta, "annotations", ast.ObjectTerm())
				spec := getOr(tm, "spec", ast.ObjectTerm())
				workloads = append(workloads, ast.ObjectTerm(
					ast.Item(ast.StringTerm("obj"), t),
					ast.Item(ast.StringTerm("kind"), kind),
					ast.Item(ast.StringTerm("namespace"), m.ns),
					ast.Item(ast.StringTerm("resource"), ast.ObjectTerm(
						ast.Item(ast.StringTerm("apiVersion"), apiVersion),
						ast.Item(ast.StringTerm("kind"), kind),
						ast.Item(ast.StringTerm("namespace"), m.ns),
						ast.Item(ast.StringTerm("name"), m.name),
					)),
					ast.Item(ast.StringTerm("labels"), labels),
					ast.Item(ast.StringTerm("annotations"), annots),
					ast.Item(ast.StringTerm("spec"), spec),
					ast.Item(ast.StringTerm(factsKey), workloadFacts(m.ns, labels, annots, spec, nsl)),
				))
			}
		}
	}
	put(factWorkloads, func() *ast.Term { return ast.SetTerm(workloads...) })

	// namespaces: the Namespace objects' names and every ns(o) but "".
	nsSet := map[string]bool{}
	var nsTerms []*ast.Term
	addNS := func(n *ast.Term) {
		if sk := termKey(n); !nsSet[sk] {
			nsSet[sk] = true
			nsTerms = append(nsTerms, n)
		}
	}
	for _, t := range lists["Namespace"] {
		if m := metas[t]; m != nil && m.name != nil {
			addNS(m.name)
		}
	}
	empty := ast.StringTerm("")
	for _, k := range keys {
		for _, t := range lists[k] {
			if m := metas[t]; m != nil && m.ns != nil && !m.ns.Equal(empty) {
				addNS(m.ns)
			}
		}
	}
	put(factNamespaces, func() *ast.Term { return ast.SetTerm(nsTerms...) })
	return out, falls
}

// podTemplate is lib.pod_template(o): the pod template of a workload kind
// ({} when its path is not there), the Pod itself; ok false for any other
// kind.
func podTemplate(t, kind *ast.Term) (*ast.Term, bool) {
	if kind == nil {
		return nil, false
	}
	k, _ := kind.Value.(ast.String)
	var path []string
	switch k {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		path = []string{"spec", "template"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template"}
	case "Pod":
		return t, true
	default:
		return nil, false
	}
	if v := find(t, path...); v != nil {
		return v, true
	}
	return ast.ObjectTerm(), true
}

func isWorkloadKey(k string) bool {
	for _, w := range workloadKinds {
		if w == k {
			return true
		}
	}
	return false
}

// describe names an object in a fallback reason.
func describe(key string, i int, m *objMeta) string {
	if m != nil && m.name != nil {
		if s, ok := m.name.Value.(ast.String); ok {
			if n, ok := m.ns.Value.(ast.String); ok && n != "" {
				return fmt.Sprintf("%s %s/%s", key, n, s)
			}
			return fmt.Sprintf("%s %s", key, s)
		}
	}
	return fmt.Sprintf("%s #%d", key, i)
}
