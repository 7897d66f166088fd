# METADATA
# title: TLS origination to external hosts verifies the server
# description: |
#   DestinationRule TLS settings (trafficPolicy, portLevelSettings, subsets)
#   with mode SIMPLE or MUTUAL toward an external host (a host of a
#   MESH_EXTERNAL ServiceEntry, or a name outside the cluster) must verify
#   the server: `insecureSkipVerify: true` turns verification off (high).
#   Without `subjectAltNames` (on the rule or the ServiceEntry) and without
#   `sni`, the server's name is not checked for non-HTTP traffic: Istio's
#   automatic SNI and SAN validation derive the name from the HTTP Host
#   header only, so any certificate the trust store accepts is taken (high
#   unless every port of the host is HTTP). Without `caCertificates` or
#   `credentialName`, supported Istio versions verify the chain against the
#   proxy's OS trust bundle (VERIFY_CERTIFICATE_AT_CLIENT is always on since
#   Istio 1.24) rather than the server's own CA; that, and a missing `sni` or
#   `subjectAltNames` where the other still names the server, is medium.
#   Medium too: a port of an external ServiceEntry that carries plaintext
#   (HTTP, HTTP2, GRPC, or TCP/MONGO/unset on a port that is not a
#   well-known TLS port) with no DestinationRule originating TLS for it,
#   neither on that port nor on the port a VirtualService redirects it to
#   (Istio's TLS-origination pattern: port 80 routed to 443, directly or at
#   the egress gateway).
# custom:
#   id: EGR-05
#   severity: high
#   controls: [IA-5(2), SC-8(1)]
#   inputs: [DestinationRule, ServiceEntry, VirtualService, Namespace]
#   subjects: [DestinationRule, ServiceEntry]
#   remediation: |
#     In the DestinationRule's `tls` for the external host set `mode: SIMPLE`
#     (or MUTUAL), `caCertificates` (or `credentialName`) with the server's
#     CA, `sni` and `subjectAltNames` with the server's name, and remove
#     `insecureSkipVerify`. For a plaintext ServiceEntry port, originate TLS
#     with such a DestinationRule (port-level or top-level) or have the
#     application speak TLS (ServiceEntry protocol TLS/HTTPS).
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: partner-api
#         namespace: payments
#       spec:
#         hosts:
#         - api.partner.example.com
#         ports:
#         - number: 80
#           name: http
#           protocol: HTTP
#           targetPort: 443
#         location: MESH_EXTERNAL
#         resolution: DNS
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: partner-api
#         namespace: payments
#       spec:
#         host: api.partner.example.com
#         trafficPolicy:
#           portLevelSettings:
#           - port:
#               number: 80
#             tls:
#               mode: SIMPLE
#               insecureSkipVerify: true
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: partner-api
#         namespace: payments
#       spec:
#         hosts:
#         - api.partner.example.com
#         ports:
#         - number: 80
#           name: http
#           protocol: HTTP
#           targetPort: 443
#         location: MESH_EXTERNAL
#         resolution: DNS
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: partner-api
#         namespace: payments
#       spec:
#         host: api.partner.example.com
#         trafficPolicy:
#           portLevelSettings:
#           - port:
#               number: 80
#             tls:
#               mode: SIMPLE
#               credentialName: partner-api-ca
#               sni: api.partner.example.com
#               subjectAltNames:
#               - api.partner.example.com
package meshaudit.rules.egr_05

import data.meshaudit.lib
import rego.v1

obj_or_empty(x) := x if is_object(x)

else := {}

list_or_empty(x) := x if is_array(x)

else := []

spec(o) := obj_or_empty(object.get(o, "spec", {}))

origination_modes := {"SIMPLE", "MUTUAL"}

http_protocols := {"HTTP", "HTTP2", "GRPC", "GRPC-WEB"}

plaintext_protocols := {"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "TCP", "MONGO", ""}

# Well-known ports whose TCP traffic is TLS from the application itself.
tls_ports := {443, 465, 636, 853, 989, 990, 993, 995, 2376, 5671, 6443, 8443, 9443}

# ---- ServiceEntries ------------------------------------------------------------

external_se(se) if upper(object.get(spec(se), "location", "MESH_EXTERNAL")) != "MESH_INTERNAL"

entries := [se | some se in lib.objects("ServiceEntry"); lib.in_scope(lib.ns(se))]

external_entries := [se | some se in entries; external_se(se)]

internal_hosts := {h | some se in entries; not external_se(se); some h in list_or_empty(object.get(spec(se), "hosts", []))}

external_hosts := {h | some se in external_entries; some h in list_or_empty(object.get(spec(se), "hosts", []))}

# covers(pattern, host): exact, `*`, or a `*.` suffix wildcard.
covers(p, h) if p == h

covers("*", _)

covers(p, h) if {
	startswith(p, "*.")
	endswith(h, substring(p, 1, -1))
}

# cover_patterns(h): every pattern p with covers(p, h): the host itself, `*`
# and each `*.` suffix wildcard whose suffix (from its dot) ends the host.
# Sets and indexes keyed by pattern are looked up with these.
cover_patterns(h) := {h, "*"} | {concat("", ["*", substring(h, i, -1)]) |
	is_string(h)
	some i in indexof_n(h, ".")
}

# cluster_host: a Kubernetes Service name (short, name.ns, *.svc[.cluster.local]).
cluster_host(h) if not contains(h, ".")

cluster_host(h) if endswith(h, ".svc")

cluster_host(h) if contains(h, ".svc.")

cluster_host(h) if endswith(h, ".cluster.local")

cluster_host(h) if {
	parts := split(h, ".")
	count(parts) == 2
	parts[1] in lib.namespaces
}

# external_host: a host of a MESH_EXTERNAL ServiceEntry, or a name outside
# the cluster that no MESH_INTERNAL ServiceEntry declares.
external_host(h) if h in external_hosts

external_host(h) if {
	some e in cover_patterns(h)
	e in wildcard_external_hosts
}

wildcard_external_hosts := {e | some e in external_hosts; startswith(e, "*")}

external_host(h) if {
	h != "*"
	not cluster_host(h)
	not internal_declared(h)
}

internal_declared(h) if {
	some i in cover_patterns(h)
	i in internal_hosts
}

# External ServiceEntry hosts with every pattern covering them (see
# cover_patterns), built once and grouped by pattern: [pattern, ServiceEntry].
se_patterns := [[pat, se] |
	some se in external_entries
	some eh in list_or_empty(object.get(spec(se), "hosts", []))
	some pat in cover_patterns(eh)
]

# se_sans(h): subjectAltNames of the external ServiceEntries of host h.
san_pairs := [[x[0], san] |
	some x in se_patterns
	some san in list_or_empty(object.get(spec(x[1]), "subjectAltNames", []))
]

sans_by_pattern := {pat: sans |
	some pat in {y[0] | some y in san_pairs}
	sans := {y[1] | some y in san_pairs; y[0] == pat}
}

se_sans(h) := object.get(sans_by_pattern, h, set())

# http_only(h): every port of the external ServiceEntries of h is HTTP.
protocol_pairs := [[x[0], upper(object.get(obj_or_empty(p), "protocol", ""))] |
	some x in se_patterns
	some p in list_or_empty(object.get(spec(x[1]), "ports", []))
]

protocols_by_pattern := {pat: ps |
	some pat in {y[0] | some y in protocol_pairs}
	ps := {y[1] | some y in protocol_pairs; y[0] == pat}
}

se_protocols(h) := object.get(protocols_by_pattern, h, set())

http_only(h) if {
	ps := se_protocols(h)
	count(ps) > 0
	every p in ps {
		p in http_protocols
	}
}

# ---- TLS settings of DestinationRules ---------------------------------------------

port_label(ps) := sprintf("portLevelSettings port %v", [ps.port.number]) if ps.port.number

else := "portLevelSettings"

# tls_settings(dr): [where, tls, port number or null] of every tls block.
tls_settings(dr) := array.concat(
	array.concat(top_level(dr), port_level(spec(dr), "")),
	[x |
		some sub in list_or_empty(object.get(spec(dr), "subsets", []))
		ss := obj_or_empty(sub)
		tp := obj_or_empty(object.get(ss, "trafficPolicy", {}))
		prefix := sprintf("subset %v ", [object.get(ss, "name", "")])
		some x in array.concat(
			[[concat("", [prefix, "trafficPolicy"]), t, null] | t := obj_or_empty(object.get(tp, "tls", null)); count(t) > 0],
			port_level(ss, prefix),
		)
	],
)

top_level(dr) := [["trafficPolicy", t, null] |
	t := obj_or_empty(object.get(obj_or_empty(object.get(spec(dr), "trafficPolicy", {})), "tls", null))
	count(t) > 0
]

port_level(holder, prefix) := [[concat("", [prefix, port_label(ps)]), t, object.get(obj_or_empty(object.get(ps, "port", {})), "number", null)] |
	tp := obj_or_empty(object.get(holder, "trafficPolicy", {}))
	some ps0 in list_or_empty(object.get(tp, "portLevelSettings", []))
	ps := obj_or_empty(ps0)
	t := obj_or_empty(object.get(ps, "tls", null))
	count(t) > 0
]

mode(t) := upper(object.get(t, "mode", "DISABLE"))

rules := [dr | some dr in lib.objects("DestinationRule"); lib.in_scope(lib.ns(dr))]

dr_host(dr) := h if {
	h := spec(dr).host
	is_string(h)
}

dr_name(dr) := sprintf("%s/%s", [lib.ns(dr), lib.name(dr)])

originations contains [dr, where, t] if {
	some dr in rules
	h := dr_host(dr)
	external_host(h)
	some [where, t, _] in tls_settings(dr)
	mode(t) in origination_modes
}

set_value(t, k) if {
	v := object.get(t, k, "")
	v != ""
	v != null
	v != []
}

has_ca(t) if set_value(t, "caCertificates")

has_ca(t) if set_value(t, "credentialName")

has_san(t, _) if set_value(t, "subjectAltNames")

has_san(_, h) if count(se_sans(h)) > 0

has_sni(t) if set_value(t, "sni")

missing(t, h) := array.concat(
	array.concat(
		["caCertificates or credentialName" | not has_ca(t)],
		["subjectAltNames" | not has_san(t, h)],
	),
	["sni" | not has_sni(t)],
)

# ---- findings ------------------------------------------------------------------------

deny contains {
	"msg": sprintf("%s of DestinationRule %s originates %s TLS to external host %q with insecureSkipVerify: true, so the server's certificate is not verified", [where, dr_name(dr), mode(t), dr_host(dr)]),
	"resource": lib.resource(dr),
} if {
	some [dr, where, t] in originations
	lib.truthy(object.get(t, "insecureSkipVerify", false))
}

# Neither subjectAltNames nor sni: for non-HTTP traffic nothing names the server.
deny contains {
	"msg": sprintf("%s of DestinationRule %s originates %s TLS to external host %q without subjectAltNames or sni, so the server's name is not verified (Istio derives it only from the HTTP Host header)%s", [where, dr_name(dr), mode(t), h, ca_note(t)]),
	"resource": lib.resource(dr),
} if {
	some [dr, where, t] in originations
	not lib.truthy(object.get(t, "insecureSkipVerify", false))
	h := dr_host(dr)
	not has_san(t, h)
	not has_sni(t)
	not http_only(h)
}

ca_note(t) := "" if has_ca(t)

else := "; without caCertificates or credentialName any CA of the proxy's OS trust bundle is accepted"

deny contains {
	"msg": sprintf("%s of DestinationRule %s originates %s TLS to external host %q without %s: the chain is checked against the proxy's OS trust bundle rather than the server's CA, and the name only where Istio can derive it", [where, dr_name(dr), mode(t), h, concat(", ", m)]),
	"resource": lib.resource(dr),
	"severity": "medium",
} if {
	some [dr, where, t] in originations
	not lib.truthy(object.get(t, "insecureSkipVerify", false))
	h := dr_host(dr)
	not high_name_case(t, h)
	m := missing(t, h)
	count(m) > 0
}

high_name_case(t, h) if {
	not has_san(t, h)
	not has_sni(t)
	not http_only(h)
}

# ---- plaintext external ports -----------------------------------------------------------

port_num(p) := n if {
	n := p.number
	is_number(n)
} else := to_number(p.number) if {
	is_string(p.number)
	regex.match(`^[0-9]+$`, p.number)
}

# target(p): the port the traffic reaches (targetPort, else number).
target(p) := n if {
	n := p.targetPort
	is_number(n)
} else := port_num(p)

plaintext_port(p) if {
	upper(object.get(p, "protocol", "")) in http_protocols
}

plaintext_port(p) if {
	proto := upper(object.get(p, "protocol", ""))
	proto in plaintext_protocols
	not proto in http_protocols
	not target(p) in tls_ports
}

# DestinationRules by exact host (a complete object, grouped once), and those
# with a wildcard host (few).
# (Indexes hold positions in `rules`: cheaper than sets of whole objects.)
exact_rule_pairs := [[h, i] |
	some i, dr in rules
	h := dr_host(dr)
	not startswith(h, "*")
]

rules_by_host := {h: drs |
	some h in {x[0] | some x in exact_rule_pairs}
	drs := [x[1] | some x in exact_rule_pairs; x[0] == h]
}

wildcard_rules := [dr | some dr in rules; startswith(dr_host(dr), "*")]

rules_for(h) := array.concat(
	[rules[i] | some i in object.get(rules_by_host, h, [])],
	[dr | some dr in wildcard_rules; covers(dr_host(dr), h)],
)

# originates(h, port): a DestinationRule for the host originates TLS on the port.
originates(h, port) if {
	some dr in rules_for(h)
	some [_, t, n] in tls_settings(dr)
	mode(t) in origination_modes
	n in {null, port}
	not overridden(dr, port, n)
}

# A top-level setting is replaced by a portLevelSettings entry for the port.
overridden(dr, port, null) if {
	some [_, t, n] in port_level(spec(dr), "")
	n == port
	not mode(t) in origination_modes
}

deny contains {
	"msg": sprintf("port %v/%s of external host %q carries plaintext and no DestinationRule originates TLS for it", [port_num(p), proto_text(p), h]),
	"resource": lib.resource(se),
	"severity": "medium",
} if {
	some se in external_entries
	some p0 in list_or_empty(object.get(spec(se), "ports", []))
	p := obj_or_empty(p0)
	port_num(p)
	plaintext_port(p)
	some h in list_or_empty(object.get(spec(se), "hosts", []))
	not originates(h, port_num(p))
	not redirected_to_tls(h, port_num(p))
}

# redirected_to_tls: a VirtualService for the host routes the port's traffic
# (directly or at the egress gateway) to another port of the host where a
# DestinationRule originates TLS: the Istio TLS-origination pattern (HTTP
# port 80 sent to 443).
virtual_services := [vs | some vs in lib.objects("VirtualService"); lib.in_scope(lib.ns(vs))]

# vs_by_host: host -> positions in virtual_services (grouped once).
vs_host_pairs := [[h, i] |
	some i, vs in virtual_services
	some h in list_or_empty(object.get(spec(vs), "hosts", []))
	is_string(h)
]

vs_by_host := {h: vss |
	some h in {x[0] | some x in vs_host_pairs}
	vss := [x[1] | some x in vs_host_pairs; x[0] == h]
}

redirected_to_tls(h, port) if {
	some i in object.get(vs_by_host, h, [])
	vs := virtual_services[i]
	some kind in ["http", "tcp", "tls"]
	some r in list_or_empty(object.get(spec(vs), kind, []))
	route_for_port(obj_or_empty(r), port)
	some d in list_or_empty(object.get(obj_or_empty(r), "route", []))
	dest := obj_or_empty(object.get(obj_or_empty(d), "destination", {}))
	covers(object.get(dest, "host", ""), h)
	target_port := object.get(obj_or_empty(object.get(dest, "port", {})), "number", null)
	is_number(target_port)
	target_port != port
	originates(h, target_port)
}

route_for_port(r, _) if count(list_or_empty(object.get(r, "match", []))) == 0

route_for_port(r, port) if {
	some m in list_or_empty(object.get(r, "match", []))
	object.get(obj_or_empty(m), "port", port) == port
}

proto_text(p) := object.get(p, "protocol", "") if object.get(p, "protocol", "") != ""

else := "unset protocol"
