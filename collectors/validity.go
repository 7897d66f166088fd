package collectors

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	meshv1alpha1 "istio.io/api/mesh/v1alpha1"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Validity apart from policy (docs/inputs.md): what the API server, or
// istioctl validate for Istio's kinds, would reject. Each problem is one
// validity notice naming the field; the object is still judged on what
// could be read, and no rule reports these cases.

// validate returns the validity issues of one object (root is the Istio
// root namespace, whose mesh ConfigMaps hold mesh config).
func validate(apiVersion, kind string, obj map[string]any, root string) []issue {
	if out, known := validateIstio(apiVersion, kind, obj); known {
		return out
	}
	if out, ok := validateMeshSource(apiVersion, kind, obj, root); ok {
		return out
	}
	var out []issue
	add := func(path, format string, args ...any) {
		out = append(out, issue{path: path, msg: fmt.Sprintf(format, args...)})
	}
	group := snapshot.GroupOf(apiVersion)
	spec, _ := obj["spec"].(map[string]any)
	switch {
	case group == "" && kind == "Service":
		typ, _ := spec["type"].(string)
		ports, _ := spec["ports"].([]any)
		if len(ports) == 0 && typ != "ExternalName" && spec["clusterIP"] != "None" {
			add("spec.ports", "a Service without ports (only ExternalName and headless Services may have none)")
		}
	case group == "" && kind == "Pod":
		podSpec(spec, "spec", add)
	case group == "apps" && (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet"):
		tmpl, _ := spec["template"].(map[string]any)
		workloadSelector(spec, tmpl, add)
		ps, _ := tmpl["spec"].(map[string]any)
		podSpec(ps, "spec.template.spec", add)
	case group == "batch" && kind == "Job":
		tmpl, _ := spec["template"].(map[string]any)
		if _, ok := spec["selector"]; ok && spec["manualSelector"] == true {
			workloadSelector(spec, tmpl, add)
		}
		ps, _ := tmpl["spec"].(map[string]any)
		podSpec(ps, "spec.template.spec", add)
	case group == "batch" && kind == "CronJob":
		jt, _ := spec["jobTemplate"].(map[string]any)
		js, _ := jt["spec"].(map[string]any)
		tmpl, _ := js["template"].(map[string]any)
		ps, _ := tmpl["spec"].(map[string]any)
		podSpec(ps, "spec.jobTemplate.spec.template.spec", add)
	}
	return out
}

// validateMeshSource checks the mesh config of a mesh config source against
// Istio's MeshConfig API type (istio.io/api mesh/v1alpha1), as istiod reads
// it: a misspelled setting would silently be Istio's default.
func validateMeshSource(apiVersion, kind string, obj map[string]any, root string) ([]issue, bool) {
	spec, _ := obj["spec"].(map[string]any)
	w := &protoWalk{}
	mesh := meshConfigDescriptor
	switch {
	case isIstioOperator(apiVersion, kind):
		if mc, ok := spec["meshConfig"]; ok {
			w.message(mesh, mc, "spec.meshConfig")
		}
		if vals, _ := spec["values"].(map[string]any); vals != nil {
			if mc, ok := vals["meshConfig"]; ok {
				w.message(mesh, mc, "spec.values.meshConfig")
			}
		}
	case apiVersion == MeshAPIVersion && kind == MeshConfigKind:
		w.message(mesh, spec, "spec")
	case apiVersion == MeshAPIVersion && kind == IstiodValuesKind:
		if mc, ok := spec["meshConfig"]; ok {
			w.message(mesh, mc, "spec.meshConfig")
		}
	case apiVersion == "v1" && kind == "ConfigMap":
		md, _ := obj["metadata"].(map[string]any)
		ns, _ := md["namespace"].(string)
		name, _ := md["name"].(string)
		data, _ := obj["data"].(map[string]any)
		raw, isString := data["mesh"].(string)
		if !isString || !snapshot.IsMeshConfigMap(ns, name, root) {
			return nil, false
		}
		var mc any
		if err := yaml.Unmarshal([]byte(raw), &mc); err != nil {
			w.add("data.mesh", "mesh config is not YAML: %v", err)
			break
		}
		if mc != nil {
			w.message(mesh, normalizeYAML(mc), "data.mesh")
		}
	default:
		return nil, false
	}
	return w.issues, true
}

var meshConfigDescriptor = (&meshv1alpha1.MeshConfig{}).ProtoReflect().Descriptor()

// normalizeYAML turns a go.yaml.in/yaml/v3 value into JSON's shapes
// (string keys, json.Number), as the rest of a snapshot holds them.
func normalizeYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = normalizeYAML(c)
		}
		return t
	case []any:
		for i, c := range t {
			t[i] = normalizeYAML(c)
		}
		return t
	case int:
		return json.Number(strconv.Itoa(t))
	case float64:
		return json.Number(strconv.FormatFloat(t, 'g', -1, 64))
	}
	return v
}

// podSpec: every container has a name and an image (the injector fills in
// an istio-proxy container's image), and there is at least one container.
func podSpec(ps map[string]any, path string, add func(string, string, ...any)) {
	if ps == nil {
		add(path, "no pod spec")
		return
	}
	if cs, _ := ps["containers"].([]any); len(cs) == 0 {
		add(path+".containers", "a pod without containers")
	}
	for _, kind := range []string{"initContainers", "containers"} {
		cs, _ := ps[kind].([]any)
		for i, c := range cs {
			m, _ := c.(map[string]any)
			p := path + "." + kind + "[" + strconv.Itoa(i) + "]"
			name, _ := m["name"].(string)
			if name == "" {
				add(p+".name", "a container without a name")
			}
			if img, _ := m["image"].(string); strings.TrimSpace(img) == "" && name != "istio-proxy" {
				add(p+".image", "container %q has no image", name)
			}
		}
	}
}

// workloadSelector: apps/v1 workloads need a selector, and it must select
// their own pod template (else the API server refuses the object).
func workloadSelector(spec, tmpl map[string]any, add func(string, string, ...any)) {
	sel, ok := spec["selector"].(map[string]any)
	if !ok {
		add("spec.selector", "no selector (required, and it must match the pod template's labels)")
		return
	}
	md, _ := tmpl["metadata"].(map[string]any)
	lbls, _ := md["labels"].(map[string]any)
	ml, _ := sel["matchLabels"].(map[string]any)
	me, _ := sel["matchExpressions"].([]any)
	if len(ml) == 0 && len(me) == 0 {
		add("spec.selector", "an empty selector (it would select every pod; the API server requires a non-empty one)")
		return
	}
	for k, v := range ml {
		if lv, ok := lbls[k]; !ok || fmt.Sprint(lv) != fmt.Sprint(v) {
			add("spec.selector.matchLabels."+k, "selector %s=%v does not match the pod template's labels: it selects no pod of this workload", k, v)
		}
	}
	for i, e := range me {
		m, _ := e.(map[string]any)
		key, _ := m["key"].(string)
		op, _ := m["operator"].(string)
		vals, _ := m["values"].([]any)
		lv, has := lbls[key]
		in := false
		for _, v := range vals {
			if has && fmt.Sprint(v) == fmt.Sprint(lv) {
				in = true
			}
		}
		ok := true
		switch op {
		case "In":
			ok = in
		case "NotIn":
			ok = !in
		case "Exists":
			ok = has
		case "DoesNotExist":
			ok = !has
		default:
			add(fmt.Sprintf("spec.selector.matchExpressions[%d].operator", i), "invalid operator %q (In, NotIn, Exists, DoesNotExist)", op)
			continue
		}
		if !ok {
			add(fmt.Sprintf("spec.selector.matchExpressions[%d]", i), "selector expression %s %s does not match the pod template's labels: it selects no pod of this workload", key, op)
		}
	}
}

// fieldLine is the 1-based line (within src, plus offset first-1) of the
// field at a dotted path ("spec.http[0].route"), or of its nearest parent
// found; 0 when src does not parse.
func fieldLine(src []byte, first int, path string) int {
	var doc yaml.Node
	if yaml.Unmarshal(src, &doc) != nil || len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	line := n.Line
	for _, step := range splitPath(path) {
		next, keyLine := child(n, step)
		if next == nil {
			break
		}
		n, line = next, keyLine
	}
	return first + line - 1
}

// splitPath splits "a.b[2].c" into a, b, [2], c.
func splitPath(p string) []string {
	var out []string
	for _, part := range strings.Split(p, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part, ']')
			if j < i {
				break
			}
			out = append(out, part[i:j+1])
			part = part[j+1:]
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

func child(n *yaml.Node, step string) (*yaml.Node, int) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if strings.HasPrefix(step, "[") {
		i, err := strconv.Atoi(strings.Trim(step, "[]"))
		if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
			return nil, 0
		}
		return n.Content[i], n.Content[i].Line
	}
	if n.Kind != yaml.MappingNode {
		return nil, 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == step {
			return n.Content[i+1], n.Content[i].Line
		}
	}
	return nil, 0
}
