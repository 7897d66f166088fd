package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// reportCRDs are the OpenReports CRDs meshaudit writes to (--write-reports).
var reportCRDs = []string{"openreports.io_reports.yaml", "openreports.io_clusterreports.yaml"}

// moduleDir is the directory of a required module in the module cache
// (go mod download fetches it from the module proxy on a fresh machine).
func moduleDir(t *testing.T, module string) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", module).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go mod download %s: %v: %s", module, err, ee.Stderr)
		}
		t.Fatalf("go mod download %s: %v", module, err)
	}
	var mod struct{ Dir, Version, Error string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Error != "" || mod.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", module, err, mod.Error)
	}
	return mod.Dir
}

// TestReportCRDsFromModule: deploy/crds and the chart's crds/ hold the
// OpenReports CRDs of the pinned github.com/openreports/reports-api
// module, byte for byte (refresh: MESHAUDIT_UPDATE_GOLDEN=1 go test
// ./deploy/ after changing its version in go.mod).
func TestReportCRDsFromModule(t *testing.T) {
	src := filepath.Join(moduleDir(t, "github.com/openreports/reports-api"), "config", "crd")
	for _, name := range reportCRDs {
		want, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(want, &crd); err != nil || crd.Kind != "CustomResourceDefinition" || crd.Spec.Group != "openreports.io" {
			t.Fatalf("%s in the module: not an openreports.io CRD (%v)", name, err)
		}
		for _, dir := range []string{"crds", filepath.Join(chartDir, "crds")} {
			path := filepath.Join(dir, name)
			if update() {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (copy it: MESHAUDIT_UPDATE_GOLDEN=1 go test ./deploy/)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("deploy/%s differs from %s in the pinned module: MESHAUDIT_UPDATE_GOLDEN=1 go test ./deploy/", path, name)
			}
		}
	}
	for _, dir := range []string{"crds", filepath.Join(chartDir, "crds")} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(reportCRDs) {
			t.Errorf("deploy/%s holds %d files, want exactly %v", dir, len(entries), reportCRDs)
		}
	}
}
