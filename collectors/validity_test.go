package collectors

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/snapshot"
)

// TestEveryIstioKindIsTyped: every Istio kind and version the live
// collector reads, and every other kind of Istio's API groups, decodes
// through an istio.io/client-go API type.
func TestEveryIstioKindIsTyped(t *testing.T) {
	for _, k := range LiveKinds {
		if !snapshot.IstioKind(k.Key()) {
			continue
		}
		for _, v := range k.Versions {
			if istioSpec(k.Group+"/"+v, k.Kind) == nil {
				t.Errorf("%s/%s %s: no API type", k.Group, v, k.Kind)
			}
		}
	}
	for _, gvk := range [][2]string{
		{"networking.istio.io/v1", "WorkloadGroup"}, {"networking.istio.io/v1beta1", "ProxyConfig"},
		{"extensions.istio.io/v1alpha1", "WasmPlugin"}, {"telemetry.istio.io/v1", "Telemetry"},
	} {
		if istioSpec(gvk[0], gvk[1]) == nil {
			t.Errorf("%v: no API type", gvk)
		}
	}
	if istioSpec("apps/v1", "Deployment") != nil || istioSpec("networking.istio.io/v1", "Nope") != nil {
		t.Error("a type for a kind that is not Istio's")
	}
}

// TestValidityNotices: what istioctl validate or the API server would
// reject is one validity notice per problem, naming file, line and field;
// the object is still read.
func TestValidityNotices(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "v.yaml", `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: pa}
spec:
  mtls:
    mode: STRCT
  portLevelMtls:
    "8080": {mode: DISABLE}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [a]
  http:
    - route:
        - destination: {host: a}
          weight: "heavy"
      timeout: 5s
      retries: {attempts: 3, perTryTimout: 1s}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se}
spec:
  hosts: [x.example.com]
  resolution: DNS
  ports: [{number: 443, name: https, protocol: HTTPS}]
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: d}
    spec:
      selector: {matchLabels: {app: d}}
      template:
        metadata: {labels: {app: other}}
        spec:
          containers:
            - name: c
            - image: x:1
  - apiVersion: v1
    kind: Service
    metadata: {name: s}
    spec: {selector: {app: d}}
  - apiVersion: v1
    kind: Service
    metadata: {name: headless}
    spec: {clusterIP: None, selector: {app: d}}
`)
	s := collect(t, dir, dir)
	if len(s.Objects) != 6 || len(s.ParseErrors) != 0 {
		t.Fatalf("objects %d, errors %+v", len(s.Objects), s.ParseErrors)
	}
	type key struct{ object, field string }
	got := map[key]snapshot.Notice{}
	for _, n := range s.Notices {
		if n.Kind != snapshot.NoticeValidity || n.File != "v.yaml" {
			t.Errorf("notice %+v", n)
		}
		got[key{n.Object, n.Field}] = n
	}
	want := map[key]struct {
		line int
		msg  string
	}{
		{"PeerAuthentication/defns/pa", "spec.mtls.mode"}:                {6, `invalid value "STRCT" for Mode; valid: UNSET, DISABLE, PERMISSIVE, STRICT`},
		{"VirtualService/defns/vs", "spec.http[0].route[0].weight"}:      {18, `want a number, found "heavy"`},
		{"VirtualService/defns/vs", "spec.http[0].retries.perTryTimout"}: {20, `unknown field "perTryTimout" in istio.networking.v1alpha3.HTTPRetry (did you mean "perTryTimeout"?)`},
		{"Deployment/defns/d", "spec.selector.matchLabels.app"}:          {37, "does not match the pod template's labels"},
		{"Deployment/defns/d", "spec.template.spec.containers[0].image"}: {42, `container "c" has no image`},
		{"Deployment/defns/d", "spec.template.spec.containers[1].name"}:  {43, "a container without a name"},
		{"Service/defns/s", "spec.ports"}:                                {47, "a Service without ports"},
	}
	for k, w := range want {
		n, ok := got[k]
		if !ok {
			t.Errorf("no notice for %v; got %+v", k, s.Notices)
			continue
		}
		if n.Line != w.line || !strings.Contains(n.Message, w.msg) {
			t.Errorf("%v: line %d %q, want line %d %q", k, n.Line, n.Message, w.line, w.msg)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d notices, want %d: %+v", len(got), len(want), s.Notices)
	}
	// Still judged on what could be read.
	if pa := find(s, "PeerAuthentication/defns/pa"); pa == nil || pa.Object["spec"].(map[string]any)["mtls"].(map[string]any)["mode"] != "STRCT" {
		t.Errorf("object not kept as read: %+v", pa)
	}
}

// TestValidateIstioLive: numbers as the live client decodes them (int64,
// float64) are numbers; a oneof set twice is an issue.
func TestValidateIstioLive(t *testing.T) {
	obj := map[string]any{"spec": map[string]any{
		"hosts": []any{"a"},
		"http":  []any{map[string]any{"route": []any{map[string]any{"destination": map[string]any{"host": "a", "port": map[string]any{"number": int64(80)}}, "weight": float64(100)}}}},
	}}
	if is, known := validateIstio("networking.istio.io/v1", "VirtualService", obj); !known || len(is) != 0 {
		t.Errorf("issues %+v known %v", is, known)
	}
	sidecar := map[string]any{"spec": map[string]any{"outboundTrafficPolicy": map[string]any{"mode": int64(7)}}}
	if is, _ := validateIstio("networking.istio.io/v1", "Sidecar", sidecar); len(is) != 1 || !strings.Contains(is[0].msg, "invalid value 7") {
		t.Errorf("enum number: %+v", is)
	}
	ap := map[string]any{"spec": map[string]any{"action": "CUSTOM", "provider": map[string]any{"name": "p"}, "selector": map[string]any{"matchLabels": map[string]any{"a": "b"}}, "targetRef": map[string]any{"kind": "Gateway", "name": "g"}}}
	if is, _ := validateIstio("security.istio.io/v1", "AuthorizationPolicy", ap); len(is) != 0 {
		t.Errorf("valid AuthorizationPolicy: %+v", is)
	}
	if editDistance("mtsl", "mtls") != 1 || editDistance("abc", "abc") != 0 || editDistance("kitten", "sitting") != 3 {
		t.Error("edit distance")
	}
}

// TestMeshConfigValidity: every mesh config source is checked against
// Istio's MeshConfig type: a misspelled setting would be Istio's default.
func TestMeshConfigValidity(t *testing.T) {
	dir := t.TempDir()
	mc := write(t, dir, "mesh.yaml", "accessLogFile: /dev/stdout\noutboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n  moed: X\n")
	write(t, dir, "m/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    enableAutoMtls: maybe\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: app}\ndata: {mesh: \"nonsense: 1\"}\n")
	write(t, dir, "m/iop.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  meshConfig:\n    outboundTrafficPolicy: {mode: REGISTRY_ONLI}\n  values:\n    meshConfig: {accesLogFile: /x}\n")
	s := FromFiles(FileOptions{Paths: []string{filepath.Join(dir, "m")}, MeshConfigFile: mc, WorkDir: dir, RootNamespace: "istio-system", Namespace: "default"})
	got := map[string]snapshot.Notice{}
	for _, n := range s.Notices {
		got[n.File+" "+n.Field] = n
	}
	for k, w := range map[string]struct {
		line int
		msg  string
	}{
		"mesh.yaml spec.outboundTrafficPolicy.moed":             {4, `unknown field "moed"`},
		"m/cm.yaml data.mesh.enableAutoMtls":                    {5, "want a boolean"},
		"m/iop.yaml spec.meshConfig.outboundTrafficPolicy.mode": {5, `invalid value "REGISTRY_ONLI"`},
		"m/iop.yaml spec.values.meshConfig.accesLogFile":        {7, `did you mean "accessLogFile"`},
	} {
		n, ok := got[k]
		if !ok || n.Line != w.line || !strings.Contains(n.Message, w.msg) {
			t.Errorf("%s: %+v, want line %d %q", k, n, w.line, w.msg)
		}
	}
	if len(s.Notices) != 4 {
		t.Errorf("notices (a ConfigMap outside the root namespace is not mesh config): %+v", s.Notices)
	}
}
