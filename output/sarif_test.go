package output_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// GitHub code scanning's documented upload limits ("SARIF support for code
// scanning"; an upload above any of them is rejected).
const (
	ghRunsPerFile        = 20
	ghResultsPerRun      = 25000
	ghRulesPerRun        = 25000
	ghLocationsPerResult = 1000
	ghTagsPerRule        = 20
)

// githubAccepts validates a SARIF log against GitHub's upload schema
// (../shared/schemas/sarif-schema-2.1.0.github-upload.json) and checks what
// code scanning requires beyond it: every result has a location with a
// physical location whose artifact URI is a relative URI reference and a
// region starting at line 1 or later; the documented limits hold.
func githubAccepts(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	s := githubSchema(t)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate against GitHub's upload schema: %v", err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						Properties struct{ Tags []string }
					}
				}
			}
			Results []map[string]any
		}
	}
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	if len(log.Runs) > ghRunsPerFile {
		t.Errorf("%d runs, GitHub takes %d", len(log.Runs), ghRunsPerFile)
	}
	var all []map[string]any
	for _, run := range log.Runs {
		if len(run.Results) > ghResultsPerRun || len(run.Tool.Driver.Rules) > ghRulesPerRun {
			t.Errorf("%d results, %d rules in a run", len(run.Results), len(run.Tool.Driver.Rules))
		}
		for _, r := range run.Tool.Driver.Rules {
			if len(r.Properties.Tags) > ghTagsPerRule {
				t.Errorf("%d tags on a rule", len(r.Properties.Tags))
			}
		}
		for _, res := range run.Results {
			all = append(all, res)
			locs, _ := res["locations"].([]any)
			if len(locs) == 0 || len(locs) > ghLocationsPerResult {
				t.Errorf("result %v: %d locations", res["message"], len(locs))
				continue
			}
			loc := locs[0].(map[string]any)
			phys, _ := loc["physicalLocation"].(map[string]any)
			if phys == nil {
				t.Errorf("result %v: no physical location", res["message"])
				continue
			}
			uri, _ := phys["artifactLocation"].(map[string]any)["uri"].(string)
			if u, err := url.Parse(uri); uri == "" || err != nil || u.IsAbs() || strings.HasPrefix(uri, "/") {
				t.Errorf("result %v: artifact uri %q is not a relative URI reference", res["message"], uri)
			}
			if line, _ := phys["region"].(map[string]any)["startLine"].(float64); line < 1 {
				t.Errorf("result %v: startLine %v", res["message"], phys["region"])
			}
			if _, ok := loc["logicalLocations"]; !ok {
				t.Errorf("result %v: logical location lost", res["message"])
			}
		}
	}
	return all
}

// githubSchema compiles GitHub's upload schema. As published, it puts the
// region's anyOf (startLine, charOffset or byteOffset required) inside
// region.properties, which JSON Schema 2020-12 rejects; it is moved to
// where it belongs, so the requirement is checked.
func githubSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const file = "sarif-schema-2.1.0.github-upload.json"
	path := filepath.Join("..", "..", "shared", "schemas", file)
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must have ../shared beside the checkout: %v", err)
		}
		t.Skipf("skipped: GitHub's upload schema %s is not beside this checkout (CI always has it)", path)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	region := doc["definitions"].(map[string]any)["region"].(map[string]any)
	props := region["properties"].(map[string]any)
	anyOf, ok := props["anyOf"]
	if !ok {
		t.Fatal("GitHub's upload schema changed: region.properties.anyOf is gone; review githubSchema")
	}
	delete(props, "anyOf")
	region["anyOf"] = anyOf
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sarifOf(t *testing.T, o output.Options, reps []*report.Report, cat *rules.Catalog) []byte {
	t.Helper()
	return []byte(render(t, o, "sarif", reps, cat))
}

// resultAt returns the artifact URI and start line of the result whose
// logical location is fqn.
func resultAt(t *testing.T, results []map[string]any, fqn string) (string, int) {
	t.Helper()
	for _, res := range results {
		loc := res["locations"].([]any)[0].(map[string]any)
		if loc["logicalLocations"].([]any)[0].(map[string]any)["fullyQualifiedName"] == fqn {
			phys := loc["physicalLocation"].(map[string]any)
			return phys["artifactLocation"].(map[string]any)["uri"].(string), int(phys["region"].(map[string]any)["startLine"].(float64))
		}
	}
	t.Fatalf("no result on %s", fqn)
	return "", 0
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, name)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const app = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
`

// TestSARIFMeshFindingLocated: MTLS-01 on Mesh/<cluster> (no mesh-wide
// PeerAuthentication at all) is located where the missing object belongs:
// the file of the root namespace's policies; else the mesh config; else the
// first input file, line 1; in a live scan, the pseudo-artifact. Every
// result of each passes GitHub's upload checks.
func TestSARIFMeshFindingLocated(t *testing.T) {
	eng, cat, err := evaluate.NewEmbedded(context.Background(), policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	var dir string
	scan := func(dir string, paths ...string) (*report.Report, *snapshot.Snapshot) {
		snap := collectors.FromFiles(collectors.FileOptions{Paths: paths, WorkDir: dir, Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
		rep, err := eng.Evaluate(context.Background(), snap)
		if err != nil {
			t.Fatal(err)
		}
		return rep, snap
	}
	located := func(rep *report.Report, snap *snapshot.Snapshot) (string, int) {
		o := output.Options{Anchors: map[string]output.Anchor{rep.Cluster: output.AnchorOf(snap, "istio-system", dir)}}
		return resultAt(t, githubAccepts(t, sarifOf(t, o, []*report.Report{rep}, cat)), "Mesh/manifests")
	}

	dir = t.TempDir()
	write(t, dir, "apps/web.yaml", app)
	write(t, dir, "mesh/policies.yaml", `apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated, namespace: istio-system}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all, namespace: istio-system}
spec: {}
`)
	rep, snap := scan(dir, filepath.Join(dir, "apps"), filepath.Join(dir, "mesh"))
	if uri, line := located(rep, snap); !strings.HasSuffix(uri, "mesh/policies.yaml") || line != 5 {
		t.Errorf("MTLS-01 located at %s:%d, want the root namespace's AuthorizationPolicy (mesh/policies.yaml:5)", uri, line)
	}

	// No policy in the root namespace, only the mesh config.
	dir = t.TempDir()
	write(t, dir, "apps/web.yaml", app)
	write(t, dir, "mesh/istio.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    outboundTrafficPolicy: {mode: ALLOW_ANY}\n")
	rep, snap = scan(dir, filepath.Join(dir, "apps"), filepath.Join(dir, "mesh"))
	if uri, line := located(rep, snap); !strings.HasSuffix(uri, "mesh/istio.yaml") || line != 1 {
		t.Errorf("MTLS-01 located at %s:%d, want the mesh config (mesh/istio.yaml:1)", uri, line)
	}

	// A report with a Mesh finding and no root-namespace file: the first
	// input file, line 1 (the input order, not the name order).
	dir = t.TempDir()
	write(t, dir, "b/web.yaml", app)
	write(t, dir, "a/other.yaml", strings.ReplaceAll(app, "web", "api"))
	_, snap = scan(dir, filepath.Join(dir, "b"), filepath.Join(dir, "a"))
	rep, _ = fixture(t)
	rep.Cluster = "manifests"
	rep.Findings[1].Resource.Name = "manifests"
	_, fcat := fixture(t)
	o := output.Options{Anchors: map[string]output.Anchor{"manifests": output.AnchorOf(snap, "istio-system", dir)}}
	if uri, line := resultAt(t, githubAccepts(t, sarifOf(t, o, []*report.Report{rep}, fcat)), "Mesh/manifests"); !strings.HasSuffix(uri, "b/web.yaml") || line != 1 {
		t.Errorf("located at %s:%d, want the first input file (b/web.yaml:1)", uri, line)
	}

	// A live scan has no file: the pseudo-artifact, for every result.
	rep, _ = fixture(t)
	rep.Source = snapshot.Source{Type: snapshot.SourceCluster, Inputs: []string{"prod"}}
	for i := range rep.Findings {
		rep.Findings[i].File, rep.Findings[i].Line = "", 0
	}
	results := githubAccepts(t, sarifOf(t, output.Options{}, []*report.Report{rep}, fcat))
	if uri, line := resultAt(t, results, "Mesh/prod-eu-1"); uri != "cluster/prod-eu-1/Mesh/prod-eu-1" || line != 1 {
		t.Errorf("live mesh finding at %s:%d", uri, line)
	}
	if uri, _ := resultAt(t, results, "Deployment/shop/web"); uri != "cluster/prod-eu-1/Deployment/shop/web" {
		t.Errorf("live object at %s", uri)
	}
	if got := output.ClusterArtifact("kind: a b/c", "Pod/ns/x"); got != "cluster/kind:%20a%20b%2Fc/Pod/ns/x" {
		t.Errorf("ClusterArtifact escapes to %q", got)
	}
}

// TestSARIFGitHubShop: the real scan of examples/shop, with and without a
// baseline, is accepted by GitHub's checks.
func TestSARIFGitHubShop(t *testing.T) {
	rep, cat := scanShop(t)
	githubAccepts(t, sarifOf(t, output.Options{}, []*report.Report{rep}, cat))
	old := *rep
	old.Findings = append([]report.Finding{}, rep.Findings[1:]...)
	githubAccepts(t, sarifOf(t, output.Options{Baseline: diff.NewBaseline([]*report.Report{&old}, []*report.Report{rep})}, []*report.Report{rep}, cat))
}

// TestSARIFBaseline: baselineState on every result with a baseline (new,
// unchanged, updated), absent results for fixed findings, none without.
func TestSARIFBaseline(t *testing.T) {
	rep, cat := fixture(t)
	old, _ := fixture(t)
	old.Findings = append([]report.Finding{}, old.Findings[1:]...)
	old.Findings[0].Severity = rules.SeverityLow // same fingerprint, changed: updated
	gone := old.Findings[0]
	gone.Fingerprint, gone.Message = "fp-gone", "fixed since"
	old.Findings = append(old.Findings, gone)
	b := diff.NewBaseline([]*report.Report{old}, []*report.Report{rep})
	var log struct {
		Runs []struct {
			Results []struct {
				BaselineState       string
				PartialFingerprints map[string]string
			}
		}
	}
	raw := sarifOf(t, output.Options{Baseline: b}, []*report.Report{rep}, cat)
	validateSARIF(t, sarifSchema(t), raw)
	json.Unmarshal(raw, &log)
	got := map[string]string{}
	for _, r := range log.Runs[0].Results {
		got[r.PartialFingerprints[output.FingerprintKey]] = r.BaselineState
	}
	want := map[string]string{"fp-TEST-01-web": "new", "fp-TEST-01-prod-eu-1": "updated", "fp-TEST-04-client": "unchanged", "fp-gone": "absent"}
	if len(got) != len(want) {
		t.Errorf("results %v, want %v", got, want)
	}
	for fp, st := range want {
		if got[fp] != st {
			t.Errorf("%s: baselineState %q, want %q", fp, got[fp], st)
		}
	}
	// A finding of a rule not judged this time is not absent.
	rep.Rules[0].Status = report.StatusUnknown
	if n := len(diff.NewBaseline([]*report.Report{old}, []*report.Report{rep}).Absent(rep.Cluster)); n != 0 {
		t.Errorf("%d absent findings of an unknown rule", n)
	}
	if strings.Contains(string(sarifOf(t, output.Options{}, []*report.Report{rep}, cat)), "baselineState") {
		t.Error("baselineState without a baseline")
	}
}

// TestJSONBaseline: JSON findings carry `baseline`, the report its counts
// and the fixed findings; without a baseline, neither.
func TestJSONBaseline(t *testing.T) {
	rep, cat := fixture(t)
	old, _ := fixture(t)
	old.Findings = old.Findings[1:]
	var doc struct {
		Findings []struct {
			RuleID, Fingerprint, Baseline string
		}
		BaselineCounts diff.Counts
		FixedFindings  []report.Finding
	}
	out := render(t, output.Options{Baseline: diff.NewBaseline([]*report.Report{old}, []*report.Report{rep})}, "json", []*report.Report{rep}, cat)
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Findings) != 3 || doc.Findings[0].Baseline != "new" || doc.Findings[1].Baseline != "unchanged" || doc.Findings[0].RuleID != "TEST-01" {
		t.Errorf("findings %+v", doc.Findings)
	}
	if doc.BaselineCounts != (diff.Counts{New: 1, Unchanged: 2}) || doc.FixedFindings == nil || len(doc.FixedFindings) != 0 {
		t.Errorf("counts %+v, fixed %v", doc.BaselineCounts, doc.FixedFindings)
	}
	if plain := render(t, output.Options{}, "json", []*report.Report{rep}, cat); strings.Contains(plain, `"baseline"`) || strings.Contains(plain, "baselineCounts") {
		t.Error("baseline fields without a baseline")
	}
}

// TestSARIFEvidence: a finding's evidence is in its result's
// properties.evidence.
func TestSARIFEvidence(t *testing.T) {
	rep, cat := fixture(t)
	rep.Findings[0].Evidence = []report.Evidence{{Path: "spec.mtls.mode", Value: "PERMISSIVE", Resource: &snapshot.Ref{Kind: "PeerAuthentication", Namespace: "istio-system", Name: "default"}}}
	raw := sarifOf(t, output.Options{}, []*report.Report{rep}, cat)
	validateSARIF(t, sarifSchema(t), raw)
	var log struct {
		Runs []struct {
			Results []struct {
				Properties struct {
					Evidence []report.Evidence
				}
			}
		}
	}
	json.Unmarshal(raw, &log)
	ev := log.Runs[0].Results[0].Properties.Evidence
	if len(ev) != 1 || ev[0].Path != "spec.mtls.mode" || ev[0].Value != "PERMISSIVE" || ev[0].Resource.Name != "default" {
		t.Errorf("evidence %+v", ev)
	}
	if len(log.Runs[0].Results[1].Properties.Evidence) != 0 {
		t.Error("evidence on a finding without any")
	}
}
