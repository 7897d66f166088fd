package collectors

import (
	"regexp"
	"strings"

	"github.com/meshaudit/meshaudit/snapshot"
)

// toolConfigGroups are API groups (and apiVersion prefixes) of tools'
// configuration files that look like Kubernetes objects but are never
// applied to a cluster: they are skipped with a notice, not judged.
var toolConfigGroups = []string{
	"kustomize.config.k8s.io", // kustomization.yaml outside a build, Component
	"config.kubernetes.io",    // KRM function configs
	"kind.x-k8s.io",           // kind cluster config
	"kubeadm.k8s.io",
	"kubelet.config.k8s.io",
	"kubeproxy.config.k8s.io",
	"apiserver.config.k8s.io",
	"skaffold",   // apiVersion: skaffold/v4beta11
	"ctlptl.dev", // ctlptl clusters and registries
}

// toolConfig names the tool whose configuration a document is, or "".
func toolConfig(apiVersion string) string {
	g := snapshot.GroupOf(apiVersion)
	for _, t := range toolConfigGroups {
		if g == t || strings.HasSuffix(g, "."+t) {
			return t
		}
	}
	return ""
}

// kubernetesLooking: a decoded document says it is meant to be a
// Kubernetes object (it has an apiVersion or a kind and is no tool's
// configuration). Helm's Chart.yaml (apiVersion, name, no kind, no
// metadata) is not.
func kubernetesLooking(obj map[string]any) bool {
	apiVersion, hasAPI := obj["apiVersion"]
	_, hasKind := obj["kind"]
	if !hasAPI && !hasKind {
		return false
	}
	if s, ok := apiVersion.(string); ok && toolConfig(s) != "" {
		return false
	}
	if hasAPI && !hasKind && obj["metadata"] == nil && obj["name"] != nil {
		return false // Chart.yaml
	}
	return true
}

// whatIsIt describes a document that holds no Kubernetes object, for the
// skipped notice.
func whatIsIt(obj map[string]any) string {
	has := func(keys ...string) bool {
		for _, k := range keys {
			if _, ok := obj[k]; !ok {
				return false
			}
		}
		return true
	}
	if s, ok := obj["apiVersion"].(string); ok {
		if t := toolConfig(s); t != "" {
			kind, _ := obj["kind"].(string)
			return strings.TrimSpace("configuration of " + t + " (" + kind + ")")
		}
		if obj["kind"] == nil && obj["name"] != nil {
			return "Helm chart metadata (Chart.yaml)"
		}
	}
	switch {
	case has("jobs", "on") || has("jobs", "true"):
		return "a CI workflow"
	case has("stages") || has("pipeline") || has("steps"):
		return "a CI pipeline"
	case has("openapi") || has("swagger"):
		return "an OpenAPI document"
	case has("services") && (has("version") || len(obj) <= 4):
		return "a docker-compose file"
	}
	return "YAML without apiVersion and kind (values, configuration or data)"
}

// kubernetesText: a file's raw text has a top-level apiVersion or kind
// (YAML or JSON), so that broken YAML in it is a parse error rather than a
// file to skip.
var kubernetesText = regexp.MustCompile(`(?m)^(apiVersion|kind)\s*:|"(apiVersion|kind)"\s*:`)

func looksKubernetes(b []byte) bool { return kubernetesText.Match(b) }

// classifyFile turns a file's decoded documents into what is read: when no
// document of it looks like a Kubernetes object, and it is not broken YAML
// whose text has a top-level apiVersion or kind, the file is skipped with
// one notice; tool
// configuration documents in a file of objects are skipped one by one.
func classifyFile(raw []byte, docs []decoded) []decoded {
	k8s := false
	for _, d := range docs {
		if d.hard || d.obj != nil && kubernetesLooking(d.obj) {
			k8s = true
			break
		}
	}
	broken := false
	for _, d := range docs {
		if d.obj == nil && d.notice == nil {
			broken = true
		}
	}
	// Text that parses is judged by its documents; the raw text decides
	// only for broken YAML (a Kubernetes-looking file stays a parse error).
	if !k8s && !(broken && looksKubernetes(raw)) {
		var what string
		for _, d := range docs {
			if d.obj != nil {
				what = whatIsIt(d.obj)
				break
			}
		}
		if what == "" {
			if len(docs) == 0 {
				return nil
			}
			what = "not YAML a Kubernetes object could be read from, and no apiVersion or kind in it"
		}
		return []decoded{{line: 0, notice: &snapshot.Notice{Kind: snapshot.NoticeSkipped, Message: "not read as manifests: " + what}}}
	}
	out := docs[:0:0]
	for _, d := range docs {
		if d.obj != nil {
			if s, ok := d.obj["apiVersion"].(string); ok && toolConfig(s) != "" {
				out = append(out, decoded{line: d.line, notice: &snapshot.Notice{Kind: snapshot.NoticeSkipped, Line: d.line, Message: "not read as manifests: " + whatIsIt(d.obj)}})
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// isKustomizationFile and isChartFile name the files that make a directory
// a kustomization or a Helm chart.
func isKustomizationFile(base string) bool {
	return base == "kustomization.yaml" || base == "kustomization.yml" || base == "Kustomization"
}

func isChartFile(base string) bool { return base == "Chart.yaml" }
