package e2e

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/meshaudit/meshaudit/snapshot"
)

// The shipped RBAC binds the ServiceAccount meshaudit/meshaudit; a client
// certificate with its user name and groups is that ServiceAccount to RBAC.
const (
	saUser = "system:serviceaccount:meshaudit:meshaudit"
)

var saGroups = []string{"system:serviceaccounts", "system:serviceaccounts:meshaudit"}

// securityKinds are the Istio security kinds the limited user may not list.
var securityKinds = []string{"AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"}

// TestLeastPrivilege: the ServiceAccount bound by deploy/rbac.yaml scans a
// cluster holding the shop example with every kind collected (Gateway API
// kinds absent: no CRDs), the same findings as cluster-admin, and never
// lists Secrets (its role cannot: a listing would be forbidden).
func TestLeastPrivilege(t *testing.T) {
	c := needCluster(t)
	c.apply(t, loadManifests(t, repoPath("deploy/rbac.yaml"), repoPath("examples/shop")))
	kc, cfg := c.addUser(t, saUser, saGroups...)
	dir := t.TempDir()

	out := filepath.Join(dir, "sa.json")
	code, _, stderr := cli(t, "scan", "--kubeconfig", kc, "--fail-on", "none", "-o", "json="+out)
	if code != 0 {
		t.Fatalf("scan as %s exited %d, want 0; stderr:\n%s", saUser, code, stderr)
	}
	rep := readReport(t, out)
	checkAllCollected(t, rep.Kinds)
	for _, k := range rep.Kinds {
		if k.Status == snapshot.StatusForbidden || k.Status == snapshot.StatusError {
			t.Errorf("kind %s %s: %s", k.Kind, k.Status, k.Reason)
		}
		if k.Kind == "Secret" {
			t.Errorf("Secrets listed without --secret-names: %+v", k)
		}
	}
	if !rep.Summary.Complete {
		t.Errorf("report incomplete: %v", rep.Summary.Incomplete)
	}
	st := kindStatuses(rep.Kinds)
	if n := st["ConfigMap"].Count; n != 1 {
		t.Errorf("ConfigMap count %d, want 1 (istio-system/istio through the root-namespace Role)", n)
	}
	if n := st["PeerAuthentication"].Count; n != 1 {
		t.Errorf("PeerAuthentication count %d, want 1", n)
	}
	if len(rep.Findings) == 0 {
		t.Error("no findings on the shop example")
	}

	// Same findings as cluster-admin.
	adminOut := filepath.Join(dir, "admin.json")
	if code, _, stderr := cli(t, "scan", "--kubeconfig", c.kubeconfig, "--fail-on", "none", "-o", "json="+adminOut); code != 0 {
		t.Fatalf("admin scan exited %d; stderr:\n%s", code, stderr)
	}
	comparePairs(t, "ServiceAccount scan", rep, "admin scan", readReport(t, adminOut))

	// The role has no Secrets at all: the scan above listed none.
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets("").List(context.Background(), metav1.ListOptions{Limit: 1}); !apierrors.IsForbidden(err) {
		t.Errorf("%s lists Secrets: err %v, want forbidden", saUser, err)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{Limit: 1}); !apierrors.IsForbidden(err) {
		t.Errorf("%s lists ConfigMaps outside the root namespace: err %v, want forbidden", saUser, err)
	}

	// Asking for Secret names with the shipped role: Secrets are forbidden
	// (the only kind), and reported as such.
	out2 := filepath.Join(dir, "sa-secret-names.json")
	code, _, stderr = cli(t, "scan", "--kubeconfig", kc, "--fail-on", "none", "--secret-names", "-o", "json="+out2)
	rep2 := readReport(t, out2)
	var forbidden []string
	for _, k := range rep2.Kinds {
		if k.Status != snapshot.StatusCollected && !(k.Status == snapshot.StatusAbsent && gatewayAPIKind(k.Kind)) {
			forbidden = append(forbidden, k.Kind+"="+k.Status)
		}
	}
	if strings.Join(forbidden, ",") != "Secret=forbidden" {
		t.Errorf("with --secret-names: non-collected kinds %v, want [Secret=forbidden] (exit %d, stderr %s)", forbidden, code, stderr)
	}
}

// TestLimitedUser: a user with the shipped role minus security.istio.io
// gets unknown for every rule that reads PeerAuthentications,
// AuthorizationPolicies or RequestAuthentications, exit code 3 at
// --fail-on none, and the report and stderr name what it could not read.
func TestLimitedUser(t *testing.T) {
	c := needCluster(t)
	objs := loadManifests(t, repoPath("deploy/rbac.yaml"), repoPath("examples/shop"))
	const user = "meshaudit-e2e-limited"
	var limited []*unstructured.Unstructured
	for _, u := range objs {
		if u.GetKind() != "ClusterRole" || u.GetName() != "meshaudit-reader" {
			continue
		}
		cr := u.DeepCopy()
		cr.SetName("meshaudit-e2e-limited")
		rules, _, _ := unstructured.NestedSlice(cr.Object, "rules")
		var kept []any
		for _, r := range rules {
			groups, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "apiGroups")
			if len(groups) == 1 && groups[0] == "security.istio.io" {
				continue
			}
			kept = append(kept, r)
		}
		if len(kept) != len(rules)-1 {
			t.Fatalf("deploy/rbac.yaml: want exactly one security.istio.io rule in meshaudit-reader")
		}
		_ = unstructured.SetNestedSlice(cr.Object, kept, "rules")
		limited = append(limited, cr)
	}
	if len(limited) != 1 {
		t.Fatal("deploy/rbac.yaml: no ClusterRole meshaudit-reader")
	}
	userSubject := []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}}
	limited = append(limited,
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
			"metadata": map[string]any{"name": "meshaudit-e2e-limited"},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "meshaudit-e2e-limited"},
			"subjects": userSubject,
		}},
		&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
			"metadata": map[string]any{"name": "meshaudit-e2e-limited", "namespace": rootNamespace},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "meshaudit-mesh-config"},
			"subjects": userSubject,
		}})
	c.apply(t, append(objs, limited...))
	kc, _ := c.addUser(t, user)

	out := filepath.Join(t.TempDir(), "limited.json")
	code, stdout, stderr := cli(t, "scan", "--kubeconfig", kc, "--fail-on", "none", "-o", "json="+out, "-o", "table")
	if code != 3 {
		t.Errorf("limited scan exited %d, want 3; stderr:\n%s", code, stderr)
	}
	rep := readReport(t, out)

	// Kinds: exactly the security kinds are forbidden.
	var notCollected []string
	for _, k := range rep.Kinds {
		if k.Status == snapshot.StatusCollected || (k.Status == snapshot.StatusAbsent && gatewayAPIKind(k.Kind)) {
			continue
		}
		notCollected = append(notCollected, k.Kind+"="+k.Status)
		if k.Status == snapshot.StatusForbidden && !strings.Contains(k.Reason, "forbidden") {
			t.Errorf("kind %s: reason %q does not say forbidden", k.Kind, k.Reason)
		}
	}
	sort.Strings(notCollected)
	want := []string{}
	for _, k := range securityKinds {
		want = append(want, k+"="+snapshot.StatusForbidden)
	}
	if strings.Join(notCollected, ",") != strings.Join(want, ",") {
		t.Errorf("kinds not collected %v, want %v", notCollected, want)
	}

	// Rules: unknown exactly when they read a forbidden kind.
	_, cat := engine(t)
	needs := map[string]bool{}
	for _, r := range cat.Rules {
		for _, in := range r.Inputs {
			for _, k := range securityKinds {
				if in == k {
					needs[r.ID] = true
				}
			}
		}
	}
	for _, id := range []string{"MTLS-01", "MTLS-02", "AUTHZ-01"} {
		if !needs[id] {
			t.Errorf("catalog: %s does not read the Istio security kinds", id)
		}
	}
	for _, r := range rep.Rules {
		switch {
		case needs[r.ID] && r.Status != report.StatusUnknown:
			t.Errorf("rule %s is %s, want unknown (it reads a forbidden kind)", r.ID, r.Status)
		case needs[r.ID]:
			if !strings.Contains(r.Reason, "forbidden") {
				t.Errorf("rule %s unknown with reason %q, want it to say forbidden", r.ID, r.Reason)
			}
		case r.Status == report.StatusUnknown:
			t.Errorf("rule %s unknown (%s) but reads no forbidden kind", r.ID, r.Reason)
		}
	}
	if rep.Summary.Complete {
		t.Error("summary says complete")
	}
	for _, c := range rep.Controls {
		for _, id := range c.Unknown {
			if !needs[id] {
				t.Errorf("control %s lists %s unknown", c.ID, id)
			}
		}
	}

	// The message names the forbidden kinds a rule needed, and the table
	// says unknown.
	for _, k := range []string{"PeerAuthentication", "AuthorizationPolicy"} {
		if !strings.Contains(stderr, k) || !strings.Contains(stderr, "forbidden") {
			t.Errorf("stderr does not name forbidden kind %s:\n%s", k, stderr)
		}
	}
	if !strings.Contains(stderr, "RequestAuthentication") {
		t.Logf("note: stderr does not name RequestAuthentication (forbidden, but no rule reads it); the JSON report's kinds do")
	}
	if !strings.Contains(strings.ToLower(stdout), "unknown") {
		t.Errorf("table does not show unknown rules:\n%s", stdout)
	}
	t.Logf("stderr: %s", strings.TrimSpace(stderr))
}
