package collectors

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Mesh config sources besides the mesh ConfigMaps (policies/lib/lib.rego
// merges them, an explicit --mesh-config first, then the ConfigMap, then
// IstioOperator and istiod values, and names the source of each setting):
// an IstioOperator read from the files, and these objects the collector
// makes from the files given to --mesh-config and --istio-values. They are
// cluster-scoped, so that they imply no namespace.
const (
	// MeshAPIVersion is the apiVersion of the objects below.
	MeshAPIVersion = "meshaudit.io/v1alpha1"
	// MeshConfigKind holds a MeshConfig file (istioctl analyze
	// --meshConfigFile) in spec; it applies to every revision.
	MeshConfigKind = "MeshConfig"
	// IstiodValuesKind holds, in spec, the meshConfig and revision of the
	// Helm values of Istio's istiod chart (nothing else of the file is
	// kept).
	IstiodValuesKind = "IstiodValues"
)

func isIstioOperator(apiVersion, kind string) bool {
	return kind == "IstioOperator" && snapshot.GroupOf(apiVersion) == "install.istio.io"
}

// nameIstioOperator names an IstioOperator that has no name as istioctl
// records it: installed-state, or installed-state-<revision>.
func nameIstioOperator(obj map[string]any) map[string]any {
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		md = map[string]any{}
		obj["metadata"] = md
	}
	name := "installed-state"
	if spec, _ := obj["spec"].(map[string]any); spec != nil {
		if rev, _ := spec["revision"].(string); rev != "" {
			name += "-" + rev
		}
	}
	md["name"] = name
	return md
}

// meshConfigSources reads --mesh-config and --istio-values. A file that
// cannot be read or is not a YAML object is a parse error.
func (r *fileReader) meshConfigSources() {
	if f := r.opts.MeshConfigFile; f != "" {
		r.meshSource(f, MeshConfigKind, "mesh-config")
	}
	for _, f := range r.opts.IstioValues {
		r.meshSource(f, IstiodValuesKind, "istiod-values-"+filepath.Base(f))
	}
}

func (r *fileReader) meshSource(f, kind, name string) {
	disp := r.display(f)
	b, err := os.ReadFile(f)
	if err != nil {
		r.fail(disp, 0, "%s", errReason(err))
		return
	}
	docs := r.content(b)
	var spec map[string]any
	line := 1
	for _, d := range docs {
		if d.obj == nil {
			r.fail(disp, d.line, "%s", d.err)
			continue
		}
		if spec != nil {
			r.fail(disp, d.line, "%s file holds more than one document", kind)
			continue
		}
		spec, line = d.obj, d.line
	}
	if spec == nil {
		if len(docs) == 0 {
			r.fail(disp, 0, "%s file is empty", kind)
		}
		return
	}
	if kind == IstiodValuesKind {
		// Only what the rules read: values files hold much else (env maps,
		// image pull secrets...) a snapshot has no use for.
		kept := map[string]any{}
		for _, k := range []string{"meshConfig", "revision"} {
			if v, ok := spec[k]; ok {
				kept[k] = v
			}
		}
		spec = kept
	}
	obj := map[string]any{
		"apiVersion": MeshAPIVersion,
		"kind":       kind,
		"metadata":   map[string]any{"name": sanitizeName(name)},
		"spec":       spec,
	}
	o := snapshot.Object{APIVersion: MeshAPIVersion, Kind: kind, Name: sanitizeName(name), File: disp, Line: line, Object: obj}
	var src *document
	for _, d := range docs {
		if d.obj != nil {
			src = d.src
		}
	}
	for _, is := range validate(MeshAPIVersion, kind, obj, r.opts.RootNamespace) {
		at := line
		// The file is the spec: spec.x is x in it.
		if l := fieldLine(src.data, src.first, strings.TrimPrefix(strings.TrimPrefix(is.path, "spec"), ".")); l > 0 {
			at = l
		}
		r.snap.Notices = append(r.snap.Notices, snapshot.Notice{Kind: snapshot.NoticeValidity, File: disp, Line: at, Object: o.Ref().FQN(), Field: is.path, Message: is.msg})
	}
	r.add(o, "")
}

func sanitizeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			} else {
				b[i] = '-'
			}
		}
	}
	return string(b)
}
