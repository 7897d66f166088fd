package collectors

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/meshaudit/meshaudit/snapshot"
)

// writeTree writes files (path relative to a new directory: content).
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		write(t, dir, p, body)
	}
	return dir
}

const skaffoldYAML = `apiVersion: skaffold/v4beta6
kind: Config
metadata:
  name: app
build:
  artifacts:
  - image: emailservice
    context: src/emailservice
  - image: gcr.io/example/frontend
    context: src/frontend
  - context: src/nameless
profiles:
- name: gcb
  build:
    artifacts:
    - image: loadgenerator
      context: src/loadgenerator
---
apiVersion: skaffold/v4beta6
kind: Config
metadata:
  name: loadgenerator
requires:
- configs: [app]
build:
  artifacts:
  - image: loadgenerator
    context: src/loadgenerator
`

// TestImagePlaceholders: skaffold artifacts (every Config document and
// profile) and the images a kustomize images: transformer leaves untagged
// (in the overlay built and in the base it reads) are collected with the
// file, line and field that declare them; entries that set a tag or a
// digest pin the image in the build and are not placeholders. The skaffold
// file is still skipped as not manifests, and the snapshot keeps the
// placeholders through Write and Read.
func TestImagePlaceholders(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"skaffold.yaml": skaffoldYAML,
		"kubernetes-manifests/emailservice.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: emailservice
spec:
  selector:
    matchLabels: {app: emailservice}
  template:
    metadata:
      labels: {app: emailservice}
    spec:
      containers:
      - name: server
        image: emailservice
`,
		"deploy/base/kustomization.yaml": `resources:
- deployment.yaml
images:
- name: cart
  newName: registry.example.com/shop/cart
`,
		"deploy/base/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
      - name: cart
        image: cart
      - name: web
        image: web
      - name: pinned
        image: pinned
`,
		"deploy/prod/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
- ../base
images:
- name: web
- name: pinned
  newTag: 1.2.3
- name: digest
  digest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`,
	})
	s := FromFiles(FileOptions{Paths: []string{dir}, WorkDir: dir, Namespace: "default", Cluster: "c", RootNamespace: "istio-system"})
	if len(s.ParseErrors) != 0 {
		t.Fatalf("parse errors: %+v", s.ParseErrors)
	}
	want := []snapshot.ImagePlaceholder{
		{Image: "emailservice", Tool: "skaffold", File: "skaffold.yaml", Line: 7, Field: "build.artifacts[0].image"},
		{Image: "gcr.io/example/frontend", Tool: "skaffold", File: "skaffold.yaml", Line: 9, Field: "build.artifacts[1].image"},
		{Image: "loadgenerator", Tool: "skaffold", File: "skaffold.yaml", Line: 16, Field: "profiles[0].build.artifacts[0].image"},
		{Image: "loadgenerator", Tool: "skaffold", File: "skaffold.yaml", Line: 27, Field: "build.artifacts[0].image"},
		{Image: "registry.example.com/shop/cart", Tool: "kustomize", File: "deploy/base/kustomization.yaml", Line: 5, Field: "images[0].newName"},
		{Image: "web", Tool: "kustomize", File: "deploy/prod/kustomization.yaml", Line: 7, Field: "images[0].name"},
	}
	if !reflect.DeepEqual(s.ImagePlaceholders, want) {
		t.Errorf("placeholders:\n got %+v\nwant %+v", s.ImagePlaceholders, want)
	}
	// The build rewrote cart (newName, no tag: still untagged) and pinned.
	images := map[string]bool{}
	for _, o := range s.Objects {
		if o.Kind != "Deployment" || o.Name != "cart" {
			continue
		}
		spec := o.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
		for _, c := range spec["containers"].([]any) {
			images[c.(map[string]any)["image"].(string)] = true
		}
	}
	if !reflect.DeepEqual(images, map[string]bool{"registry.example.com/shop/cart": true, "web": true, "pinned:1.2.3": true}) {
		t.Errorf("built images: %v", images)
	}
	if n := noticesOf(s, snapshot.NoticeSkipped)["skaffold.yaml"]; n.Kind == "" {
		t.Errorf("skaffold.yaml is not skipped as manifests: %+v", s.Notices)
	}
	var buf bytes.Buffer
	if err := s.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := snapshot.Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.ImagePlaceholders, want) {
		t.Errorf("after Write and Read: %+v", back.ImagePlaceholders)
	}
}

// TestNoPlaceholdersWithoutBuildTools: plain manifests and a kustomization
// without images: declare none, and a skaffold document of another kind
// (or a file that only mentions skaffold) declares none.
func TestNoPlaceholdersWithoutBuildTools(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"k/kustomization.yaml": "resources: [cm.yaml]\n",
		"k/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
		"other.yaml":           "apiVersion: skaffold/v4beta6\nkind: Other\nbuild:\n  artifacts:\n  - image: x\n",
	})
	s := FromFiles(FileOptions{Paths: []string{dir}, WorkDir: dir, Namespace: "default", Cluster: "c", RootNamespace: "istio-system"})
	if len(s.ImagePlaceholders) != 0 || len(s.ParseErrors) != 0 {
		t.Errorf("placeholders %+v, parse errors %+v", s.ImagePlaceholders, s.ParseErrors)
	}
}
