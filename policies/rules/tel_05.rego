# METADATA
# title: Mesh configuration references resolve
# description: |
#   Istio silently ignores configuration whose references do not resolve:
#   a VirtualService bound (`gateways`, or `match[].gateways`) to a Gateway
#   that does not exist (`<ns>/<name>`, or `<name>` in the VirtualService's
#   namespace; `mesh` is the sidecars), a DestinationRule whose host matches
#   no Service, a DestinationRule subset whose labels match no pod of the
#   host's Service, a VirtualService route to a subset no DestinationRule
#   defines (istioctl analyze IST0101), and ServiceEntry hosts Istio
#   rejects or cannot resolve (no hosts, `*`, invalid DNS names, non-FQDN
#   hosts with DNS resolution and no endpoints). Cluster hosts are the short
#   name (the rule's namespace) and `<svc>.<ns>.svc.<domain>`; other hosts
#   are not resolved against Services. A live scan judges every reference.
#   A manifest scan judges a reference only when the input holds the place
#   it would live, so that an application whose objects ship in other files
#   is not blamed for them: a Gateway reference when the input holds
#   Gateways of that namespace, a DestinationRule host when it holds
#   Services of that namespace, a route to a subset when it holds a
#   DestinationRule for the host, and a subset only when no pod of the
#   Service could ever match it (its labels contradict the Service's
#   selector; another version's pods, like bookinfo's details-v2, often ship
#   in another file). Those references are left to a live scan: with no
#   finding, such a manifest scan is not applicable ("only a live scan can
#   tell ..."), never pass, so file and live verdicts of the same objects do
#   not disagree. Findings carry the reference's field and the lookup that
#   found nothing as evidence.
# custom:
#   id: TEL-05
#   severity: medium
#   controls: [CM-6, SI-4]
#   inputs: [VirtualService, Gateway, DestinationRule, ServiceEntry, Service, workloads]
#   subjects: [VirtualService, DestinationRule, ServiceEntry]
#   remediation: |
#     Fix or remove the dangling references: create the Gateway or correct
#     the VirtualService's `gateways` entry (`<namespace>/<name>`), correct
#     the DestinationRule host (short name or `<svc>.<ns>.svc.cluster.local`)
#     and subset labels so they match the pods' labels, define every subset
#     a VirtualService routes to, and give ServiceEntries valid FQDN hosts
#     (or endpoints for wildcard hosts).
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: storefront-gateway
#         namespace: shop
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
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: VirtualService
#       metadata:
#         name: storefront
#         namespace: shop
#       spec:
#         hosts:
#         - shop.example.com
#         gateways:
#         - storefront-gw
#         http:
#         - route:
#           - destination:
#               host: storefront
#               port:
#                 number: 8080
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: storefront-gateway
#         namespace: shop
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
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: VirtualService
#       metadata:
#         name: storefront
#         namespace: shop
#       spec:
#         hosts:
#         - shop.example.com
#         gateways:
#         - storefront-gateway
#         http:
#         - route:
#           - destination:
#               host: storefront
#               port:
#                 number: 8080
package meshaudit.rules.tel_05

import data.meshaudit.lib
import rego.v1

# ---- VirtualService -> Gateway ---------------------------------------------------

# gateway_refs(vs): [path, reference] of every gateway the VirtualService
# binds to.
vs_gateway_refs(vs) := {[sprintf("spec.gateways[%d]", [i]), r] |
	some i, r in object.get(vs.spec, "gateways", [])
} | {[sprintf("spec.%s[%d].match[%d].gateways[%d]", [kind, j, k, l]), r] |
	some kind in ["http", "tls", "tcp"]
	some j, route in object.get(vs.spec, kind, [])
	some k, m in object.get(route, "match", [])
	some l, r in object.get(m, "gateways", [])
}

gw_key(vs, r) := [parts[0], parts[1]] if {
	parts := split(r, "/")
	count(parts) == 2
} else := [lib.ns(vs), r]

# A Gateway reference is judged in a live scan, or when the input holds the
# place the Gateway would live: Gateways of that namespace (a manifest scan
# of an application whose Gateway ships elsewhere does not blame it).
gateway_judgeable(_) if lib.live

gateway_judgeable(n) if n in lib.gateway_namespaces

judged_gateway_refs contains [vs, path, r, key] if {
	some vs in lib.in_scope_objects("VirtualService")
	some [path, r] in vs_gateway_refs(vs)
	r != "mesh"
	key := gw_key(vs, r)
	gateway_judgeable(key[0])
}

deny contains {
	"msg": sprintf("gateway %q of VirtualService %s resolves to no Gateway %s/%s, so its routes are not applied there; name an existing Gateway (namespace/name) or add it", [r, lib.ns_name(vs), key[0], key[1]]),
	"resource": lib.resource(vs),
	"evidence": [{"path": path, "value": r}, {"path": sprintf("Gateway %s/%s", [key[0], key[1]]), "value": 0}],
} if {
	some [vs, path, r, key] in judged_gateway_refs
	not key in lib.gateway_refs
}

# ---- host resolution ------------------------------------------------------------

# cluster_host(h, n): [namespace, service] of a cluster-local host written
# in namespace n (short name or <svc>.<ns>.svc.<domain>); undefined for
# other hosts.
cluster_host(h, n) := [n, h] if {
	not contains(h, ".")
	not contains(h, "*")
}

cluster_host(h, _) := [parts[1], parts[0]] if {
	not contains(h, "*")
	parts := split(h, ".")
	count(parts) >= 4
	parts[2] == "svc"
}

services := {[lib.ns(s), lib.name(s)]: s | some s in lib.objects("Service")}

service_namespaces := {lib.ns(s) | some s in lib.objects("Service")}

se_hosts := {h | some se in lib.objects("ServiceEntry"); some h in object.get(se.spec, "hosts", [])}

fqdn(key) := sprintf("%s.%s.svc.cluster.local", [key[1], key[0]])

# A DestinationRule host is judged in a live scan, or when the input holds
# the place its Service would live: Services of that namespace.
host_judgeable(_) if lib.live

host_judgeable(n) if n in service_namespaces

judged_hosts contains dr if {
	some dr in lib.in_scope_objects("DestinationRule")
	key := cluster_host(dr.spec.host, lib.ns(dr))
	host_judgeable(key[0])
}

deny contains {
	"msg": sprintf("host %q of DestinationRule %s matches no Service %s in namespace %q, so Istio never applies it", [dr.spec.host, lib.ns_name(dr), key[1], key[0]]),
	"resource": lib.resource(dr),
	"evidence": [{"path": "spec.host", "value": dr.spec.host}, {"path": sprintf("Service %s/%s or ServiceEntry host %s", [key[0], key[1], fqdn(key)]), "value": 0}],
} if {
	some dr in judged_hosts
	key := cluster_host(dr.spec.host, lib.ns(dr))
	not services[key]
	not dr.spec.host in se_hosts
	not fqdn(key) in se_hosts
}

# ---- DestinationRule subsets -> pod labels -------------------------------------

backing(svc) := [w |
	sel := lib.spec_selector(svc)
	count(sel) > 0
	some w in object.get(lib.workloads_by_ns, lib.ns(svc), set())
	lib.selects(sel, w.labels)
]

label_text(l) := concat(", ", sort([sprintf("%s=%v", [k, v]) | some k, v in l]))

# contradicts(sl, sel): the subset asks a label the Service's selector sets
# to another value: no pod of the Service can ever match it, whatever other
# files ship.
contradicts(sl, sel) if {
	some k, v in sl
	k in object.keys(sel)
	sel[k] != v
}

# A subset is judged when the input holds pods of the host's Service: in a
# live scan every pod is there, so a subset matching none is a finding; in
# a manifest scan the pods of another version often ship in other files of
# the application (bookinfo's details-v2), so only a subset that no pod of
# the Service can ever match (its labels contradict the Service's selector)
# is a finding there.
judged_subsets contains [dr, i, sub, svc] if {
	some dr in lib.in_scope_objects("DestinationRule")
	key := cluster_host(dr.spec.host, lib.ns(dr))
	svc := services[key]
	count(backing(svc)) > 0
	some i, sub in object.get(dr.spec, "subsets", [])
	subset_decided(object.get(sub, "labels", {}), svc)
}

subset_decided(_, _) if lib.live

subset_decided(sl, svc) if subset_matches(sl, backing(svc))

subset_decided(sl, svc) if contradicts(sl, lib.spec_selector(svc))

deny contains {
	"msg": sprintf("subset %q of DestinationRule %s (labels %s) matches no pod of Service %s/%s%s, so traffic routed to it finds no endpoint", [sub.name, lib.ns_name(dr), label_text(sl), lib.ns(svc), lib.name(svc), why]),
	"resource": lib.resource(dr),
	"evidence": [
		{"path": sprintf("spec.subsets[%d].labels", [i]), "value": sl},
		{"path": "spec.selector", "value": lib.spec_selector(svc), "resource": lib.resource(svc)},
	],
} if {
	some [dr, i, sub, svc] in judged_subsets
	sl := object.get(sub, "labels", {})
	not subset_matches(sl, backing(svc))
	why := contradiction_text(sl, svc)
}

contradiction_text(sl, svc) := " (its labels contradict the Service's selector)" if {
	contradicts(sl, lib.spec_selector(svc))
} else := ""

subset_matches(sl, pods) if {
	some w in pods
	lib.selects(sl, w.labels)
}

# ---- VirtualService route -> subset ----------------------------------------------

dr_host_key(dr) := cluster_host(dr.spec.host, lib.ns(dr))

defined_subsets contains [key, sub.name] if {
	some dr in lib.objects("DestinationRule")
	key := dr_host_key(dr)
	some sub in object.get(dr.spec, "subsets", [])
}

dr_hosts contains dr_host_key(dr) if some dr in lib.objects("DestinationRule")

# A route to a subset is judged in a live scan, or when the input holds a
# DestinationRule for that host (the place the subset would be defined).
route_subset_judgeable(_) if lib.live

route_subset_judgeable(key) if key in dr_hosts

judged_routes contains [vs, sprintf("spec.%s[%d].route[%d].destination.subset", [kind, j, k]), d, key] if {
	some vs in lib.in_scope_objects("VirtualService")
	some kind in ["http", "tls", "tcp"]
	some j, route in object.get(vs.spec, kind, [])
	some k, r in object.get(route, "route", [])
	d := r.destination
	d.subset
	key := cluster_host(d.host, lib.ns(vs))
	route_subset_judgeable(key)
}

deny contains {
	"msg": sprintf("VirtualService %s routes to subset %q of %s, which no DestinationRule defines, so those requests fail", [lib.ns_name(vs), d.subset, d.host]),
	"resource": lib.resource(vs),
	"evidence": [{"path": path, "value": d.subset}, {"path": sprintf("DestinationRule subset %q for host %s", [d.subset, fqdn(key)]), "value": 0}],
} if {
	some [vs, path, d, key] in judged_routes
	not [key, d.subset] in defined_subsets
}

# ---- ServiceEntry hosts --------------------------------------------------------------

dns_name := `^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`

deny contains {
	"msg": sprintf("ServiceEntry %s has no hosts, so Istio rejects it", [lib.ns_name(se)]),
	"resource": lib.resource(se),
	"evidence": [{"path": "spec.hosts"}],
} if {
	some se in lib.in_scope_objects("ServiceEntry")
	count(object.get(se.spec, "hosts", [])) == 0
}

deny contains {
	"msg": sprintf("ServiceEntry %s has host \"*\", which Istio rejects", [lib.ns_name(se)]),
	"resource": lib.resource(se),
	"evidence": [{"path": sprintf("spec.hosts[%d]", [i]), "value": "*"}],
} if {
	some se in lib.in_scope_objects("ServiceEntry")
	some i, h in object.get(se.spec, "hosts", [])
	h == "*"
}

deny contains {
	"msg": sprintf("ServiceEntry %s has host %q, which is not a valid DNS name", [lib.ns_name(se), h]),
	"resource": lib.resource(se),
	"evidence": [{"path": sprintf("spec.hosts[%d]", [i]), "value": h}],
} if {
	some se in lib.in_scope_objects("ServiceEntry")
	some i, h in object.get(se.spec, "hosts", [])
	h != "*"
	not regex.match(dns_name, h)
}

deny contains {
	"msg": sprintf("ServiceEntry %s resolves host %q by %s without endpoints, but it is not a fully qualified name, so Istio rejects it", [lib.ns_name(se), h, res]),
	"resource": lib.resource(se),
	"evidence": [{"path": sprintf("spec.hosts[%d]", [i]), "value": h}, {"path": "spec.resolution", "value": res}, {"path": "spec.endpoints"}],
} if {
	some se in lib.in_scope_objects("ServiceEntry")
	res := upper(object.get(se.spec, "resolution", "NONE"))
	res in {"DNS", "DNS_ROUND_ROBIN"}
	count(object.get(se.spec, "endpoints", [])) == 0
	not se.spec.workloadSelector
	some i, h in object.get(se.spec, "hosts", [])
	h != "*"
	regex.match(dns_name, h)
	not_fqdn(h)
}

not_fqdn(h) if contains(h, "*")

not_fqdn(h) if not contains(trim_suffix(h, "."), ".")

# ---- verdict ----------------------------------------------------------------------

# left_to_live: in a manifest scan, the references the input cannot
# resolve because it does not hold the place they would live. Only a live
# scan can tell whether they resolve.
left_to_live contains sprintf("gateway %q of VirtualService %s", [r, lib.ns_name(vs)]) if {
	not lib.live
	some vs in lib.in_scope_objects("VirtualService")
	some [_, r] in vs_gateway_refs(vs)
	r != "mesh"
	key := gw_key(vs, r)
	not gateway_judgeable(key[0])
	not key in lib.gateway_refs
}

left_to_live contains sprintf("host %q of DestinationRule %s", [dr.spec.host, lib.ns_name(dr)]) if {
	not lib.live
	some dr in lib.in_scope_objects("DestinationRule")
	key := cluster_host(dr.spec.host, lib.ns(dr))
	not host_judgeable(key[0])
	not dr.spec.host in se_hosts
	not fqdn(key) in se_hosts
}

left_to_live contains sprintf("subset %q of DestinationRule %s", [sub.name, lib.ns_name(dr)]) if {
	not lib.live
	some dr in lib.in_scope_objects("DestinationRule")
	key := cluster_host(dr.spec.host, lib.ns(dr))
	svc := services[key]
	count(backing(svc)) > 0
	some sub in object.get(dr.spec, "subsets", [])
	not subset_decided(object.get(sub, "labels", {}), svc)
}

left_to_live contains sprintf("subset %q of %s routed to by VirtualService %s", [d.subset, d.host, lib.ns_name(vs)]) if {
	not lib.live
	some vs in lib.in_scope_objects("VirtualService")
	some kind in ["http", "tls", "tcp"]
	some route in object.get(vs.spec, kind, [])
	some r in object.get(route, "route", [])
	d := r.destination
	d.subset
	key := cluster_host(d.host, lib.ns(vs))
	not route_subset_judgeable(key)
}

# judged: every ServiceEntry in scope (its hosts are self-contained), and
# every VirtualService and DestinationRule with a reference the input can
# resolve (see the judgeable rules above) -- but nothing when a manifest
# scan left references to a live scan: the configuration as a whole is then
# not applicable ("only a live scan can tell"), so that a file scan and a
# live scan of the same objects never disagree (pass here, fail live).
judged contains lib.resource(se) if {
	count(left_to_live) == 0
	some se in lib.in_scope_objects("ServiceEntry")
}

judged contains lib.resource(vs) if {
	count(left_to_live) == 0
	some [vs, _, _, _] in judged_gateway_refs
}

judged contains lib.resource(vs) if {
	count(left_to_live) == 0
	some [vs, _, _, _] in judged_routes
}

judged contains lib.resource(dr) if {
	count(left_to_live) == 0
	some dr in judged_hosts
}

judged contains lib.resource(dr) if {
	count(left_to_live) == 0
	some [dr, _, _, _] in judged_subsets
}

not_applicable contains sprintf("only a live scan can tell whether %d reference(s) resolve: the input does not hold where their targets would live (%s)", [count(left_to_live), concat(", ", sort(left_to_live))]) if {
	count(left_to_live) > 0
}
