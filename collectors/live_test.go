package collectors

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/meshaudit/meshaudit/snapshot"
)

// TestPaginateRestartsOnExpiredToken: a 410 on a continue token restarts the
// list; nothing of the abandoned pass is kept.
func TestPaginateRestartsOnExpiredToken(t *testing.T) {
	calls := 0
	gone := apierrors.NewResourceExpired("continue token expired")
	page := func(cont string) ([]snapshot.Object, string, error) {
		calls++
		switch {
		case cont == "":
			return []snapshot.Object{{Name: "a"}}, "t1", nil
		case cont == "t1" && calls < 4:
			return nil, "", gone
		default:
			return []snapshot.Object{{Name: "b"}}, "", nil
		}
	}
	opts := LiveOptions{}
	opts.defaults()
	out, err := paginate(context.Background(), opts, "", page)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Name != "a" || out[1].Name != "b" {
		t.Fatalf("got %+v", out)
	}
	// Always expired: bounded restarts, then an error.
	_, err = paginate(context.Background(), opts, "", func(cont string) ([]snapshot.Object, string, error) {
		if cont == "" {
			return nil, "t", nil
		}
		return nil, "", gone
	})
	if err == nil || !apierrors.IsResourceExpired(errors.Unwrap(err)) {
		t.Fatalf("want expiry error, got %v", err)
	}
	// Forbidden is not retried.
	n := 0
	_, err = paginate(context.Background(), opts, "", func(string) ([]snapshot.Object, string, error) {
		n++
		return nil, "", apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
	})
	if n != 1 || !apierrors.IsForbidden(err) {
		t.Fatalf("forbidden retried %d times: %v", n, err)
	}
}

// TestLiveIstioValidity: Istio objects listed from a cluster are decoded
// through the same API types as files; an unknown field is a validity
// notice naming the object and field (no file: it came from the API).
func TestLiveIstioValidity(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"}
	pa := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
		"metadata": map[string]any{"name": "default", "namespace": "shop"},
		"spec":     map[string]any{"mtls": map[string]any{"mode": "STRICT"}, "portLevelMTLS": map[string]any{"8080": map[string]any{"mode": "DISABLE"}}},
	}}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{gvr: "PeerAuthenticationList"}, pa)
	opts := LiveOptions{}
	opts.defaults()
	opts.notices = &noticeSink{}
	k := KindSpec{Group: "security.istio.io", Versions: []string{"v1"}, Resource: "peerauthentications", Kind: "PeerAuthentication", Namespaced: true}
	objs, err := listAll(context.Background(), &Clients{Dynamic: dyn}, gvr, k, opts)
	if err != nil || len(objs) != 1 {
		t.Fatalf("objects %+v, %v", objs, err)
	}
	n := opts.notices.list
	if len(n) != 1 || n[0].Object != "PeerAuthentication/shop/default" || n[0].Field != "spec.portLevelMTLS" || !strings.Contains(n[0].Message, `did you mean "portLevelMtls"`) || n[0].File != "" {
		t.Errorf("notices: %+v", n)
	}
}
