package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFailOnNew: a pre-merge check that fails only on findings the change
// introduces.
func TestFailOnNew(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if code, _, stderr := run(t, "", "scan", "-f", "examples/shop", "-o", "json="+base); code != ExitFindings {
		t.Fatalf("baseline: %d %s", code, stderr)
	}
	// Unchanged tree: passes.
	if code, _, stderr := run(t, "", "scan", "-f", "examples/shop", "--previous", base, "--fail-on-new", "-o", "json="+filepath.Join(dir, "x.json")); code != ExitOK {
		t.Fatalf("unchanged tree: exit %d %s", code, stderr)
	}
	// One new violation: fails, naming it.
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(tree, 0o755)
	for _, f := range []string{"00-istio-system.yaml", "10-shop.yaml"} {
		b, _ := os.ReadFile(filepath.Join("..", "examples", "shop", f))
		os.WriteFile(filepath.Join(tree, f), b, 0o644)
	}
	os.WriteFile(filepath.Join(tree, "20-new.yaml"), []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: debug, namespace: shop}\nspec:\n  hostPID: true\n  containers: [{name: c, image: busybox:1.36}]\n"), 0o644)
	code, _, stderr := run(t, "", "scan", "-f", tree, "--previous", base, "--fail-on-new", "-o", "json="+filepath.Join(dir, "y.json"))
	if code != ExitFindings || !strings.Contains(stderr, "new finding(s)") {
		t.Fatalf("new violation: exit %d %s", code, stderr)
	}
	// diff names it as new.
	code, out, _ := run(t, "", "diff", base, filepath.Join(dir, "y.json"), "-o", "json")
	var res struct {
		Clusters []struct {
			New []struct {
				RuleID   string
				Resource struct{ Name string }
			}
			Fixed     []any
			Unchanged int
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.Clusters) != 1 {
		t.Fatalf("diff: %d %s", code, out)
	}
	found := false
	for _, f := range res.Clusters[0].New {
		if f.RuleID == "POD-03" && f.Resource.Name == "debug" {
			found = true
		}
	}
	if !found || res.Clusters[0].Unchanged == 0 {
		t.Fatalf("diff did not report the new POD-03 finding: %s", out)
	}
	if code, _, _ := run(t, "", "scan", "-f", "examples/shop", "--fail-on-new"); code != ExitUsage {
		t.Fatalf("--fail-on-new without --previous: exit %d", code)
	}
}
