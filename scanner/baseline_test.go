package scanner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFailOnNew: a pre-merge check that fails only on findings the change
// introduces.
func TestFailOnNew(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "-o", "json="+base); code != Findings {
		t.Fatalf("baseline: %d %s", code, stderr)
	}
	// Unchanged tree: passes.
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--previous", base, "--fail-on-new", "-o", "json="+filepath.Join(dir, "x.json")); code != OK {
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
	code, table, stderr := scanCLI(t, "", "scan", "-f", tree, "--previous", base, "--fail-on-new", "-o", "json="+filepath.Join(dir, "y.json"), "-o", "sarif="+filepath.Join(dir, "y.sarif"), "-o", "table")
	if code != Findings || !strings.Contains(stderr, "new finding(s)") {
		t.Fatalf("new violation: exit %d %s", code, stderr)
	}
	// Every output says which finding is new.
	if !regexp.MustCompile(`│ NEW +│ [A-Z]+ +│ POD-03 +│ Pod/shop/debug`).MatchString(table) || !regexp.MustCompile(`Compared with the previous report: [1-9]\d* new, 0 fixed`).MatchString(table) {
		t.Errorf("the table does not mark the new finding:\n%s", table)
	}
	var rep struct {
		Findings []struct {
			RuleID, Baseline string
			Resource         struct{ Name string }
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "y.json"))
	json.Unmarshal(b, &rep)
	states := map[string]int{}
	for _, f := range rep.Findings {
		states[f.Baseline]++
		if (f.Baseline == "new") != (f.Resource.Name == "debug") {
			t.Errorf("JSON: %s %s is %q", f.RuleID, f.Resource.Name, f.Baseline)
		}
	}
	var sarif struct {
		Runs []struct {
			Results []struct {
				RuleID, BaselineState string
				Message               struct{ Text string }
			}
		}
	}
	b, _ = os.ReadFile(filepath.Join(dir, "y.sarif"))
	json.Unmarshal(b, &sarif)
	for _, r := range sarif.Runs[0].Results {
		if (r.BaselineState == "new") != strings.HasPrefix(r.Message.Text, "Pod/shop/debug:") || r.BaselineState == "" {
			t.Errorf("SARIF: %s %q is %q", r.RuleID, r.Message.Text, r.BaselineState)
		}
	}
	if states["new"] == 0 || states["unchanged"] == 0 || len(sarif.Runs[0].Results) != len(rep.Findings) {
		t.Errorf("JSON states %v; %d SARIF results for %d findings", states, len(sarif.Runs[0].Results), len(rep.Findings))
	}
	if code, _, _ := scanCLI(t, "", "scan", "-f", "examples/shop", "--fail-on-new"); code != Usage {
		t.Fatalf("--fail-on-new without --previous: exit %d", code)
	}
}
