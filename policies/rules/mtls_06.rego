# METADATA
# title: Short-lived workload certificates
# description: |
#   A workload certificate's lifetime is the TTL its proxy requests
#   (`SECRET_TTL`, 24h by default, set mesh-wide in
#   `defaultConfig.proxyMetadata` or per pod in the `proxy.istio.io/config`
#   annotation), or istiod's `DEFAULT_WORKLOAD_CERT_TTL` (24h by default)
#   when none is requested; istiod rejects requests above
#   `MAX_WORKLOAD_CERT_TTL` (90 days by default). Each of these set above
#   `max_workload_cert_ttl` (default 24h) is reported: long-lived
#   certificates widen the window in which a stolen key is useful. Istio's
#   default MAX_WORKLOAD_CERT_TTL is not reported by itself (it only caps
#   requests). Env values are redacted in snapshots: an istiod TTL variable
#   that is set but whose value cannot be read makes the rule unknown.
#   Judged: each istiod whose TTL variables are readable, the mesh config
#   (or the mesh, in a live scan) when known, and each workload whose
#   `proxy.istio.io/config` sets SECRET_TTL; with none of them in the input
#   the rule is not applicable.
# custom:
#   id: MTLS-06
#   severity: medium
#   controls: [IA-5, SC-12]
#   inputs: [Deployment, ConfigMap, workloads]
#   remediation: |
#     Keep workload certificates at or below the organisation's maximum
#     lifetime: remove or lower `SECRET_TTL` in `meshConfig.defaultConfig.proxyMetadata`
#     and in pods' `proxy.istio.io/config` annotations, and set istiod's
#     `DEFAULT_WORKLOAD_CERT_TTL` and `MAX_WORKLOAD_CERT_TTL` (Helm
#     `pilot.env`) to at most that value.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 env:
#                   - name: DEFAULT_WORKLOAD_CERT_TTL
#                     value: 168h
#                   - name: MAX_WORKLOAD_CERT_TTL
#                     value: 720h
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 env:
#                   - name: DEFAULT_WORKLOAD_CERT_TTL
#                     value: 12h
#                   - name: MAX_WORKLOAD_CERT_TTL
#                     value: 24h
package meshaudit.rules.mtls_06

import data.meshaudit.lib
import rego.v1

max_ttl_text := lib.params.max_workload_cert_ttl

max_ttl := time.parse_duration_ns(max_ttl_text)

# Go durations ("24h", "1h30m", "90m", "0"); anything else is not parsed
# (the builtin would raise an error).
duration_re := `^[-+]?(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$`

ns_of(v) := time.parse_duration_ns(v) if {
	is_string(v)
	regex.match(duration_re, v)
}

# ---- istiod ----------------------------------------------------------------

env_entry(d, n) := e if {
	some c in object.get(d, ["spec", "template", "spec", "containers"], [])
	c.name == "discovery"
	some e in object.get(c, "env", [])
	e.name == n
}

# discovery_index(d): the index of istiod's discovery container.
discovery_index(d) := i if {
	some i, c in object.get(d, ["spec", "template", "spec", "containers"], [])
	c.name == "discovery"
}

# env_path(d, n): the path of env variable n's value in istiod's discovery
# container; the env list's path when n is not set.
env_path(d, n) := sprintf("spec.template.spec.containers[%d].env[%d].value", [i, j]) if {
	i := discovery_index(d)
	some j, e in d.spec.template.spec.containers[i].env
	e.name == n
} else := sprintf("spec.template.spec.containers[%d].env", [discovery_index(d)])

ttl_vars := {"DEFAULT_WORKLOAD_CERT_TTL": "24h", "MAX_WORKLOAD_CERT_TTL": "2160h"}

# istiod_problems(d): [text, evidence] of each TTL istiod allows above the
# maximum: a variable set too high, or DEFAULT_WORKLOAD_CERT_TTL unset when
# Istio's default 24h is above it.
istiod_problems(d) := array.concat(
	[[sprintf("sets %s=%s", [n, v]), {"path": env_path(d, n), "value": v}] |
		some n in sort(object.keys(ttl_vars))
		v := env_entry(d, n).value
		ns_of(v) > max_ttl
	],
	[["leaves DEFAULT_WORKLOAD_CERT_TTL unset (Istio's default 24h)", unset_evidence(d)] |
		not env_entry(d, "DEFAULT_WORKLOAD_CERT_TTL")
		ns_of("24h") > max_ttl
	],
)

# One finding per istiod, listing every TTL above the maximum.
deny contains {
	"msg": sprintf("istiod %s/%s %s, above the maximum workload certificate lifetime %s", [lib.ns(d), lib.name(d), concat(" and ", [t | some [t, _] in problems]), max_ttl_text]),
	"resource": lib.resource(d),
	"evidence": [e | some [_, e] in problems],
} if {
	some d in lib.istiods
	problems := istiod_problems(d)
	count(problems) > 0
}

unknown contains sprintf("istiod %s/%s sets %s but its value is not readable (%s), so the certificate lifetime it allows is unknown", [lib.ns(d), lib.name(d), n, why]) if {
	some d in lib.istiods
	some n, _ in ttl_vars
	e := env_entry(d, n)
	why := unreadable(e)
}

unset_evidence(d) := {"path": env_path(d, "DEFAULT_WORKLOAD_CERT_TTL")} if {
	discovery_index(d)
} else := {"path": "spec.template.spec.containers (no discovery container)"}

unreadable(e) := "env values are redacted in snapshots" if e.value == lib.redacted

unreadable(e) := "taken from valueFrom" if not "value" in object.keys(e)

unreadable(e) := sprintf("%q is not a Go duration", [e.value]) if {
	e.value != lib.redacted
	not ns_of(e.value)
}

# ---- SECRET_TTL requested by proxies ---------------------------------------

mesh_ttl := object.get(lib.mesh_config, ["defaultConfig", "proxyMetadata", "SECRET_TTL"], null)

# mesh_ttl_path: SECRET_TTL inside the ConfigMap's mesh document.
mesh_ttl_path := "data.mesh.defaultConfig.proxyMetadata.SECRET_TTL" if {
	lib.has_mesh_config
} else := "defaultConfig.proxyMetadata.SECRET_TTL"

deny contains {
	"msg": sprintf("mesh config defaultConfig.proxyMetadata sets SECRET_TTL=%s, above the maximum workload certificate lifetime %s", [mesh_ttl, max_ttl_text]),
	"resource": lib.resource(lib.mesh_configmap),
	"evidence": [{"path": mesh_ttl_path, "value": mesh_ttl}],
} if {
	ns_of(mesh_ttl) > max_ttl
}

deny contains {
	"msg": sprintf("mesh config defaultConfig.proxyMetadata sets SECRET_TTL=%v, which is not a Go duration", [mesh_ttl]),
	"resource": lib.resource(lib.mesh_configmap),
	"evidence": [{"path": mesh_ttl_path, "value": mesh_ttl}],
} if {
	mesh_ttl != null
	not ns_of(mesh_ttl)
}

# Proxies request 24h when nothing sets SECRET_TTL (mesh config present, or
# a live scan where its absence means Istio's defaults).
deny contains {
	"msg": sprintf("SECRET_TTL is unset in the mesh config's defaultConfig.proxyMetadata, so proxies request Istio's default 24h, above the maximum workload certificate lifetime %s", [max_ttl_text]),
	"resource": lib.mesh_config_subject,
	"evidence": [{"path": mesh_ttl_path}],
} if {
	mesh_ttl == null
	ns_of("24h") > max_ttl
	lib.mesh_config_known
}

pod_ttl(w) := ttl if {
	raw := w.annotations["proxy.istio.io/config"]
	is_string(raw)
	yaml.is_valid(raw)
	cfg := yaml.unmarshal(raw)
	is_object(cfg)
	ttl := cfg.proxyMetadata.SECRET_TTL
}

deny contains {
	"msg": sprintf("proxy.istio.io/config sets SECRET_TTL=%v, above the maximum workload certificate lifetime %s", [ttl, max_ttl_text]),
	"resource": w.resource,
	"evidence": [{"path": lib.annotation_path(w, "proxy.istio.io/config"), "value": w.annotations["proxy.istio.io/config"]}],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	ttl := pod_ttl(w)
	ns_of(ttl) > max_ttl
}

deny contains {
	"msg": sprintf("proxy.istio.io/config sets SECRET_TTL=%v, which is not a Go duration", [ttl]),
	"resource": w.resource,
	"evidence": [{"path": lib.annotation_path(w, "proxy.istio.io/config"), "value": w.annotations["proxy.istio.io/config"]}],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	ttl := pod_ttl(w)
	not ns_of(ttl)
}

# ---- verdict ---------------------------------------------------------------

# readable(d): every TTL variable istiod sets has a readable value.
readable(d) if {
	every n, _ in ttl_vars {
		not unreadable_var(d, n)
	}
}

unreadable_var(d, n) if unreadable(env_entry(d, n))

# judged: istiods whose TTLs are known, the mesh config (or the mesh in a
# live scan), and workloads that request their own SECRET_TTL.
judged contains lib.resource(d) if {
	some d in lib.istiods
	readable(d)
}

judged contains lib.mesh_config_subject if lib.mesh_config_known

judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	pod_ttl(w)
}

not_applicable contains "only a live scan can tell the workload certificate lifetimes: no istiod Deployment, mesh config or proxy.istio.io/config SECRET_TTL is in the input" if {
	not lib.live
	count(lib.istiods) == 0
	count(judged) == 0
}
