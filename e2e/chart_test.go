package e2e

import (
	"context"
	"path/filepath"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/snapshot"
)

// TestChartLeastPrivilege: the Helm chart rendered with default values
// (deploy/manifests/meshaudit.yaml, kept equal to `helm template` by
// ./deploy's tests) applies to a real API server as it is — Namespace,
// NetworkPolicies, LimitRange, Istio policies, RBAC, ConfigMap, PVC and
// CronJob all pass its validation — and a live scan as the chart's
// ServiceAccount collects every kind. The ServiceAccount can get and list
// exactly what the collector reads and nothing else: no write verb on any
// of those kinds, no watch, no Secrets, no ConfigMaps outside the root
// namespace, and creating a Pod is forbidden.
func TestChartLeastPrivilege(t *testing.T) {
	c := needCluster(t)
	c.apply(t, loadManifests(t, repoPath("deploy/manifests/meshaudit.yaml"), repoPath("examples/shop")))
	kc, cfg := c.addUser(t, saUser, saGroups...)

	out := filepath.Join(t.TempDir(), "chart-sa.json")
	code, _, stderr := cli(t, "scan", "--kubeconfig", kc, "--fail-on", "none", "--proxy-wait", "never", "--proxy-quit", "never", "-o", "json="+out)
	if code != 0 {
		t.Fatalf("scan as the chart's ServiceAccount exited %d, want 0; stderr:\n%s", code, stderr)
	}
	rep := readReport(t, out)
	checkAllCollected(t, rep.Kinds)
	for _, k := range rep.Kinds {
		if k.Status == snapshot.StatusForbidden || k.Status == snapshot.StatusError {
			t.Errorf("kind %s %s: %s", k.Kind, k.Status, k.Reason)
		}
	}
	if !rep.Summary.Complete {
		t.Errorf("report incomplete: %v", rep.Summary.Incomplete)
	}
	st := kindStatuses(rep.Kinds)
	if n := st["ConfigMap"].Count; n != 1 {
		t.Errorf("ConfigMap count %d, want 1 (istio-system/istio through the chart's root-namespace Role)", n)
	}

	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Read-only, proven by the API server's authorizer.
	allowed := func(verb, group, resource, ns string) bool {
		t.Helper()
		r, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: verb, Group: group, Resource: resource, Namespace: ns,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("access review %s %s/%s: %v", verb, group, resource, err)
		}
		return r.Status.Allowed
	}
	writeVerbs := []string{"create", "update", "patch", "delete", "deletecollection", "watch", "impersonate", "bind", "escalate"}
	for _, k := range collectors.LiveKinds {
		ns := ""
		if k.RootOnly {
			ns = rootNamespace
		}
		for _, v := range []string{"get", "list"} {
			if !allowed(v, k.Group, k.Resource, ns) {
				t.Errorf("%s cannot %s %s.%s", saUser, v, k.Resource, k.Group)
			}
		}
		for _, v := range writeVerbs {
			if allowed(v, k.Group, k.Resource, ns) {
				t.Errorf("%s may %s %s.%s", saUser, v, k.Resource, k.Group)
			}
		}
	}
	for _, v := range []string{"get", "list", "watch"} {
		if allowed(v, "", "secrets", "") || allowed(v, "", "secrets", rootNamespace) {
			t.Errorf("%s may %s secrets", saUser, v)
		}
	}
	if allowed("list", "", "configmaps", "default") {
		t.Errorf("%s lists ConfigMaps outside the root namespace", saUser)
	}
	if allowed("create", "", "pods", "meshaudit") || allowed("create", "batch", "jobs", "meshaudit") {
		t.Errorf("%s may create pods or jobs", saUser)
	}

	// And a real write is refused.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "meshaudit-write-probe", Namespace: "meshaudit"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example.invalid/none:1"}}},
	}
	if _, err := cs.CoreV1().Pods("meshaudit").Create(ctx, pod, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("%s creating a Pod: err %v, want forbidden", saUser, err)
		_ = c.cs.CoreV1().Pods("meshaudit").Delete(ctx, pod.Name, metav1.DeleteOptions{})
	}
	if _, err := cs.CoreV1().Secrets("").List(ctx, metav1.ListOptions{Limit: 1}); !apierrors.IsForbidden(err) {
		t.Errorf("%s lists Secrets: err %v, want forbidden", saUser, err)
	}
}
