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
#   the egress gateway). Hosts are matched by the shared host matcher
#   (lib/hosts.rego: short names relative to the object's namespace,
#   case-insensitive, `*` and `*.suffix` wildcards). Judged: every
#   DestinationRule originating TLS to an external host, and every external
#   ServiceEntry (its ports). Findings carry the TLS or port fields as
#   evidence.
#   One finding per DestinationRule or ServiceEntry lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
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

origination_modes := {"SIMPLE", "MUTUAL"}

plaintext_protocols := {"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "TCP", "MONGO", ""}

tls_ports := {443, 465, 636, 853, 989, 990, 993, 995, 2376, 5671, 6443, 8443, 9443}

# ---- ServiceEntries and hosts (lib/hosts.rego) -------------------------------------

external_se(se) if upper(object.get(lib.spec(se), "location", "MESH_EXTERNAL")) != "MESH_INTERNAL"

external_entries := [se | some se in lib.scoped_service_entries; external_se(se)]

# se_hosts(se): the entry's hosts, normalised.
se_hosts(se) := {lib.host_normalize(h, lib.ns(se)) | some h in lib.as_array(object.get(lib.spec(se), "hosts", [])); is_string(h)}

internal_hosts := {h | some se in lib.scoped_service_entries; not external_se(se); some h in se_hosts(se)}

external_hosts := {h | some se in external_entries; some h in se_hosts(se)}

# cluster_host(h): a normalised host that names a cluster Service (also as a
# client's DNS search path completes it).
cluster_host(h) if endswith(h, ".svc")

cluster_host(h) if contains(h, ".svc.")

cluster_host(h) if endswith(h, concat("", [".", lib.cluster_domain]))

cluster_host(h) if endswith(lib.host_normalize_dns(h, ""), lib.svc_suffix)

external_host(h) if h in external_hosts

external_host(h) if {
	some e in lib.host_keys(h)
	e in external_hosts
}

external_host(h) if {
	h != "*"
	not cluster_host(h)
	not internal_declared(h)
}

internal_declared(h) if {
	some i in lib.host_keys(h)
	i in internal_hosts
}

# se_patterns: [pattern, entry] for every pattern covering a host of an
# external entry: a DestinationRule host finds the entries it covers by one
# lookup.
se_patterns := [[pat, se] |
	some se in external_entries
	some eh in se_hosts(se)
	some pat in lib.host_keys(eh)
]

sans_by_pattern := lib.group([[x[0], san] |
	some x in se_patterns
	some san in lib.as_array(object.get(lib.spec(x[1]), "subjectAltNames", []))
])

se_sans(h) := object.get(sans_by_pattern, h, set())

protocols_by_pattern := lib.group([[x[0], upper(object.get(lib.as_object(p), "protocol", ""))] |
	some x in se_patterns
	some p in lib.as_array(object.get(lib.spec(x[1]), "ports", []))
])

se_protocols(h) := object.get(protocols_by_pattern, h, set())

http_only(h) if {
	ps := se_protocols(h)
	count(ps) > 0
	every p in ps {
		p in lib.http_protocols
	}
}

# ---- TLS settings of DestinationRules ---------------------------------------------------

port_label(ps) := sprintf("portLevelSettings port %v", [ps.port.number]) if ps.port.number

else := "portLevelSettings"

# tls_settings(dr): [where, tls, port or null, path of the tls block].
tls_settings(dr) := array.concat(
	array.concat(top_level(dr), port_level(lib.spec(dr), "", "spec")),
	[x |
		some i, sub in lib.as_array(object.get(lib.spec(dr), "subsets", []))
		ss := lib.as_object(sub)
		tp := lib.as_object(object.get(ss, "trafficPolicy", {}))
		prefix := sprintf("subset %v ", [object.get(ss, "name", "")])
		spath := sprintf("spec.subsets[%d]", [i])
		some x in array.concat(
			[[concat("", [prefix, "trafficPolicy"]), t, null, concat("", [spath, ".trafficPolicy.tls"])] | t := lib.as_object(object.get(tp, "tls", null)); count(t) > 0],
			port_level(ss, prefix, spath),
		)
	],
)

top_level(dr) := [["trafficPolicy", t, null, "spec.trafficPolicy.tls"] |
	t := lib.as_object(object.get(lib.as_object(object.get(lib.spec(dr), "trafficPolicy", {})), "tls", null))
	count(t) > 0
]

port_level(holder, prefix, hpath) := [[concat("", [prefix, port_label(ps)]), t, object.get(lib.as_object(object.get(ps, "port", {})), "number", null), sprintf("%s.trafficPolicy.portLevelSettings[%d].tls", [hpath, i])] |
	tp := lib.as_object(object.get(holder, "trafficPolicy", {}))
	some i, ps0 in lib.as_array(object.get(tp, "portLevelSettings", []))
	ps := lib.as_object(ps0)
	t := lib.as_object(object.get(ps, "tls", null))
	count(t) > 0
]

rules := [dr | some dr in lib.objects("DestinationRule"); lib.in_scope(lib.ns(dr))]

# dr_host(dr): the rule's host, normalised; raw_host: as written.
dr_host(dr) := lib.host_normalize(lib.spec(dr).host, lib.ns(dr))

raw_host(dr) := lib.spec(dr).host

originations contains [dr, where, t, path] if {
	some dr in rules
	h := dr_host(dr)
	external_host(h)
	some [where, t, _, path] in tls_settings(dr)
	lib.tls_mode(t) in origination_modes
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

# absent_evidence(path, fields): the unset fields of the tls block.
absent_evidence(path, fields) := [{"path": concat("", [path, ".", f])} |
	some x in fields
	some f in field_names(x)
]

field_names("caCertificates or credentialName") := ["caCertificates", "credentialName"]

field_names(x) := [x] if x != "caCertificates or credentialName"

mode_evidence(t, path) := {"path": concat("", [path, ".mode"]), "value": t.mode}

finding contains {
	"msg": sprintf("%s of DestinationRule %s originates %s TLS to external host %q with insecureSkipVerify: true, so the server's certificate is not verified: remove insecureSkipVerify and set caCertificates (or credentialName), sni and subjectAltNames", [where, lib.ns_name(dr), lib.tls_mode(t), raw_host(dr)]),
	"resource": lib.resource(dr),
	"evidence": [
		{"path": "spec.host", "value": raw_host(dr)},
		mode_evidence(t, path),
		{"path": concat("", [path, ".insecureSkipVerify"]), "value": t.insecureSkipVerify},
	],
} if {
	some [dr, where, t, path] in originations
	lib.truthy(object.get(t, "insecureSkipVerify", false))
}

finding contains {
	"msg": sprintf("%s of DestinationRule %s originates %s TLS to external host %q without subjectAltNames or sni, so the server's name is not verified (Istio derives it only from the HTTP Host header)%s: set sni and subjectAltNames to the server's name", [where, lib.ns_name(dr), lib.tls_mode(t), raw_host(dr), ca_note(t)]),
	"resource": lib.resource(dr),
	"evidence": array.concat([{"path": "spec.host", "value": raw_host(dr)}, mode_evidence(t, path)], absent_evidence(path, missing(t, h))),
} if {
	some [dr, where, t, path] in originations
	not lib.truthy(object.get(t, "insecureSkipVerify", false))
	h := dr_host(dr)
	not has_san(t, h)
	not has_sni(t)
	not http_only(h)
}

ca_note(t) := "" if has_ca(t)

else := "; without caCertificates or credentialName any CA of the proxy's OS trust bundle is accepted"

finding contains {
	"msg": sprintf("%s of DestinationRule %s originates %s TLS to external host %q without %s: the chain is checked against the proxy's OS trust bundle rather than the server's CA, and the name only where Istio can derive it: set them", [where, lib.ns_name(dr), lib.tls_mode(t), raw_host(dr), concat(", ", m)]),
	"resource": lib.resource(dr),
	"severity": "medium",
	"evidence": array.concat([{"path": "spec.host", "value": raw_host(dr)}, mode_evidence(t, path)], absent_evidence(path, m)),
} if {
	some [dr, where, t, path] in originations
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

# ---- plaintext ports of external ServiceEntries -----------------------------------------

port_num(p) := n if {
	n := p.number
	is_number(n)
} else := to_number(p.number) if {
	is_string(p.number)
	regex.match(`^[0-9]+$`, p.number)
}

target(p) := n if {
	n := p.targetPort
	is_number(n)
} else := port_num(p)

plaintext_port(p) if {
	upper(object.get(p, "protocol", "")) in lib.http_protocols
}

plaintext_port(p) if {
	proto := upper(object.get(p, "protocol", ""))
	proto in plaintext_protocols
	not proto in lib.http_protocols
	not target(p) in tls_ports
}

# rules_by_host: the DestinationRules by normalised host (built once).
rules_by_host := lib.group([[dr_host(dr), dr] | some dr in rules])

rules_for(h) := lib.host_lookup(rules_by_host, h)

originates(h, port) if {
	some dr in rules_for(h)
	some [_, t, n, _] in tls_settings(dr)
	lib.tls_mode(t) in origination_modes
	n in {null, port}
	not overridden(dr, port, n)
}

overridden(dr, port, null) if {
	some [_, t, n, _] in port_level(lib.spec(dr), "", "spec")
	n == port
	not lib.tls_mode(t) in origination_modes
}

finding contains {
	"msg": sprintf("port %v/%s of external host %q carries plaintext and no DestinationRule originates TLS for it: add a DestinationRule for the host with tls.mode SIMPLE (top-level or for this port), or have the application speak TLS (protocol TLS/HTTPS)", [port_num(p), proto_text(p), h]),
	"resource": lib.resource(se),
	"severity": "medium",
	"evidence": [
		{"path": sprintf("spec.hosts[%d]", [j]), "value": h},
		object.union({"path": sprintf("spec.ports[%d].protocol", [i])}, {"value": v | v := p.protocol}),
		{"path": sprintf("DestinationRule with tls.mode SIMPLE or MUTUAL for host %q port %v", [h, port_num(p)]), "value": 0},
	],
} if {
	some se in external_entries
	some i, p0 in lib.as_array(object.get(lib.spec(se), "ports", []))
	p := lib.as_object(p0)
	port_num(p)
	plaintext_port(p)
	some j, h in lib.as_array(object.get(lib.spec(se), "hosts", []))
	is_string(h)
	nh := lib.host_normalize(h, lib.ns(se))
	not originates(nh, port_num(p))
	not redirected_to_tls(nh, port_num(p), lib.ns(se))
}

virtual_services := [vs | some vs in lib.objects("VirtualService"); lib.in_scope(lib.ns(vs))]

vs_by_host := lib.group([[lib.host_normalize(h, lib.ns(vs)), vs] |
	some vs in virtual_services
	some h in lib.as_array(object.get(lib.spec(vs), "hosts", []))
	is_string(h)
])

redirected_to_tls(h, port, _) if {
	some vs in object.get(vs_by_host, h, set())
	some kind in ["http", "tcp", "tls"]
	some r in lib.as_array(object.get(lib.spec(vs), kind, []))
	route_for_port(lib.as_object(r), port)
	some d in lib.as_array(object.get(lib.as_object(r), "route", []))
	dest := lib.as_object(object.get(lib.as_object(d), "destination", {}))
	dh := object.get(dest, "host", "")
	is_string(dh)
	lib.host_covers(lib.host_normalize(dh, lib.ns(vs)), h)
	target_port := object.get(lib.as_object(object.get(dest, "port", {})), "number", null)
	is_number(target_port)
	target_port != port
	originates(h, target_port)
}

route_for_port(r, _) if count(lib.as_array(object.get(r, "match", []))) == 0

route_for_port(r, port) if {
	some m in lib.as_array(object.get(r, "match", []))
	object.get(lib.as_object(m), "port", port) == port
}

proto_text(p) := object.get(p, "protocol", "") if object.get(p, "protocol", "") != ""

else := "unset protocol"

# ---- verdict ------------------------------------------------------------------------------

# judged: every DestinationRule originating TLS to an external host, and
# every external ServiceEntry (its ports).
judged contains lib.resource(dr) if some [dr, _, _, _] in originations

judged contains lib.resource(se) if some se in external_entries

not_applicable contains "no external ServiceEntry and no DestinationRule originating TLS to an external host in the input" if {
	count(external_entries) == 0
	count(originations) == 0
}

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
