package output_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/internal/testutil"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// fixture is a small, fixed catalog and report that exercise every part of
// every format: findings with and without a file, a lowered severity, a
// not-applicable and an unknown rule, a parse error and a forbidden kind.
func fixture(t *testing.T) (*report.Report, *rules.Catalog) {
	t.Helper()
	mod := func(id, sev, controls string) policies.Module {
		pkg := strings.ReplaceAll(strings.ToLower(id), "-", "_")
		return policies.Module{Path: "rules/" + pkg + ".rego", Source: "# METADATA\n# title: Rule " + id + "\n# description: Checks " + id + ".\n# custom:\n#   id: " + id +
			"\n#   severity: " + sev + "\n#   controls: [" + controls + "]\n#   inputs: [Pod]\n#   remediation: Fix " + id + ".\npackage meshaudit.rules." + pkg + "\n"}
	}
	cat, err := catalog.Load([]policies.Module{mod("TEST-01", "critical", "SC-8(1), IA-9"), mod("TEST-02", "high", "AC-4"), mod("TEST-03", "low", "CM-6"), mod("TEST-04", "medium", "AC-4")})
	if err != nil {
		t.Fatal(err)
	}
	f := func(id string, sev rules.Severity, controls []string, ref snapshot.Ref, msg, file string, line int) report.Finding {
		return report.Finding{RuleID: id, Title: "Rule " + id, Severity: sev, Controls: controls, Resource: ref, Message: msg, File: file, Line: line, Fingerprint: "fp-" + id + "-" + ref.Name}
	}
	rep := &report.Report{
		SchemaVersion: report.ReportSchemaVersion,
		Tool:          report.Tool{Name: "meshaudit", Version: "v0.0.0-test"},
		Cluster:       "prod-eu-1",
		Source:        snapshot.Source{Type: "manifests", Inputs: []string{"deploy/"}},
		Findings: []report.Finding{
			f("TEST-01", rules.SeverityCritical, []string{"SC-8(1)", "IA-9"}, snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}, "port 8080 is PERMISSIVE", "deploy/web.yaml", 12),
			f("TEST-01", rules.SeverityMedium, []string{"SC-8(1)", "IA-9"}, snapshot.Ref{Kind: "Mesh", Name: "prod-eu-1"}, "no mesh-wide policy", "", 0),
		},
		Rules: []report.RuleResult{
			{ID: "TEST-01", Title: "Rule TEST-01", Severity: rules.SeverityCritical, Controls: []string{"SC-8(1)", "IA-9"}, Status: report.StatusFail, Findings: 2},
			{ID: "TEST-02", Title: "Rule TEST-02", Severity: rules.SeverityHigh, Controls: []string{"AC-4"}, Status: report.StatusUnknown, Reason: "input not collected: Pod (forbidden: RBAC)"},
			{ID: "TEST-03", Title: "Rule TEST-03", Severity: rules.SeverityLow, Controls: []string{"CM-6"}, Status: report.StatusNotApplicable, Reason: "no Pod in the input"},
			{ID: "TEST-04", Title: "Rule TEST-04", Severity: rules.SeverityMedium, Controls: []string{"AC-4"}, Status: report.StatusPass},
		},
		Controls: []report.ControlResult{
			{ID: "AC-4", Title: "Information Flow Enforcement", Family: "Access Control", Baselines: []string{"MODERATE", "HIGH"}, Status: report.StatusUnknown, Rules: []string{"TEST-02", "TEST-04"}, Failed: []string{}, Unknown: []string{"TEST-02"}},
			{ID: "CM-6", Title: "Configuration Settings", Family: "Configuration Management", Baselines: []string{"LOW", "MODERATE", "HIGH"}, Status: report.StatusNotApplicable, Rules: []string{"TEST-03"}, Failed: []string{}, Unknown: []string{}},
			{ID: "IA-9", Title: "Service Identification and Authentication", Family: "Identification and Authentication", Baselines: []string{}, Status: report.StatusFail, Rules: []string{"TEST-01"}, Failed: []string{"TEST-01"}, Unknown: []string{}},
			{ID: "SC-8(1)", Title: "Cryptographic Protection", Family: "System and Communications Protection", Baselines: []string{"MODERATE", "HIGH"}, Status: report.StatusFail, Rules: []string{"TEST-01"}, Failed: []string{"TEST-01"}, Unknown: []string{}},
		},
		ParseErrors: []snapshot.ParseError{{File: "deploy/broken.yaml", Line: 7, Reason: "invalid YAML: yaml: line 7: mapping values are not allowed in this context"}},
		Kinds:       []snapshot.KindStatus{{Kind: "Deployment", Status: "collected", Count: 1}, {Kind: "Pod", Status: "forbidden", Reason: "RBAC"}},
		Exceptions:  []report.ExceptionStatus{{ID: "EXC-7", Status: report.ExceptionApplied, Matched: 1, Expires: "2027-01-31"}, {ID: "EXC-9", Status: report.ExceptionExpired, Expires: "2026-01-31"}},
	}
	rep.Findings = append(rep.Findings, f("TEST-04", rules.SeverityMedium, []string{"AC-4"}, snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "db", Name: "client"}, "excludeOutboundIPRanges bypasses the mesh", "deploy/db.yaml", 3))
	rep.Findings[2].Exception = &report.AppliedException{ID: "EXC-7", Justification: "latency-critical database client (talk)", Approver: "ciso@example.com", Ticket: "SEC-42", Expires: "2027-01-31"}
	rep.Rules[3].Status, rep.Rules[3].Findings, rep.Rules[3].Reason = report.StatusExcepted, 1, "every finding is covered by an exception"
	rep.Summary = report.Summary{Complete: false, Incomplete: []string{"1 input(s) could not be parsed", "rule TEST-02 is unknown: input not collected: Pod (forbidden: RBAC)"},
		Warnings: []string{"exception EXC-9 expired on 2026-01-31 and no longer applies"}, Excepted: 1,
		Findings: map[string]int{"critical": 1, "high": 0, "medium": 1, "low": 0},
		Rules:    map[string]int{"pass": 0, "fail": 1, "not_applicable": 1, "unknown": 1, "excepted": 1},
		Controls: map[string]int{"pass": 0, "fail": 2, "not_applicable": 1, "unknown": 1}}
	return rep, cat
}

var goldenFiles = map[string]string{"table": "report.txt", "wide": "report.wide.txt", "json": "report.json", "sarif": "report.sarif", "oscal": "report.oscal.json", "html": "report.html", "openreports": "report.openreports.yaml", "policyreports": "report.policyreports.yaml"}

// TestGolden compares every format with its golden file; refresh with
// MESHAUDIT_UPDATE_GOLDEN=1.
func TestGolden(t *testing.T) {
	rep, cat := fixture(t)
	for _, name := range output.Names() {
		t.Run(name, func(t *testing.T) {
			file, ok := goldenFiles[name]
			if !ok {
				t.Fatalf("format %s has no golden file", name)
			}
			w, _ := output.Lookup(name)
			if name == "oscal" {
				w = output.OSCALWith(goldenOSCAL) // fixed times
			}
			var buf bytes.Buffer
			if err := w(&buf, []*report.Report{rep}, cat); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("..", "testdata", "golden", file)
			if os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" {
				os.WriteFile(path, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != string(want) {
				t.Fatalf("%s differs from %s (MESHAUDIT_UPDATE_GOLDEN=1 refreshes it):\n%s", name, path, testutil.FirstDiff(string(want), got))
			}
			// Rendering twice gives the same bytes.
			var again bytes.Buffer
			w(&again, []*report.Report{rep}, cat)
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Fatal("second rendering differs")
			}
		})
	}
}

func sarifSchema(t *testing.T) *jsonschema.Schema {
	return sharedSchema(t, "sarif-schema-2.1.0.json", nil)
}

// sharedSchema compiles an official schema from ../shared/schemas (draft:
// the default draft for a schema that does not name one, or nil). It skips
// with a message when ../shared is absent, unless CI is set: then it fails.
func sharedSchema(t *testing.T, file string, draft *jsonschema.Draft) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "schemas", file)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must have ../shared beside the checkout: %v", err)
		}
		t.Skipf("skipped: the official schema %s is not beside this checkout (CI always has it)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if draft != nil {
		c.DefaultDraft(draft)
	}
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func validateSARIF(t *testing.T, s *jsonschema.Schema, b []byte) map[string]any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate against the official 2.1.0 schema: %v", err)
	}
	if bytes.Contains(b, []byte("null")) {
		t.Error("SARIF contains null")
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// TestSARIFValid validates the fixture and a real scan of examples/ against
// the official schema, and checks the contract: every rule listed, results
// only for failures, physical and logical locations, fingerprints.
func TestSARIFValid(t *testing.T) {
	s := sarifSchema(t)
	rep, cat := fixture(t)
	var buf bytes.Buffer
	if err := output.SARIF(&buf, []*report.Report{rep}, cat); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, s, buf.Bytes())

	snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../examples/shop"}, Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
	eng, real, err := evaluate.NewEmbedded(context.Background(), policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	r2, err := eng.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	buf.Reset()
	if err := output.SARIF(&buf, []*report.Report{r2}, real); err != nil {
		t.Fatal(err)
	}
	m := validateSARIF(t, s, buf.Bytes())
	run := m["runs"].([]any)[0].(map[string]any)
	driverRules := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	if len(driverRules) != len(real.Rules) {
		t.Errorf("driver lists %d rules, catalog has %d", len(driverRules), len(real.Rules))
	}
	results := run["results"].([]any)
	if len(results) != len(r2.Findings) || len(results) == 0 {
		t.Fatalf("%d results for %d findings", len(results), len(r2.Findings))
	}
	for _, x := range results {
		res := x.(map[string]any)
		if res["kind"] != "fail" {
			t.Errorf("result kind %v", res["kind"])
		}
		loc := res["locations"].([]any)[0].(map[string]any)
		fqn := loc["logicalLocations"].([]any)[0].(map[string]any)["fullyQualifiedName"].(string)
		if strings.Count(fqn, "/") < 1 {
			t.Errorf("fullyQualifiedName %q", fqn)
		}
		if !strings.HasPrefix(fqn, "Mesh/") {
			uri := loc["physicalLocation"].(map[string]any)["artifactLocation"].(map[string]any)["uri"].(string)
			if !strings.HasPrefix(uri, "../examples/") && !strings.HasPrefix(uri, "examples/") {
				t.Errorf("uri %q", uri)
			}
		}
		if res["partialFingerprints"].(map[string]any)[output.FingerprintKey] == "" {
			t.Error("no fingerprint")
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	os.WriteFile(path, []byte("old"), 0o644)
	err := output.WriteFile(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return os.ErrClosed
	})
	if err == nil {
		t.Fatal("render error not returned")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatalf("failed render replaced the file: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary file left: %v", entries)
	}
	if err := output.WriteFile(path, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new" {
		t.Fatalf("got %q", b)
	}
}

// TestFleet: several clusters give one SARIF run each (distinct
// automationDetails ids), a fleet JSON document and a controls × clusters
// table.
func TestFleet(t *testing.T) {
	a, cat := fixture(t)
	b, _ := fixture(t)
	b.Cluster = "prod-us-2"
	b.Controls[0].Status = report.StatusPass
	reps := []*report.Report{a, b}
	var buf bytes.Buffer
	if err := output.SARIF(&buf, reps, cat); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			AutomationDetails struct{ ID string }
		}
	}
	json.Unmarshal(buf.Bytes(), &log)
	if len(log.Runs) != 2 || log.Runs[0].AutomationDetails.ID == log.Runs[1].AutomationDetails.ID {
		t.Fatalf("runs: %+v", log.Runs)
	}
	if s := sarifSchemaIfPresent(t); s != nil {
		validateSARIF(t, s, buf.Bytes())
	}
	buf.Reset()
	if err := output.JSON(&buf, reps, cat); err != nil {
		t.Fatal(err)
	}
	var fleet struct {
		SchemaVersion string
		Reports       []struct{ Cluster string }
	}
	if json.Unmarshal(buf.Bytes(), &fleet); fleet.SchemaVersion != output.FleetSchemaVersion || len(fleet.Reports) != 2 {
		t.Fatalf("fleet json: %s", buf.String())
	}
	buf.Reset()
	if err := output.Table(&buf, reps, cat); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "Fleet: 2 clusters") || !strings.Contains(out, "prod-us-2") {
		t.Fatalf("fleet table:\n%s", out)
	}
	var ac4 string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "AC-4 ") && strings.Count(l, "│") == 4 {
			ac4 = l
		}
	}
	if !strings.Contains(ac4, "UNKNOWN") || !strings.Contains(ac4, "PASS") {
		t.Errorf("fleet row for AC-4: %q", ac4)
	}
}

func sarifSchemaIfPresent(t *testing.T) *jsonschema.Schema {
	if _, err := os.Stat(filepath.Join("..", "..", "shared", "schemas", "sarif-schema-2.1.0.json")); err != nil && os.Getenv("CI") == "" {
		return nil
	}
	return sarifSchema(t)
}
