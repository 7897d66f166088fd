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
#   like Istio by the shared host matcher (lib/hosts.rego: short names
#   relative to the rule's namespace, case-insensitive, exact hosts before
#   wildcards) and looked up client namespace, then Service namespace, then
#   root namespace, honouring exportTo. A Service is meshed when it selects
#   a meshed workload of the input, or, when no workload of the input backs
#   it, when its namespace is enrolled in the mesh (injection or ambient
#   label, or params.namespace_labels for a namespace without its object).
#   Policies are subjects too: a DestinationRule toward a Service host of an
#   enrolled namespace none of whose Services or workloads is in the input
#   (a repository of mesh policy) is judged on itself. Judged: every meshed
#   Service and every such DestinationRule; with neither, the rule is not
#   applicable. Findings carry the host, the tls mode field and what makes
#   the host meshed as evidence.
#   One finding per DestinationRule or Service lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
# custom:
#   id: MTLS-03
#   severity: high
#   controls: [SC-8(1), IA-9]
#   inputs: [DestinationRule, Service, Namespace, ConfigMap, workloads]
#   subjects: [Service, DestinationRule]
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

drs := lib.objects("DestinationRule")

# "*" stands for every namespace not shown by the input (manifest scans).
other_ns := "*"

# ---- meshed Services -----------------------------------------------------------

# pod_labels maps [namespace, label key, value] to the pod labels of the
# workloads carrying that label, and meshed_pod_labels likewise for meshed,
# non-gateway workloads (built once): a Service's selector is resolved by
# looking up one of its pairs, never by scanning its namespace. Only the
# keys selected() looks up (the least key of some Service's selector) are
# indexed: the other labels of a pod would only grow the index.
pod_labels := lib.group([[[w.namespace, k, v], w.labels] |
	some w in lib.workloads
	some k, v in w.labels
	lookup_keys[k]
])

meshed_pod_labels := lib.group([[[w.namespace, k, v], w.labels] |
	some w in lib.workloads
	lib.meshed(w)
	not lib.gateway(w)
	some k, v in w.labels
	lookup_keys[k]
])

# lookup_keys: the label keys selected() looks up, a set built once.
lookup_keys := {min(object.keys(sel)) |
	some s in lib.objects("Service")
	sel := selector(s)
}

selector(s) := sel if {
	sel := object.get(s, ["spec", "selector"], {})
	is_object(sel)
	count(sel) > 0
}

# selected(idx, s): some labels of idx under the Service's selector match it.
selected(idx, s) if {
	sel := selector(s)
	k := min(object.keys(sel))
	some lbls in object.get(idx, [[lib.ns(s), k, sel[k]]], set())
	lib.selects(sel, lbls)
}

backed(s) if selected(pod_labels, s)

# meshed_services: Services in scope whose selector selects a meshed,
# non-gateway workload of their namespace, or, when no workload of the input
# backs them, Services of a namespace enrolled in the mesh (the policy is
# judged on the namespace's enrolment: a repository of mesh policy without
# the applications is not silent).
meshed_services contains s if {
	some s in lib.objects("Service")
	lib.in_scope(lib.ns(s))
	selected(meshed_pod_labels, s)
}

meshed_services contains s if {
	some s in lib.objects("Service")
	lib.in_scope(lib.ns(s))
	selector(s)
	not backed(s)
	lib.namespace_enrolled(lib.ns(s))
}

# ---- host resolution (lib/hosts.rego) ------------------------------------------

# dr_host: the host as Istio reads it (a short name is relative to the
# rule's namespace; `reviews.app` is taken as written).
dr_host(dr) := lib.host_normalize(dr.spec.host, lib.ns(dr))

# ---- visibility and lookup ---------------------------------------------------

mesh_default_export := d if {
	d := lib.mesh_config.defaultDestinationRuleExportTo
	count(d) > 0
} else := ["*"]

# A DestinationRule with a workloadSelector applies only in its namespace.
exports(dr) := ["."] if {
	dr.spec.workloadSelector
} else := lib.export_to(dr, mesh_default_export)

visible(dr, c) if lib.exported_to(exports(dr), lib.ns(dr), c)

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
# lib.host_lookup: built once).
drs_by_host := lib.group([[dr_host(dr), dr] |
	some dr in drs
	lib.in_scope(lib.ns(dr))
])

# matches(s): the in-scope DestinationRules whose host matches the Service,
# as [specificity, rule] (looked up by the host's keys, not scored one by one).
matches(s) := [[score, dr] |
	fqdn := lib.service_fqdn(s)
	some h in lib.host_keys(fqdn)
	some dr in object.get(drs_by_host, h, set())
	score := lib.host_specificity(h, fqdn)
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
special_clients(s, ms) := ({lib.ns(s), lib.root_ns} | {lib.ns(d) | some [_, d] in ms}) | {c |
	some [_, d] in ms
	some c in exports(d)
}

# client_groups(s, ms): [namespaces, representative] pairs covering
# clients: each special client alone, the others as one group (built only
# for the enableAutoMtls message, which names them).
client_groups(s, ms) := {[{c}, c] | some c in special_in_clients(s, ms)} | {[g, min(g)] |
	g := clients - special_clients(s, ms)
	count(g) > 0
}

special_in_clients(s, ms) := {c | some c in special_clients(s, ms); c in clients}

# other_rep stands for every client that is not special: it is no
# namespace name, so it sees exactly the rules exported to "*".
other_rep := " other"

# client_reps(s, ms): one representative per client group, without
# building the group of the others (a set difference over every namespace
# per Service would be quadratic).
client_reps(s, ms) := special_in_clients(s, ms) | {other_rep | count(clients) > count(special_in_clients(s, ms))}

# in_effect: [rule, [ns, name]] when some client namespace uses the rule
# toward that meshed Service.
in_effect contains [dr, [lib.ns(s), lib.name(s)]] if {
	some s in meshed_services
	ms := matches(s)
	count(ms) > 0
	some c in client_reps(s, ms)
	some dr in selected_among(c, ms, lib.ns(s))
}

# ---- TLS settings ------------------------------------------------------------

# tls_settings(dr): [where, tls, port number or null, path] of every client
# TLS setting of the rule (where: the text of messages, path: the field path
# in the object).
tls_settings(dr) := {[where, tls, port, path] |
	some [prefix, tp, ppath] in policies(dr)
	some [suffix, tls, port, spath] in policy_tls(tp)
	where := concat("", [prefix, suffix])
	path := concat("", [ppath, spath])
}

policies(dr) := {["trafficPolicy", tp, "spec.trafficPolicy"] | tp := dr.spec.trafficPolicy} | {[sprintf("subsets[%s].trafficPolicy", [sub.name]), tp, sprintf("spec.subsets[%d].trafficPolicy", [i])] |
	some i, sub in object.get(dr.spec, "subsets", [])
	tp := sub.trafficPolicy
}

policy_tls(tp) := {[".tls", tp.tls, null, ".tls"] | tp.tls} | {[sprintf(".portLevelSettings[port %v].tls", [p.port.number]), p.tls, p.port.number, sprintf(".portLevelSettings[%d].tls", [i])] |
	some i, p in object.get(tp, "portLevelSettings", [])
	p.tls
}

mode_text(tls, where) := sprintf("%s.mode %s", [where, upper(tls.mode)]) if tls.mode

mode_text(tls, where) := sprintf("%s without mode (Istio's default DISABLE)", [where]) if not tls.mode

# mode_evidence: the tls mode field (no value when unset: DISABLE by default).
mode_evidence(tls, path) := {"path": concat("", [path, ".mode"]), "value": tls.mode} if tls.mode

mode_evidence(tls, path) := {"path": concat("", [path, ".mode"])} if not tls.mode

port_applies(null, _)

port_applies(port, s) if {
	port != null
	some sp in object.get(s, ["spec", "ports"], [])
	sp.port == port
}

downgrades contains [dr, where, tls, path, s] if {
	some s in meshed_services
	some [_, dr] in matches(s)
	[dr, [lib.ns(s), lib.name(s)]] in in_effect
	some [where, tls, port, path] in tls_settings(dr)
	lib.tls_mode(tls) in {"DISABLE", "SIMPLE", "MUTUAL"}
	port_applies(port, s)
}

list_text(names) := concat(", ", names) if count(names) <= 5

list_text(names) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, 5)), count(names) - 5]) if count(names) > 5

services_text(names) := sprintf("Service %s", [names[0]]) if count(names) == 1

services_text(names) := sprintf("Services %s", [list_text(names)]) if count(names) > 1

# why_meshed(s): how the input shows the Service is in the mesh.
why_meshed(s) := "" if {
	selected(meshed_pod_labels, s)
} else := sprintf(" (no workload of the input backs it; namespace %q%s is enrolled: %s)", [lib.ns(s), lib.ns_note(lib.ns(s)), enrolment_text(lib.ns(s))])

# enrolment_text(n): the label that enrols namespace n.
enrolment_text(n) := "istio-injection=enabled" if lib.ns_labels(n)["istio-injection"] == "enabled"

else := sprintf("istio.io/rev=%s", [lib.ns_labels(n)["istio.io/rev"]]) if lib.sidecar_enrolled(n)

else := "istio.io/dataplane-mode=ambient"

# enrolment_label(n): [label key, value] that enrols namespace n.
enrolment_label(n) := ["istio-injection", "enabled"] if lib.ns_labels(n)["istio-injection"] == "enabled"

else := ["istio.io/rev", lib.ns_labels(n)["istio.io/rev"]] if lib.sidecar_enrolled(n)

else := ["istio.io/dataplane-mode", "ambient"]

# enrolment_evidence(n): the enrolling label, on the Namespace object, or
# in params.namespace_labels for a namespace without its object.
enrolment_evidence(n) := {"path": sprintf("metadata.labels[%q]", [k]), "value": v, "resource": lib.namespace_resource(n)} if {
	lib.namespace_objects[n]
	[k, v] := enrolment_label(n)
} else := {"path": sprintf("params.namespace_labels[%q][%q]", [n, k]), "value": v} if {
	[k, v] := enrolment_label(n)
}

# service_evidence(s): what makes the Service a meshed host.
service_evidence(s) := [{"path": "spec.selector", "value": selector(s), "resource": lib.resource(s)}] if {
	selected(meshed_pod_labels, s)
} else := [{"path": "spec.selector", "value": selector(s), "resource": lib.resource(s)}, enrolment_evidence(lib.ns(s))]

# group_services: the Services of each [rule, where, tls, path] (read with
# object.get: built once, not one scan of downgrades per group).
group_services := lib.group([[[dr, where, tls, path], s] | some [dr, where, tls, path, s] in downgrades])

downgrade_evidence(dr, tls, path, svcs) := array.concat(
	[{"path": "spec.host", "value": dr.spec.host}, mode_evidence(tls, path)],
	[e | some s in lib.sort_by_ns_name(svcs); some e in service_evidence(s)],
)

names_of(svcs) := sort([sprintf("%s%s", [lib.ns_name(s), why_meshed(s)]) | some s in svcs])

fix_text := "; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL"

finding contains {
	"msg": sprintf("%s sends plaintext to meshed %s instead of Istio mTLS%s", [mode_text(tls, where), services_text(names_of(svcs)), fix_text]),
	"resource": lib.resource(dr),
	"evidence": downgrade_evidence(dr, tls, path, svcs),
} if {
	some [dr, where, tls, path], svcs in group_services
	lib.tls_mode(tls) == "DISABLE"
}

finding contains {
	"msg": sprintf("%s toward meshed %s replaces Istio mTLS and the mesh identity with application TLS%s", [mode_text(tls, where), services_text(names_of(svcs)), fix_text]),
	"resource": lib.resource(dr),
	"severity": "medium",
	"evidence": downgrade_evidence(dr, tls, path, svcs),
} if {
	some [dr, where, tls, path], svcs in group_services
	lib.tls_mode(tls) in {"SIMPLE", "MUTUAL"}
}

# ---- DestinationRules toward a meshed namespace, Service not in the input ------

# service_fqdns: the FQDN of every Service of the input.
service_fqdns := {lib.service_fqdn(s) | some s in lib.objects("Service")}

# host_namespace(h): the namespace of a Service FQDN (name.ns.svc.<domain>).
host_namespace(h) := parts[1] if {
	endswith(h, lib.svc_suffix)
	not lib.wildcard_host(h)
	parts := split(h, ".")
	count(parts) == count(split(lib.svc_suffix, ".")) + 1
}

# app_namespaces: the namespaces whose applications the input holds (a
# Service or a workload of them).
service_namespaces := {lib.ns(s) | some s in lib.objects("Service")} | {w.namespace | some w in lib.workloads}

# policy_subjects: DestinationRules toward a Service host of an enrolled
# namespace whose applications are not in the input (a repository of mesh
# policy): the rule is judged on itself, so such a repository is not
# silent. When the input holds the namespace's Services or workloads and
# not this one, the host names nothing the input shows (issue 14: a
# reference is judged only where the input holds the place it would live).
policy_subjects contains dr if {
	some dr in drs
	lib.in_scope(lib.ns(dr))
	h := dr_host(dr)
	not h in service_fqdns
	n := host_namespace(h)
	not n in service_namespaces
	lib.in_scope(n)
	lib.namespace_enrolled(n)
}

policy_downgrades contains [dr, where, tls, path] if {
	some dr in policy_subjects
	some [where, tls, _, path] in tls_settings(dr)
	lib.tls_mode(tls) in {"DISABLE", "SIMPLE", "MUTUAL"}
}

policy_text(dr) := sprintf("host %s of namespace %q%s, which is enrolled in the mesh (%s; none of its Services or workloads is in the input)", [dr_host(dr), n, lib.ns_note(n), enrolment_text(n)]) if n := host_namespace(dr_host(dr))

policy_evidence(dr, tls, path) := [
	{"path": "spec.host", "value": dr.spec.host},
	mode_evidence(tls, path),
	enrolment_evidence(host_namespace(dr_host(dr))),
]

finding contains {
	"msg": sprintf("%s sends plaintext instead of Istio mTLS to %s%s", [mode_text(tls, where), policy_text(dr), fix_text]),
	"resource": lib.resource(dr),
	"evidence": policy_evidence(dr, tls, path),
} if {
	some [dr, where, tls, path] in policy_downgrades
	lib.tls_mode(tls) == "DISABLE"
}

finding contains {
	"msg": sprintf("%s replaces Istio mTLS and the mesh identity with application TLS toward %s%s", [mode_text(tls, where), policy_text(dr), fix_text]),
	"resource": lib.resource(dr),
	"severity": "medium",
	"evidence": policy_evidence(dr, tls, path),
} if {
	some [dr, where, tls, path] in policy_downgrades
	lib.tls_mode(tls) in {"SIMPLE", "MUTUAL"}
}

# ---- enableAutoMtls: false ---------------------------------------------------

auto_mtls_off if lib.falsy(object.get(lib.mesh_config, "enableAutoMtls", true))

istio_mutual_for(dr, _) if lib.tls_mode(dr.spec.trafficPolicy.tls) == "ISTIO_MUTUAL"

istio_mutual_for(dr, s) if {
	ports := object.get(s, ["spec", "ports"], [])
	count(ports) > 0
	every sp in ports {
		some p in object.get(dr.spec.trafficPolicy, "portLevelSettings", [])
		p.port.number == sp.port
		lib.tls_mode(object.get(p, "tls", {})) == "ISTIO_MUTUAL"
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

mesh_config_evidence := {"path": "data.mesh: enableAutoMtls", "value": false, "resource": lib.resource(lib.mesh_configmap)} if lib.mesh_configmap

else := {"path": "meshConfig.enableAutoMtls", "value": false}

finding contains {
	"msg": sprintf("enableAutoMtls is false and no DestinationRule sets tls.mode ISTIO_MUTUAL toward meshed Service %s%s for clients in %s, so they send plaintext; add a DestinationRule for it with trafficPolicy.tls.mode ISTIO_MUTUAL", [lib.ns_name(s), why_meshed(s), clients_text(uncovered)]),
	"resource": lib.resource(s),
	"evidence": [
		mesh_config_evidence,
		{"path": sprintf("DestinationRule with tls.mode ISTIO_MUTUAL toward host %s used by clients in %s", [lib.service_fqdn(s), clients_text(uncovered)]), "value": 0},
	],
} if {
	auto_mtls_off
	some s in meshed_services
	ms := matches(s)
	uncovered := union({g | some [g, c] in client_groups(s, ms); not covered_among(c, ms, s)})
	count(uncovered) > 0
}

# ---- verdict ---------------------------------------------------------------------

# judged: every meshed Service (its DestinationRules decide it, pass or
# fail) and every DestinationRule judged on itself.
judged contains lib.resource(s) if some s in meshed_services

judged contains lib.resource(dr) if some dr in policy_subjects

not_applicable contains "no meshed Service in the input (a Service selecting a meshed workload, or of a namespace enrolled in the mesh) and no DestinationRule toward a host of an enrolled namespace" if {
	count(meshed_services) == 0
	count(policy_subjects) == 0
}

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
