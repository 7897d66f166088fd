package scanner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type repoReport struct {
	ParseErrors []json.RawMessage `json:"parseErrors"`
	Notices     []struct {
		Kind, File, Object, Field, Message string
		Line                               int
	} `json:"notices"`
	Findings []struct {
		RuleID   string `json:"ruleId"`
		Resource struct{ Kind, Namespace, Name string }
		File     string `json:"file"`
		Line     int    `json:"line"`
	} `json:"findings"`
	Rules []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Reason string `json:"reason"`
	} `json:"rules"`
}

func scanRepo(t *testing.T, wantCode Kind, args ...string) repoReport {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := scanCLI(t, "", append([]string{"scan", "-f", "testdata/repos/mixed", "-o", "json=" + out, "-o", "table"}, args...)...)
	if code != wantCode {
		t.Fatalf("exit %d, want %d\n%s", code, wantCode, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r repoReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r repoReport) status(id string) string {
	for _, x := range r.Rules {
		if x.ID == id {
			return x.Status
		}
	}
	return ""
}

// TestScanRepository: a whole repository tree (Helm chart with a
// subchart, kustomize overlay, plain manifests, CI files, an IstioOperator,
// a misspelled Istio field, alternatives of one VirtualService) scans
// end to end: exit 1 for its findings (not 2 or 3), every finding on an
// input object names the template, overlay or manifest file it came from,
// EGR-01 is judged from the IstioOperator's meshConfig, and the
// misspelled field is a validity notice with file and line.
func TestScanRepository(t *testing.T) {
	r := scanRepo(t, Findings)
	if len(r.ParseErrors) != 0 {
		t.Errorf("parse errors: %s", r.ParseErrors)
	}
	root, _ := filepath.Abs("..")
	files := map[string]bool{}
	for _, f := range r.Findings {
		if f.Resource.Kind == "Mesh" {
			continue
		}
		if f.File == "" || f.Line == 0 {
			t.Errorf("%s on %s/%s/%s: no file and line", f.RuleID, f.Resource.Kind, f.Resource.Namespace, f.Resource.Name)
			continue
		}
		if _, err := os.Stat(filepath.Join(root, f.File)); err != nil {
			t.Errorf("%s: file %s does not exist", f.RuleID, f.File)
		}
		files[f.File] = true
	}
	for _, want := range []string{
		"testdata/repos/mixed/charts/web/templates/deployment.yaml",
		"testdata/repos/mixed/charts/web/charts/cache/templates/statefulset.yaml",
		"testdata/repos/mixed/kustomize/base/deployment.yaml",
		"testdata/repos/mixed/istio/operator.yaml",
	} {
		if !files[want] {
			t.Errorf("no finding located in %s (files: %v)", want, files)
		}
	}
	egr := false
	for _, f := range r.Findings {
		if f.RuleID == "EGR-01" && f.Resource.Kind == "IstioOperator" && f.File == "testdata/repos/mixed/istio/operator.yaml" {
			egr = true
		}
	}
	if r.status("EGR-01") != "fail" || !egr {
		t.Errorf("EGR-01 %s, not judged from the IstioOperator: %+v", r.status("EGR-01"), r.Findings)
	}
	kinds := map[string]int{}
	validity := false
	for _, n := range r.Notices {
		kinds[n.Kind]++
		if n.Kind == "validity" && n.File == "testdata/repos/mixed/istio/peer-authentication.yaml" && n.Line == 7 && n.Field == "spec.mtsl" {
			validity = true
		}
	}
	if !validity {
		t.Errorf("no validity notice for spec.mtsl at line 7: %+v", r.Notices)
	}
	if kinds["skipped"] != 6 || kinds["duplicate"] != 1 {
		t.Errorf("notices by kind: %v", kinds)
	}
	// Notices change no verdict; --fail-on-duplicates makes a duplicate fatal.
	scanRepo(t, OK, "--fail-on", "none")
	scanRepo(t, Findings, "--fail-on", "none", "--fail-on-duplicates")
}

// TestMeshConfigFlags: --mesh-config wins over the IstioOperator; istiod
// values alone are a source too.
func TestMeshConfigFlags(t *testing.T) {
	mc := filepath.Join(t.TempDir(), "mesh.yaml")
	if err := os.WriteFile(mc, []byte("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := scanRepo(t, OK, "--fail-on", "none", "--mesh-config", mc); r.status("EGR-01") != "pass" {
		t.Errorf("--mesh-config REGISTRY_ONLY: EGR-01 %s", r.status("EGR-01"))
	}
	r := scanRepo(t, OK, "--fail-on", "none", "--exclude", "operator.yaml", "--istio-values", "testdata/repos/mixed/istio/istiod-values.yaml")
	if r.status("EGR-01") != "pass" {
		t.Errorf("istiod values REGISTRY_ONLY: EGR-01 %s", r.status("EGR-01"))
	}
	r = scanRepo(t, OK, "--fail-on", "none", "--exclude", "operator.yaml")
	if r.status("EGR-01") != "not_applicable" {
		t.Errorf("no mesh config: EGR-01 %s", r.status("EGR-01"))
	}
	code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/repos/mixed", "--exclude", "[bad")
	if code != Usage || !strings.Contains(stderr, "--exclude") {
		t.Errorf("bad glob: exit %d %s", code, stderr)
	}
}
