package evaluate

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/meshaudit/meshaudit/internal/gen"
)

// jsonPathFinding is decodeFindings' JSON round trip, the definition the
// fast path must agree with.
func jsonPathFinding(item any) (rawFinding, error) {
	b, err := json.Marshal(item)
	if err != nil {
		return rawFinding{}, err
	}
	var rf rawFinding
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err = dec.Decode(&rf)
	return rf, err
}

func checkFastMatchesJSON(t *testing.T, item any) (fast bool) {
	t.Helper()
	got, ok := rawFindingFast(item)
	want, err := jsonPathFinding(item)
	if !ok {
		return false
	}
	if err != nil {
		t.Errorf("fast path accepted %#v, the JSON path refuses it: %v", item, err)
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fast path decoded %#v as\n%#v\nthe JSON path as\n%#v", item, got, want)
	}
	return true
}

// TestRawFindingFastMatchesJSON: whatever the fast path accepts decodes as
// the JSON round trip decodes it, and what it refuses is left to that path:
// on hand-made edge cases, and on every finding the catalog produces on a
// findings-heavy generated cluster.
func TestRawFindingFastMatchesJSON(t *testing.T) {
	ref := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "a", "name": "b"}
	cases := []struct {
		item any
		fast bool
	}{
		{map[string]any{"msg": "m"}, true},
		{map[string]any{"msg": "m", "resource": ref, "severity": "low"}, true},
		{map[string]any{"msg": "m", "resource": nil, "evidence": nil}, true},
		{map[string]any{"msg": "m", "evidence": []any{map[string]any{"path": "spec.replicas", "value": json.Number("2")}}}, true},
		{map[string]any{"msg": "m", "evidence": []any{map[string]any{"path": "p", "value": map[string]any{"a": []any{json.Number("1.5e3"), true, nil, "x<&>"}}, "resource": ref}}}, true},
		{map[string]any{"msg": "m", "evidence": []any{map[string]any{"path": nil, "value": nil}}}, true},
		{map[string]any{"msg": "m", "resource": map[string]any{"kind": "Pod", "name": nil}}, true},
		// Left to the JSON path (it decides the error, or the spelling):
		{map[string]any{"msg": "m", "extra": 1}, false},
		{map[string]any{"MSG": "m"}, false},
		{map[string]any{"msg": json.Number("1")}, false},
		{map[string]any{"msg": nil}, false},
		{map[string]any{"msg": "bad \xff utf-8"}, false},
		{map[string]any{"msg": "m", "resource": map[string]any{"kind": "Pod", "name": "x", "uid": "u"}}, false},
		{map[string]any{"msg": "m", "resource": "Pod/x"}, false},
		{map[string]any{"msg": "m", "evidence": map[string]any{}}, false},
		{map[string]any{"msg": "m", "evidence": []any{map[string]any{"path": "p", "why": "x"}}}, false},
		{map[string]any{"msg": "m", "evidence": []any{map[string]any{"path": "p", "value": json.Number("1e999")}}}, false},
		{map[string]any{"msg": "m", "evidence": []any{map[string]any{"path": "p", "value": map[string]any{"\xff": 1}}}}, false},
		{"just a string", false},
		{[]any{"m"}, false},
	}
	for _, c := range cases {
		if fast := checkFastMatchesJSON(t, c.item); fast != c.fast {
			t.Errorf("fast path on %#v: %v, want %v", c.item, fast, c.fast)
		}
	}

	// Every finding of the catalog on a messy cluster.
	e := benchEngine(t)
	s := gen.Generate(gen.Config{Objects: 400, Seed: 3, Shape: gen.ShapeMessy}).Snapshot("test")
	val, err := inputValue(s)
	if err != nil {
		t.Fatal(err)
	}
	n, fast := 0, 0
	for _, r := range e.catalog.Rules {
		rs, err := e.each[r.ID].Eval(context.Background(), rego.EvalParsedInput(val))
		if err != nil || len(rs) != 1 {
			t.Fatalf("%s: %v", r.ID, err)
		}
		doc, _ := rs[0].Bindings["x"].(map[string]any)
		list, _ := doc["deny"].([]any)
		for _, item := range list {
			n++
			if checkFastMatchesJSON(t, item) {
				fast++
			}
		}
	}
	if n < 500 || fast != n {
		t.Errorf("%d findings, %d of them on the fast path; want hundreds, all on it", n, fast)
	}
}

// BenchmarkDecodeFinding decodes every finding of the catalog on a messy
// cluster, by the fast path and by the JSON round trip it replaces:
//
//	go test ./evaluate/ -run '^$' -bench DecodeFinding -benchmem
func BenchmarkDecodeFinding(b *testing.B) {
	e := benchEngine(b)
	s := gen.Generate(gen.Config{Objects: 1000, Seed: 3, Shape: gen.ShapeMessy}).Snapshot("bench")
	val, err := inputValue(s)
	if err != nil {
		b.Fatal(err)
	}
	var items []any
	for _, r := range e.catalog.Rules {
		rs, err := e.each[r.ID].Eval(context.Background(), rego.EvalParsedInput(val))
		if err != nil || len(rs) != 1 {
			b.Fatalf("%s: %v", r.ID, err)
		}
		doc, _ := rs[0].Bindings["x"].(map[string]any)
		list, _ := doc["deny"].([]any)
		items = append(items, list...)
	}
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, it := range items {
				if _, _, err := decodeRawFinding(it); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(items)), "findings")
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, it := range items {
				if _, err := jsonPathFinding(it); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(len(items)), "findings")
	})
}
