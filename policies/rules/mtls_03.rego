# METADATA
# title: No client-side mTLS downgrade in DestinationRules
# description: |
#   A DestinationRule's client TLS settings (trafficPolicy.tls,
#   portLevelSettings[].tls, subsets[].trafficPolicy.tls) override Istio's
#   automatic mTLS. DISABLE toward a host backed by a meshed workload sends
#   plaintext (and breaks STRICT servers); SIMPLE or MUTUAL replaces the mesh
#   identity with application TLS. With `enableAutoMtls: false` in mesh
#   config, clients use mTLS only where a DestinationRule sets ISTIO_MUTUAL.
#   Only DestinationRules Istio would use are judged: the host is resolved
#   like Istio (short names relative to the rule's namespace, exact hosts
#   before wildcards) and looked up client namespace, then Service
#   namespace, then root namespace, honouring exportTo.
# custom:
#   id: MTLS-03
#   severity: high
#   controls: [SC-8(1), IA-9]
#   inputs: [DestinationRule, Service, Namespace, ConfigMap, workloads]
#   subjects: [Service]
#   remediation: |
#     Remove `tls` from DestinationRules toward meshed hosts (auto mTLS then
#     uses Istio mTLS) or set `tls.mode: ISTIO_MUTUAL`. A `tls` block without
#     `mode` means DISABLE. Keep SIMPLE/MUTUAL for hosts outside the mesh. With
#     `enableAutoMtls: false`, add a DestinationRule with
#     `trafficPolicy.tls.mode: ISTIO_MUTUAL` for every meshed host (for
#     example host `*.local` in the root namespace), or re-enable auto mTLS.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: catalog
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: catalog
#         template:
#           metadata:
#             labels:
#               app: catalog
#           spec:
#             containers:
#               - name: catalog
#                 image: registry.example.com/storefront/catalog:1.8.0
#                 ports:
#                   - containerPort: 8080
#       ---
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: catalog
#         namespace: storefront
#       spec:
#         selector:
#           app: catalog
#         ports:
#           - name: http
#             port: 80
#             targetPort: 8080
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: catalog
#         namespace: storefront
#       spec:
#         host: catalog
#         trafficPolicy:
#           connectionPool:
#             http:
#               http1MaxPendingRequests: 100
#           tls:
#             mode: DISABLE
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: catalog
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: catalog
#         template:
#           metadata:
#             labels:
#               app: catalog
#           spec:
#             containers:
#               - name: catalog
#                 image: registry.example.com/storefront/catalog:1.8.0
#                 ports:
#                   - containerPort: 8080
#       ---
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: catalog
#         namespace: storefront
#       spec:
#         selector:
#           app: catalog
#         ports:
#           - name: http
#             port: 80
#             targetPort: 8080
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: catalog
#         namespace: storefront
#       spec:
#         host: catalog
#         trafficPolicy:
#           connectionPool:
#             http:
#               http1MaxPendingRequests: 100
#           tls:
#             mode: ISTIO_MUTUAL
package meshaudit.rules.mtls_03

import data.meshaudit.lib
import rego.v1

# Kubernetes Services' DNS domain (istiod's default domain suffix).
domain := "cluster.local"

drs := lib.objects("DestinationRule")

# "*" stands for every namespace not shown by the input (manifest scans).
other_ns := "*"

svc_fqdn(s) := sprintf("%s.%s.svc.%s", [lib.name(s), lib.ns(s), domain])

svc_name(s) := sprintf("%s/%s", [lib.ns(s), lib.name(s)])

# meshed_services: Services in scope whose selector selects a meshed,
# non-gateway workload of their namespace.
# meshed_pod_labels maps a namespace to the pod labels of its meshed
# workloads (read with object.get: built once, one lookup per Service).
meshed_pod_labels := lib.group([[w.namespace, w.labels] |
	some w in lib.workloads
	lib.meshed(w)
	not lib.gateway(w)
])

meshed_services contains s if {
	some s in lib.objects("Service")
	lib.in_scope(lib.ns(s))
	sel := object.get(s, ["spec", "selector"], {})
	count(sel) > 0
	some lbls in object.get(meshed_pod_labels, lib.ns(s), set())
	lib.selects(sel, lbls)
}

# ---- host resolution ---------------------------------------------------------

# dr_host: the host as Istio reads it: a name without dots is relative to
# the rule's namespace; anything else is taken as written.
dr_host(dr) := h if {
	raw := lower(dr.spec.host)
	not contains(raw, ".")
	raw != "*"
	h := sprintf("%s.%s.svc.%s", [raw, lib.ns(dr), domain])
} else := lower(dr.spec.host)

# host_match(h, fqdn): how specifically host h matches fqdn (exact beats any
# wildcard; a longer wildcard beats a shorter one).
host_match(h, fqdn) := 1000000 if h == fqdn

host_match("*", _) := 1

host_match(h, fqdn) := count(h) if {
	h != fqdn
	startswith(h, "*.")
	endswith(fqdn, substring(h, 1, -1))
}

# ---- visibility and lookup ---------------------------------------------------

mesh_default_export := d if {
	d := lib.mesh_config.defaultDestinationRuleExportTo
	count(d) > 0
} else := ["*"]

# A DestinationRule with a workloadSelector applies only in its namespace.
exports(dr) := ["."] if {
	dr.spec.workloadSelector
} else := e if {
	e := object.get(dr.spec, "exportTo", [])
	count(e) > 0
} else := mesh_default_export

visible(dr, _) if "*" in exports(dr)

visible(dr, c) if {
	"." in exports(dr)
	c == lib.ns(dr)
}

visible(dr, c) if c in exports(dr)

# clients: the namespaces whose proxies may call a meshed host. Live: the
# namespaces with a meshed workload. Manifests: every namespace the input
# shows or a DestinationRule exports to, and "any other namespace".
clients contains c if {
	lib.live
	some w in lib.workloads
	lib.meshed(w)
	c := w.namespace
	lib.in_scope(c)
}

clients contains c if {
	not lib.live
	some c in lib.namespaces
	lib.in_scope(c)
}

clients contains c if {
	not lib.live
	some dr in drs
	some c in object.get(dr.spec, "exportTo", [])
	not c in {"*", ".", "~"}
	lib.in_scope(c)
}

clients contains other_ns if not lib.live

# drs_by_host: the in-scope DestinationRules by resolved host (read with
# object.get: built once).
drs_by_host := lib.group([[dr_host(dr), dr] |
	some dr in drs
	lib.in_scope(lib.ns(dr))
])

# candidate_hosts(fqdn): every DestinationRule host that can match fqdn:
# itself, "*", and "*.<suffix>" for every suffix after a dot.
candidate_hosts(fqdn) := {fqdn, "*"} | {h |
	parts := split(fqdn, ".")
	some i in numbers.range(1, count(parts) - 1)
	h := concat(".", array.concat(["*"], array.slice(parts, i, count(parts))))
}

# matches(s): the in-scope DestinationRules whose host matches the Service,
# as [specificity, rule] (looked up by host, not scored one by one).
matches(s) := [[score, dr] |
	fqdn := svc_fqdn(s)
	some h in candidate_hosts(fqdn)
	some dr in object.get(drs_by_host, h, set())
	score := host_match(h, fqdn)
]

# first_level(c, ms, sn): the first namespace of client → Service (in
# namespace sn) → root holding a rule of ms visible to client namespace c.
first_level(c, ms, sn) := levels[0] if {
	levels := [n |
		some n in [c, sn, lib.root_ns]
		some [_, d] in ms
		lib.ns(d) == n
		visible(d, c)
	]
	count(levels) > 0
}

# selected_among(c, ms, sn): the rules of ms (merged by Istio when several)
# a proxy in namespace c uses toward the Service; empty when none.
selected_among(c, ms, sn) := {dr |
	lvl := first_level(c, ms, sn)
	cands := [[sc, d] | some [sc, d] in ms; lib.ns(d) == lvl; visible(d, c)]
	top := max([sc | some [sc, _] in cands])
	some [sc, dr] in cands
	sc == top
}

# special_clients(s, ms): the namespaces for which a rule of ms may be
# selected differently: the Service's, the root, the rules' own and the ones
# they export to by name. Every other client sees the same rules (only those
# exported to "*" from the Service's or the root namespace), so one of them
# stands for all.
special_clients(s, ms) := {lib.ns(s), lib.root_ns} | {lib.ns(d) | some [_, d] in ms} | {c |
	some [_, d] in ms
	some c in exports(d)
}

# client_groups(s, ms): [namespaces, representative] pairs covering
# clients: each special client alone, the others as one group.
client_groups(s, ms) := {[{c}, c] | some c in special_clients(s, ms) & clients} | {[g, min(g)] |
	g := clients - special_clients(s, ms)
	count(g) > 0
}

# in_effect: [rule, [ns, name]] when some client namespace uses the rule
# toward that meshed Service.
in_effect contains [dr, [lib.ns(s), lib.name(s)]] if {
	some s in meshed_services
	ms := matches(s)
	count(ms) > 0
	some [_, c] in client_groups(s, ms)
	some dr in selected_among(c, ms, lib.ns(s))
}

# ---- TLS settings ------------------------------------------------------------

# tls_settings(dr): [where, tls, port number or null] of every client TLS
# setting of the rule.
tls_settings(dr) := {[where, tls, port] |
	some [prefix, tp] in policies(dr)
	some [suffix, tls, port] in policy_tls(tp)
	where := concat("", [prefix, suffix])
}

policies(dr) := {["trafficPolicy", tp] | tp := dr.spec.trafficPolicy} | {[sprintf("subsets[%s].trafficPolicy", [sub.name]), tp] |
	some sub in object.get(dr.spec, "subsets", [])
	tp := sub.trafficPolicy
}

policy_tls(tp) := {[".tls", tp.tls, null] | tp.tls} | {[sprintf(".portLevelSettings[port %v].tls", [p.port.number]), p.tls, p.port.number] |
	some p in object.get(tp, "portLevelSettings", [])
	p.tls
}

# A tls block without mode is DISABLE (the enum's zero value).
tls_mode(tls) := upper(object.get(tls, "mode", "DISABLE"))

mode_text(tls, where) := sprintf("%s.mode %s", [where, upper(tls.mode)]) if tls.mode

mode_text(tls, where) := sprintf("%s without mode (Istio's default DISABLE)", [where]) if not tls.mode

port_applies(null, _)

port_applies(port, s) if {
	port != null
	some sp in object.get(s, ["spec", "ports"], [])
	sp.port == port
}

downgrades contains [dr, where, tls, svc_name(s)] if {
	some s in meshed_services
	some [_, dr] in matches(s)
	[dr, [lib.ns(s), lib.name(s)]] in in_effect
	some [where, tls, port] in tls_settings(dr)
	tls_mode(tls) in {"DISABLE", "SIMPLE", "MUTUAL"}
	port_applies(port, s)
}

list_text(names) := concat(", ", names) if count(names) <= 5

list_text(names) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, 5)), count(names) - 5]) if count(names) > 5

services_text(names) := sprintf("Service %s", [names[0]]) if count(names) == 1

services_text(names) := sprintf("Services %s", [list_text(names)]) if count(names) > 1

# group_names: the Service names of each [rule, where, tls] (read with
# object.get: built once, not one scan of downgrades per group).
group_names := lib.group([[[dr, where, tls], n] | some [dr, where, tls, n] in downgrades])

deny contains {
	"msg": sprintf("%s sends plaintext to meshed %s instead of Istio mTLS", [mode_text(tls, where), services_text(names)]),
	"resource": lib.resource(dr),
} if {
	some [dr, where, tls], group in group_names
	tls_mode(tls) == "DISABLE"
	names := sort(group)
}

deny contains {
	"msg": sprintf("%s toward meshed %s replaces Istio mTLS and the mesh identity with application TLS", [mode_text(tls, where), services_text(names)]),
	"resource": lib.resource(dr),
	"severity": "medium",
} if {
	some [dr, where, tls], group in group_names
	tls_mode(tls) in {"SIMPLE", "MUTUAL"}
	names := sort(group)
}

# ---- enableAutoMtls: false ---------------------------------------------------

auto_mtls_off if lib.falsy(object.get(lib.mesh_config, "enableAutoMtls", true))

istio_mutual_for(dr, _) if tls_mode(dr.spec.trafficPolicy.tls) == "ISTIO_MUTUAL"

istio_mutual_for(dr, s) if {
	ports := object.get(s, ["spec", "ports"], [])
	count(ports) > 0
	every sp in ports {
		some p in object.get(dr.spec.trafficPolicy, "portLevelSettings", [])
		p.port.number == sp.port
		tls_mode(object.get(p, "tls", {})) == "ISTIO_MUTUAL"
	}
}

covered_among(c, ms, s) if {
	some dr in selected_among(c, ms, lib.ns(s))
	istio_mutual_for(dr, s)
}

# clients_text: "namespace a", "namespaces a, b", "namespace a and any
# other namespace", "any namespace".
clients_text(cs) := "any namespace" if cs == {other_ns}

clients_text(cs) := concat("", [noun, list_text(named), tail]) if {
	named := sort([c | some c in cs; c != other_ns])
	count(named) > 0
	noun := {true: "namespace ", false: "namespaces "}[count(named) == 1]
	tail := {true: " and any other namespace", false: ""}[other_ns in cs]
}

deny contains {
	"msg": sprintf("enableAutoMtls is false and no DestinationRule sets tls.mode ISTIO_MUTUAL toward meshed Service %s for clients in %s, so they send plaintext", [svc_name(s), clients_text(uncovered)]),
	"resource": lib.resource(s),
} if {
	auto_mtls_off
	some s in meshed_services
	ms := matches(s)
	uncovered := union({g | some [g, c] in client_groups(s, ms); not covered_among(c, ms, s)})
	count(uncovered) > 0
}
