// Package deploy_test keeps the Helm chart in deploy/helm/meshaudit honest:
// its ClusterRole is generated from the collector's kind list, the plain
// manifests in deploy/manifests are the chart rendered with default values,
// and the rendered chart passes meshaudit's own rules.
package deploy_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartutil "helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

const (
	chartDir         = "helm/meshaudit"
	releaseName      = "meshaudit"
	releaseNamespace = "meshaudit"
	manifestsFile    = "manifests/meshaudit.yaml"
)

func update() bool { return os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" }

// render is `helm template meshaudit deploy/helm/meshaudit --namespace
// meshaudit [--set ...]` through Helm's Go SDK (v4): the chart's values merged
// with overrides, templates rendered, manifests in Helm's install order,
// each headed by its "# Source:" comment.
func render(t *testing.T, overrides map[string]any) string {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	if err := ch.Validate(); err != nil {
		t.Fatalf("chart: %v", err)
	}
	if overrides == nil {
		overrides = map[string]any{}
	}
	caps := common.DefaultCapabilities.Copy()
	vals, err := chartutil.ToRenderValues(ch, overrides, common.ReleaseOptions{
		Name: releaseName, Namespace: releaseNamespace, Revision: 1, IsInstall: true,
	}, caps)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") || strings.HasPrefix(filepath.Base(name), "_") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, caps.APIVersions, releaseutil.InstallOrder)
	if err != nil {
		t.Fatalf("sort manifests: %v", err)
	}
	if len(hooks) != 0 {
		t.Fatalf("the chart has hooks: %d", len(hooks))
	}
	var b strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, strings.TrimSpace(m.Content))
	}
	return b.String()
}

// object is a rendered manifest, decoded.
type object struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	raw        map[string]any
}

func (o object) name() string { s, _ := o.Metadata["name"].(string); return s }

// decode splits a rendered stream into objects; every document must parse.
func decode(t *testing.T, stream string) []object {
	t.Helper()
	var out []object
	for _, doc := range strings.Split(stream, "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, doc)
		}
		if m == nil {
			continue
		}
		var o object
		b, _ := yaml.Marshal(m)
		if err := yaml.Unmarshal(b, &o); err != nil {
			t.Fatal(err)
		}
		o.raw = m
		out = append(out, o)
	}
	return out
}

func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && (name == "" || o.name() == name) {
			return o
		}
	}
	t.Fatalf("no %s %s rendered", kind, name)
	return object{}
}

// get walks a decoded object: keys for maps, ints for lists.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

const manifestsHeader = `# The Helm chart deploy/helm/meshaudit rendered with its default values
# (release "meshaudit", namespace "meshaudit"), for clusters without Helm:
#   kubectl create namespace meshaudit
#   kubectl label namespace meshaudit istio-injection=enabled
#   kubectl apply --server-side -f deploy/crds/   # OpenReports CRDs (reports.enabled)
#   kubectl apply -f deploy/manifests/meshaudit.yaml
# Generated: do not edit. Refresh with MESHAUDIT_UPDATE_GOLDEN=1 go test ./deploy/
`

// TestManifestsUpToDate: deploy/manifests is the chart rendered with its
// default values, byte for byte.
func TestManifestsUpToDate(t *testing.T) {
	want := manifestsHeader + render(t, nil)
	if update() {
		if err := os.MkdirAll(filepath.Dir(manifestsFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(manifestsFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(manifestsFile)
	if err != nil {
		t.Fatalf("%v (generate it: MESHAUDIT_UPDATE_GOLDEN=1 go test ./deploy/)", err)
	}
	if !bytes.Equal(got, []byte(want)) {
		t.Fatalf("deploy/%s is stale: MESHAUDIT_UPDATE_GOLDEN=1 go test ./deploy/", manifestsFile)
	}
}
