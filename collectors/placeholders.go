package collectors

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Build tools name the images they build, and fill in the real reference
// (registry, tag, digest) when they deploy: the manifests of a repository
// that skaffold deploys say `image: paymentservice`. Those names are
// collected as snapshot.ImagePlaceholders, located in the file and line
// that declare them, so that POD-11 does not judge such a reference as
// pulling "latest" and says which placeholder it recognised.

// skaffoldPlaceholders are the image names a skaffold configuration
// builds: build.artifacts[].image and profiles[].build.artifacts[].image of
// every `kind: Config` document (skaffold.yaml holds one per module).
// file is the file's display path.
func skaffoldPlaceholders(file string, docs []decoded) []snapshot.ImagePlaceholder {
	var out []snapshot.ImagePlaceholder
	for _, d := range docs {
		if d.obj == nil {
			continue
		}
		api, _ := d.obj["apiVersion"].(string)
		kind, _ := d.obj["kind"].(string)
		if toolConfig(api) != "skaffold" || kind != "Config" {
			continue
		}
		add := func(build any, prefix string) {
			b, _ := build.(map[string]any)
			arts, _ := b["artifacts"].([]any)
			for i, a := range arts {
				m, _ := a.(map[string]any)
				img, _ := m["image"].(string)
				if img = strings.TrimSpace(img); img == "" {
					continue
				}
				field := fmt.Sprintf("%sbuild.artifacts[%d].image", prefix, i)
				out = append(out, snapshot.ImagePlaceholder{Image: img, Tool: snapshot.ToolSkaffold, File: file, Line: placeholderLine(d, field), Field: field})
			}
		}
		add(d.obj["build"], "")
		profiles, _ := d.obj["profiles"].([]any)
		for i, p := range profiles {
			m, _ := p.(map[string]any)
			add(m["build"], fmt.Sprintf("profiles[%d].", i))
		}
	}
	return out
}

func placeholderLine(d decoded, field string) int {
	if d.src == nil {
		return d.line
	}
	if l := fieldLine(d.src.data, d.src.first, field); l > 0 {
		return l
	}
	return d.line
}

// kustomizeImage is one entry of a kustomization's images: transformer.
type kustomizeImage struct {
	Name    string `json:"name"`
	NewName string `json:"newName"`
	NewTag  string `json:"newTag"`
	Digest  string `json:"digest"`
}

// kustomizePlaceholders are the images that the images: transformer of a
// kustomization file leaves without a tag: an entry that sets neither
// newTag nor digest names an image whose tag the deploy pipeline sets
// (`kustomize edit set image NAME=...:TAG`, image automation); after the
// build an untagged reference to it reads newName, else name. An entry that
// sets a tag or digest pins the image in the build itself: what it writes
// is judged as it is, and is no placeholder. path is the file's path,
// display its display path.
func kustomizePlaceholders(path, display string) []snapshot.ImagePlaceholder {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var k struct {
		Images []kustomizeImage `json:"images"`
	}
	if yaml.Unmarshal(b, &k) != nil {
		return nil // kustomize reports it
	}
	var out []snapshot.ImagePlaceholder
	for i, im := range k.Images {
		if im.NewTag != "" || im.Digest != "" {
			continue
		}
		img, field := im.Name, fmt.Sprintf("images[%d].name", i)
		if im.NewName != "" {
			img, field = im.NewName, fmt.Sprintf("images[%d].newName", i)
		}
		if img = strings.TrimSpace(img); img == "" {
			continue
		}
		out = append(out, snapshot.ImagePlaceholder{Image: img, Tool: snapshot.ToolKustomize, File: display, Line: fieldLine(b, 1, field), Field: field})
	}
	return out
}

// buildPlaceholders are the placeholders of every kustomization file the
// build of directory d read (the root, its bases and components), located
// by paths as the input names d.
func (r *fileReader) buildPlaceholders(d string, read map[string]bool) []snapshot.ImagePlaceholder {
	var out []snapshot.ImagePlaceholder
	root := absPath(d)
	for p := range read {
		if !isKustomizationFile(filepath.Base(p)) {
			continue
		}
		shown := p
		if rel, err := filepath.Rel(root, p); err == nil {
			shown = filepath.Join(d, rel)
		}
		out = append(out, kustomizePlaceholders(p, r.display(shown))...)
	}
	return snapshot.SortPlaceholders(out)
}
