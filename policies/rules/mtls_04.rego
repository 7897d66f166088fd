# METADATA
# title: Mesh TLS versions, cipher suites and curves are strong
# description: |
#   Reads the mesh config's `meshMTLS` (TLS of ISTIO_MUTUAL traffic between
#   workloads) and `tlsDefaults` (every other TLS the proxies originate or
#   terminate). `meshMTLS.minProtocolVersion` must be at least the required
#   version (`min_tls_version`; unset or TLS_AUTO means TLS 1.2). Cipher suites
#   and ECDH curves that are set must be in the allowlists
#   (`allowed_cipher_suites`, `allowed_ecdh_curves`). When
#   `tlsDefaults.cipherSuites` is unset Istio's documented default list
#   applies, which includes AES256-GCM-SHA384 and AES128-GCM-SHA256 (no
#   forward secrecy): reported at medium severity when the allowlist does not
#   hold them. `tlsDefaults.minProtocolVersion` is ignored by Istio (only
#   curves and cipher suites are read there), so it is not judged. A
#   `compliancePolicy` (fips-140-2, pqc) overrides suites and curves.
#   Judged: the mesh config when known (a live scan, where its absence means
#   Istio's defaults, or an input holding it); otherwise not applicable.
# custom:
#   id: MTLS-04
#   severity: high
#   controls: [SC-13, SC-8(1)]
#   inputs: [ConfigMap]
#   requires: [mesh_config]
#   remediation: |
#     In the mesh config (`istio` ConfigMap, or `meshConfig` in the
#     IstioOperator/Helm values) set `meshMTLS.minProtocolVersion` to the
#     required version (e.g. TLSV1_3), and list only allowlisted suites and
#     curves in `meshMTLS`/`tlsDefaults` `cipherSuites` and `ecdhCurves`,
#     e.g. `tlsDefaults.cipherSuites: [ECDHE-ECDSA-AES256-GCM-SHA384,
#     ECDHE-RSA-AES256-GCM-SHA384, ECDHE-ECDSA-AES128-GCM-SHA256,
#     ECDHE-RSA-AES128-GCM-SHA256]`.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |
#           meshMTLS:
#             minProtocolVersion: TLSV1_2
#           tlsDefaults:
#             cipherSuites:
#               - ECDHE-ECDSA-AES128-GCM-SHA256
#               - ECDHE-RSA-AES128-GCM-SHA256
#               - AES128-GCM-SHA256
#               - AES256-GCM-SHA384
#     pass: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |
#           meshMTLS:
#             minProtocolVersion: TLSV1_3
#           tlsDefaults:
#             cipherSuites:
#               - ECDHE-ECDSA-AES256-GCM-SHA384
#               - ECDHE-RSA-AES256-GCM-SHA384
#               - ECDHE-ECDSA-AES128-GCM-SHA256
#               - ECDHE-RSA-AES128-GCM-SHA256
#             ecdhCurves:
#               - X25519
#               - P-256
package meshaudit.rules.mtls_04

import data.meshaudit.lib
import rego.v1

# judged: the mesh config, when the input holds it or a live scan read the
# cluster (absence then means Istio's defaults).
judged contains lib.mesh_config_subject if lib.mesh_config_known

# path(p): the path of a mesh config field inside the finding's resource
# (the ConfigMap's data.mesh document, or the mesh config itself).
path(p) := sprintf("data.mesh.%s", [p]) if lib.has_mesh_config
else := p

version_rank := {"TLS_AUTO": 2, "TLSV1_2": 2, "TLSV1_3": 3}

required := upper(lib.params.min_tls_version)

# compliancePolicy values that fix suites and curves to compliant sets.
policy := lower(sprintf("%v", [object.get(lib.mesh_config, "compliancePolicy", "")]))

fixed_crypto if policy in {"fips-140-2", "pqc"}

# Istio's documented default cipher suites (MeshConfig.TLSConfig).
istio_default_ciphers := [
	"ECDHE-ECDSA-AES256-GCM-SHA384",
	"ECDHE-RSA-AES256-GCM-SHA384",
	"ECDHE-ECDSA-AES128-GCM-SHA256",
	"ECDHE-RSA-AES128-GCM-SHA256",
	"AES256-GCM-SHA384",
	"AES128-GCM-SHA256",
]

allowed_ciphers := {upper(c) | some c in lib.params.allowed_cipher_suites}

allowed_curves := {c | some c in lib.params.allowed_ecdh_curves}

list_of(v) := [sprintf("%v", [x]) | some x in v] if is_array(v)

list_of(v) := [trim_space(x) | some x in split(v, ","); trim_space(x) != ""] if is_string(v)

# problem: [order, text, evidence] of each high-severity problem of the mesh
# config; they are reported together, as one finding (the default cipher
# list, medium, apart).
deny contains {
	"msg": concat("; ", [t | some [_, t, _] in problems]),
	"resource": lib.mesh_config_subject,
	"evidence": [e | some [_, _, es] in problems; some e in es],
} if {
	problems := sort([pr | some pr in problem])
	count(problems) > 0
}

# ---- minimum protocol version ----------------------------------------------

mesh_min := upper(sprintf("%v", [lib.mesh_config.meshMTLS.minProtocolVersion]))

problem contains ["1", sprintf("meshMTLS.minProtocolVersion is %s, below the required %s", [mesh_min, required]), [{"path": path("meshMTLS.minProtocolVersion"), "value": lib.mesh_config.meshMTLS.minProtocolVersion}]] if {
	mesh_min in object.keys(version_rank)
	version_rank[mesh_min] < version_rank[required]
	policy != "pqc"
}

problem contains ["1", sprintf("meshMTLS.minProtocolVersion is unset (TLS_AUTO: TLS 1.2), below the required %s", [required]), [{"path": path("meshMTLS.minProtocolVersion")}]] if {
	not lib.mesh_config.meshMTLS.minProtocolVersion
	version_rank[required] > 2
	policy != "pqc"
}

problem contains ["1", sprintf("meshMTLS.minProtocolVersion %q is not a TLS version Istio accepts (TLS_AUTO, TLSV1_2, TLSV1_3)", [mesh_min]), [{"path": path("meshMTLS.minProtocolVersion"), "value": lib.mesh_config.meshMTLS.minProtocolVersion}]] if {
	lib.mesh_config.meshMTLS.minProtocolVersion
	not mesh_min in object.keys(version_rank)
}

# ---- cipher suites and curves ----------------------------------------------

sections := ["meshMTLS", "tlsDefaults"]

bad_ciphers(section) := sort({c |
	some c in list_of(lib.mesh_config[section].cipherSuites)
	not upper(c) in allowed_ciphers
})

problem contains [sprintf("2-%s", [section]), sprintf("%s.cipherSuites allows %s, not in the allowed cipher suites: remove them", [section, concat(", ", bad)]), [{"path": path(sprintf("%s.cipherSuites", [section])), "value": lib.mesh_config[section].cipherSuites}]] if {
	not fixed_crypto
	some section in sections
	bad := bad_ciphers(section)
	count(bad) > 0
}

deny contains {
	"msg": sprintf("tlsDefaults.cipherSuites is unset, so Istio's default list applies, which includes %s, not in the allowed cipher suites; set meshConfig.tlsDefaults.cipherSuites to the allowed suites", [concat(", ", bad)]),
	"resource": lib.mesh_config_subject,
	"severity": "medium",
	"evidence": [{"path": path("tlsDefaults.cipherSuites")}],
} if {
	not fixed_crypto
	not lib.mesh_config.tlsDefaults.cipherSuites
	bad := sort({c | some c in istio_default_ciphers; not c in allowed_ciphers})
	count(bad) > 0
}

problem contains [sprintf("3-%s", [section]), sprintf("%s.ecdhCurves allows %s, not in the allowed ECDH curves", [section, concat(", ", bad)]), [{"path": path(sprintf("%s.ecdhCurves", [section])), "value": lib.mesh_config[section].ecdhCurves}]] if {
	not fixed_crypto
	some section in sections
	bad := sort({c | some c in list_of(lib.mesh_config[section].ecdhCurves); not c in allowed_curves})
	count(bad) > 0
}
