package output_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/defenseunicorns/go-oscal/src/pkg/validation"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/internal/testutil"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// Fixed times of the OSCAL goldens and tests.
var (
	oscalGenerated = time.Date(2026, 12, 3, 20, 15, 7, 0, time.UTC)
	oscalStarted   = time.Date(2026, 12, 3, 20, 15, 2, 0, time.UTC)
)

// goldenOSCAL configures the oscal golden of TestGolden: the default
// version, fixed times.
var goldenOSCAL = output.OSCALOptions{Generated: oscalGenerated, Started: oscalStarted, PolicyDigest: "sha256:test-policy-digest"}

// oscalSchemaFiles are the official schemas in ../shared/schemas.
var oscalSchemaFiles = map[string]string{
	output.OSCALVersion113: "oscal_complete_schema-1.1.3.json",
	output.OSCALVersion122: "oscal_complete_schema-1.2.2.json",
}

// validateOSCAL validates a document against the official schema of its
// version twice: with go-oscal's validator and the schemas it ships
// (always), and with the copy in ../shared/schemas (skipped with a
// message when absent, unless CI is set). It returns the
// assessment-results object.
func validateOSCAL(t *testing.T, version string, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	v, err := validation.NewValidatorDesiredVersion(m, version)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(); err != nil {
		res, _ := v.GetValidationResult()
		t.Fatalf("OSCAL does not validate against go-oscal's official %s schema: %v\n%+v", version, err, res.Errors)
	}
	if got := m["assessment-results"].(map[string]any)["metadata"].(map[string]any)["oscal-version"]; got != version {
		t.Fatalf("oscal-version %v, want %s", got, version)
	}
	s := sharedSchema(t, oscalSchemaFiles[version], jsonschema.Draft7)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("OSCAL does not validate against the official %s schema in ../shared: %v", version, err)
	}
	return m["assessment-results"].(map[string]any)
}

func renderOSCAL(t *testing.T, opt output.OSCALOptions, reps []*report.Report, cat *rules.Catalog) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := output.OSCALWith(opt)(&buf, reps, cat); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func shopReport(t *testing.T) (*report.Report, *rules.Catalog) {
	return scanReport(t, "../examples/shop")
}

// scanReport evaluates manifests with the embedded policies.
func scanReport(t *testing.T, paths ...string) (*report.Report, *rules.Catalog) {
	t.Helper()
	snap := collectors.FromFiles(collectors.FileOptions{Paths: paths, Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
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

// withEvidence adds the facts that decided the fixture's findings: one on
// the finding's own object, one on another object, one field not set.
func withEvidence(rep *report.Report) *report.Report {
	rep.Findings[0].Evidence = []report.Evidence{
		{Path: "spec.template.metadata.annotations[\"sidecar.istio.io/inject\"]", Value: "false"},
		{Path: "spec.mtls.mode", Value: "PERMISSIVE", Resource: &snapshot.Ref{APIVersion: "security.istio.io/v1", Kind: "PeerAuthentication", Namespace: "istio-system", Name: "default"}},
	}
	rep.Findings[1].Evidence = []report.Evidence{{Path: "PeerAuthentication in the root namespace istio-system"}}
	rep.Findings[2].Evidence = []report.Evidence{{Path: "spec.template.metadata.annotations", Value: map[string]any{"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.0.0.0/8"}}}
	return rep
}

func observations(res map[string]any) []map[string]any {
	var out []map[string]any
	for _, x := range res["observations"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func prop(x map[string]any, name string) string {
	ps, _ := x["props"].([]any)
	for _, p := range ps {
		pm := p.(map[string]any)
		if pm["name"] == name {
			return pm["value"].(string)
		}
	}
	return ""
}

// TestOSCALValid validates both versions — the fixture (one and two
// clusters) and a real scan of examples/shop — against the official
// schemas, and checks the mapping: one observation per rule, one finding
// per control, excepted findings as deviation-approved risks.
func TestOSCALValid(t *testing.T) {
	for _, version := range output.OSCALVersions() {
		t.Run(version, func(t *testing.T) {
			rep, cat := fixture(t)
			withEvidence(rep)
			opt := goldenOSCAL
			opt.Version = version
			ar := validateOSCAL(t, version, renderOSCAL(t, opt, []*report.Report{rep}, cat))
			res := ar["results"].([]any)[0].(map[string]any)
			if n := len(res["observations"].([]any)); n != len(rep.Rules) {
				t.Errorf("%d observations for %d rules", n, len(rep.Rules))
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
			ar = validateOSCAL(t, version, renderOSCAL(t, opt, []*report.Report{rep, b}, cat))
			rs := ar["results"].([]any)
			if len(rs) != 2 || rs[0].(map[string]any)["uuid"] == rs[1].(map[string]any)["uuid"] {
				t.Fatalf("fleet results: %d", len(rs))
			}

			// A real scan, with pass evidence.
			real, rcat := shopReport(t)
			ar = validateOSCAL(t, version, renderOSCAL(t, opt, []*report.Report{real}, rcat))
			res = ar["results"].([]any)[0].(map[string]any)
			if n := len(res["observations"].([]any)); n != len(real.Rules) {
				t.Errorf("%d observations for %d rules", n, len(real.Rules))
			}
			judged := map[string]string{}
			for _, rr := range real.Rules {
				judged[rr.ID] = "not-reported"
				if rr.Judged != nil {
					judged[rr.ID] = strconv.Itoa(*rr.Judged)
				}
			}
			passes := 0
			for _, o := range observations(res) {
				if got, want := prop(o, "judged"), judged[prop(o, "rule-id")]; got != want {
					t.Errorf("%s: judged %q, want %q", prop(o, "rule-id"), got, want)
				}
				if prop(o, "rule-status") == "pass" {
					passes++
					if len(o["subjects"].([]any)) == 0 {
						t.Errorf("pass observation without subjects: %v", o["title"])
					}
				}
			}
			if passes == 0 {
				t.Error("no pass evidence in the shop scan")
			}
		})
	}
}

// TestOSCALOnlyPassIsSatisfied: a control is satisfied exactly when its
// status is pass; not applicable, unknown, excepted and fail are
// not-satisfied, with meshaudit's status beside the state. Checked on
// every status and on a real scan against its JSON roll-up.
func TestOSCALOnlyPassIsSatisfied(t *testing.T) {
	rep, cat := fixture(t)
	// The fixture has fail, unknown and not applicable controls; add pass
	// and excepted ones.
	rep.Controls = append(rep.Controls,
		report.ControlResult{ID: "AC-3", Title: "Access Enforcement", Family: "Access Control", Status: report.StatusPass, Rules: []string{"TEST-04"}, Failed: []string{}, Unknown: []string{}},
		report.ControlResult{ID: "CM-7", Title: "Least Functionality", Family: "Configuration Management", Status: report.StatusExcepted, Rules: []string{"TEST-04"}, Failed: []string{}, Unknown: []string{}})
	seen := map[report.Status]bool{}
	for _, c := range rep.Controls {
		seen[c.Status] = true
	}
	for _, s := range []report.Status{report.StatusPass, report.StatusFail, report.StatusExcepted, report.StatusUnknown, report.StatusNotApplicable} {
		if !seen[s] {
			t.Fatalf("no %s control in the test input", s)
		}
	}
	real, rcat := shopReport(t)
	// Istio's bookinfo sample alone: no Namespace object, no Istio policy
	// (issue 12): its not-applicable controls must not be satisfied.
	bookinfo, bcat := scanReport(t, "../testdata/scenarios/bookinfo/10-bookinfo.yaml")
	na := 0
	for _, c := range bookinfo.Controls {
		if c.Status == report.StatusNotApplicable {
			na++
		}
	}
	if na == 0 {
		t.Fatal("bookinfo alone has no not-applicable control: the test checks nothing there")
	}
	for _, version := range output.OSCALVersions() {
		opt := goldenOSCAL
		opt.Version = version
		for _, in := range []struct {
			rep *report.Report
			cat *rules.Catalog
		}{{rep, cat}, {real, rcat}, {bookinfo, bcat}} {
			ar := validateOSCAL(t, version, renderOSCAL(t, opt, []*report.Report{in.rep}, in.cat))
			status := map[string]report.Status{}
			for _, c := range in.rep.Controls {
				status[output.OSCALControlID(c.ID)+"_obj"] = c.Status
			}
			findings := ar["results"].([]any)[0].(map[string]any)["findings"].([]any)
			if len(findings) != len(in.rep.Controls) {
				t.Fatalf("%d findings for %d controls", len(findings), len(in.rep.Controls))
			}
			for _, x := range findings {
				tg := x.(map[string]any)["target"].(map[string]any)
				st := tg["status"].(map[string]any)
				want := status[tg["target-id"].(string)]
				if (st["state"] == "satisfied") != (want == report.StatusPass) {
					t.Errorf("%s %s: state %v for meshaudit status %s", version, tg["target-id"], st["state"], want)
				}
				if prop(tg, "control-status") != string(want) {
					t.Errorf("%s: target control-status %q, want %q", tg["target-id"], prop(tg, "control-status"), want)
				}
				wantReason := map[report.Status]string{report.StatusPass: "pass", report.StatusFail: "fail", report.StatusExcepted: "fail",
					report.StatusUnknown: "other", report.StatusNotApplicable: "other"}[want]
				if st["reason"] != wantReason {
					t.Errorf("%s (%s): reason %v, want %s", tg["target-id"], want, st["reason"], wantReason)
				}
				if _, ok := tg["implementation-status"]; ok {
					t.Errorf("%s: implementation-status written", tg["target-id"])
				}
			}
		}
	}
}

// TestOSCALTimes: results start at the snapshot's collection time, else
// at the scan's start; end and last-modified are the time the document is
// generated; with no time given, the time of rendering — never 1970
// unless asked for.
func TestOSCALTimes(t *testing.T) {
	rep, cat := fixture(t)
	times := func(b []byte) (lastModified, start, end, collected string) {
		ar := validateOSCAL(t, output.DefaultOSCALVersion, b)
		res := ar["results"].([]any)[0].(map[string]any)
		return ar["metadata"].(map[string]any)["last-modified"].(string), res["start"].(string), res["end"].(string),
			res["observations"].([]any)[0].(map[string]any)["collected"].(string)
	}
	// A manifest scan (no collection time): the scan's start.
	lm, start, end, coll := times(renderOSCAL(t, goldenOSCAL, []*report.Report{rep}, cat))
	if lm != "2026-12-03T20:15:07Z" || end != lm || start != "2026-12-03T20:15:02Z" || coll != start {
		t.Errorf("manifest scan: last-modified %s, start %s, end %s, collected %s", lm, start, end, coll)
	}
	// A live scan or saved snapshot: its collection time.
	rep.CollectedAt = "2026-12-03T19:59:30Z"
	lm, start, end, coll = times(renderOSCAL(t, goldenOSCAL, []*report.Report{rep}, cat))
	if lm != "2026-12-03T20:15:07Z" || end != lm || start != "2026-12-03T19:59:30Z" || coll != start {
		t.Errorf("collected snapshot: last-modified %s, start %s, end %s, collected %s", lm, start, end, coll)
	}
	// End is never before start.
	rep.CollectedAt = "2026-12-04T08:00:00Z"
	_, start, end, _ = times(renderOSCAL(t, goldenOSCAL, []*report.Report{rep}, cat))
	if end != start {
		t.Errorf("collected after generation: start %s, end %s", start, end)
	}
	// No time given: now.
	rep.CollectedAt = ""
	before := time.Now().UTC().Truncate(time.Second)
	lm, start, end, _ = times(renderOSCAL(t, output.OSCALOptions{}, []*report.Report{rep}, cat))
	after := time.Now().UTC()
	for _, s := range []string{lm, start, end} {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil || ts.Before(before) || ts.After(after) {
			t.Errorf("time %s is not the time of rendering (%s..%s)", s, before, after)
		}
	}
	// 1970 when asked (SOURCE_DATE_EPOCH=0).
	epoch := time.Unix(0, 0)
	lm, start, end, _ = times(renderOSCAL(t, output.OSCALOptions{Generated: epoch, Started: epoch}, []*report.Report{rep}, cat))
	if lm != "1970-01-01T00:00:00Z" || start != lm || end != lm {
		t.Errorf("epoch asked: %s %s %s", lm, start, end)
	}
}

// TestOSCALImportAP: import-ap resolves to a back-matter resource of the
// same document that says what the assessment was, with the evidence
// bundle's and the snapshot's digests when there are some.
func TestOSCALImportAP(t *testing.T) {
	rep, cat := fixture(t)
	b, _ := fixture(t)
	b.Cluster = "prod-us-2"
	opt := goldenOSCAL
	opt.Bundles = []output.OSCALBundle{
		{Cluster: "prod-eu-1", Path: "evidence/prod-eu-1-20261203T201507Z", ManifestSHA256: strings.Repeat("ab", 32)},
		{Cluster: "other", Path: "evidence/other-20261203T201507Z", ManifestSHA256: strings.Repeat("cd", 32)},
	}
	opt.SnapshotDigest = strings.Repeat("ef", 32)
	for _, version := range output.OSCALVersions() {
		opt.Version = version
		ar := validateOSCAL(t, version, renderOSCAL(t, opt, []*report.Report{rep, b}, cat))
		href := ar["import-ap"].(map[string]any)["href"].(string)
		if !strings.HasPrefix(href, "#") {
			t.Fatalf("import-ap %q is not a reference into the document", href)
		}
		var res map[string]any
		for _, x := range ar["back-matter"].(map[string]any)["resources"].([]any) {
			if x.(map[string]any)["uuid"] == href[1:] {
				res = x.(map[string]any)
			}
		}
		if res == nil {
			t.Fatalf("import-ap %s names no back-matter resource", href)
		}
		want := map[string]string{"assessment-type": "automated-scan", "tool": "meshaudit", "tool-version": "v0.0.0-test",
			"policy-digest": "sha256:test-policy-digest", "rule-count": "4", "rules": "TEST-01, TEST-02, TEST-03, TEST-04",
			"evidence-bundle-manifest-sha256": strings.Repeat("ab", 32), "snapshot-sha256": strings.Repeat("ef", 32)}
		for k, v := range want {
			if got := prop(res, k); got != v {
				t.Errorf("%s: back-matter prop %s = %q, want %q", version, k, got, v)
			}
		}
		if !strings.Contains(res["description"].(string), "automated scan") {
			t.Errorf("description: %s", res["description"])
		}
		hashes := map[string]string{}
		for _, l := range res["rlinks"].([]any) {
			lm := l.(map[string]any)
			if hs, ok := lm["hashes"].([]any); ok {
				hashes[lm["href"].(string)] = hs[0].(map[string]any)["value"].(string)
			}
		}
		if hashes["evidence/prod-eu-1-20261203T201507Z/manifest.json"] != strings.Repeat("ab", 32) || hashes["snapshot.json.gz"] != strings.Repeat("ef", 32) {
			t.Errorf("rlinks with hashes: %v", hashes)
		}
		if _, ok := hashes["evidence/other-20261203T201507Z/manifest.json"]; ok {
			t.Error("the bundle of a cluster not in the document is named")
		}
	}
}

// TestOSCALEvidence: every fact that decided a finding is relevant
// evidence of its rule's observation, naming the object, the field path
// and the value.
func TestOSCALEvidence(t *testing.T) {
	rep, cat := fixture(t)
	withEvidence(rep)
	for _, version := range output.OSCALVersions() {
		opt := goldenOSCAL
		opt.Version = version
		ar := validateOSCAL(t, version, renderOSCAL(t, opt, []*report.Report{rep}, cat))
		res := ar["results"].([]any)[0].(map[string]any)
		byRule := map[string][]map[string]any{}
		for _, o := range observations(res) {
			for _, e := range o["relevant-evidence"].([]any) {
				byRule[prop(o, "rule-id")] = append(byRule[prop(o, "rule-id")], e.(map[string]any))
			}
		}
		items := map[string]bool{}
		for _, it := range res["local-definitions"].(map[string]any)["inventory-items"].([]any) {
			items[it.(map[string]any)["uuid"].(string)] = true
		}
		n := 0
		for _, f := range rep.Findings {
			for _, e := range f.Evidence {
				n++
				holder := f.Resource
				if e.Resource != nil {
					holder = *e.Resource
				}
				var found map[string]any
				for _, ev := range byRule[f.RuleID] {
					if prop(ev, "fingerprint") == f.Fingerprint && prop(ev, "field-path") == e.Path {
						found = ev
					}
				}
				if found == nil {
					t.Errorf("%s: evidence %s of %s is not relevant-evidence of its observation", version, e.Path, f.Fingerprint)
					continue
				}
				desc := found["description"].(string)
				if prop(found, "resource") != holder.FQN() || !strings.Contains(desc, holder.FQN()) || !strings.Contains(desc, e.Path) {
					t.Errorf("evidence does not name the object %s and path %s: %v", holder.FQN(), e.Path, found)
				}
				switch v := e.Value.(type) {
				case nil:
					if !strings.Contains(desc, "is not set") || prop(found, "value") != "" {
						t.Errorf("absent value: %v", found)
					}
				case string:
					if prop(found, "value") != v || !strings.Contains(desc, e.Path+" = "+v) {
						t.Errorf("value %q: %v", v, found)
					}
				default:
					js, _ := json.Marshal(v)
					if prop(found, "value") != string(js) {
						t.Errorf("value %s: %v", js, found)
					}
				}
				if holder.Kind != "Mesh" && !items[prop(found, "inventory-item")] {
					t.Errorf("evidence of %s names no inventory item: %v", holder.FQN(), found)
				}
				if holder == f.Resource && f.File != "" && found["href"] != f.File+"#L"+lineString(f.Line) {
					t.Errorf("evidence href %v, want the finding's file and line", found["href"])
				}
			}
		}
		if n != 4 {
			t.Fatalf("%d facts checked", n)
		}
	}
}

func lineString(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestOSCALDeterministic: the same input gives byte-identical documents;
// a changed finding changes the document's UUID but not the observation
// UUIDs (stable identities), and new times change no UUID.
func TestOSCALDeterministic(t *testing.T) {
	rep, cat := fixture(t)
	withEvidence(rep)
	for _, version := range output.OSCALVersions() {
		opt := goldenOSCAL
		opt.Version = version
		first := renderOSCAL(t, opt, []*report.Report{rep}, cat)
		if again := renderOSCAL(t, opt, []*report.Report{rep}, cat); !bytes.Equal(first, again) {
			t.Fatalf("%s: same input, different bytes:\n%s", version, testutil.FirstDiff(string(first), string(again)))
		}
		doc := func(b []byte) map[string]any {
			var m map[string]any
			json.Unmarshal(b, &m)
			return m["assessment-results"].(map[string]any)
		}
		a := doc(first)
		later := opt
		later.Generated, later.Started = later.Generated.Add(time.Hour), later.Started.Add(time.Hour)
		later.Bundles = []output.OSCALBundle{{Cluster: rep.Cluster, Path: "b", ManifestSHA256: strings.Repeat("0", 64)}}
		if d := doc(renderOSCAL(t, later, []*report.Report{rep}, cat)); d["uuid"] != a["uuid"] {
			t.Error("new times or a bundle changed the document UUID")
		}
		saved := rep.Findings[0].Message
		rep.Findings[0].Message = "changed"
		c := doc(renderOSCAL(t, opt, []*report.Report{rep}, cat))
		rep.Findings[0].Message = saved
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
}

// TestOSCALGolden113 compares the 1.1.3 document of the fixture with
// evidence, a bundle and a snapshot digest with its golden file
// (MESHAUDIT_UPDATE_GOLDEN=1 refreshes it); TestGolden covers 1.2.2.
func TestOSCALGolden113(t *testing.T) {
	rep, cat := fixture(t)
	withEvidence(rep)
	opt := goldenOSCAL
	opt.Version = output.OSCALVersion113
	opt.Bundles = []output.OSCALBundle{{Cluster: rep.Cluster, Path: "evidence/prod-eu-1-20261203T201507Z", ManifestSHA256: strings.Repeat("ab", 32)}}
	got := renderOSCAL(t, opt, []*report.Report{rep}, cat)
	validateOSCAL(t, output.OSCALVersion113, got)
	path := filepath.Join("..", "testdata", "golden", "report.oscal-1.1.3.json")
	if os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("differs from %s (MESHAUDIT_UPDATE_GOLDEN=1 refreshes it):\n%s", path, testutil.FirstDiff(string(want), string(got)))
	}
}

// TestOSCALVersionRejected: an OSCAL version meshaudit does not write is
// an error, not another version.
func TestOSCALVersionRejected(t *testing.T) {
	rep, cat := fixture(t)
	var buf bytes.Buffer
	if err := output.OSCALWith(output.OSCALOptions{Version: "1.0.4"})(&buf, []*report.Report{rep}, cat); err == nil || buf.Len() != 0 {
		t.Fatalf("version 1.0.4: err %v, %d bytes written", err, buf.Len())
	}
}
