# METADATA
# title: Strong TLS on gateway listeners
# description: |
#   Istio Gateway servers that terminate TLS (HTTPS/TLS servers with
#   tls.mode SIMPLE, MUTUAL, OPTIONAL_MUTUAL or ISTIO_MUTUAL) must not accept
#   a TLS version below the `min_tls_version` parameter: an unset
#   `minProtocolVersion` (or TLS_AUTO) means Envoy's server default, TLS 1.2;
#   a `maxProtocolVersion` below the minimum is reported too. `cipherSuites`
#   must stay within `allowed_cipher_suites`. Gateway API listeners are
#   judged on Istio's `gateway.istio.io/tls-cipher-suites` listener option
#   (comma-separated); Istio documents no listener option for the TLS
#   version. Passthrough servers are not judged: the backend terminates TLS.
#   Judged: every Gateway with a server or listener terminating TLS;
#   findings carry the TLS field as evidence.
#   One finding per Gateway lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
# custom:
#   id: ING-02
#   severity: medium
#   controls: [SC-13, SC-8(1)]
#   inputs: [Gateway, Gateway.gateway.networking.k8s.io]
#   subjects: [Gateway, Gateway.gateway.networking.k8s.io]
#   remediation: |
#     Set `tls.minProtocolVersion: TLSV1_2` (or TLSV1_3, per the
#     min_tls_version parameter) on the Gateway server, remove
#     `maxProtocolVersion` values below it, and restrict `cipherSuites` to
#     the allowed list (ECDHE with AES-GCM or CHACHA20-POLY1305).
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: storefront-gateway
#         namespace: storefront
#       spec:
#         selector:
#           istio: ingressgateway
#         servers:
#         - port:
#             number: 443
#             name: https
#             protocol: HTTPS
#           hosts:
#           - shop.example.com
#           tls:
#             mode: SIMPLE
#             credentialName: shop-example-com-tls
#             minProtocolVersion: TLSV1_0
#             cipherSuites:
#             - ECDHE-RSA-AES128-GCM-SHA256
#             - AES128-SHA
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: storefront-gateway
#         namespace: storefront
#       spec:
#         selector:
#           istio: ingressgateway
#         servers:
#         - port:
#             number: 443
#             name: https
#             protocol: HTTPS
#           hosts:
#           - shop.example.com
#           tls:
#             mode: SIMPLE
#             credentialName: shop-example-com-tls
#             minProtocolVersion: TLSV1_2
#             cipherSuites:
#             - ECDHE-ECDSA-AES128-GCM-SHA256
#             - ECDHE-RSA-AES128-GCM-SHA256
package meshaudit.rules.ing_02

import data.meshaudit.lib
import rego.v1

rank := {"TLSV1_0": 0, "TLSV1_1": 1, "TLSV1_2": 2, "TLSV1_3": 3}

min_rank := rank[lib.params.min_tls_version]

allowed_ciphers := {c | some c in lib.params.allowed_cipher_suites}

servers contains [gw, s, i] if {
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
	some i, s in object.get(gw.spec, "servers", [])
	upper(object.get(s, ["port", "protocol"], "")) in {"HTTPS", "TLS"}
	upper(object.get(s, ["tls", "mode"], "PASSTHROUGH")) in lib.terminating_tls_modes
}

port_desc(s) := sprintf("%v (%s)", [object.get(s, ["port", "number"], "?"), upper(s.port.protocol)])

version(s, field) := upper(v) if {
	v := s.tls[field]
	upper(v) != "TLS_AUTO"
}

finding contains {
	"msg": sprintf("server port %s sets tls.minProtocolVersion %s, below %s: raise it to %s", [port_desc(s), v, lib.params.min_tls_version, lib.params.min_tls_version]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("spec.servers[%d].tls.minProtocolVersion", [i]), "value": s.tls.minProtocolVersion}],
} if {
	some [gw, s, i] in servers
	v := version(s, "minProtocolVersion")
	object.get(rank, v, -1) < min_rank
}

# Unset minimum: Envoy's server default, TLS 1.2.
finding contains {
	"msg": sprintf("server port %s leaves tls.minProtocolVersion unset (TLS 1.2), below %s: set it to %s", [port_desc(s), lib.params.min_tls_version, lib.params.min_tls_version]),
	"resource": lib.resource(gw),
	"evidence": [object.union({"path": sprintf("spec.servers[%d].tls.minProtocolVersion", [i])}, {"value": v | v := s.tls.minProtocolVersion})],
} if {
	min_rank > 2
	some [gw, s, i] in servers
	not version(s, "minProtocolVersion")
}

finding contains {
	"msg": sprintf("server port %s sets tls.maxProtocolVersion %s, below %s: raise it or remove it", [port_desc(s), v, lib.params.min_tls_version]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("spec.servers[%d].tls.maxProtocolVersion", [i]), "value": s.tls.maxProtocolVersion}],
} if {
	some [gw, s, i] in servers
	v := version(s, "maxProtocolVersion")
	object.get(rank, v, -1) < min_rank
}

finding contains {
	"msg": sprintf("server port %s allows cipher suites outside allowed_cipher_suites: %s; remove them from tls.cipherSuites", [port_desc(s), concat(", ", sort(bad))]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("spec.servers[%d].tls.cipherSuites", [i]), "value": s.tls.cipherSuites}],
} if {
	some [gw, s, i] in servers
	bad := {c | some c in object.get(s, ["tls", "cipherSuites"], []); not c in allowed_ciphers}
	count(bad) > 0
}

# ---- Gateway API -----------------------------------------------------------------

cipher_option := "gateway.istio.io/tls-cipher-suites"

finding contains {
	"msg": sprintf("listener %s option %s allows cipher suites outside allowed_cipher_suites: %s; remove them from the option", [object.get(l, "name", "?"), cipher_option, concat(", ", sort(bad))]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("spec.listeners[%d].tls.options[%q]", [i, cipher_option]), "value": v}],
} if {
	some gw in lib.objects("Gateway.gateway.networking.k8s.io")
	lib.in_scope(lib.ns(gw))
	some i, l in object.get(gw.spec, "listeners", [])
	v := l.tls.options[cipher_option]
	bad := {c | some raw in split(v, ","); c := trim_space(raw); c != ""; not c in allowed_ciphers}
	count(bad) > 0
}

# api_terminating: Gateway API Gateways with a listener terminating TLS.
api_terminating contains gw if {
	some gw in lib.objects("Gateway.gateway.networking.k8s.io")
	lib.in_scope(lib.ns(gw))
	some l in object.get(gw.spec, "listeners", [])
	upper(object.get(l, "protocol", "")) in {"HTTPS", "TLS"}
	lower(object.get(l, ["tls", "mode"], "Terminate")) == "terminate"
}

# judged: every Gateway with a server or listener terminating TLS.
judged contains lib.resource(gw) if some [gw, _, _] in servers

judged contains lib.resource(gw) if some gw in api_terminating

not_applicable contains "no Gateway server or listener in the input terminates TLS (passthrough and cleartext servers are not judged here)" if {
	count(servers) == 0
	count(api_terminating) == 0
}

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
