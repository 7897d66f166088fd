package evaluate

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/internal/gen"
)

func TestPerObjectCall(t *testing.T) {
	fn := ast.RefTerm(ast.VarTerm("data"), ast.StringTerm("lib"), ast.StringTerm("meshed"))
	for _, c := range []struct {
		ref  ast.Ref
		want bool
	}{
		{ast.Ref{fn, ast.ObjectTerm(ast.Item(ast.StringTerm("a"), ast.IntNumberTerm(1)))}, true},
		{ast.Ref{fn, ast.StringTerm("ns"), ast.ArrayTerm()}, true},
		{ast.Ref{fn, ast.StringTerm("ns")}, false},                 // shared by many objects
		{ast.MustParseRef("data.meshaudit.lib.namespaces"), false}, // a document
		{ast.MustParseRef(`data.meshaudit.lib.x["a"]`), false},     // a document
		{ast.Ref{ast.VarTerm("data"), ast.ObjectTerm()}, false},    // not a call
	} {
		if got := perObjectCall(c.ref); got != c.want {
			t.Errorf("perObjectCall(%v) = %v, want %v", c.ref, got, c.want)
		}
	}
}

// The lean cache changes no result.
func TestLeanCacheSameReport(t *testing.T) {
	e := benchEngine(t)
	c := gen.Generate(gen.Config{Objects: 1000, Seed: 1})
	s := c.Snapshot("lean")
	report := func() string {
		rep, err := e.Evaluate(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		checkPlanted(t, rep, c)
		b, _ := json.Marshal(rep)
		return string(b)
	}
	full := report()
	defer func(n int) { leanCacheObjects = n }(leanCacheObjects)
	leanCacheObjects = 0
	skipped := leanSkipped.Load()
	if lean := report(); lean != full {
		t.Fatal("the report differs with the lean cache")
	}
	// OPA's cache keys for function calls must still be recognised (an OPA
	// upgrade changing their shape would silently turn the cache off).
	if leanSkipped.Load() == skipped {
		t.Fatal("the lean cache kept every function result: perObjectCall no longer recognises OPA's call keys")
	}
}
