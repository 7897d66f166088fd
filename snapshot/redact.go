package snapshot

import "strings"

// Redacted replaces every env value and every dropped data field.
const Redacted = "<redacted by meshaudit>"

// SettingEnv are environment variables whose values are Istio control-plane
// settings the rules judge (MTLS-05/06, CP-04, MESH-08): addresses, flags
// and durations, never credentials. Their values are kept; every other env
// value is redacted.
var SettingEnv = map[string]bool{
	"ENABLE_DEBUG_ON_HTTP":      true,
	"DEFAULT_WORKLOAD_CERT_TTL": true,
	"MAX_WORKLOAD_CERT_TTL":     true,
	"SECRET_TTL":                true,
	"CA_ADDR":                   true,
	"EXTERNAL_CA":               true,
	"ENABLE_NATIVE_SIDECARS":    true,
}

// LastApplied is the kubectl annotation that repeats the whole object,
// Secret data and env values included; it is always dropped.
const LastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// IsMeshConfigMap reports whether a ConfigMap is one of Istio's mesh
// ConfigMaps (`istio`, `istio-<revision>` in the Istio root namespace), the
// only ConfigMaps whose data a snapshot keeps (and of that, only the mesh
// keys).
func IsMeshConfigMap(namespace, name, rootNamespace string) bool {
	return namespace == rootNamespace && (name == "istio" || strings.HasPrefix(name, "istio-"))
}

// meshKeys are the ConfigMap keys kept from a mesh ConfigMap.
var meshKeys = map[string]bool{"mesh": true, "meshNetworks": true}

// Redact makes obj secret-free, in place: Secret data and stringData are
// dropped (only metadata and type stay), data of ConfigMaps other than the
// mesh ConfigMaps is dropped, env values in every pod spec and pod template
// are replaced by Redacted (valueFrom references are kept), and managedFields
// and the last-applied-configuration annotation are removed. The values of
// the few Istio settings in SettingEnv are kept.
func Redact(kind string, obj map[string]any, rootNamespace string) {
	if md, ok := obj["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		if ann, ok := md["annotations"].(map[string]any); ok {
			delete(ann, LastApplied)
		}
	}
	switch kind {
	case "Secret":
		delete(obj, "data")
		delete(obj, "stringData")
	case "ConfigMap":
		var ns, name string
		if md, ok := obj["metadata"].(map[string]any); ok {
			ns, _ = md["namespace"].(string)
			name, _ = md["name"].(string)
		}
		delete(obj, "binaryData")
		data, _ := obj["data"].(map[string]any)
		if !IsMeshConfigMap(ns, name, rootNamespace) {
			delete(obj, "data")
		} else {
			for k := range data {
				if !meshKeys[k] {
					delete(data, k)
				}
			}
		}
	}
	redactEnv(obj)
}

// redactEnv walks the object and redacts "env" lists of container-shaped
// maps wherever they appear (pod specs, templates, job templates, lists).
func redactEnv(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if k == "env" {
				if list, ok := child.([]any); ok {
					for _, e := range list {
						if em, ok := e.(map[string]any); ok {
							name, _ := em["name"].(string)
							if _, has := em["value"]; has && !SettingEnv[name] {
								em["value"] = Redacted
							}
						}
					}
				}
				continue
			}
			redactEnv(child)
		}
	case []any:
		for _, child := range t {
			redactEnv(child)
		}
	}
}

// DropNulls removes null-valued map entries, recursively and in place. The
// API server treats an explicit null as absent (`metadata:` with nothing
// under it, `labels: ~`); rules then see one shape for both.
func DropNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if child == nil {
				delete(t, k)
				continue
			}
			DropNulls(child)
		}
	case []any:
		for _, child := range t {
			DropNulls(child)
		}
	}
}
