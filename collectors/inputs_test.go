package collectors

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/snapshot"
)

const mixed = "../testdata/repos/mixed"

func collectMixed(t *testing.T, opts FileOptions) *snapshot.Snapshot {
	t.Helper()
	wd, _ := filepath.Abs(mixed)
	opts.Paths = []string{wd}
	opts.Namespace, opts.Cluster, opts.RootNamespace, opts.WorkDir = "default", "c", "istio-system", wd
	return FromFiles(opts)
}

func noticesOf(s *snapshot.Snapshot, kind string) map[string]snapshot.Notice {
	out := map[string]snapshot.Notice{}
	for _, n := range s.Notices {
		if n.Kind == kind {
			out[n.File] = n
		}
	}
	return out
}

// TestMixedRepository: a repository tree with a chart (and a subchart), a
// kustomize base, overlay and unused component, plain manifests, CI files
// and Istio install config: every Kubernetes object is read from where it
// is defined, the rest is skipped with one notice each, nothing is a parse
// error.
func TestMixedRepository(t *testing.T) {
	s := collectMixed(t, FileOptions{})
	if len(s.ParseErrors) != 0 {
		t.Fatalf("parse errors: %+v", s.ParseErrors)
	}
	want := map[string]string{
		"Deployment/default/web":                     "charts/web/templates/deployment.yaml:1",
		"Service/default/web":                        "charts/web/templates/service.yaml:1",
		"StatefulSet/default/web-cache":              "charts/web/charts/cache/templates/statefulset.yaml:1",
		"Deployment/shop/prod-api":                   "kustomize/base/deployment.yaml:1",
		"Namespace/shop":                             "kustomize/overlays/prod/namespace.yaml:1",
		"ConfigMap/shop/settings":                    "manifests/configmap.yaml:1",
		"IstioOperator/istio-system/installed-state": "istio/operator.yaml:2",
		"PeerAuthentication/shop/default":            "istio/peer-authentication.yaml:1",
		"VirtualService/shop/reviews":                "istio/reviews-v2.yaml:1",
	}
	var got []string
	for _, o := range s.Objects {
		got = append(got, o.Ref().FQN())
		if loc, ok := want[o.Ref().FQN()]; ok && o.File+":"+itoa(o.Line) != loc {
			t.Errorf("%s at %s:%d, want %s", o.Ref().FQN(), o.File, o.Line, loc)
		}
	}
	sort.Strings(got)
	if len(got) != len(want) {
		t.Errorf("objects %v, want %d: %v", got, len(want), want)
	}
	// The overlay's patch applied; the base built only through it.
	if d := find(s, "Deployment/shop/prod-api"); d == nil || d.Object["spec"].(map[string]any)["replicas"] != jsonNumber("3") {
		t.Errorf("overlay not applied: %+v", d)
	}
	if _, ok := find(s, "Deployment/shop/prod-api").Object["metadata"].(map[string]any)["annotations"]; ok {
		t.Error("kustomize's origin annotation left on the object")
	}
	skipped := noticesOf(s, snapshot.NoticeSkipped)
	for f, what := range map[string]string{
		".github/workflows/ci.yaml":                     "a CI workflow",
		"docker-compose.yaml":                           "a docker-compose file",
		"api/openapi.yaml":                              "an OpenAPI document",
		"istio/istiod-values.yaml":                      "YAML without apiVersion and kind",
		"kustomize/components/debug/debug.yaml":         "kustomize Component kustomize/components/debug",
		"kustomize/components/debug/kustomization.yaml": "kustomize Component",
	} {
		if n, ok := skipped[f]; !ok || !strings.Contains(n.Message, what) {
			t.Errorf("%s: notice %+v, want it skipped as %q", f, n, what)
		}
	}
	if len(skipped) != 6 {
		t.Errorf("skipped: %+v", skipped)
	}
	dup := noticesOf(s, snapshot.NoticeDuplicate)["istio/reviews-v2.yaml"]
	if !strings.Contains(dup.Message, "istio/reviews-v1.yaml:2") || dup.Object != "VirtualService/shop/reviews" {
		t.Errorf("duplicate notice: %+v", s.Notices)
	}
	val := noticesOf(s, snapshot.NoticeValidity)["istio/peer-authentication.yaml"]
	if val.Line != 7 || val.Field != "spec.mtsl" || !strings.Contains(val.Message, `did you mean "mtls"`) {
		t.Errorf("validity notice: %+v", s.Notices)
	}
}

func jsonNumber(s string) any { return json.Number(s) }

// TestHelmOptions: release name, --values and --set reach the templates;
// the namespace flag is the release namespace.
func TestHelmOptions(t *testing.T) {
	dir := t.TempDir()
	vals := write(t, dir, "prod.yaml", "replicas: 5\ncache: {enabled: false}\n")
	s := collectMixed(t, FileOptions{Helm: HelmOptions{ReleaseName: "shop", Namespace: "front", ValueFiles: []string{vals}, Set: []string{"image=registry.example.com/web:2.0"}}})
	d := find(s, "Deployment/front/shop")
	if d == nil {
		t.Fatalf("no Deployment/front/shop: %v", s.Objects)
	}
	spec := d.Object["spec"].(map[string]any)
	if spec["replicas"] != jsonNumber("5") {
		t.Errorf("--values not applied: replicas %v", spec["replicas"])
	}
	c := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if c["image"] != "registry.example.com/web:2.0" {
		t.Errorf("--set not applied: %v", c["image"])
	}
	if find(s, "StatefulSet/front/shop-cache") != nil {
		t.Error("the subchart's condition (cache.enabled=false) was not honoured")
	}
}

// TestBrokenChartAndKustomization: a template that fails to render is one
// parse error naming the template and line; a kustomization that fails
// to build is one naming it; the rest of the tree is still read, and the
// broken directories' files are not read as manifests on their own.
func TestBrokenChartAndKustomization(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "chart/Chart.yaml", "apiVersion: v2\nname: broken\nversion: 0.1.0\n")
	write(t, dir, "chart/templates/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n")
	write(t, dir, "chart/templates/bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ required \"name is required\" .Values.name }}\n")
	write(t, dir, "k/kustomization.yaml", "resources: [missing.yaml]\n")
	write(t, dir, "k/patch.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: p}\n")
	write(t, dir, "plain.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n")
	s := collect(t, dir, dir)
	if len(s.Objects) != 1 || s.Objects[0].Name != "plain" {
		t.Errorf("objects: %+v", s.Objects)
	}
	errs := map[string]snapshot.ParseError{}
	for _, pe := range s.ParseErrors {
		errs[pe.File] = pe
	}
	if pe := errs["chart/templates/bad.yaml"]; pe.Line != 4 || !strings.Contains(pe.Reason, "name is required") {
		t.Errorf("chart error: %+v", s.ParseErrors)
	}
	if pe := errs["k/kustomization.yaml"]; !strings.Contains(pe.Reason, "kustomize build") || !strings.Contains(pe.Reason, "missing.yaml") {
		t.Errorf("kustomize error: %+v", s.ParseErrors)
	}
	if len(s.ParseErrors) != 2 {
		t.Errorf("parse errors: %+v", s.ParseErrors)
	}
}

// TestNonKubernetesYAML: what holds no Kubernetes object is skipped with
// one notice per file; broken YAML in a Kubernetes-looking file stays a
// parse error; tool configuration (kind, skaffold...) is not an object.
func TestNonKubernetesYAML(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "values.yaml", "replicas: 2\nimage: {repository: x}\n---\nmore: values\n")
	write(t, dir, "broken-template.yaml", "name: {{ .Values.name }\nfoo: [\n")
	write(t, dir, "broken-manifest.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [\n")
	write(t, dir, "kind-cluster.yaml", "apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\nnodes: [{role: control-plane}]\n")
	write(t, dir, "package.json", `{"name": "app", "version": "1.0.0"}`)
	write(t, dir, "schema.json", `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}}}`)
	write(t, dir, "mixed.yaml", "apiVersion: skaffold/v4beta11\nkind: Config\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
	s := collect(t, dir, dir)
	if len(s.Objects) != 1 || s.Objects[0].Name != "cm" {
		t.Errorf("objects: %+v", s.Objects)
	}
	if len(s.ParseErrors) != 1 || s.ParseErrors[0].File != "broken-manifest.yaml" || s.ParseErrors[0].Line != 4 {
		t.Errorf("parse errors: %+v", s.ParseErrors)
	}
	sk := noticesOf(s, snapshot.NoticeSkipped)
	for f, what := range map[string]string{
		"values.yaml":          "without apiVersion and kind",
		"broken-template.yaml": "no apiVersion or kind",
		"kind-cluster.yaml":    "configuration of kind.x-k8s.io (Cluster)",
		"package.json":         "without apiVersion and kind",
		"schema.json":          "without apiVersion and kind",
		"mixed.yaml":           "configuration of skaffold (Config)",
	} {
		if !strings.Contains(sk[f].Message, what) {
			t.Errorf("%s: %+v, want skipped as %q", f, sk[f], what)
		}
	}
	if len(s.Notices) != 6 {
		t.Errorf("one notice per file: %+v", s.Notices)
	}
}

func TestExclude(t *testing.T) {
	for _, c := range []struct {
		glob, path string
		want       bool
	}{
		{"testdata", "a/testdata", true},
		{"testdata", "a/testdata/x.yaml", false}, // the directory is not entered
		{"*.tmpl.yaml", "deploy/x.tmpl.yaml", true},
		{"deploy/legacy/**", "deploy/legacy/a/b.yaml", true},
		{"deploy/legacy/**", "deploy/new/a.yaml", false},
		{"**/ci/*.yaml", "x/y/ci/a.yaml", true},
		{"**/ci/*.yaml", "ci/a.yaml", true},
		{"ci/*.yaml", "x/ci/a.yaml", false},
		{"[ab].yaml", "dir/a.yaml", true},
		{"[!ab].yaml", "dir/a.yaml", false},
	} {
		e, err := NewExcluder([]string{c.glob})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := e.Excluded(c.path); got != c.want {
			t.Errorf("%q on %q: %v, want %v", c.glob, c.path, got, c.want)
		}
	}
	if _, err := NewExcluder([]string{"[a"}); err == nil {
		t.Error("a malformed glob was accepted")
	}
	s := collectMixed(t, FileOptions{Exclude: mustExclude(t, "charts", "kustomize/**", ".github", "*.md")})
	for _, o := range s.Objects {
		if strings.HasPrefix(o.File, "charts/") || strings.HasPrefix(o.File, "kustomize/") {
			t.Errorf("excluded input read: %s", o.File)
		}
	}
	if find(s, "ConfigMap/shop/settings") == nil {
		t.Error("a path not excluded was not read")
	}
	if _, ok := noticesOf(s, snapshot.NoticeSkipped)[".github/workflows/ci.yaml"]; ok {
		t.Error("an excluded file got a notice")
	}
}

func mustExclude(t *testing.T, globs ...string) *Excluder {
	e, err := NewExcluder(globs)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestKustomizationFileAlone: -f on a kustomization file builds its
// directory; -f on Chart.yaml renders the chart.
func TestKustomizationFileAlone(t *testing.T) {
	wd, _ := filepath.Abs(mixed)
	s := FromFiles(FileOptions{Paths: []string{filepath.Join(wd, "kustomize/overlays/prod/kustomization.yaml"), filepath.Join(wd, "charts/web/Chart.yaml")}, Namespace: "default", WorkDir: wd})
	if len(s.ParseErrors) != 0 || find(s, "Deployment/shop/prod-api") == nil || find(s, "Deployment/default/web") == nil {
		t.Errorf("objects %v, errors %v", s.Objects, s.ParseErrors)
	}
}

// TestMeshConfigSources: --mesh-config and --istio-values become
// cluster-scoped objects holding their file in spec, located in it.
func TestMeshConfigSources(t *testing.T) {
	dir := t.TempDir()
	mc := write(t, dir, "mesh.yaml", "# mesh\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n")
	vals := write(t, dir, "istiod.yaml", "revision: canary\nmeshConfig: {accessLogFile: /dev/stdout}\npilot: {env: {TOKEN: "+canary+"}}\n")
	bad := write(t, dir, "bad.yaml", "- a list\n")
	s := FromFiles(FileOptions{MeshConfigFile: mc, IstioValues: []string{vals, bad}, WorkDir: dir, RootNamespace: "istio-system"})
	m := find(s, "MeshConfig/mesh-config")
	if m == nil || m.File != "mesh.yaml" || m.Line != 2 || m.Object["spec"].(map[string]any)["outboundTrafficPolicy"] == nil {
		t.Errorf("mesh config: %+v", m)
	}
	v := find(s, "IstiodValues/istiod-values-istiod.yaml")
	if v == nil || v.Object["spec"].(map[string]any)["revision"] != "canary" || v.Object["spec"].(map[string]any)["pilot"] != nil {
		t.Errorf("istiod values: %+v", s.Objects)
	}
	if len(s.ParseErrors) != 1 || s.ParseErrors[0].File != "bad.yaml" {
		t.Errorf("parse errors: %+v", s.ParseErrors)
	}
	// An IstioOperator without a name is named as istioctl records it.
	write(t, dir, "iop.yaml", "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec: {revision: blue}\n")
	s = collect(t, dir, filepath.Join(dir, "iop.yaml"))
	if find(s, "IstioOperator/istio-system/installed-state-blue") == nil {
		t.Errorf("objects: %+v %+v", s.Objects, s.ParseErrors)
	}
}
