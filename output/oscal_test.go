package output_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

// oscalSchema compiles the official OSCAL 1.1.3 complete schema (draft-07)
// from ../shared; it skips when absent, unless CI is set.
func oscalSchema(t *testing.T) *jsonschema.Schema {
	return sharedSchema(t, "oscal_complete_schema-1.1.3.json", jsonschema.Draft7)
}

func validateOSCAL(t *testing.T, s *jsonschema.Schema, b []byte) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("OSCAL does not validate against the official 1.1.3 schema: %v", err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m["assessment-results"].(map[string]any)
}

func shopReport(t *testing.T) (*evaluate.Report, *rules.Catalog) {
	t.Helper()
	snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../examples/shop"}, Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
	eng, real, err := evaluate.NewEmbedded(context.Background(), policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	return rep, real
}

// TestOSCALValid validates the fixture (one and two clusters) and a real
// scan of examples/shop against the official schema and checks the
// mapping: one observation per rule, one finding per control with the
// right state, excepted findings as deviation-approved risks.
func TestOSCALValid(t *testing.T) {
	s := oscalSchema(t)
	rep, cat := fixture(t)
	var buf bytes.Buffer
	if err := output.OSCAL(&buf, []*evaluate.Report{rep}, cat); err != nil {
		t.Fatal(err)
	}
	ar := validateOSCAL(t, s, buf.Bytes())
	if v := ar["metadata"].(map[string]any)["oscal-version"]; v != "1.1.3" {
		t.Errorf("oscal-version %v", v)
	}
	res := ar["results"].([]any)[0].(map[string]any)
	if n := len(res["observations"].([]any)); n != len(rep.Rules) {
		t.Errorf("%d observations for %d rules", n, len(rep.Rules))
	}
	states := map[string]string{}
	for _, x := range res["findings"].([]any) {
		tg := x.(map[string]any)["target"].(map[string]any)
		states[tg["target-id"].(string)] = tg["status"].(map[string]any)["state"].(string)
	}
	want := map[string]string{"sc-8.1_obj": "not-satisfied", "ia-9_obj": "not-satisfied", "ac-4_obj": "not-satisfied", "cm-6_obj": "satisfied"}
	for k, v := range want {
		if states[k] != v {
			t.Errorf("%s: state %q, want %q (all: %v)", k, states[k], v, states)
		}
	}
	risks := res["risks"].([]any)
	if len(risks) != 1 || risks[0].(map[string]any)["status"] != "deviation-approved" || !strings.Contains(risks[0].(map[string]any)["statement"].(string), "latency-critical") {
		t.Errorf("risks: %v", risks)
	}
	sel := res["reviewed-controls"].(map[string]any)["control-selections"].([]any)[0].(map[string]any)["include-controls"].([]any)
	if len(sel) != len(rep.Controls) {
		t.Errorf("reviewed controls: %v", sel)
	}

	// Several clusters: one result each, distinct UUIDs.
	b, _ := fixture(t)
	b.Cluster = "prod-us-2"
	buf.Reset()
	if err := output.OSCAL(&buf, []*evaluate.Report{rep, b}, cat); err != nil {
		t.Fatal(err)
	}
	ar = validateOSCAL(t, s, buf.Bytes())
	rs := ar["results"].([]any)
	if len(rs) != 2 || rs[0].(map[string]any)["uuid"] == rs[1].(map[string]any)["uuid"] {
		t.Fatalf("fleet results: %d", len(rs))
	}

	// A real scan, with pass evidence.
	real, rcat := shopReport(t)
	buf.Reset()
	if err := output.OSCAL(&buf, []*evaluate.Report{real}, rcat); err != nil {
		t.Fatal(err)
	}
	ar = validateOSCAL(t, s, buf.Bytes())
	res = ar["results"].([]any)[0].(map[string]any)
	if n := len(res["observations"].([]any)); n != len(real.Rules) {
		t.Errorf("%d observations for %d rules", n, len(real.Rules))
	}
	passes := 0
	for _, x := range res["observations"].([]any) {
		o := x.(map[string]any)
		for _, p := range o["props"].([]any) {
			pm := p.(map[string]any)
			if pm["name"] == "rule-status" && pm["value"] == "pass" {
				passes++
				if len(o["subjects"].([]any)) == 0 {
					t.Errorf("pass observation without subjects: %v", o["title"])
				}
			}
		}
	}
	if passes == 0 {
		t.Error("no pass evidence in the shop scan")
	}
}

// TestOSCALDeterministic: the same report gives the same document, UUIDs
// included; a changed finding changes the document's UUID but not the
// observation UUIDs (stable identities).
func TestOSCALDeterministic(t *testing.T) {
	rep, cat := fixture(t)
	render := func() map[string]any {
		var buf bytes.Buffer
		if err := output.OSCAL(&buf, []*evaluate.Report{rep}, cat); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(buf.Bytes(), &m)
		return m["assessment-results"].(map[string]any)
	}
	a, b := render(), render()
	if a["uuid"] != b["uuid"] {
		t.Fatal("document UUID differs between identical renderings")
	}
	rep.CollectedAt = "2026-05-01T10:00:00Z"
	if d := render(); d["uuid"] != a["uuid"] || d["metadata"].(map[string]any)["last-modified"] != "2026-05-01T10:00:00Z" {
		t.Error("a new collection time changed the document UUID, or is not last-modified")
	}
	rep.Findings[0].Message = "changed"
	c := render()
	if a["uuid"] == c["uuid"] {
		t.Error("document UUID did not change with the content")
	}
	obs := func(m map[string]any) any {
		return m["results"].([]any)[0].(map[string]any)["observations"].([]any)[0].(map[string]any)["uuid"]
	}
	if obs(a) != obs(c) {
		t.Error("observation UUID changed with the content")
	}
}
