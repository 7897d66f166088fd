package openreports_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	discoveryfake "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/meshaudit/meshaudit/openreports"
)

func reportObj(kind, ns, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": openreports.OpenReportsVersion, "kind": kind, "source": "x"}}
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetLabels(labels)
	u.SetUID(types.UID("uid-" + ns + "-" + name))
	return u
}

var ours = map[string]string{openreports.ManagedByLabel: openreports.ManagedBy}

// fakeCluster: meshaudit's reports from an earlier scan (some stale),
// another tool's report, and a patch reactor that fails as told per
// object ("Report ns/name" or "ClusterReport name").
type fakeCluster struct {
	dyn      *dynamicfake.FakeDynamicClient
	disc     *discoveryfake.FakeDiscovery
	mu       sync.Mutex
	attempts map[string]int
	patched  map[string]string // field manager per object
}

func newFakeCluster(t *testing.T, withCRDs bool, fail map[string]func(attempt int) error) *fakeCluster {
	t.Helper()
	existing := []runtime.Object{
		reportObj("ClusterReport", "", "meshaudit", ours),
		reportObj("Report", "ns-a", "meshaudit", ours),
		reportObj("Report", "ns-a", "meshaudit-2", ours), // a part the new scan does not need
		reportObj("Report", "ns-b", "meshaudit", ours),   // ns-b has no result any more
		reportObj("Report", "ns-a", "kyverno-x", map[string]string{openreports.ManagedByLabel: "kyverno"}),
		reportObj("Report", "ns-c", "meshaudit", ours), // outside a -n ns-a scan
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		openreports.ReportsGVR: "ReportList", openreports.ClusterReportsGVR: "ClusterReportList",
	}, existing...)
	fc := &fakeCluster{dyn: dyn, attempts: map[string]int{}, patched: map[string]string{}}
	dyn.PrependReactor("patch", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		p := a.(clienttesting.PatchAction)
		kind := "Report"
		if p.GetResource().Resource == "clusterreports" {
			kind = "ClusterReport"
		}
		k := kind + " " + strings.TrimPrefix(p.GetNamespace()+"/"+p.GetName(), "/")
		fc.mu.Lock()
		fc.attempts[k]++
		n := fc.attempts[k]
		fc.mu.Unlock()
		if f := fail[k]; f != nil {
			if err := f(n); err != nil {
				return true, nil, err
			}
		}
		if string(p.GetPatchType()) != "application/apply-patch+yaml" {
			return true, nil, fmt.Errorf("patch type %s, want server-side apply", p.GetPatchType())
		}
		opts := a.(clienttesting.PatchActionImpl).PatchOptions
		if opts.Force == nil || !*opts.Force || opts.FieldValidation != "Strict" {
			return true, nil, fmt.Errorf("patch options %+v", opts)
		}
		fc.mu.Lock()
		fc.patched[k] = opts.FieldManager
		fc.mu.Unlock()
		return true, &unstructured.Unstructured{Object: map[string]any{"apiVersion": openreports.OpenReportsVersion, "kind": kind}}, nil
	})
	fc.disc = &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{}}
	if withCRDs {
		fc.disc.Resources = []*metav1.APIResourceList{{GroupVersion: openreports.OpenReportsVersion, APIResources: []metav1.APIResource{
			{Name: "reports", Namespaced: true, Kind: "Report"}, {Name: "clusterreports", Kind: "ClusterReport"},
		}}}
	}
	return fc
}

func (fc *fakeCluster) writer(namespaces ...string) *openreports.Writer {
	return &openreports.Writer{Dynamic: fc.dyn, Discovery: fc.disc, Namespaces: namespaces,
		Backoff: wait.Backoff{Steps: 4, Duration: time.Millisecond, Factor: 2}}
}

func (fc *fakeCluster) remaining(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, gvr := range []schema.GroupVersionResource{openreports.ClusterReportsGVR, openreports.ReportsGVR} {
		l, err := fc.dyn.Resource(gvr).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range l.Items {
			out = append(out, strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/"))
		}
	}
	return out
}

// desired: this scan's objects — ns-a, ns-gone, ns-denied and the cluster.
func desired() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range []*unstructured.Unstructured{reportObj("ClusterReport", "", "meshaudit", ours), reportObj("Report", "ns-a", "meshaudit", ours),
		reportObj("Report", "ns-gone", "meshaudit", ours), reportObj("Report", "ns-denied", "meshaudit", ours)} {
		u.SetUID("")
		out = append(out, u)
	}
	return out
}

// TestWrite: objects are applied server-side as meshaudit (a transient
// 503 retried); a namespace deleted since the scan is skipped; a refusal is
// not retried and is named in the error while every other object is still
// written; meshaudit's stale reports are deleted, another tool's are not.
func TestWrite(t *testing.T) {
	unavailable := apierrors.NewServiceUnavailable("etcd leader changed")
	fc := newFakeCluster(t, true, map[string]func(int) error{
		"Report ns-a/meshaudit": func(n int) error {
			if n <= 2 {
				return unavailable
			}
			return nil
		},
		"Report ns-gone/meshaudit": func(int) error { return apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "ns-gone") },
		"Report ns-denied/meshaudit": func(int) error {
			return apierrors.NewForbidden(schema.GroupResource{Group: "openreports.io", Resource: "reports"}, "meshaudit", errors.New("RBAC: no patch"))
		},
	})
	out, err := fc.writer().Write(context.Background(), desired())
	if err == nil || !strings.Contains(err.Error(), "apply Report ns-denied/meshaudit") || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("error %v, want it to name the refused Report ns-denied/meshaudit", err)
	}
	if strings.Contains(err.Error(), "ns-gone") || strings.Contains(err.Error(), "ns-a") {
		t.Errorf("error names more than the refusal: %v", err)
	}
	if fc.attempts["Report ns-a/meshaudit"] != 3 || fc.attempts["Report ns-denied/meshaudit"] != 1 || fc.attempts["Report ns-gone/meshaudit"] != 1 {
		t.Errorf("attempts %v: want the 503 retried (3), the refusal and the missing namespace not", fc.attempts)
	}
	if got := strings.Join(out.Applied, ","); got != "ClusterReport meshaudit,Report ns-a/meshaudit" {
		t.Errorf("applied %s", got)
	}
	if got := strings.Join(out.Skipped, ","); got != "Report ns-gone/meshaudit" {
		t.Errorf("skipped %s", got)
	}
	if got := strings.Join(out.Deleted, ","); got != "Report ns-a/meshaudit-2,Report ns-b/meshaudit,Report ns-c/meshaudit" {
		t.Errorf("deleted %s", got)
	}
	for k, m := range fc.patched {
		if m != openreports.FieldManager {
			t.Errorf("%s applied by %q", k, m)
		}
	}
	if got := strings.Join(fc.remaining(t), ","); got != "meshaudit,ns-a/kyverno-x,ns-a/meshaudit" {
		t.Errorf("left in the cluster: %s", got)
	}
	if !strings.Contains(out.String(), "2 report(s) applied, 3 stale deleted, 1 skipped") {
		t.Errorf("outcome %q", out)
	}
}

// TestWriteScoped: with -n ns-a, reports of other namespaces stay.
func TestWriteScoped(t *testing.T) {
	fc := newFakeCluster(t, true, nil)
	out, err := fc.writer("ns-a").Write(context.Background(), desired()[:2])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.Deleted, ","); got != "Report ns-a/meshaudit-2" {
		t.Errorf("deleted %s", got)
	}
}

// TestWriteGivesUp: a transient error that does not go away is retried
// Backoff.Steps times, then named with the number of attempts.
func TestWriteGivesUp(t *testing.T) {
	fc := newFakeCluster(t, true, map[string]func(int) error{
		"ClusterReport meshaudit": func(int) error { return apierrors.NewTooManyRequests("slow down", 0) },
	})
	_, err := fc.writer().Write(context.Background(), desired()[:1])
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempt(s)") || fc.attempts["ClusterReport meshaudit"] != 4 {
		t.Fatalf("err %v after %d attempts", err, fc.attempts["ClusterReport meshaudit"])
	}
}

// TestWriteNoCRDs: without the CRDs nothing is attempted and the error
// says to install them.
func TestWriteNoCRDs(t *testing.T) {
	fc := newFakeCluster(t, false, nil)
	_, err := fc.writer().Write(context.Background(), desired())
	if err == nil || !strings.Contains(err.Error(), "install the OpenReports CRDs") {
		t.Fatalf("err %v", err)
	}
	if len(fc.attempts) != 0 {
		t.Errorf("applied without CRDs: %v", fc.attempts)
	}
}

// TestWriteOnlyOpenReports: the writer refuses objects of another API.
func TestWriteOnlyOpenReports(t *testing.T) {
	fc := newFakeCluster(t, true, nil)
	pr, err := openreports.BuildPolicyReports(sample(), openreports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fc.writer().Write(context.Background(), pr); err == nil {
		t.Fatal("PolicyReports written")
	}
}

// TestTransient classifies errors.
func TestTransient(t *testing.T) {
	gr := schema.GroupResource{Group: "openreports.io", Resource: "reports"}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{apierrors.NewServiceUnavailable("x"), true},
		{apierrors.NewTooManyRequests("x", 1), true},
		{apierrors.NewInternalError(errors.New("x")), true},
		{apierrors.NewTimeoutError("x", 1), true},
		{apierrors.NewConflict(gr, "m", errors.New("x")), true},
		{fmt.Errorf("wrapped: %w", apierrors.NewServiceUnavailable("x")), true},
		{apierrors.NewInternalError(errors.New("etcdserver: request is too large")), false},
		{apierrors.NewRequestEntityTooLargeError("limit is 3145728"), false},
		{apierrors.NewForbidden(gr, "m", errors.New("x")), false},
		{apierrors.NewNotFound(gr, "m"), false},
		{apierrors.NewInvalid(schema.GroupKind{Group: "openreports.io", Kind: "Report"}, "m", nil), false},
		{apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "x", errors.New(string(corev1.NamespaceTerminatingCause))), false},
	} {
		if got := openreports.Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
