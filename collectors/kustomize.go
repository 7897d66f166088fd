package collectors

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// originAnnotation is where kustomize records the file each resource came
// from (buildMetadata: [originAnnotations]).
const originAnnotation = "config.kubernetes.io/origin"

// kbuild is one kustomization built: its objects (each located in the file
// it came from), the files the build read, and whether it failed.
type kbuild struct {
	results []decoded
	read    map[string]bool // absolute paths
	failed  bool
}

// isComponent: the kustomization file declares kind: Component (built only
// through a kustomization that lists it).
func isComponent(kfile string) bool {
	b, err := os.ReadFile(kfile)
	if err != nil {
		return false
	}
	var k struct {
		Kind string `json:"kind"`
	}
	if yaml.Unmarshal(b, &k) != nil {
		return false
	}
	return k.Kind == types.ComponentKind
}

// buildKustomization builds directory d as `kubectl kustomize d` would
// (krusty, kubectl's defaults: load restrictions to the root, no plugins).
// Each object is located in the file it came from: the origin kustomize
// records when the root kustomization asks for originAnnotations, which
// the build's file system adds to it (and the collector then removes from
// every object).
func (r *fileReader) buildKustomization(d string) *kbuild {
	b := &kbuild{read: map[string]bool{}}
	kfile := kustomizationFile(d)
	fsys := &trackingFS{FileSystem: filesys.MakeFsOnDisk(), read: b.read, root: absPath(kfile)}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, d)
	kdisplay := r.display(kfile)
	if err != nil {
		b.failed = true
		b.results = []decoded{{file: kdisplay, err: "kustomize build: " + err.Error()}}
		return b
	}
	for _, res := range m.Resources() {
		file, line := kdisplay, 0
		origin, oerr := res.GetOrigin()
		if oerr == nil && origin != nil {
			file, line = r.originLocation(d, origin, res)
		}
		if err := dropOrigin(res); err != nil {
			b.results = append(b.results, decoded{file: file, line: line, err: "kustomize: " + err.Error()})
			continue
		}
		y, err := res.AsYAML()
		if err != nil {
			b.results = append(b.results, decoded{file: file, line: line, err: "kustomize: " + err.Error()})
			continue
		}
		for _, dd := range r.content(y) {
			dd.file = file
			dd.line = line
			dd.src = nil // lines of the built output are not the source's
			b.results = append(b.results, dd)
		}
	}
	if ps := r.buildPlaceholders(d, b.read); len(ps) > 0 {
		b.results = append(b.results, decoded{placeholders: ps})
	}
	return b
}

func dropOrigin(res *resource.Resource) error {
	ann := res.GetAnnotations()
	if _, ok := ann[originAnnotation]; !ok {
		return nil
	}
	delete(ann, originAnnotation)
	return res.SetAnnotations(ann)
}

// originLocation is the file (and line of the document) an object came
// from: the resource file, or the kustomization whose generator made it.
func (r *fileReader) originLocation(d string, o *resource.Origin, res *resource.Resource) (string, int) {
	switch {
	case o.Repo != "":
		return r.display(kustomizationFile(d)), 0
	case o.Path != "":
		p := filepath.Join(d, o.Path)
		return r.display(p), documentLine(p, res.GetKind(), res.GetName())
	case o.ConfiguredIn != "":
		return r.display(filepath.Join(d, o.ConfiguredIn)), 0
	}
	return r.display(kustomizationFile(d)), 0
}

// documentLine is the line of the document of a file defining kind with a
// name that the built name contains (kustomize adds prefixes, suffixes and
// hashes), or 0.
func documentLine(p, kind, name string) int {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	best := 0
	for _, d := range splitDocuments(b) {
		var h struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if yaml.Unmarshal(d.data, &h) != nil || h.Kind != kind {
			continue
		}
		if h.Metadata.Name == name {
			return d.line
		}
		if best == 0 && h.Metadata.Name != "" && strings.Contains(name, h.Metadata.Name) {
			best = d.line
		}
	}
	return best
}

// trackingFS is the disk as kustomize sees it, recording every file read
// and asking the root kustomization for origin annotations.
type trackingFS struct {
	filesys.FileSystem
	read map[string]bool
	root string // absolute path of the root kustomization file
}

func (t *trackingFS) ReadFile(p string) ([]byte, error) {
	b, err := t.FileSystem.ReadFile(p)
	if err != nil {
		return b, err
	}
	a := absPath(p)
	t.read[a] = true
	if a == t.root {
		return withOriginAnnotations(b)
	}
	return b, nil
}

func (t *trackingFS) Open(p string) (filesys.File, error) {
	f, err := t.FileSystem.Open(p)
	if err == nil {
		t.read[absPath(p)] = true
	}
	return f, err
}

// withOriginAnnotations adds originAnnotations to a kustomization's
// buildMetadata.
func withOriginAnnotations(b []byte) ([]byte, error) {
	var k map[string]any
	if err := yaml.Unmarshal(b, &k); err != nil || k == nil {
		return b, nil // kustomize reports it
	}
	bm, _ := k["buildMetadata"].([]any)
	for _, v := range bm {
		if v == types.OriginAnnotations {
			return b, nil
		}
	}
	k["buildMetadata"] = append(bm, types.OriginAnnotations)
	out, err := yaml.Marshal(k)
	if err != nil {
		return nil, fmt.Errorf("kustomization: %w", err)
	}
	return out, nil
}
