package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRBACManifestUpToDate: deploy/rbac.yaml is generated from the kinds the
// collector reads, and grants nothing else.
func TestRBACManifestUpToDate(t *testing.T) {
	want := RBACManifest("istio-system", false)
	path := filepath.Join("..", "deploy", "rbac.yaml")
	if os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" {
		os.WriteFile(path, []byte(want), 0o644)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("deploy/rbac.yaml is stale: MESHAUDIT_UPDATE_GOLDEN=1 go test ./collectors/")
	}
	for _, bad := range []string{"secrets", "watch", "create", "update", "patch", "delete", "\"*\"", "[*]"} {
		if strings.Contains(want, bad) {
			t.Errorf("rbac grants %q", bad)
		}
	}
	for _, k := range LiveKinds {
		if !k.RootOnly && !strings.Contains(want, k.Resource) {
			t.Errorf("rbac lacks %s", k.Resource)
		}
	}
	if !strings.Contains(RBACManifest("istio-system", true), "secrets") {
		t.Error("secret names enabled but secrets not granted")
	}
}
