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
#   are not resolved against Services. A manifest scan judges a reference
#   only when the referenced namespace is in the input (routes to subsets
#   also need the root namespace, where DestinationRules may live).
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

oname(o) := sprintf("%s/%s", [lib.ns(o), lib.name(o)])

in_scope_objects(kind) := [o | some o in lib.objects(kind); lib.in_scope(lib.ns(o))]

# A reference into namespace n can be judged: live, or n is in the input.
judgeable(_) if lib.live

judgeable(n) if n in lib.namespaces

# ---- VirtualService -> Gateway ---------------------------------------------------

gateways := {[lib.ns(g), lib.name(g)] | some g in lib.objects("Gateway")}

gateway_refs(vs) := {r |
	some r in object.get(vs.spec, "gateways", [])
} | {r |
	some kind in ["http", "tls", "tcp"]
	some route in object.get(vs.spec, kind, [])
	some m in object.get(route, "match", [])
	some r in object.get(m, "gateways", [])
}

gw_key(vs, r) := [parts[0], parts[1]] if {
	parts := split(r, "/")
	count(parts) == 2
} else := [lib.ns(vs), r]

deny contains {
	"msg": sprintf("gateway %q of VirtualService %s resolves to no Gateway %s/%s, so its routes are not applied there", [r, oname(vs), key[0], key[1]]),
	"resource": lib.resource(vs),
} if {
	some vs in in_scope_objects("VirtualService")
	some r in gateway_refs(vs)
	r != "mesh"
	key := gw_key(vs, r)
	not key in gateways
	judgeable(key[0])
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

se_hosts := {h | some se in lib.objects("ServiceEntry"); some h in object.get(se.spec, "hosts", [])}

fqdn(key) := sprintf("%s.%s.svc.cluster.local", [key[1], key[0]])

deny contains {
	"msg": sprintf("host %q of DestinationRule %s matches no Service %s in namespace %q, so Istio never applies it", [dr.spec.host, oname(dr), key[1], key[0]]),
	"resource": lib.resource(dr),
} if {
	some dr in in_scope_objects("DestinationRule")
	key := cluster_host(dr.spec.host, lib.ns(dr))
	not services[key]
	not dr.spec.host in se_hosts
	not fqdn(key) in se_hosts
	judgeable(key[0])
}

# ---- DestinationRule subsets -> pod labels -------------------------------------

# (a complete object grouped once: a lookup into a partial rule re-evaluates
# it on every call)
workload_list := [w | some w in lib.workloads]

# workloads_by_ns: namespace -> positions in workload_list (in its order).
workload_pairs := [[w.namespace, i] | some i, w in workload_list]

workloads_by_ns := {n: ws |
	some n in {p[0] | some p in workload_pairs}
	ws := [p[1] | some p in workload_pairs; p[0] == n]
}

backing(svc) := [w |
	sel := object.get(svc.spec, "selector", {})
	count(sel) > 0
	some i in object.get(workloads_by_ns, lib.ns(svc), [])
	w := workload_list[i]
	lib.selects(sel, w.labels)
]

label_text(l) := concat(", ", sort([sprintf("%s=%v", [k, v]) | some k, v in l]))

deny contains {
	"msg": sprintf("subset %q of DestinationRule %s (labels %s) matches no pod of Service %s/%s, so traffic routed to it finds no endpoint", [sub.name, oname(dr), label_text(sl), key[0], key[1]]),
	"resource": lib.resource(dr),
} if {
	some dr in in_scope_objects("DestinationRule")
	key := cluster_host(dr.spec.host, lib.ns(dr))
	svc := services[key]
	pods := backing(svc)
	count(pods) > 0
	some sub in object.get(dr.spec, "subsets", [])
	sl := object.get(sub, "labels", {})
	not subset_matches(sl, pods)
}

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

subsets_judgeable(_) if lib.live

subsets_judgeable(n) if {
	n in lib.namespaces
	lib.has_root_objects
}

deny contains {
	"msg": sprintf("VirtualService %s routes to subset %q of %s, which no DestinationRule defines, so those requests fail", [oname(vs), d.subset, d.host]),
	"resource": lib.resource(vs),
} if {
	some vs in in_scope_objects("VirtualService")
	some kind in ["http", "tls", "tcp"]
	some route in object.get(vs.spec, kind, [])
	some r in object.get(route, "route", [])
	d := r.destination
	d.subset
	key := cluster_host(d.host, lib.ns(vs))
	not [key, d.subset] in defined_subsets
	subsets_judgeable(key[0])
}

# ---- ServiceEntry hosts --------------------------------------------------------------

dns_name := `^(\*\.)?([a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`

deny contains {
	"msg": sprintf("ServiceEntry %s has no hosts, so Istio rejects it", [oname(se)]),
	"resource": lib.resource(se),
} if {
	some se in in_scope_objects("ServiceEntry")
	count(object.get(se.spec, "hosts", [])) == 0
}

deny contains {
	"msg": sprintf("ServiceEntry %s has host \"*\", which Istio rejects", [oname(se)]),
	"resource": lib.resource(se),
} if {
	some se in in_scope_objects("ServiceEntry")
	"*" in object.get(se.spec, "hosts", [])
}

deny contains {
	"msg": sprintf("ServiceEntry %s has host %q, which is not a valid DNS name", [oname(se), h]),
	"resource": lib.resource(se),
} if {
	some se in in_scope_objects("ServiceEntry")
	some h in object.get(se.spec, "hosts", [])
	h != "*"
	not regex.match(dns_name, h)
}

deny contains {
	"msg": sprintf("ServiceEntry %s resolves host %q by %s without endpoints, but it is not a fully qualified name, so Istio rejects it", [oname(se), h, res]),
	"resource": lib.resource(se),
} if {
	some se in in_scope_objects("ServiceEntry")
	res := upper(object.get(se.spec, "resolution", "NONE"))
	res in {"DNS", "DNS_ROUND_ROBIN"}
	count(object.get(se.spec, "endpoints", [])) == 0
	not se.spec.workloadSelector
	some h in object.get(se.spec, "hosts", [])
	h != "*"
	regex.match(dns_name, h)
	not_fqdn(h)
}

not_fqdn(h) if contains(h, "*")

not_fqdn(h) if not contains(trim_suffix(h, "."), ".")
