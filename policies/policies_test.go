package policies

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestRego runs every _test.rego through OPA's tester, with the default
// parameters as data.meshaudit.params, and requires every rule package to
// have passing tests. Filter with MESHAUDIT_REGO_RUN=<regex>.
func TestRego(t *testing.T) {
	mods, err := Modules(true)
	if err != nil {
		t.Fatal(err)
	}
	// MESHAUDIT_REGO_FILES=rules/mesh_,rules/pod_ loads only lib/ and the
	// rule files with those path prefixes (for work on a few rules).
	if only := os.Getenv("MESHAUDIT_REGO_FILES"); only != "" {
		var keep []Module
		for _, m := range mods {
			ok := strings.HasPrefix(m.Path, "lib/")
			for _, p := range strings.Split(only, ",") {
				ok = ok || strings.HasPrefix(m.Path, p)
			}
			if ok {
				keep = append(keep, m)
			}
		}
		mods = keep
	}
	passed, parsed := runRegoTests(t, mods)
	if os.Getenv("MESHAUDIT_REGO_RUN") != "" || os.Getenv("MESHAUDIT_REGO_FILES") != "" {
		return
	}
	// Every rule package and the library must have passing tests.
	for _, m := range mods {
		if strings.HasSuffix(m.Path, "_test.rego") {
			continue
		}
		pkg := strings.TrimPrefix(parsed[m.Path].Package.Path.String(), "data.")
		if passed[pkg] == 0 {
			t.Errorf("%s (package %s) has no passing tests", m.Path, pkg)
		}
	}
}

// TestCustomPolicyExample runs the documented custom policy's tests with
// the library, as a team would.
func TestCustomPolicyExample(t *testing.T) {
	custom, err := LoadDir("../examples/policies/team")
	if err != nil {
		t.Fatal(err)
	}
	lib, err := Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	var mods []Module
	for _, m := range lib {
		if strings.HasPrefix(m.Path, "lib/") {
			mods = append(mods, m)
		}
	}
	passed, _ := runRegoTests(t, append(mods, custom...))
	if passed["meshaudit.custom.rules.team_01"] < 2 {
		t.Fatalf("custom example tests: %v", passed)
	}
}

// runRegoTests runs the tests among mods and returns passing tests per
// tested package.
func runRegoTests(t *testing.T, mods []Module) (map[string]int, map[string]*ast.Module) {
	t.Helper()
	parsed := map[string]*ast.Module{}
	for _, m := range mods {
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", m.Path, err)
		}
		parsed[m.Path] = pm
	}
	pdata, err := Defaults().Data()
	if err != nil {
		t.Fatal(err)
	}
	store := inmem.NewFromObject(map[string]any{"meshaudit": map[string]any{"params": pdata}})
	ctx := context.Background()
	txn, err := store.NewTransaction(ctx, storage.TransactionParams{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Abort(ctx, txn)
	r := tester.NewRunner().SetStore(store).SetModules(parsed).RaiseBuiltinErrors(true)
	if re := os.Getenv("MESHAUDIT_REGO_RUN"); re != "" {
		r = r.Filter(re)
	}
	ch, err := r.RunTests(ctx, txn)
	if err != nil {
		t.Fatalf("run rego tests: %v", err)
	}
	passed := map[string]int{}
	total := 0
	for res := range ch {
		total++
		name := res.Package + "." + res.Name
		switch {
		case res.Error != nil:
			t.Errorf("%s: error: %v", name, res.Error)
		case res.Skip:
			t.Errorf("%s: skipped (todo_ tests are not allowed)", name)
		case res.Fail:
			t.Errorf("%s: FAIL (%s:%d)", name, res.Location.File, res.Location.Row)
		default:
			passed[strings.TrimSuffix(strings.TrimPrefix(res.Package, "data."), "_test")]++
		}
	}
	if total == 0 {
		t.Fatal("no rego tests ran")
	}
	return passed, parsed
}

// TestParamsDocUpToDate: docs/params.md is generated from params.go.
func TestParamsDocUpToDate(t *testing.T) {
	src, err := os.ReadFile("params.go")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ParamsMarkdown(src)
	if err != nil {
		t.Fatal(err)
	}
	path := "../docs/params.md"
	if os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" {
		os.WriteFile(path, []byte(want), 0o644)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/params.md is stale: MESHAUDIT_UPDATE_GOLDEN=1 go test ./policies/ (%v)", err)
	}
}

func TestParamsMerge(t *testing.T) {
	p, err := Defaults().Merge(map[string]any{"egress_gateway_labels": map[string]any{"app": "egress"}, "min_replicas": 3})
	if err != nil || len(p.EgressGatewayLabels) != 1 || p.EgressGatewayLabels["app"] != "egress" || p.MinReplicas != 3 {
		t.Fatalf("merge: %+v %v", p, err)
	}
	for name, raw := range map[string]map[string]any{
		"unknown key":   {"min_replica": 3},
		"wrong type":    {"min_replicas": "three"},
		"bad tls":       {"min_tls_version": "TLSV1_0"},
		"bad cidr":      {"cluster_cidrs": []any{"10.0.0.0/33"}},
		"bad duration":  {"max_workload_cert_ttl": "a day"},
		"empty root ns": {"root_namespace": ""},
	} {
		if _, err := Defaults().Merge(raw); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestStrict: the policies pass OPA's strict mode (what `opa check
// --strict policies/` checks), tests included, so opa CLI users see no
// errors either.
func TestStrict(t *testing.T) {
	mods, err := Modules(true)
	if err != nil {
		t.Fatal(err)
	}
	parsed := map[string]*ast.Module{}
	for _, m := range mods {
		pm, err := ast.ParseModuleWithOpts(m.Path, m.Source, ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatalf("parse %s: %v", m.Path, err)
		}
		parsed[m.Path] = pm
	}
	c := ast.NewCompiler().WithStrict(true).SetErrorLimit(0)
	c.Compile(parsed)
	if c.Failed() {
		for _, e := range c.Errors {
			t.Error(e)
		}
	}
}
