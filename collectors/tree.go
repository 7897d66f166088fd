package collectors

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/snapshot"
)

// tree is what a directory walk found besides plain files: Helm charts
// (rendered whole, their files never read as manifests) and kustomizations
// (built; the files a build reads are not read again on their own).
type tree struct {
	root   string
	charts []string // directories holding Chart.yaml
	kdirs  []string // directories holding a kustomization file
}

// dir is called on each directory of the walk: a chart is one input and
// its files are not walked; a kustomization's are (see plan).
func (t *tree) dir(d string) error {
	if fileExists(filepath.Join(d, "Chart.yaml")) {
		t.charts = append(t.charts, d)
		return fs.SkipDir
	}
	if kustomizationFile(d) != "" {
		t.kdirs = append(t.kdirs, d)
	}
	return nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// kustomizationFile is the kustomization file of a directory, or "".
func kustomizationFile(d string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if p := filepath.Join(d, n); fileExists(p) {
			return p
		}
	}
	return ""
}

// plan queues a walk's inputs in path order: each chart, each
// kustomization that no other kustomization of the walk uses (a base is
// built only through the overlays that list it), and the plain files no
// build read. Files of a kustomize Component that no build used are
// skipped with a notice: they are patches, never objects.
func (r *fileReader) plan(t *tree, files []string) {
	type unit struct {
		key string
		job *fileJob
	}
	var units []unit
	for _, c := range t.charts {
		c := c
		units = append(units, unit{key: c + string(filepath.Separator), job: &fileJob{display: r.display(c), render: func() []decoded { return r.renderChart(c) }}})
	}

	consumed := map[string]bool{}  // absolute paths read by a build
	claimed := map[string]string{} // directory → why its files are not read alone
	builds := map[string]*kbuild{}
	var components []string
	for _, d := range t.kdirs {
		if isComponent(kustomizationFile(d)) {
			components = append(components, d)
			continue
		}
		b := r.buildKustomization(d)
		builds[d] = b
		for p := range b.read {
			consumed[p] = true
		}
		if b.failed {
			claimed[absPath(d)] = "kustomization " + r.display(d) + " could not be built"
		}
	}
	for _, d := range t.kdirs {
		b := builds[d]
		if b == nil {
			continue
		}
		used := false
		for od, ob := range builds {
			if od != d && ob.read[absPath(kustomizationFile(d))] {
				used = true // a base: judged through its overlay
				break
			}
		}
		if !used {
			units = append(units, unit{key: kustomizationFile(d), job: &fileJob{display: r.display(kustomizationFile(d)), render: func() []decoded { return b.results }}})
		}
	}
	for _, c := range components {
		if !consumed[absPath(kustomizationFile(c))] {
			claimed[absPath(c)] = "part of the kustomize Component " + r.display(c) + ", which no kustomization in the input uses (patches and components are never objects on their own)"
		}
	}

	for _, f := range files {
		a := absPath(f)
		if consumed[a] {
			continue
		}
		if why := claimedBy(claimed, a); why != "" {
			if !strings.Contains(why, "could not be built") {
				units = append(units, unit{key: f, job: &fileJob{display: r.display(f), render: func() []decoded {
					return []decoded{{notice: &snapshot.Notice{Kind: snapshot.NoticeSkipped, Message: "not read as manifests: " + why}}}
				}}})
			}
			continue
		}
		units = append(units, unit{key: f, job: &fileJob{path: f, display: r.display(f)}})
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].key < units[j].key })
	for _, u := range units {
		r.jobs = append(r.jobs, u.job)
	}
}

// claimedBy: the nearest claimed directory holding a, and why.
func claimedBy(claimed map[string]string, a string) string {
	for d := filepath.Dir(a); ; d = filepath.Dir(d) {
		if why, ok := claimed[d]; ok {
			return why
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}

func absPath(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	return a
}
