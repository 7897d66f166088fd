# METADATA
# title: External ServiceEntries routed through the egress gateway
# description: |
#   Every host of an external ServiceEntry (location MESH_EXTERNAL, the
#   default) is routed through the egress gateway: a VirtualService on the
#   `mesh` gateway (an unset `gateways` also means `mesh`) sends the host to
#   the egress gateway Service, and an egress Gateway (selecting the egress
#   gateway labels) has a server for the host with a VirtualService bound to
#   it that forwards the traffic out. Without this, sidecars reach the
#   external host directly and egress cannot be controlled or audited at one
#   point. TLS PASSTHROUGH egress (SNI routing, as for etcd in the talk)
#   follows the same pattern.
# custom:
#   id: EGR-03
#   severity: high
#   controls: [SC-7(8), AC-4]
#   inputs: [ServiceEntry, VirtualService, Gateway, Service, workloads]
#   subjects: [ServiceEntry]
#   remediation: |
#     For each external host, add a Gateway selecting the egress gateway
#     (`istio: egressgateway` by default) with a server for the host, and a
#     VirtualService with `gateways: [mesh, <egress gateway>]` whose `mesh`
#     routes send the host to `istio-egressgateway.<ns>.svc.cluster.local` and
#     whose egress-gateway routes send it to the external host (see the Istio
#     egress gateway task).
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: etcd
#         namespace: istio-system
#       spec:
#         hosts:
#         - etcd-3-1.us-south.etcd.example.com
#         ports:
#         - number: 2379
#           name: tls-etcd
#           protocol: TLS
#         location: MESH_EXTERNAL
#         resolution: DNS
#       ---
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
#           tls:
#             mode: PASSTHROUGH
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: VirtualService
#       metadata:
#         name: etcd
#         namespace: istio-system
#       spec:
#         hosts:
#         - etcd-3-1.us-south.etcd.example.com
#         gateways:
#         - egress-etcd
#         tls:
#         - match:
#           - port: 2379
#             sniHosts:
#             - etcd-3-1.us-south.etcd.example.com
#           route:
#           - destination:
#               host: etcd-3-1.us-south.etcd.example.com
#               port:
#                 number: 2379
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: etcd
#         namespace: istio-system
#       spec:
#         hosts:
#         - etcd-3-1.us-south.etcd.example.com
#         ports:
#         - number: 2379
#           name: tls-etcd
#           protocol: TLS
#         location: MESH_EXTERNAL
#         resolution: DNS
#       ---
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
#           tls:
#             mode: PASSTHROUGH
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: VirtualService
#       metadata:
#         name: etcd
#         namespace: istio-system
#       spec:
#         hosts:
#         - etcd-3-1.us-south.etcd.example.com
#         gateways:
#         - mesh
#         - egress-etcd
#         tls:
#         - match:
#           - gateways:
#             - mesh
#             port: 2379
#             sniHosts:
#             - etcd-3-1.us-south.etcd.example.com
#           route:
#           - destination:
#               host: istio-egressgateway.istio-system.svc.cluster.local
#               port:
#                 number: 2379
#         - match:
#           - gateways:
#             - egress-etcd
#             port: 2379
#             sniHosts:
#             - etcd-3-1.us-south.etcd.example.com
#           route:
#           - destination:
#               host: etcd-3-1.us-south.etcd.example.com
#               port:
#                 number: 2379
package meshaudit.rules.egr_03

import data.meshaudit.lib
import rego.v1

# egress_labels: the egress gateway labels ({} when the parameter is null).
default egress_labels := {}

egress_labels := l if {
	l := lib.params.egress_gateway_labels
	is_object(l)
}

external(se) if upper(object.get(se.spec, "location", "MESH_EXTERNAL")) != "MESH_INTERNAL"

external_entries := [se |
	some se in lib.objects("ServiceEntry")
	lib.in_scope(lib.ns(se))
	external(se)
]

# ---- hosts ---------------------------------------------------------------------

# server_host strips the `namespace/` prefix of a Gateway server host.
server_host(h) := parts[1] if {
	parts := split(h, "/")
	count(parts) == 2
} else := h

# ---- egress gateway pods, Gateways and Services ------------------------------------

# egress_selector: a label selector that selects egress gateway pods only: it
# contains the egress gateway labels, or it selects a workload of the input
# that carries them.
egress_selector(sel) if {
	count(egress_labels) > 0
	is_object(sel)
	count(sel) > 0
	lib.selects(egress_labels, sel)
}

egress_selector(sel) if {
	count(egress_labels) > 0
	is_object(sel)
	count(sel) > 0
	some l in egress_workload_labels
	lib.selects(sel, l)
}

# egress_workload_labels: pod labels of the workloads that carry the egress
# gateway labels (computed once: a selector is matched against these only).
egress_workload_labels := {w.labels |
	some w in lib.workloads
	lib.selects(egress_labels, w.labels)
}

egress_gateway(gw) if egress_selector(object.get(gw.spec, "selector", {}))

egress_gateways := [gw | some gw in lib.objects("Gateway"); egress_gateway(gw)]

# service_ref resolves a destination host to [name, namespace] when it names
# a Kubernetes Service (short name, name.ns, name.ns.svc[.cluster.local]).
service_ref(h, vs_ns) := [h, vs_ns] if not contains(h, ".")

service_ref(h, _) := [parts[0], parts[1]] if {
	parts := split(h, ".")
	count(parts) == 2
}

service_ref(h, _) := [parts[0], parts[1]] if {
	parts := split(h, ".")
	count(parts) > 2
	parts[2] == "svc"
}

egress_service(h, vs_ns) if {
	[n, _] := service_ref(h, vs_ns)
	startswith(n, "istio-egressgateway")
}

egress_service(h, vs_ns) if service_ref(h, vs_ns) in egress_service_refs

# egress_service_refs: [name, namespace] of every Service selecting egress
# gateway pods (built once, looked up per destination host).
egress_service_refs := {[lib.name(svc), lib.ns(svc)] |
	some svc in lib.objects("Service")
	egress_selector(object.get(svc.spec, "selector", {}))
}

# ---- VirtualServices -----------------------------------------------------------------

virtual_services := lib.objects("VirtualService")

vs_gateways(vs) := object.get(vs.spec, "gateways", [])

# mesh_bound: the VirtualService applies to sidecars (gateways unset = mesh).
mesh_bound(vs) if count(vs_gateways(vs)) == 0

mesh_bound(vs) if "mesh" in vs_gateways(vs)

routes(vs) := [r | some kind in ["http", "tls", "tcp"]; some r in object.get(vs.spec, kind, [])]

# mesh_route: a route that applies to sidecars (a match's `gateways`
# overrides the VirtualService's).
mesh_route(r) if count(object.get(r, "match", [])) == 0

mesh_route(r) if {
	some m in r.match
	count(object.get(m, "gateways", [])) == 0
}

mesh_route(r) if {
	some m in r.match
	"mesh" in m.gateways
}

# cover_patterns(host): every VirtualService/Gateway host pattern that covers
# a ServiceEntry host: the host itself, `*` and each `*.` suffix wildcard
# whose suffix (from its dot) ends the host. Indexes
# keyed by pattern are looked up with these instead of scanning every object.
cover_patterns(host) := {host, "*"} | {concat("", ["*", substring(host, i, -1)]) |
	is_string(host)
	some i in indexof_n(host, ".")
}

# (a) a mesh VirtualService sends the host to the egress gateway Service.
to_egress(vs) if {
	some r in routes(vs)
	mesh_route(r)
	some d in object.get(r, "route", [])
	egress_service(d.destination.host, lib.ns(vs))
}

# mesh_egress_patterns: hosts of the mesh VirtualServices routing to the
# egress gateway Service.
mesh_egress_patterns := {h |
	some vs in virtual_services
	mesh_bound(vs)
	to_egress(vs)
	some h in object.get(vs.spec, "hosts", [])
}

mesh_to_egress(host) if {
	some p in cover_patterns(host)
	p in mesh_egress_patterns
}

# (b) egress Gateways with a server for the host, and a VirtualService bound to one.
gateway_server_pairs := [[server_host(h), gw] |
	some gw in egress_gateways
	some s in object.get(gw.spec, "servers", [])
	some h in object.get(s, "hosts", [])
]

# gateways_by_pattern: server host pattern -> egress Gateways (grouped once).
gateways_by_pattern := {p: gws |
	some p in {q[0] | some q in gateway_server_pairs}
	gws := {gw | some q in gateway_server_pairs; q[0] == p; gw := q[1]}
}

gateways_for(host) := {gw |
	some p in cover_patterns(host)
	some gw in object.get(gateways_by_pattern, p, set())
}

bound_to(vs, gw) if {
	some g in vs_gateways(vs)
	g in {
		sprintf("%s/%s", [lib.ns(gw), lib.name(gw)]),
		sprintf("%s.%s.svc.cluster.local", [lib.name(gw), lib.ns(gw)]),
	}
}

bound_to(vs, gw) if {
	lib.name(gw) in vs_gateways(vs)
	lib.ns(vs) == lib.ns(gw)
}

# bound_patterns: [Gateway ref, host pattern] of every VirtualService bound to
# an egress Gateway (egress Gateways are few: each is matched against every
# VirtualService once).
bound_patterns := {[gw, h] |
	some gw in egress_gateways
	some vs in virtual_services
	bound_to(vs, gw)
	some h in object.get(vs.spec, "hosts", [])
}

gateway_vs(host) if {
	some gw in gateways_for(host)
	some p in cover_patterns(host)
	[gw, p] in bound_patterns
}

# ---- findings --------------------------------------------------------------------------

egress_labels_text := concat(",", [sprintf("%s=%s", [k, v]) | some k, v in egress_labels]) if count(egress_labels) > 0
else := "egress gateway pods (parameter egress_gateway_labels is empty)"

se_hosts := {h | some se in external_entries; some h in object.get(se.spec, "hosts", [])}

# missing: [host, order, what is missing to route it through the egress gateway].
missing contains [host, 1, "a VirtualService on gateway mesh that routes it to the egress gateway Service"] if {
	some host in se_hosts
	not mesh_to_egress(host)
}

missing contains [host, 2, msg] if {
	some host in se_hosts
	count(gateways_for(host)) == 0
	msg := sprintf("a Gateway selecting %s with a server for it and a VirtualService bound to that Gateway", [egress_labels_text])
}

missing contains [host, 3, msg] if {
	some host in se_hosts
	gws := gateways_for(host)
	count(gws) > 0
	not gateway_vs(host)
	names := sort([sprintf("%s/%s", [lib.ns(gw), lib.name(gw)]) | some gw in gws])
	msg := sprintf("a VirtualService bound to egress Gateway %s for it", [concat(" or ", names)])
}

deny contains {
	"msg": sprintf("external host %q is not routed through the egress gateway: missing %s", [host, concat("; ", m)]),
	"resource": lib.resource(se),
} if {
	some se in external_entries
	some host in object.get(se.spec, "hosts", [])
	m := [item[1] | some item in sort([[o, what] | some [h, o, what] in missing; h == host])]
	count(m) > 0
}
