package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/snapshot"
)

const namespaceFixture = `apiVersion: v1
kind: Namespace
metadata: {name: ns-keep}
---
apiVersion: v1
kind: Namespace
metadata: {name: ns-drop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: priv, namespace: ns-keep}
spec:
  selector: {matchLabels: {app: priv}}
  template:
    metadata: {labels: {app: priv}}
    spec: {containers: [{name: c, image: busybox:1.36, securityContext: {privileged: true}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: priv, namespace: ns-drop}
spec:
  selector: {matchLabels: {app: priv}}
  template:
    metadata: {labels: {app: priv}}
    spec: {containers: [{name: c, image: busybox:1.36, securityContext: {privileged: true}}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: e2e-namespace-filter, namespace: istio-system}
spec: {action: ALLOW, rules: [{from: [{source: {namespaces: [ns-keep]}}]}]}
`

// TestNamespaceLimitedLiveScan: with -n, a live scan lists namespaced kinds
// only in the selected namespaces, plus the root namespace's mesh-wide
// policy and mesh config, and reports nothing elsewhere; without -n the
// other namespace's finding is there (the check can fail).
func TestNamespaceLimitedLiveScan(t *testing.T) {
	c := needCluster(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ns.yaml"), []byte(namespaceFixture), 0o644); err != nil {
		t.Fatal(err)
	}
	defer c.apply(t, loadManifests(t, dir)).cleanup(t)

	clients, err := collectors.NewClients(c.cfg, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := collectors.FromCluster(ctx, clients, collectors.LiveOptions{Cluster: "e2e", RootNamespace: rootNamespace, ToolVersion: "e2e", KindTimeout: 30 * time.Second, Namespaces: []string{"ns-keep"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range s.Objects {
		seen[o.Ref().FQN()] = true
		if o.Namespace != "" && o.Namespace != "ns-keep" && !snapshot.MeshWide(o.Kind, o.Namespace, "", rootNamespace) {
			t.Errorf("listed %s although -n ns-keep", o.Ref().FQN())
		}
	}
	for _, want := range []string{"Deployment/ns-keep/priv", "AuthorizationPolicy/istio-system/e2e-namespace-filter"} {
		if !seen[want] {
			t.Errorf("%s not listed", want)
		}
	}

	type report struct {
		Findings []struct {
			RuleID   string
			Resource struct{ Namespace, Name string }
		}
	}
	scan := func(args ...string) report {
		t.Helper()
		code, out, stderr := cli(t, append([]string{"scan", "--kubeconfig", c.kubeconfig, "-o", "json", "--fail-on", "none", "--rules", "POD-03"}, args...)...)
		var r report
		if (code != 0 && code != 3) || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("scan %v: exit %d %s", args, code, stderr)
		}
		return r
	}
	in := func(r report, ns string) bool {
		for _, f := range r.Findings {
			if f.Resource.Namespace == ns && f.Resource.Name == "priv" {
				return true
			}
		}
		return false
	}
	if all := scan(); !in(all, "ns-keep") || !in(all, "ns-drop") {
		t.Fatalf("without -n: %+v", all.Findings)
	}
	if only := scan("-n", "ns-keep"); !in(only, "ns-keep") || in(only, "ns-drop") {
		t.Errorf("with -n ns-keep: %+v", only.Findings)
	}
}
