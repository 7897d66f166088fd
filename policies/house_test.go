package policies

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// resultRuleNames are the rules the engine reads from a rule package (the
// rule contract, docs/writing-rules.md): every rule package defines them,
// so they are not helpers.
var resultRuleNames = map[string]bool{"deny": true, "judged": true, "unknown": true, "not_applicable": true}

// helper is one helper of a module: every definition of a name (and
// arity) in it, compiled and normalised.
type helper struct {
	module string // file path, e.g. rules/pod_01.rego
	pkg    string // data.meshaudit.rules.pod_01
	name   string
	arity  int
	row    int    // line of the first definition
	body   string // normalised definitions, in source order
}

func (h helper) String() string {
	return fmt.Sprintf("%s:%d: %s/%d", h.module, h.row, h.name, h.arity)
}

// helpers compiles the non-test modules (with tests, every module) and
// returns their helpers. A
// helper's body is normalised so that two copies of one helper compare
// equal whatever they are called and whichever package holds them: the
// compiler resolves every reference to a full data path and renames local
// variables (__localN__); here local variables are renumbered by first
// appearance, the head's name is dropped, and a reference to another
// helper (of the module's own package or of the library) is replaced by
// that helper's own normalised body's digest, so that `failed := {p.resource
// | some p in problems}` is not a copy of the same line in another rule
// whose `problems` differ, while a copy that calls copies matches.
func helpers(t *testing.T, mods []Module, tests bool) []helper {
	t.Helper()
	parsed := map[string]*ast.Module{}
	for _, m := range mods {
		if !tests && strings.HasSuffix(m.Path, "_test.rego") {
			continue
		}
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", m.Path, err)
		}
		parsed[m.Path] = pm
	}
	c := ast.NewCompiler()
	if c.Compile(parsed); c.Failed() {
		t.Fatalf("compile: %v", c.Errors)
	}
	paths := make([]string, 0, len(parsed))
	for p := range parsed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	n := &normaliser{t: t, rules: map[string][]*ast.Rule{}, done: map[string]string{}}
	var out []helper
	for _, p := range paths {
		m := c.Modules[p]
		pkg := m.Package.Path.String()
		for _, r := range m.Rules {
			name := ruleName(r)
			key := pkg + "." + name
			if len(n.rules[key]) == 0 && !(resultRuleNames[name] && strings.HasPrefix(pkg, "data.meshaudit.rules.")) {
				h := helper{module: p, pkg: pkg, name: name, arity: len(r.Head.Args)}
				if r.Location != nil {
					h.row = r.Location.Row
				}
				out = append(out, h)
			}
			n.rules[key] = append(n.rules[key], r)
		}
	}
	for i := range out {
		out[i].body = n.body(out[i].pkg, out[i].name)
	}
	return out
}

func ruleName(r *ast.Rule) string {
	if len(r.Head.Reference) > 0 {
		return r.Head.Reference[0].Value.String()
	}
	return r.Head.Name.String()
}

type normaliser struct {
	t     *testing.T
	rules map[string][]*ast.Rule // "data.pkg.name" -> definitions
	done  map[string]string      // "data.pkg.name" -> normalised body
}

// body returns the normalised definitions of pkg.name, in source order.
func (n *normaliser) body(pkg, name string) string {
	key := pkg + "." + name
	if b, ok := n.done[key]; ok {
		return b
	}
	n.done[key] = "(cycle)"
	var b strings.Builder
	for _, r := range n.rules[key] {
		b.WriteString(n.normalise(r, pkg))
		b.WriteString("\n")
	}
	n.done[key] = b.String()
	return b.String()
}

// digest names a helper by its normalised body.
func (n *normaliser) digest(pkg, name string) string {
	sum := sha256.Sum256([]byte(n.body(pkg, name)))
	return hex.EncodeToString(sum[:8])
}

// normalise returns the text of a compiled rule with its name, its local
// variable names and the names of the helpers it calls taken out.
func (n *normaliser) normalise(r *ast.Rule, pkg string) string {
	n.t.Helper()
	cp := r.Copy()
	cp.Head.Name = ast.Var("H")
	if len(cp.Head.Reference) > 0 {
		cp.Head.Reference[0] = ast.VarTerm("H")
	}
	names := map[ast.Var]ast.Var{}
	x, err := ast.Transform(transformer(func(v any) (any, error) {
		switch v := v.(type) {
		case ast.Ref:
			for _, prefix := range []string{pkg, "data.meshaudit.lib"} {
				p := ast.MustParseRef(prefix)
				if !v.HasPrefix(p) || len(v) <= len(p) {
					continue
				}
				s, ok := v[len(p)].Value.(ast.String)
				if !ok || n.rules[prefix+"."+string(s)] == nil {
					continue
				}
				return ast.MustParseRef("data.H").Append(ast.StringTerm(n.digest(prefix, string(s)))).Concat(v[len(p)+1:]), nil
			}
		case ast.Var:
			if strings.HasPrefix(string(v), "__local") || v.IsWildcard() {
				nv, ok := names[v]
				if !ok {
					nv = ast.Var(fmt.Sprintf("v%d", len(names)))
					names[v] = nv
				}
				return nv, nil
			}
		}
		return v, nil
	}), cp)
	if err != nil {
		n.t.Fatal(err)
	}
	return x.(*ast.Rule).String()
}

// numericConstant matches the normalised body of a number or boolean
// constant (`max_hops := 3`): two rules may well mean different things by
// the same number, so such constants are not compared.
var numericConstant = regexp.MustCompile(`^H := (-?[0-9][0-9.e+-]*|true|false) if \{ true \}\n$`)

type transformer func(any) (any, error)

func (f transformer) Transform(v any) (any, error) { return f(v) }

// TestOneLibrary keeps the house one library (issue 15): no rule module
// defines a helper that the library (policies/lib) has, by name or by
// body, and no two modules define the same helper body. A helper needed
// by two rules belongs in lib.
func TestOneLibrary(t *testing.T) {
	mods, err := Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	hs := helpers(t, mods, false)
	libNames := map[string]helper{}
	bodies := map[string][]helper{}
	for _, h := range hs {
		if strings.HasPrefix(h.module, "lib/") {
			libNames[h.name] = h
		}
		if !numericConstant.MatchString(h.body) {
			bodies[h.body] = append(bodies[h.body], h)
		}
	}
	inventory := os.Getenv("MESHAUDIT_HELPERS") != ""
	bad := 0
	for _, h := range hs {
		if strings.HasPrefix(h.module, "lib/") {
			continue
		}
		if l, ok := libNames[h.name]; ok {
			bad++
			t.Errorf("%s: the library has %s (%s): use lib.%s", h, h.name, l, h.name)
		}
	}
	var keys []string
	for b, list := range bodies {
		if len(list) > 1 {
			keys = append(keys, b)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return bodies[keys[i]][0].String() < bodies[keys[j]][0].String() })
	for _, b := range keys {
		list := bodies[b]
		var where []string
		for _, h := range list {
			where = append(where, h.String())
		}
		bad++
		t.Errorf("one helper defined %d times (move it to policies/lib and call it from there): %s", len(list), strings.Join(where, ", "))
	}
	if inventory {
		byName := map[string][]helper{}
		for _, h := range hs {
			if !strings.HasPrefix(h.module, "lib/") {
				byName[h.name] = append(byName[h.name], h)
			}
		}
		var names []string
		for n, l := range byName {
			if len(l) > 1 {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			var where []string
			for _, h := range byName[n] {
				where = append(where, h.module)
			}
			t.Logf("name %s in %d rules: %s", n, len(byName[n]), strings.Join(where, " "))
		}
	}
}

// TestOneTestLibrary: no test module keeps a private copy of a fixture of
// the shared test library (lib/testlib_test.rego, package
// meshaudit.testlib), by body, whatever it is called.
func TestOneTestLibrary(t *testing.T) {
	mods, err := Modules(true)
	if err != nil {
		t.Fatal(err)
	}
	hs := helpers(t, mods, true)
	shared := map[string]helper{}
	for _, h := range hs {
		if h.pkg == "data.meshaudit.testlib" {
			shared[h.body] = h
		}
	}
	if len(shared) == 0 {
		t.Fatal("no fixtures in package meshaudit.testlib")
	}
	for _, h := range hs {
		if h.pkg == "data.meshaudit.testlib" || strings.HasPrefix(h.name, "test_") {
			continue
		}
		if s, ok := shared[h.body]; ok {
			t.Errorf("%s is a copy of testlib.%s: import data.meshaudit.testlib and use it", h, s.name)
		}
	}
}
