package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// The shared cluster has Istio's CRDs but no istiod. Istio's install also
// creates the sidecar injector's MutatingWebhookConfiguration, which a live
// scan judges (MESH-07: a live cluster without one fails). The tests stand
// one in: Istio's default-revision webhooks, failing closed, served by an
// in-process HTTPS endpoint that admits every pod unchanged (no sidecar is
// injected; no rule reads running containers' state).

// injector is the stand-in: its server and the applied object.
type injector struct {
	srv      *httptest.Server
	obj      *unstructured.Unstructured
	manifest string // the object as a YAML file, for file scans
}

func admitAll(w http.ResponseWriter, r *http.Request) {
	var review struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Request    struct {
			UID string `json:"uid"`
		} `json:"request"`
	}
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"response": map[string]any{"uid": review.Request.UID, "allowed": true},
	})
}

func sel(exprs ...map[string]any) map[string]any {
	l := make([]any, len(exprs))
	for i, e := range exprs {
		l[i] = e
	}
	return map[string]any{"matchExpressions": l}
}

func expr(key, op string, values ...string) map[string]any {
	e := map[string]any{"key": key, "operator": op}
	if len(values) > 0 {
		vs := make([]any, len(values))
		for i, v := range values {
			vs[i] = v
		}
		e["values"] = vs
	}
	return e
}

// injectorObject mirrors the istio-sidecar-injector configuration Istio's
// chart installs for the default revision.
func injectorObject(url string, caPEM []byte) *unstructured.Unstructured {
	hook := func(name string, ns, obj map[string]any) any {
		return map[string]any{
			"name":                    name,
			"clientConfig":            map[string]any{"url": url + "/inject", "caBundle": base64.StdEncoding.EncodeToString(caPEM)},
			"rules":                   []any{map[string]any{"operations": []any{"CREATE"}, "apiGroups": []any{""}, "apiVersions": []any{"v1"}, "resources": []any{"pods"}}},
			"failurePolicy":           "Fail",
			"sideEffects":             "None",
			"admissionReviewVersions": []any{"v1"},
			"timeoutSeconds":          int64(10),
			"reinvocationPolicy":      "Never",
			"namespaceSelector":       ns,
			"objectSelector":          obj,
		}
	}
	notFalse := expr("sidecar.istio.io/inject", "NotIn", "false")
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "admissionregistration.k8s.io/v1",
		"kind":       "MutatingWebhookConfiguration",
		"metadata": map[string]any{
			"name":   "istio-sidecar-injector-e2e", // not the fixtures' own name
			"labels": map[string]any{"app": "sidecar-injector", "istio.io/rev": "default"},
		},
		"webhooks": []any{
			hook("rev.namespace.sidecar-injector.istio.io",
				sel(expr("istio.io/rev", "In", "default"), expr("istio-injection", "DoesNotExist")),
				sel(notFalse)),
			hook("rev.object.sidecar-injector.istio.io",
				sel(expr("istio.io/rev", "DoesNotExist"), expr("istio-injection", "DoesNotExist")),
				sel(notFalse, expr("istio.io/rev", "In", "default"))),
			hook("namespace.sidecar-injector.istio.io",
				sel(expr("istio-injection", "In", "enabled")),
				sel(notFalse)),
			hook("object.sidecar-injector.istio.io",
				sel(expr("istio-injection", "DoesNotExist"), expr("istio.io/rev", "DoesNotExist")),
				sel(expr("sidecar.istio.io/inject", "In", "true"), expr("istio.io/rev", "DoesNotExist"))),
		},
	}}
}

// installInjector starts the endpoint and applies the webhook configuration
// (cluster admin, field manager meshaudit-e2e); it stays for the whole run.
func (c *cluster) installInjector() (*injector, error) {
	srv := httptest.NewTLSServer(http.HandlerFunc(admitAll))
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	obj := injectorObject(srv.URL, caPEM)
	gvr := schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations"}
	if _, err := c.dyn.Resource(gvr).Apply(context.Background(), obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
		srv.Close()
		return nil, fmt.Errorf("apply the sidecar injector stand-in: %w", err)
	}
	b, err := yaml.Marshal(obj.Object)
	if err != nil {
		srv.Close()
		return nil, err
	}
	path := filepath.Join(workDir, "istio-install", "injector.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		srv.Close()
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		srv.Close()
		return nil, err
	}
	return &injector{srv: srv, obj: obj, manifest: path}, nil
}

func (i *injector) close() {
	if i != nil {
		i.srv.Close()
	}
}
