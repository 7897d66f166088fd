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
#   is not checked here.
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

# host part of a server host `[namespace/]host`.
host(h) := parts[1] if {
	parts := split(h, "/")
	count(parts) == 2
} else := h

deny contains {
	"msg": sprintf("server port %v binds host %q, which accepts any hostname", [object.get(s, ["port", "number"], "?"), h]),
	"resource": lib.resource(gw),
} if {
	some gw in gateways
	some s in object.get(gw.spec, "servers", [])
	some h in object.get(s, "hosts", [])
	host(h) == "*"
}

deny contains {
	"msg": sprintf("listener %s (%s) has %s, which accepts any hostname", [object.get(l, "name", "?"), upper(l.protocol), desc]),
	"resource": lib.resource(gw),
} if {
	some gw in lib.objects("Gateway.gateway.networking.k8s.io")
	lib.in_scope(lib.ns(gw))
	some l in object.get(gw.spec, "listeners", [])
	upper(object.get(l, "protocol", "")) in {"HTTP", "HTTPS", "TLS"}
	desc := any_hostname(l)
}

any_hostname(l) := "no hostname" if {
	not l.hostname
} else := `hostname "*"` if {
	l.hostname == "*"
}

# ---- conflicting Gateways (IST0145) --------------------------------------------------

sel_key(gw) := json.marshal(object.get(gw.spec, "selector", {}))

# bindings: [selector, port, gateway index, host] of every server host.
bindings contains [sel_key(gw), object.get(s, ["port", "number"], 0), i, host(h)] if {
	some i, gw in gateways
	some s in object.get(gw.spec, "servers", [])
	some h in object.get(s, "hosts", [])
}

# by_sel_port: [selector, port] -> {[gateway index, host]}; hosts_at:
# [selector, port, gateway index] -> its hosts there. Complete objects
# grouped once (a partial rule `idx[key] contains v` grows quadratically).
sel_port_pairs := [[[sel, port], [i, h]] | some [sel, port, i, h] in bindings]

by_sel_port := {k: list |
	some k in {p[0] | some p in sel_port_pairs}
	list := {p[1] | some p in sel_port_pairs; p[0] == k}
}

host_pairs := [[[sel, port, i], h] | some [sel, port, i, h] in bindings]

hosts_at := {k: hs |
	some k in {p[0] | some p in host_pairs}
	hs := {p[1] | some p in host_pairs; p[0] == k}
}

# overlap: two hostnames can match the same request host.
overlap(a, b) if a == b

overlap(a, _) if a == "*"

overlap(_, b) if b == "*"

overlap(a, b) if {
	startswith(a, "*.")
	endswith(b, substring(a, 1, -1))
}

overlap(a, b) if {
	startswith(b, "*.")
	endswith(a, substring(b, 1, -1))
}

gw_name(gw) := sprintf("%s/%s", [lib.ns(gw), lib.name(gw)])

deny contains {
	"msg": sprintf("conflicts with Gateway %s: same selector %s, port %v and overlapping hosts %s", [gw_name(gateways[j]), sel, port, concat(", ", sort(hosts))]),
	"resource": lib.resource(gateways[i]),
} if {
	some [sel, port], list in by_sel_port
	ids := {i | some [i, _] in list}
	some i in ids
	some j in ids
	i != j
	hosts := {h | some h in hosts_at[[sel, port, i]]; some h2 in hosts_at[[sel, port, j]]; overlap(h, h2)}
	count(hosts) > 0
}

# ---- duplicate certificates (IST0138) ----------------------------------------------------

cred_pairs := [[[sel_key(gw), c], i] |
	some i, gw in gateways
	some s in object.get(gw.spec, "servers", [])
	c := s.tls.credentialName
	c != ""
]

creds := {k: idx |
	some k in {p[0] | some p in cred_pairs}
	idx := {p[1] | some p in cred_pairs; p[0] == k}
}

deny contains {
	"msg": sprintf("credentialName %q is also used by Gateway %s on the same selector %s: clients reusing HTTP/2 connections across their hosts get 404s", [c, gw_name(gateways[j]), sel]),
	"resource": lib.resource(gateways[i]),
} if {
	some [sel, c], idx in creds
	count(idx) > 1
	some i in idx
	some j in idx
	i != j
}
