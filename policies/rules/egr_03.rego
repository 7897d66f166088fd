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
#   follows the same pattern. Hosts are matched by the shared host matcher
#   (lib/hosts.rego: case-insensitive, `*` and `*.suffix` wildcards, Gateway
#   server hosts as `ns/host`); the egress gateway Service may be named as
#   a client dials it (`istio-egressgateway.istio-system`). One finding per
#   ServiceEntry lists every host and what each lacks. In a manifest scan, a
#   host whose VirtualService is bound to a Gateway the input does not hold,
#   in a namespace of which it holds no Gateway, is not judged on the
#   gateway side (that Gateway lives elsewhere). Judged: every external
#   ServiceEntry whose hosts were all decided.
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

external(se) if upper(object.get(se.spec, "location", "MESH_EXTERNAL")) != "MESH_INTERNAL"

external_entries := [se |
	some se in lib.objects("ServiceEntry")
	lib.in_scope(lib.ns(se))
	external(se)
]

# ---- the egress gateway ----------------------------------------------------------

egress_selector(sel) if {
	count(lib.egress_gateway_labels) > 0
	is_object(sel)
	count(sel) > 0
	lib.selects(lib.egress_gateway_labels, sel)
}

egress_selector(sel) if {
	count(lib.egress_gateway_labels) > 0
	is_object(sel)
	count(sel) > 0
	some l in egress_workload_labels
	lib.selects(sel, l)
}

egress_workload_labels := {w.labels |
	some w in lib.workloads
	lib.selects(lib.egress_gateway_labels, w.labels)
}

egress_gateway(gw) if egress_selector(object.get(gw.spec, "selector", {}))

egress_gateway_objects := [gw | some gw in lib.objects("Gateway"); egress_gateway(gw)]

# egress_service(h, vs_ns): a route destination host (as a client dials it
# from the VirtualService's namespace) is the egress gateway Service.
egress_service(h, vs_ns) if {
	fqdn := lib.host_normalize_dns(h, vs_ns)
	endswith(fqdn, lib.svc_suffix)
	startswith(fqdn, "istio-egressgateway")
}

# istio-egressgateway.<namespace> of a namespace the input does not show.
egress_service(h, _) if {
	parts := split(lower(h), ".")
	count(parts) == 2
	startswith(parts[0], "istio-egressgateway")
}

egress_service(h, vs_ns) if lib.host_normalize_dns(h, vs_ns) in egress_service_hosts

egress_service_hosts := {lib.service_fqdn(svc) |
	some svc in lib.objects("Service")
	egress_selector(object.get(svc.spec, "selector", {}))
}

# ---- VirtualServices ---------------------------------------------------------------

virtual_services := lib.objects("VirtualService")

vs_gateways(vs) := object.get(vs.spec, "gateways", [])

mesh_bound(vs) if count(vs_gateways(vs)) == 0

mesh_bound(vs) if "mesh" in vs_gateways(vs)

routes(vs) := [r | some kind in ["http", "tls", "tcp"]; some r in object.get(vs.spec, kind, [])]

mesh_route(r) if count(object.get(r, "match", [])) == 0

mesh_route(r) if {
	some m in r.match
	count(object.get(m, "gateways", [])) == 0
}

mesh_route(r) if {
	some m in r.match
	"mesh" in m.gateways
}

to_egress(vs) if {
	some r in routes(vs)
	mesh_route(r)
	some d in object.get(r, "route", [])
	egress_service(d.destination.host, lib.ns(vs))
}

vs_hosts(vs) := {lib.host_normalize(h, lib.ns(vs)) | some h in object.get(vs.spec, "hosts", [])}

# mesh_egress_hosts: the (normalised) hosts of mesh VirtualServices routing
# to the egress gateway.
mesh_egress_hosts := {h |
	some vs in virtual_services
	mesh_bound(vs)
	to_egress(vs)
	some h in vs_hosts(vs)
}

mesh_to_egress(host) if {
	some p in lib.host_keys(host)
	p in mesh_egress_hosts
}

# gateways_by_host: egress Gateways by (normalised) server host.
gateways_by_host := lib.group([[lib.ns_host(h)[1], gw] |
	some gw in egress_gateway_objects
	some s in object.get(gw.spec, "servers", [])
	some h in object.get(s, "hosts", [])
])

gateways_for(host) := lib.host_lookup(gateways_by_host, host)

# gateway_ref(g, vs): [namespace, name] of a gateway named in a
# VirtualService's gateways (ns/name, a short name in its namespace, or the
# deprecated name.ns.svc.cluster.local form).
gateway_ref(g, vs) := [parts[0], parts[1]] if {
	parts := split(g, "/")
	count(parts) == 2
} else := [parts[1], parts[0]] if {
	not contains(g, "/")
	parts := split(g, ".")
	count(parts) > 2
} else := [lib.ns(vs), g]

bound_to(vs, gw) if {
	some g in vs_gateways(vs)
	g != "mesh"
	gateway_ref(g, vs) == [lib.ns(gw), lib.name(gw)]
}

bound_hosts := {[gw, h] |
	some gw in egress_gateway_objects
	some vs in virtual_services
	bound_to(vs, gw)
	some h in vs_hosts(vs)
}

gateway_vs(host) if {
	some gw in gateways_for(host)
	some p in lib.host_keys(host)
	[gw, p] in bound_hosts
}

# ---- references to Gateways the input does not hold (manifests) ---------------------

# elsewhere_hosts: hosts of VirtualServices bound to a Gateway that lives
# in a namespace of which the input holds no Gateway (manifests): the
# gateway side of those hosts is deployed, and judged, elsewhere.
elsewhere_hosts := {h |
	not lib.live
	some vs in virtual_services
	some g in vs_gateways(vs)
	g != "mesh"
	[n, nm] := gateway_ref(g, vs)
	not [n, nm] in lib.gateway_refs
	not n in lib.gateway_namespaces
	some h in vs_hosts(vs)
}

gateway_elsewhere(host) if {
	count(gateways_for(host)) == 0
	some p in lib.host_keys(host)
	p in elsewhere_hosts
}

# ---- findings ----------------------------------------------------------------------

egress_labels_text := concat(",", [sprintf("%s=%s", [k, v]) | some k, v in lib.egress_gateway_labels]) if count(lib.egress_gateway_labels) > 0

else := "egress gateway pods (parameter egress_gateway_labels is empty)"

# missing(host): [order, text, evidence path] of what routing lacks.
missing(host) := [item | some item in sort(items)] if {
	items := ({[1, "a VirtualService on gateway mesh that routes it to the egress gateway Service", sprintf("VirtualService on gateways [mesh] routing %q to the egress gateway Service", [host])] |
		not mesh_to_egress(host)
	} | {[2, sprintf("a Gateway selecting %s with a server for it and a VirtualService bound to that Gateway", [egress_labels_text]), sprintf("Gateway selecting %s with a server for %q", [egress_labels_text, host])] |
		count(gateways_for(host)) == 0
		not gateway_elsewhere(host)
	}) | {[3, sprintf("a VirtualService bound to egress Gateway %s for it", [concat(" or ", names)]), sprintf("VirtualService bound to egress Gateway %s for %q", [concat(" or ", names), host])] |
		gws := gateways_for(host)
		count(gws) > 0
		not gateway_vs(host)
		names := sort([sprintf("%s/%s", [lib.ns(gw), lib.name(gw)]) | some gw in gws])
	}
}

# host_problems(se): [host as written, its index, missing] of each host of
# the entry that is not routed through the egress gateway.
host_problems(se) := [[h, i, m] |
	some i, h in object.get(se.spec, "hosts", [])
	m := missing(lib.host_normalize(h, lib.ns(se)))
	count(m) > 0
]

# texts(m): the [order, text] of missing items, without the host-specific
# evidence path, so hosts lacking the same items share a sentence.
texts(m) := [[x[0], x[1]] | some x in m]

# sentence(hosts, m): one sentence for the hosts lacking the same items.
sentence(hosts, m) := sprintf("external host %s is not routed through the egress gateway: missing %s", [hosts[0], concat("; ", [x[1] | some x in m])]) if count(hosts) == 1

else := sprintf("external hosts %s are not routed through the egress gateway: missing %s", [concat(", ", hosts), concat("; ", [x[1] | some x in m])])

deny contains {
	"msg": concat(". ", [sentence(sort([sprintf("%q", [h]) | some [h, _, m2] in ps; texts(m2) == m]), m) | some m in sort({texts(m) | some [_, _, m] in ps})]),
	"resource": lib.resource(se),
	"evidence": [e |
		some [h, i, m] in ps
		some e in array.concat([{"path": sprintf("spec.hosts[%d]", [i]), "value": h}], [{"path": x[2], "value": 0} | some x in m])
	],
} if {
	some se in external_entries
	ps := host_problems(se)
	count(ps) > 0
}

# ---- verdict ---------------------------------------------------------------------------

# judged: every external ServiceEntry whose hosts were decided (a host
# whose gateway side lives elsewhere is not, unless it fails anyway).
judged contains lib.resource(se) if {
	some se in external_entries
	count(host_problems(se)) > 0
}

judged contains lib.resource(se) if {
	some se in external_entries
	every h in object.get(se.spec, "hosts", []) {
		not gateway_elsewhere(lib.host_normalize(h, lib.ns(se)))
	}
}

not_applicable contains "no external ServiceEntry (location MESH_EXTERNAL, the default) in the input" if {
	count(external_entries) == 0
}

not_applicable contains "the egress Gateways that the input's VirtualServices bind its external hosts to are not in the input (nor any Gateway of their namespaces): the gateway side is judged where they are deployed" if {
	count(external_entries) > 0
	count(judged) == 0
}
