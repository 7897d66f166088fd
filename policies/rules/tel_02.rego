# METADATA
# title: Access log content is structured and complete
# description: |
#   Access logs must be machine-readable and carry what an investigation
#   needs: the mesh config's `accessLogEncoding` is JSON (Istio's default is
#   TEXT), and a custom `accessLogFormat` keeps the start time, response code
#   and flags, the caller's identity (`%DOWNSTREAM_PEER_URI_SAN%`), the
#   upstream host, the request id, the authority and the path. The same
#   applies to the `envoyFileAccessLog` extension providers that Telemetry
#   resources or `defaultProviders.accessLogging` use: `logFormat.labels`
#   (JSON) with those fields, not `logFormat.text` or Istio's default text
#   format. Istio's built-in default format is not judged for its fields.
#   Every finding follows from the mesh config, so the rule judges the mesh
#   only when the mesh config is known (a live scan, or a mesh config source
#   in the input) and is otherwise not applicable; findings carry the mesh
#   config fields (data.mesh of the istio ConfigMap) as evidence.
# custom:
#   id: TEL-02
#   severity: medium
#   controls: [AU-3]
#   inputs: [ConfigMap, Telemetry]
#   requires: [mesh_config, istio]
#   remediation: |
#     Set `accessLogEncoding: JSON` in the mesh config. In a custom
#     `accessLogFormat` (or a provider's `logFormat.labels`) include
#     `%START_TIME%`, `%RESPONSE_CODE%`, `%RESPONSE_FLAGS%`,
#     `%DOWNSTREAM_PEER_URI_SAN%`, `%UPSTREAM_HOST%`, `%REQ(X-REQUEST-ID)%`,
#     `%REQ(:AUTHORITY)%` and `%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%`.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           accessLogFile: /dev/stdout
#           rootNamespace: istio-system
#     pass: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           accessLogFile: /dev/stdout
#           accessLogEncoding: JSON
#           rootNamespace: istio-system
package meshaudit.rules.tel_02

import data.meshaudit.lib
import rego.v1

# judged: the mesh, when its config is known (a live scan: absence means
# Istio's defaults; or a mesh config source in the input). Every finding
# follows from the mesh config, so each needs lib.mesh_config_known.
judged contains lib.mesh_config_subject if lib.mesh_config_known

not_applicable contains "the input holds no mesh config (ConfigMap istio of the root namespace, an IstioOperator's meshConfig or --mesh-config), which decides the access log encoding and format" if not lib.mesh_config_known

ev(field) := lib.mesh_config_field_evidence(field, object.get(lib.mesh_config, split(field, "."), null))

# required: [what, accepted operators (any of them, a prefix match for
# START_TIME which takes a format)].
required := [
	["%START_TIME%", ["%START_TIME%", "%START_TIME("]],
	["%RESPONSE_CODE%", ["%RESPONSE_CODE%"]],
	["%RESPONSE_FLAGS%", ["%RESPONSE_FLAGS%"]],
	["%DOWNSTREAM_PEER_URI_SAN%", ["%DOWNSTREAM_PEER_URI_SAN%"]],
	["%UPSTREAM_HOST%", ["%UPSTREAM_HOST%"]],
	["%REQ(X-REQUEST-ID)%", ["%REQ(X-REQUEST-ID)%"]],
	["%REQ(:AUTHORITY)%", ["%REQ(:AUTHORITY)%"]],
	["%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", ["%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "%REQ(:PATH)%"]],
]

missing(format) := [r[0] |
	some r in required
	f := upper(format)
	not has_any(f, r[1])
]

has_any(f, ops) if {
	some op in ops
	contains(f, op)
}

encoding := upper(sprintf("%v", [lib.mesh_config.accessLogEncoding])) if lib.mesh_config.accessLogEncoding

deny contains {
	"msg": "mesh config does not set accessLogEncoding, so Istio writes TEXT access logs (want JSON)",
	"resource": lib.mesh_config_subject,
	"evidence": [ev("accessLogEncoding")],
} if {
	lib.mesh_config_known
	not encoding
}

deny contains {
	"msg": sprintf("mesh config sets accessLogEncoding %s, want JSON", [encoding]),
	"resource": lib.mesh_config_subject,
	"evidence": [ev("accessLogEncoding")],
} if {
	lib.mesh_config_known
	encoding != "JSON"
}

custom_format := f if {
	f := sprintf("%v", [lib.mesh_config.accessLogFormat])
	trim_space(f) != ""
}

deny contains {
	"msg": sprintf("mesh config's accessLogFormat lacks %s", [concat(", ", m)]),
	"resource": lib.mesh_config_subject,
	"evidence": [ev("accessLogFormat")],
} if {
	lib.mesh_config_known
	m := missing(custom_format)
	count(m) > 0
}

# ---- extension providers in use ---------------------------------------------------

used_providers contains p if {
	some p in object.get(object.get(lib.mesh_config, "defaultProviders", {}), "accessLogging", [])
}

used_providers contains p.name if {
	some t in lib.objects("Telemetry")
	lib.in_scope(lib.ns(t))
	some e in object.get(t.spec, "accessLogging", [])
	some p in object.get(e, "providers", [])
}

file_providers contains [p.name, p.envoyFileAccessLog, i] if {
	some i, p in object.get(lib.mesh_config, "extensionProviders", [])
	p.name in used_providers
	p.envoyFileAccessLog
}

provider_evidence(i, field, fal) := lib.mesh_config_field_evidence(sprintf("extensionProviders[%d].envoyFileAccessLog.logFormat%s", [i, field]), object.get(fal, ["logFormat"], null))

deny contains {
	"msg": sprintf("access log provider %q writes %s, not JSON (set logFormat.labels)", [name, what]),
	"resource": lib.mesh_config_subject,
	"evidence": [provider_evidence(i, "", fal)],
} if {
	some [name, fal, i] in file_providers
	not fal.logFormat.labels
	what := text_kind(fal)
}

text_kind(fal) := "a text logFormat" if fal.logFormat.text

text_kind(fal) := "Istio's default text format" if not fal.logFormat.text

deny contains {
	"msg": sprintf("access log provider %q's logFormat lacks %s", [name, concat(", ", m)]),
	"resource": lib.mesh_config_subject,
	"evidence": [provider_evidence(i, "", fal)],
} if {
	some [name, fal, i] in file_providers
	format := provider_format(fal)
	m := missing(format)
	count(m) > 0
}

provider_format(fal) := concat(" ", [sprintf("%v", [v]) | some v in fal.logFormat.labels]) if fal.logFormat.labels

provider_format(fal) := sprintf("%v", [fal.logFormat.text]) if {
	not fal.logFormat.labels
	fal.logFormat.text
}
