package evaluate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
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

// Evaluate never drops objects' maps itself (only a Converter, while
// collecting, does), and objects it converts keep them.
func TestEvaluateKeepsObjects(t *testing.T) {
	ctx := context.Background()
	e, _, err := NewEmbedded(ctx, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	s := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../testdata/scenarios/bookinfo"}, Cluster: "c", RootNamespace: "istio-system", Namespace: "default", WorkDir: ".."})
	if _, err := e.Evaluate(ctx, s); err != nil {
		t.Fatal(err)
	}
	for _, o := range s.Objects {
		if o.Object == nil || o.Value != nil {
			t.Fatalf("Evaluate released %s", o.Ref().FQN())
		}
	}
}

// Objects converted as they are read (files and saved snapshots) evaluate to
// the same report as objects converted by Evaluate, and cannot be written
// back as a snapshot.
func TestConvertWhileCollecting(t *testing.T) {
	ctx := context.Background()
	e, _, err := NewEmbedded(ctx, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	files := func(convert func(*snapshot.Object)) *snapshot.Snapshot {
		return collectors.FromFiles(collectors.FileOptions{Paths: []string{"../testdata/scenarios/talk-ibm"}, Cluster: "c", RootNamespace: "istio-system", Namespace: "default", WorkDir: "..", Convert: convert})
	}
	report := func(s *snapshot.Snapshot) string {
		rep, err := e.Evaluate(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		return string(b)
	}
	want := report(files(nil))
	s := files(NewConverter().Convert)
	for _, o := range s.Objects {
		if o.Object != nil || o.Value == nil {
			t.Fatalf("%s was not converted and released", o.Ref().FQN())
		}
	}
	if err := s.Write(io.Discard); err == nil || !strings.Contains(err.Error(), "released") {
		t.Fatalf("writing a released snapshot: %v", err)
	}
	if got := report(s); got != want {
		t.Fatal("the report of objects converted while collecting differs")
	}

	// A saved snapshot, converted as it is read.
	var buf bytes.Buffer
	if err := files(nil).Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snap.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	plain, err := collectors.FromSnapshotFile(path, nil, "istio-system", nil)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := collectors.FromSnapshotFile(path, nil, "istio-system", NewConverter().Convert)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Objects[0].Object != nil {
		t.Fatal("snapshot objects were not released")
	}
	if report(plain) != report(conv) {
		t.Fatal("the report of a snapshot converted as it is read differs")
	}
}

// A released snapshot evaluates to the same report a second time, and
// exceptions refuse it rather than match without labels.
func TestEvaluateReleasedTwice(t *testing.T) {
	ctx := context.Background()
	e, _, err := NewEmbedded(ctx, policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	s := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../testdata/scenarios/bookinfo"}, Cluster: "c", RootNamespace: "istio-system", Namespace: "default", WorkDir: "..", Convert: NewConverter().Convert})
	var reports []string
	for i := 0; i < 2; i++ {
		rep, err := e.Evaluate(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		reports = append(reports, string(b))
		if i == 1 {
			if err := ApplyExceptions(rep, s, nil, false, time.Now()); err == nil || !strings.Contains(err.Error(), "released") {
				t.Fatalf("exceptions on a released snapshot: %v", err)
			}
		}
	}
	if reports[0] != reports[1] {
		t.Fatal("the second evaluation of a released snapshot differs")
	}
	// An object with neither map nor value is an error, never an empty object.
	s.Objects[0].Value = nil
	if _, err := e.Evaluate(ctx, s); err == nil || !strings.Contains(err.Error(), "no content") {
		t.Fatalf("evaluating an object without content: %v", err)
	}
}
