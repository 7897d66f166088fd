# METADATA
# title: No cleartext gateway listeners
# description: |
#   Istio Gateway servers and Gateway API listeners carry TLS. An Istio HTTP
#   server (and HTTP2/GRPC/GRPC-WEB, which Istio serves as plain HTTP) must
#   redirect to HTTPS (`tls.httpsRedirect: true`); HTTPS/TLS servers must
#   terminate TLS (`tls.mode` SIMPLE, MUTUAL, OPTIONAL_MUTUAL or
#   ISTIO_MUTUAL); PASSTHROUGH (the default mode) and AUTO_PASSTHROUGH are
#   accepted only for allowlisted hosts; TCP and other non-TLS protocols are
#   cleartext. Gateway API HTTP, TCP and UDP listeners are cleartext, and TLS
#   Passthrough listeners need allowlisted hostnames. A Gateway of the
#   egress gateway (its selector holds every `egress_gateway_labels` pair)
#   receives the sidecars' outbound traffic: an HTTP server there is a
#   cleartext hop whose fix is HTTPS with `tls.mode: ISTIO_MUTUAL` (and an
#   ISTIO_MUTUAL DestinationRule toward it), never an HTTPS redirect, which
#   would be sent back to the application. Judged: every Gateway
#   with a server or listener; findings carry the server's protocol and TLS
#   fields as evidence.
#   One finding per Gateway lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
# custom:
#   id: ING-01
#   severity: high
#   controls: [SC-8(1), AC-17(2)]
#   inputs: [Gateway, Gateway.gateway.networking.k8s.io]
#   subjects: [Gateway, Gateway.gateway.networking.k8s.io]
#   remediation: |
#     Serve HTTPS/TLS with `tls.mode: SIMPLE` (or MUTUAL) and a
#     `credentialName`; keep port 80 only with `tls.httpsRedirect: true`;
#     replace TCP servers with TLS ones. Use PASSTHROUGH only for documented
#     hosts listed in the allowed_passthrough_hosts parameter. For Gateway
#     API, use HTTPS/TLS listeners with `tls.mode: Terminate`.
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: egress-etcd
#         namespace: istio-system
#       spec:
#         selector:
#           istio: egressgateway
#         servers:
#         - port:
#             number: 2379
#             name: tls-etcd
#             protocol: TLS
#           hosts:
#           - etcd-3-1.us-south.etcd.example.com
#           - etcd-3-2.us-south.etcd.example.com
#           - etcd-3-3.us-south.etcd.example.com
#           tls:
#             mode: PASSTHROUGH
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: egress-etcd
#         namespace: istio-system
#       spec:
#         selector:
#           istio: egressgateway
#         servers:
#         - port:
#             number: 2379
#             name: tls-etcd
#             protocol: TLS
#           hosts:
#           - etcd-3-1.us-south.etcd.example.com
#           - etcd-3-2.us-south.etcd.example.com
#           - etcd-3-3.us-south.etcd.example.com
#           tls:
#             mode: ISTIO_MUTUAL
package meshaudit.rules.ing_01

import data.meshaudit.lib
import rego.v1

passthrough_modes := {"PASSTHROUGH", "AUTO_PASSTHROUGH"}

tls_protocols := {"HTTPS", "TLS"}

# allowed_host: the host matches an allowed_passthrough_hosts glob (`*` matches any characters).
allowed_host(h) if {
	some p in lib.params.allowed_passthrough_hosts
	glob.match(p, null, h)
}

# ---- Istio Gateway -------------------------------------------------------------

istio_servers contains [gw, s, i] if {
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
	some i, s in object.get(gw.spec, "servers", [])
}

# sp(i, field): the path of a field of server i.
sp(i, field) := sprintf("spec.servers[%d].%s", [i, field])

protocol_evidence(s, i) := {"path": sp(i, "port.protocol"), "value": object.get(s, ["port", "protocol"], "")}

mode_evidence(s, i) := {"path": sp(i, "tls.mode"), "value": s.tls.mode} if s.tls.mode

else := {"path": sp(i, "tls.mode")}

protocol(s) := upper(object.get(s, ["port", "protocol"], ""))

port_desc(s) := sprintf("%v (%s)", [object.get(s, ["port", "number"], "?"), protocol(s)])

# tls mode of a server; the API's default is PASSTHROUGH.
server_tls_mode(s) := upper(object.get(s.tls, "mode", "PASSTHROUGH"))

mode_desc(s) := sprintf("tls.mode %s", [server_tls_mode(s)]) if s.tls.mode

else := "tls.mode unset (PASSTHROUGH)"

finding contains {
	"msg": sprintf("server port %s serves cleartext HTTP without tls.httpsRedirect: true: set it, and serve the hosts on an HTTPS server", [port_desc(s)]),
	"resource": lib.resource(gw),
	"evidence": [protocol_evidence(s, i), object.union({"path": sp(i, "tls.httpsRedirect")}, {"value": v | v := s.tls.httpsRedirect})],
} if {
	some [gw, s, i] in istio_servers
	not egress_gateway(gw)
	protocol(s) in lib.http_protocols
	not lib.truthy(object.get(s, ["tls", "httpsRedirect"], false))
}

# egress_gateway(gw): the Gateway configures the egress gateway (its
# selector holds every egress_gateway_labels pair). Its servers receive the
# sidecars' outbound traffic, so a redirect to HTTPS would be sent back to
# the application: the cleartext hop is fixed with ISTIO_MUTUAL instead.
egress_gateway(gw) if {
	l := lib.params.egress_gateway_labels
	count(l) > 0
	sel := object.get(gw.spec, "selector", {})
	every k, v in l {
		sel[k] == v
	}
}

finding contains {
	"msg": sprintf("server port %s of the egress gateway receives the sidecars' traffic in cleartext (tls.httpsRedirect does not apply to egress): serve it with protocol HTTPS and tls.mode ISTIO_MUTUAL, and route to it through a DestinationRule with tls.mode ISTIO_MUTUAL", [port_desc(s)]),
	"resource": lib.resource(gw),
	"evidence": [protocol_evidence(s, i), {"path": "spec.selector", "value": object.get(gw.spec, "selector", {})}],
} if {
	some [gw, s, i] in istio_servers
	egress_gateway(gw)
	protocol(s) in lib.http_protocols
}

finding contains {
	"msg": sprintf("server port %s has no tls settings (Istio rejects HTTPS/TLS servers without them): add tls with mode SIMPLE and a credentialName", [port_desc(s)]),
	"resource": lib.resource(gw),
	"evidence": [protocol_evidence(s, i), {"path": sp(i, "tls")}],
} if {
	some [gw, s, i] in istio_servers
	protocol(s) in tls_protocols
	not s.tls
}

finding contains {
	"msg": sprintf("server port %s has %s, want SIMPLE, MUTUAL, OPTIONAL_MUTUAL or ISTIO_MUTUAL", [port_desc(s), mode_desc(s)]),
	"resource": lib.resource(gw),
	"evidence": [protocol_evidence(s, i), mode_evidence(s, i)],
} if {
	some [gw, s, i] in istio_servers
	protocol(s) in tls_protocols
	mode := server_tls_mode(s)
	not mode in lib.terminating_tls_modes
	not mode in passthrough_modes
}

finding contains {
	"msg": sprintf("server port %s uses %s for hosts not in allowed_passthrough_hosts: %s; terminate TLS at the gateway (tls.mode SIMPLE) or allowlist the hosts in allowed_passthrough_hosts", [port_desc(s), mode_desc(s), concat(", ", hosts)]),
	"resource": lib.resource(gw),
	"evidence": [protocol_evidence(s, i), mode_evidence(s, i), {"path": sp(i, "hosts"), "value": object.get(s, "hosts", [])}],
} if {
	some [gw, s, i] in istio_servers
	protocol(s) in tls_protocols
	server_tls_mode(s) in passthrough_modes
	hosts := sort({h | some raw in object.get(s, "hosts", []); h := lib.host_part(raw); not allowed_host(h)})
	count(hosts) > 0
}

finding contains {
	"msg": sprintf("server port %s carries cleartext: only HTTPS and TLS servers use TLS; change its protocol to HTTPS or TLS with a terminating tls.mode", [port_desc(s)]),
	"resource": lib.resource(gw),
	"evidence": [protocol_evidence(s, i)],
} if {
	some [gw, s, i] in istio_servers
	not protocol(s) in lib.http_protocols
	not protocol(s) in tls_protocols
}

# ---- Gateway API -----------------------------------------------------------------

api_listeners contains [gw, l, i] if {
	some gw in lib.objects(lib.gateway_api_key)
	lib.in_scope(lib.ns(gw))
	some i, l in object.get(gw.spec, "listeners", [])
}

listener_desc(l) := sprintf("%s port %v (%s)", [object.get(l, "name", "?"), object.get(l, "port", "?"), upper(object.get(l, "protocol", ""))])

finding contains {
	"msg": sprintf("listener %s carries cleartext: use an HTTPS or TLS listener that terminates TLS", [listener_desc(l)]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("spec.listeners[%d].protocol", [i]), "value": object.get(l, "protocol", "")}],
} if {
	some [gw, l, i] in api_listeners
	upper(object.get(l, "protocol", "")) in {"HTTP", "TCP", "UDP"}
}

finding contains {
	"msg": sprintf("listener %s uses tls.mode Passthrough for %s, which is not in allowed_passthrough_hosts: terminate TLS (tls.mode Terminate) or allowlist the hostname", [listener_desc(l), hostname_desc(l)]),
	"resource": lib.resource(gw),
	"evidence": [
		{"path": sprintf("spec.listeners[%d].tls.mode", [i]), "value": object.get(l, ["tls", "mode"], "")},
		object.union({"path": sprintf("spec.listeners[%d].hostname", [i])}, {"value": v | v := l.hostname}),
	],
} if {
	some [gw, l, i] in api_listeners
	upper(object.get(l, "protocol", "")) in tls_protocols
	lower(object.get(l, ["tls", "mode"], "Terminate")) == "passthrough"
	not allowed_host(object.get(l, "hostname", "*"))
}

hostname_desc(l) := sprintf("hostname %s", [l.hostname]) if l.hostname

else := "every hostname (hostname unset)"

# judged: every Gateway with a server or listener (each is judged on its
# own TLS settings).
judged contains lib.resource(gw) if some [gw, _, _] in istio_servers

judged contains lib.resource(gw) if some [gw, _, _] in api_listeners

not_applicable contains "no Istio Gateway server and no Gateway API listener in the input" if {
	count(istio_servers) == 0
	count(api_listeners) == 0
}

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
