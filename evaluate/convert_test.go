package evaluate

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/policies"
)

func TestConverterEqualsInterfaceToValue(t *testing.T) {
	var doc any
	dec := json.NewDecoder(strings.NewReader(`{"a": [1, 1.0, "x", true, null, {"b": [1, 2]}, {"b": [1, 2]}],
		"c": {"d": {"b": [1, 2]}, "e": 1e3, "f": -0, "g": ""}, "h": [], "i": {}}`))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want, err := ast.InterfaceToValue(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newConverter().term(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got.Value.Compare(want) != 0 || got.Value.String() != want.String() {
		t.Fatalf("converter:\n got %s\nwant %s", got.Value, want)
	}
}

func TestConverterShares(t *testing.T) {
	c := newConverter()
	var a, b any
	json.Unmarshal([]byte(`{"name": "istio-proxy", "ports": [{"containerPort": 15090}]}`), &a)
	json.Unmarshal([]byte(`{"ports": [{"containerPort": 15090}], "name": "istio-proxy"}`), &b)
	ta, _ := c.term(a)
	tb, _ := c.term(b)
	if ta != tb {
		t.Fatal("equal documents were not shared")
	}
	// Numbers equal in Rego but spelled differently are not shared: a
	// policy printing them must see what the input said.
	one, _ := c.term([]any{json.Number("1")})
	oneDot, _ := c.term([]any{json.Number("1.0")})
	if one == oneDot || oneDot.String() != "[1.0]" {
		t.Fatalf("1 and 1.0 shared: %s %s", one, oneDot)
	}
}

// Release drops the objects' maps and changes nothing in the report.
func TestEvaluateRelease(t *testing.T) {
	ctx := context.Background()
	e, _, err := NewEmbedded(ctx, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	scan := func(release bool) ([]byte, bool) {
		s := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../testdata/scenarios/bookinfo"}, Cluster: "c", RootNamespace: "istio-system", Namespace: "default", WorkDir: ".."})
		e.Release = release
		rep, err := e.Evaluate(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		released := true
		for _, o := range s.Objects {
			released = released && o.Object == nil
		}
		return b, released
	}
	kept, r1 := scan(false)
	dropped, r2 := scan(true)
	if r1 || !r2 {
		t.Fatalf("objects released: without Release %v, with Release %v", r1, r2)
	}
	if string(kept) != string(dropped) {
		t.Fatal("the report differs with Release")
	}
}
