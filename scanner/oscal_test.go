package scanner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"time"

	"github.com/meshaudit/meshaudit/evidence"
)

// oscalDoc reads an OSCAL file's assessment-results.
func oscalDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m["assessment-results"].(map[string]any)
}

// oscalTimes are a document's last-modified and its first result's start
// and end.
func oscalTimes(ar map[string]any) (lastModified, start, end string) {
	res := ar["results"].([]any)[0].(map[string]any)
	return ar["metadata"].(map[string]any)["last-modified"].(string), res["start"].(string), res["end"].(string)
}

// TestScanOSCALVersionAndTimes: --oscal-version picks the version (1.2.2
// by default), an unknown one is a usage error; a manifest scan's times
// are the scan's, pinned by SOURCE_DATE_EPOCH.
func TestScanOSCALVersionAndTimes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-o", "oscal="+file, "--oscal-version", "1.0.4"); code != Usage || !strings.Contains(stderr, "--oscal-version") {
		t.Fatalf("unknown OSCAL version: exit %d: %s", code, stderr)
	}

	t.Setenv("SOURCE_DATE_EPOCH", "")
	before := time.Now().UTC().Truncate(time.Second)
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-o", "oscal="+file); code != OK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	after := time.Now().UTC()
	ar := oscalDoc(t, file)
	if v := ar["metadata"].(map[string]any)["oscal-version"]; v != "1.2.2" {
		t.Errorf("default oscal-version %v", v)
	}
	lm, start, end := oscalTimes(ar)
	for _, s := range []string{lm, start, end} {
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil || ts.Before(before) || ts.After(after) {
			t.Errorf("time %s is not the scan's (%s..%s)", s, before, after)
		}
	}
	if end != lm || start > end {
		t.Errorf("start %s, end %s, last-modified %s", start, end, lm)
	}

	t.Setenv("SOURCE_DATE_EPOCH", "1764806400") // 2025-12-04T00:00:00Z
	for _, version := range []string{"1.1.3", "1.2.2"} {
		if code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-o", "oscal="+file, "--oscal-version", version); code != OK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		first, _ := os.ReadFile(file)
		ar := oscalDoc(t, file)
		if v := ar["metadata"].(map[string]any)["oscal-version"]; v != version {
			t.Errorf("oscal-version %v, want %s", v, version)
		}
		if lm, start, end := oscalTimes(ar); lm != "2025-12-04T00:00:00Z" || start != lm || end != lm {
			t.Errorf("SOURCE_DATE_EPOCH: last-modified %s, start %s, end %s", lm, start, end)
		}
		if code, _, _ := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-o", "oscal="+file, "--oscal-version", version); code != OK {
			t.Fatal(code)
		}
		if again, _ := os.ReadFile(file); string(again) != string(first) {
			t.Error("SOURCE_DATE_EPOCH: a second scan gave a different OSCAL document")
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "0")
	if code, _, _ := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-o", "oscal="+file); code != OK {
		t.Fatal(code)
	}
	if lm, start, end := oscalTimes(oscalDoc(t, file)); lm != "1970-01-01T00:00:00Z" || start != lm || end != lm {
		t.Errorf("SOURCE_DATE_EPOCH=0: %s %s %s", lm, start, end)
	}
}

// TestScanOSCALEvidenceBundle: the bundle's oscal.json agrees with its
// manifest (last-modified and end = createdAt, version recorded) and the
// -o oscal report of the same scan names the bundle's manifest digest.
func TestScanOSCALEvidenceBundle(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "")
	dir := t.TempDir()
	ev, file := filepath.Join(dir, "evidence"), filepath.Join(dir, "r.json")
	code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "--evidence-dir", ev, "--oscal-version", "1.1.3", "-o", "oscal="+file)
	if code != OK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	bundles, _ := filepath.Glob(filepath.Join(ev, "manifests-*"))
	if len(bundles) != 1 {
		t.Fatalf("bundles: %v", bundles)
	}
	mb, err := os.ReadFile(filepath.Join(bundles[0], "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		CreatedAt  string `json:"createdAt"`
		Evaluation struct {
			EvaluatedAt  string `json:"evaluatedAt"`
			OSCALVersion string `json:"oscalVersion"`
		} `json:"evaluation"`
	}
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	if man.Evaluation.OSCALVersion != "1.1.3" {
		t.Errorf("manifest evaluation.oscalVersion %q", man.Evaluation.OSCALVersion)
	}
	inner := oscalDoc(t, filepath.Join(bundles[0], "oscal.json"))
	if v := inner["metadata"].(map[string]any)["oscal-version"]; v != "1.1.3" {
		t.Errorf("bundle oscal-version %v", v)
	}
	lm, start, end := oscalTimes(inner)
	if lm != man.CreatedAt || end != man.CreatedAt || start != man.Evaluation.EvaluatedAt {
		t.Errorf("bundle oscal.json times %s %s %s; manifest createdAt %s, evaluatedAt %s", lm, start, end, man.CreatedAt, man.Evaluation.EvaluatedAt)
	}
	if strings.HasPrefix(lm, "1970") {
		t.Error("1970 in a bundle")
	}
	sum := sha256.Sum256(mb)
	outer := oscalDoc(t, file)
	res := outer["back-matter"].(map[string]any)["resources"].([]any)[0].(map[string]any)
	if outer["import-ap"].(map[string]any)["href"] != "#"+res["uuid"].(string) {
		t.Fatalf("import-ap %v", outer["import-ap"])
	}
	found := false
	for _, p := range res["props"].([]any) {
		pm := p.(map[string]any)
		if pm["name"] == "evidence-bundle-manifest-sha256" && pm["value"] == hex.EncodeToString(sum[:]) {
			found = true
		}
	}
	if !found {
		t.Errorf("-o oscal does not name the bundle's manifest digest %x: %v", sum, res["props"])
	}
	if res, err := evidence.Verify(context.Background(), bundles[0], evidence.VerifyOptions{AllowUnsigned: true, ToolVersion: "test", PolicyDigest: digest(t)}); err != nil || !res.OK() {
		t.Fatalf("verify: %v %+v", err, res)
	}
}
