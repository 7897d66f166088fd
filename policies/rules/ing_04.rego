# METADATA
# title: Narrow gateway host binding
# description: |
#   Istio Gateway servers bind named hosts: a host `*` (also `*/*`, `./*`,
#   `ns/*`) accepts any hostname, and a Gateway API HTTP/HTTPS/TLS listener
#   without a hostname (or `*`) likewise. Two Gateways with the same selector
#   that open the same port for overlapping hosts conflict: Istio merges them
#   unpredictably (istioctl analyze IST0145). The same `credentialName` on
#   Gateways of the same selector makes clients that reuse HTTP/2
#   connections across hosts get 404s (IST0138). The catalog's IST0162
#   (Gateway port not exposed by the Service) is not about host binding and
#   is not checked here. Hosts are compared by the shared host matcher
#   (lib/hosts.rego: `ns/host`, case-insensitive, `*` and `*.suffix`
#   wildcards). Judged: every Gateway with a server or listener; findings
#   carry the host, selector and credential fields as evidence.
#   One finding per Gateway lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
# custom:
#   id: ING-04
#   severity: medium
#   controls: [SC-7(3), AC-4]
#   inputs: [Gateway, Gateway.gateway.networking.k8s.io]
#   subjects: [Gateway, Gateway.gateway.networking.k8s.io]
#   remediation: |
#     List the exact hostnames each Gateway server serves (and `hostname` on
#     Gateway API listeners); give each host and port one Gateway per gateway
#     workload, merging conflicting ones; use a distinct certificate per
#     Gateway or one Gateway for the hosts sharing a certificate.
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
#           - "*"
#           tls:
#             mode: SIMPLE
#             credentialName: shop-example-com-tls
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
package meshaudit.rules.ing_04

import data.meshaudit.lib
import rego.v1

gateways := [gw |
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
]

finding contains {
	"msg": sprintf("server port %v binds host %q, which accepts any hostname: list the exact hostnames it serves", [object.get(s, ["port", "number"], "?"), h]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("spec.servers[%d].hosts[%d]", [k, j]), "value": h}],
} if {
	some gw in gateways
	some k, s in object.get(gw.spec, "servers", [])
	some j, h in object.get(s, "hosts", [])
	lib.host_part(h) == "*"
}

api_gateways := [gw |
	some gw in lib.objects("Gateway.gateway.networking.k8s.io")
	lib.in_scope(lib.ns(gw))
]

finding contains {
	"msg": sprintf("listener %s (%s) has %s, which accepts any hostname: set hostname to the exact name it serves", [object.get(l, "name", "?"), upper(l.protocol), desc]),
	"resource": lib.resource(gw),
	"evidence": [object.union({"path": sprintf("spec.listeners[%d].hostname", [k])}, {"value": v | v := l.hostname})],
} if {
	some gw in api_gateways
	some k, l in object.get(gw.spec, "listeners", [])
	upper(object.get(l, "protocol", "")) in {"HTTP", "HTTPS", "TLS"}
	desc := any_hostname(l)
}

any_hostname(l) := "no hostname" if {
	not l.hostname
} else := `hostname "*"` if {
	l.hostname == "*"
}

# ---- conflicting Gateways (IST0145) -------------------------------------------------

sel_key(gw) := json.marshal(object.get(gw.spec, "selector", {}))

# bindings: [selector, port, gateway index, host, field path].
bindings contains [sel_key(gw), object.get(s, ["port", "number"], 0), i, lib.host_part(h), sprintf("spec.servers[%d].hosts[%d]", [k, j])] if {
	some i, gw in gateways
	some k, s in object.get(gw.spec, "servers", [])
	some j, h in object.get(s, "hosts", [])
}

# by_sel_port: the gateway indexes per [selector, port]; hosts_at: the
# [host, path] bound per [selector, port, gateway index] (built once).
by_sel_port := lib.group([[[sel, port], i] | some [sel, port, i, _, _] in bindings])

hosts_at := lib.group([[[sel, port, i], [h, path]] | some [sel, port, i, h, path] in bindings])

finding contains {
	"msg": sprintf("conflicts with Gateway %s: same selector %s, port %v and overlapping hosts %s; Istio merges them unpredictably: serve each host and port from one Gateway", [lib.ns_name(gateways[j]), sel, port, concat(", ", sort({h | some [h, _] in overlapping}))]),
	"resource": lib.resource(gateways[i]),
	"evidence": array.concat(
		[{"path": "spec.selector", "value": object.get(gateways[i].spec, "selector", {})}],
		array.concat(
			[{"path": path, "value": h} | some [h, path] in sort(overlapping)],
			[{"path": "spec.selector", "value": object.get(gateways[j].spec, "selector", {}), "resource": lib.resource(gateways[j])}],
		),
	),
} if {
	some [sel, port], ids in by_sel_port
	count(ids) > 1
	some i in ids
	some j in ids
	i != j
	overlapping := {[h, path] |
		some [h, path] in object.get(hosts_at, [[sel, port, i]], set())
		some [h2, _] in object.get(hosts_at, [[sel, port, j]], set())
		lib.hosts_overlap(h, h2)
	}
	count(overlapping) > 0
}

# ---- shared certificates (IST0138) ----------------------------------------------------

cred_pairs := [[[sel_key(gw), c], [i, sprintf("spec.servers[%d].tls.credentialName", [k])]] |
	some i, gw in gateways
	some k, s in object.get(gw.spec, "servers", [])
	c := s.tls.credentialName
	c != ""
]

creds := lib.group(cred_pairs)

finding contains {
	"msg": sprintf("credentialName %q is also used by Gateway %s on the same selector %s: clients reusing HTTP/2 connections across their hosts get 404s; use a distinct certificate per Gateway or one Gateway for the hosts sharing it", [c, lib.ns_name(gateways[j]), sel]),
	"resource": lib.resource(gateways[i]),
	"evidence": [
		{"path": path, "value": c},
		{"path": path2, "value": c, "resource": lib.resource(gateways[j])},
	],
} if {
	some [sel, c], idx in creds
	count({i | some [i, _] in idx}) > 1
	some [i, path] in idx
	some [j, path2] in idx
	i != j
}

# ---- verdict ------------------------------------------------------------------------

judged contains lib.resource(gw) if {
	some gw in gateways
	count(object.get(gw.spec, "servers", [])) > 0
}

judged contains lib.resource(gw) if {
	some gw in api_gateways
	count(object.get(gw.spec, "listeners", [])) > 0
}

not_applicable contains "no Gateway with a server or listener in the input" if count(judged) == 0

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
