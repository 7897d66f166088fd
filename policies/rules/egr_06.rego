# METADATA
# title: Sidecar to egress gateway hop secured and authorized
# description: |
#   The hop from the sidecars to the egress gateway must be mutual TLS and
#   authorized. For each egress gateway Service (a Service selecting the
#   egress gateway pods, parameter `egress_gateway_labels`, or an
#   `istio-egressgateway*` host that a VirtualService routes to), a
#   DestinationRule for that host sets `tls.mode: ISTIO_MUTUAL`, with `sni`
#   naming the external host so that the gateway's server for that host
#   matches (missing sni: low). For each egress gateway workload, an ALLOW
#   AuthorizationPolicy applying to its pods (selector in its namespace, or
#   a namespace-wide or root-namespace policy) limits the sources: every
#   rule names principals or namespaces other than `*` (ipBlocks alone do
#   not identify a workload); a DENY policy with notPrincipals or
#   notNamespaces and no other condition limits them too. Without such a
#   policy any pod in the mesh can use the gateway to reach every host it
#   serves. Not applicable when the input holds no egress gateway.
# custom:
#   id: EGR-06
#   severity: medium
#   controls: [AC-4, SC-7(8)]
#   inputs: [workloads, Service, DestinationRule, AuthorizationPolicy, VirtualService]
#   remediation: |
#     Add a DestinationRule for the egress gateway Service with
#     `trafficPolicy.tls.mode: ISTIO_MUTUAL` and `sni: <external host>` (per
#     subset or port for several hosts), and serve the egress Gateway with
#     `tls.mode: ISTIO_MUTUAL`. Add an AuthorizationPolicy in the egress
#     gateway's namespace selecting its pods, whose rules allow only the
#     principals (`cluster.local/ns/<ns>/sa/<sa>`) or namespaces that may use
#     each external host (`to.operation.hosts`).
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: egressgateway
#         template:
#           metadata:
#             annotations:
#               inject.istio.io/templates: gateway
#             labels:
#               app: istio-egressgateway
#               istio: egressgateway
#               sidecar.istio.io/inject: "true"
#           spec:
#             serviceAccountName: istio-egressgateway
#             containers:
#             - name: istio-proxy
#               image: auto
#       ---
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         selector:
#           istio: egressgateway
#         ports:
#         - name: https
#           port: 443
#           targetPort: 8443
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: egressgateway
#         template:
#           metadata:
#             annotations:
#               inject.istio.io/templates: gateway
#             labels:
#               app: istio-egressgateway
#               istio: egressgateway
#               sidecar.istio.io/inject: "true"
#           spec:
#             serviceAccountName: istio-egressgateway
#             containers:
#             - name: istio-proxy
#               image: auto
#       ---
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         selector:
#           istio: egressgateway
#         ports:
#         - name: https
#           port: 443
#           targetPort: 8443
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: egressgateway-for-partner-api
#         namespace: istio-system
#       spec:
#         host: istio-egressgateway.istio-system.svc.cluster.local
#         subsets:
#         - name: partner-api
#           trafficPolicy:
#             portLevelSettings:
#             - port:
#                 number: 443
#               tls:
#                 mode: ISTIO_MUTUAL
#                 sni: api.partner.example.com
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: egressgateway-allow-payments
#         namespace: istio-system
#       spec:
#         selector:
#           matchLabels:
#             istio: egressgateway
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["cluster.local/ns/payments/sa/payments-api"]
#           to:
#           - operation:
#               hosts: ["api.partner.example.com"]
package meshaudit.rules.egr_06

import data.meshaudit.lib
import rego.v1

default egress_labels := {}

egress_labels := l if {
	l := lib.params.egress_gateway_labels
	is_object(l)
}

obj_or_empty(x) := x if is_object(x)

else := {}

list_or_empty(x) := x if is_array(x)

else := []

spec(o) := obj_or_empty(object.get(o, "spec", {}))

name_of(o) := sprintf("%s/%s", [lib.ns(o), lib.name(o)])

# ---- egress gateways ---------------------------------------------------------------

egress_gateways contains w if {
	count(egress_labels) > 0
	some w in lib.workloads
	lib.in_scope(w.namespace)
	lib.selects(egress_labels, w.labels)
}

egress_selector(sel) if {
	count(egress_labels) > 0
	is_object(sel)
	count(sel) > 0
	lib.selects(egress_labels, sel)
}

egress_selector(sel) if {
	is_object(sel)
	count(sel) > 0
	some w in egress_gateways
	lib.selects(sel, w.labels)
}

fqdn(name, n) := sprintf("%s.%s.svc.cluster.local", [name, n])

# Egress gateway Services, by host: {host: resource} (a complete object,
# looked up per host).
gateway_hosts := {fqdn(lib.name(svc), lib.ns(svc)): lib.resource(svc) |
	some svc in lib.objects("Service")
	lib.in_scope(lib.ns(svc))
	egress_selector(object.get(spec(svc), "selector", {}))
}

# normalize(h, ns): a Service host in FQDN form (short names resolve in ns).
normalize(h, n) := fqdn(h, n) if not contains(h, ".")

normalize(h, _) := fqdn(parts[0], parts[1]) if {
	parts := split(h, ".")
	count(parts) == 2
}

normalize(h, _) := concat("", [h, ".cluster.local"]) if {
	endswith(h, ".svc")
	count(split(h, ".")) == 3
}

normalize(h, _) := h if {
	count(split(h, ".")) > 2
	not endswith(h, ".svc")
}

# Hosts routed to by mesh VirtualServices that name an egress gateway
# Service absent from the input: [host, first VirtualService].
vs_gateway_hosts[h] := lib.resource(vs) if {
	some h in {x | some [x, _] in vs_routes}
	not gateway_hosts[h]
	vs := min({[name_of(v), v] | some [h2, v] in vs_routes; h2 == h})[1]
}

vs_routes contains [h, vs] if {
	some vs in lib.objects("VirtualService")
	lib.in_scope(lib.ns(vs))
	some kind in ["http", "tls", "tcp"]
	some r in list_or_empty(object.get(spec(vs), kind, []))
	some d in list_or_empty(object.get(obj_or_empty(r), "route", []))
	dest := obj_or_empty(object.get(obj_or_empty(d), "destination", {}))
	raw := object.get(dest, "host", "")
	is_string(raw)
	startswith(raw, "istio-egressgateway")
	h := normalize(raw, lib.ns(vs))
}

all_hosts := object.union(vs_gateway_hosts, gateway_hosts)

# ---- DestinationRules for the gateway hosts -----------------------------------------

dr_covers(dr, h) if normalize(spec(dr).host, lib.ns(dr)) == h

dr_covers(dr, h) if {
	dh := spec(dr).host
	startswith(dh, "*.")
	endswith(h, substring(dh, 1, -1))
}

tls_blocks(dr) := array.concat(
	array.concat(
		[t | t := obj_or_empty(object.get(obj_or_empty(object.get(spec(dr), "trafficPolicy", {})), "tls", null))],
		[t |
			some ps in list_or_empty(object.get(obj_or_empty(object.get(spec(dr), "trafficPolicy", {})), "portLevelSettings", []))
			t := obj_or_empty(object.get(obj_or_empty(ps), "tls", null))
		],
	),
	[t |
		some sub in list_or_empty(object.get(spec(dr), "subsets", []))
		tp := obj_or_empty(object.get(obj_or_empty(sub), "trafficPolicy", {}))
		some t in array.concat(
			[obj_or_empty(object.get(tp, "tls", null))],
			[obj_or_empty(object.get(obj_or_empty(ps), "tls", null)) | some ps in list_or_empty(object.get(tp, "portLevelSettings", []))],
		)
	],
)

mutual_blocks(h) := [[dr, t] |
	some dr in lib.objects("DestinationRule")
	lib.in_scope(lib.ns(dr))
	is_string(spec(dr).host)
	dr_covers(dr, h)
	some t in tls_blocks(dr)
	upper(object.get(t, "mode", "")) == "ISTIO_MUTUAL"
]

# ---- AuthorizationPolicies ---------------------------------------------------------------

# (a complete object grouped once: a lookup into a partial rule re-evaluates
# it on every call)
ap_pairs := [[lib.ns(ap), ap] | some ap in lib.objects("AuthorizationPolicy")]

aps_by_ns := {n: aps |
	some n in {x[0] | some x in ap_pairs}
	aps := [x[1] | some x in ap_pairs; x[0] == n]
}

ap_selector(ap) := obj_or_empty(object.get(obj_or_empty(object.get(spec(ap), "selector", {})), "matchLabels", {}))

# applies(ap, w): the policy applies to the gateway's pods.
applies(ap, w) if {
	lib.ns(ap) == w.namespace
	lib.selects(ap_selector(ap), w.labels)
}

applies(ap, _) if {
	lib.ns(ap) == lib.root_ns
	count(ap_selector(ap)) == 0
}

gateway_aps(w) := {ap |
	some n in {w.namespace, lib.root_ns}
	some ap in object.get(aps_by_ns, n, [])
	object.get(spec(ap), "targetRefs", null) == null
	object.get(spec(ap), "targetRef", null) == null
	applies(ap, w)
}

action(ap) := upper(object.get(spec(ap), "action", "ALLOW"))

ap_rules(ap) := list_or_empty(object.get(spec(ap), "rules", []))

named(list) if {
	is_array(list)
	count(list) > 0
	not "*" in list
}

limited_source(f) if named(obj_or_empty(object.get(obj_or_empty(f), "source", {})).principals)

limited_source(f) if named(obj_or_empty(object.get(obj_or_empty(f), "source", {})).namespaces)

# limited_rule: every `from` entry names principals or namespaces.
limited_rule(r) if {
	froms := list_or_empty(object.get(obj_or_empty(r), "from", []))
	count(froms) > 0
	every f in froms {
		limited_source(f)
	}
}

open_rules(ap) := [i | some i, r in ap_rules(ap); not limited_rule(r)]

allow_aps(w) := {ap | some ap in gateway_aps(w); action(ap) == "ALLOW"}

deny_limits(w) if {
	some ap in gateway_aps(w)
	action(ap) == "DENY"
	some r in ap_rules(ap)
	ro := obj_or_empty(r)
	count(list_or_empty(object.get(ro, "to", []))) == 0
	count(list_or_empty(object.get(ro, "when", []))) == 0
	some f in list_or_empty(object.get(ro, "from", []))
	src := obj_or_empty(object.get(obj_or_empty(f), "source", {}))
	some k in ["notPrincipals", "notNamespaces"]
	named(object.get(src, k, []))
}

wname(w) := sprintf("%s %s/%s", [w.kind, w.namespace, lib.name(w.obj)])

# ---- findings --------------------------------------------------------------------------

deny contains {
	"msg": sprintf("no DestinationRule for egress gateway host %s sets tls.mode ISTIO_MUTUAL, so the sidecar-to-egress-gateway hop is not pinned to mutual TLS with the gateway's identity", [h]),
	"resource": res,
} if {
	some h, res in all_hosts
	count(mutual_blocks(h)) == 0
}

deny contains {
	"msg": sprintf("DestinationRule %s sets ISTIO_MUTUAL for egress gateway host %s without sni, so the gateway cannot match the external host's server", [concat(", ", names), h]),
	"resource": res,
	"severity": "low",
} if {
	some h, res in all_hosts
	blocks := mutual_blocks(h)
	count(blocks) > 0
	every b in blocks {
		object.get(b[1], "sni", "") == ""
	}
	names := sort({name_of(dr) | some [dr, _] in blocks})
}

deny contains {
	"msg": sprintf("no AuthorizationPolicy limits which workloads may use egress gateway %s: any pod of the mesh can send traffic out through it", [wname(w)]),
	"resource": w.resource,
} if {
	some w in egress_gateways
	count(allow_aps(w)) == 0
	not deny_limits(w)
}

deny contains {
	"msg": sprintf("AuthorizationPolicy %s lets any source use egress gateway %s: rule(s) %s name no principals or namespaces (other than *)", [name_of(ap), wname(w), concat(", ", [sprintf("%d", [i]) | some i in open])]),
	"resource": lib.resource(ap),
} if {
	some w in egress_gateways
	some ap in allow_aps(w)
	open := open_rules(ap)
	count(open) > 0
}

not_applicable contains "no egress gateway in the input (no workload or Service with the egress gateway labels, no VirtualService routing to one)" if {
	count(egress_gateways) == 0
	count(all_hosts) == 0
}
