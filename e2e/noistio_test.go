package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

const notInstalled = "Istio is not installed"

// TestNoIstio starts a second control plane without Istio's CRDs, applies
// the shop example's Kubernetes objects, and scans it: every Istio kind is
// absent and the rules that read Istio's kinds fail on the mesh, saying
// Istio is not installed.
func TestNoIstio(t *testing.T) {
	needCluster(t)
	start := time.Now()
	c, err := startCluster("noistio", false)
	if err != nil {
		t.Fatalf("start control plane without Istio: %v", err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	t.Logf("control plane without Istio up in %s", time.Since(start).Round(100*time.Millisecond))

	var objs []*unstructured.Unstructured
	for _, u := range loadManifests(t, repoPath("examples/shop")) {
		if !strings.HasSuffix(u.GroupVersionKind().Group, ".istio.io") {
			objs = append(objs, u)
		}
	}
	c.apply(t, objs)

	out := filepath.Join(t.TempDir(), "noistio.json")
	code, _, stderr := cli(t, "scan", "--kubeconfig", c.kubeconfig, "--cluster-name", "noistio", "--fail-on", "none", "-o", "json="+out)
	if code != 0 {
		t.Errorf("scan exited %d, want 0 (complete; --fail-on none); stderr:\n%s", code, stderr)
	}
	rep := readReport(t, out)
	st := kindStatuses(rep.Kinds)
	for _, k := range collectors.LiveKinds {
		ks := st[k.Key()]
		want := snapshot.StatusCollected
		if strings.HasSuffix(k.Group, ".istio.io") || gatewayAPIKind(k.Key()) {
			want = snapshot.StatusAbsent
		}
		if ks.Status != want {
			t.Errorf("kind %s: %s (%s), want %s", k.Key(), ks.Status, ks.Reason, want)
		}
	}

	_, cat := engine(t)
	readsIstio := map[string]bool{}
	for _, r := range cat.Rules {
		for _, in := range r.Inputs {
			if snapshot.IstioKind(in) {
				readsIstio[r.ID] = true
			}
		}
		// Rules about the mesh itself that read no Istio kind.
		for _, q := range r.Requires {
			if q == rules.RequiresIstio {
				readsIstio[r.ID] = true
			}
		}
	}
	for _, id := range []string{"MTLS-01", "MTLS-02", "AUTHZ-01", "EGR-01", "MESH-01", "MESH-02", "CP-01"} {
		if !readsIstio[id] {
			t.Errorf("catalog: %s reads no Istio kind", id)
		}
	}
	meshFinding := map[string]report.Finding{}
	for _, f := range rep.Findings {
		if strings.Contains(f.Message, notInstalled) {
			meshFinding[f.RuleID] = f
		}
	}
	for _, r := range rep.Rules {
		if !readsIstio[r.ID] {
			if strings.Contains(r.Reason, notInstalled) {
				t.Errorf("rule %s reads no Istio kind but says %q", r.ID, r.Reason)
			}
			continue
		}
		if r.Status != report.StatusFail || !strings.Contains(r.Reason, notInstalled) {
			t.Errorf("rule %s: %s (%s), want fail with %q", r.ID, r.Status, r.Reason, notInstalled)
		}
		f, ok := meshFinding[r.ID]
		if !ok {
			t.Errorf("rule %s: no finding saying %q", r.ID, notInstalled)
			continue
		}
		if f.Resource.Kind != "Mesh" || f.Resource.Name != "noistio" {
			t.Errorf("rule %s: finding on %s %s, want Mesh noistio", r.ID, f.Resource.Kind, f.Resource.Name)
		}
	}
	// The workload rules still judge the workloads.
	for _, r := range rep.Rules {
		if r.Status == report.StatusUnknown {
			t.Errorf("rule %s unknown: %s", r.ID, r.Reason)
		}
	}
	if !rep.Summary.Complete {
		t.Errorf("incomplete: %v", rep.Summary.Incomplete)
	}
}
