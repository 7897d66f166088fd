package snapshot

import (
	"regexp"
	"strings"
)

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
// the few Istio settings in SettingEnv are kept. Container commands and
// args are redacted too (see redactArg).
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

// SettingArgs are command-line flags whose values the rules judge and that
// carry no credentials (CP-04's --grpcAddr, TEL-04's audit flags are judged
// by presence only).
var SettingArgs = map[string]bool{"grpcAddr": true}

// argWords are bare words kept in container commands and args: Istio's proxy
// modes (lib.gateway reads "router").
var argWords = map[string]bool{"proxy": true, "router": true, "sidecar": true, "discovery": true}

// istioEndpoints are kept, as a note on a redacted argument, when an
// argument (a shell script, a URL) mentions them: MESH-08 judges Jobs that
// wait for their proxy and ask it to quit.
var istioEndpoints = []string{"15021/healthz/ready", "15020/quitquitquit", "/quitquitquit"}

var bareFlag = regexp.MustCompile(`^--?[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// redactArg redacts one container command or args element: a bare flag, an
// empty value and Istio's proxy mode words stay; --flag=value keeps the flag
// (and the value only for SettingArgs); anything else (values, scripts)
// becomes Redacted, noting the Istio proxy endpoints it mentions.
func redactArg(a string) string {
	if a == "" || bareFlag.MatchString(a) || argWords[a] || a == Redacted {
		return a
	}
	if strings.HasPrefix(a, "-") {
		if i := strings.IndexByte(a, '='); i > 0 && bareFlag.MatchString(a[:i]) {
			val := a[i+1:]
			if val == "" || val == `""` || val == "''" || SettingArgs[strings.TrimLeft(a[:i], "-")] {
				return a
			}
			return a[:i+1] + redactedValue(val)
		}
	}
	return redactedValue(a)
}

// redactedValue is Redacted, noting the Istio proxy endpoints v mentions.
func redactedValue(v string) string {
	var seen []string
	for _, e := range istioEndpoints {
		if strings.Contains(v, e) {
			seen = append(seen, e)
		}
	}
	if len(seen) > 0 {
		return Redacted + " (mentions " + strings.Join(seen, ", ") + ")"
	}
	return Redacted
}

// redactEnv walks the object and redacts, in every container-shaped map
// (pod specs, templates, job templates, lists), the "env" values and the
// "command" and "args" lists.
func redactEnv(v any) {
	switch t := v.(type) {
	case map[string]any:
		_, container := t["image"]
		for k, child := range t {
			if container && (k == "command" || k == "args") {
				if list, ok := child.([]any); ok {
					for i, e := range list {
						if s, ok := e.(string); ok {
							list[i] = redactArg(s)
						}
					}
				}
				continue
			}
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
