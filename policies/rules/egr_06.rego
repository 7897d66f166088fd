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
#   serves. Not applicable when the input holds no egress gateway. Hosts are
#   matched by the shared host matcher (lib/hosts.rego): a DestinationRule
#   host as Istio resolves it (a short name in the rule's namespace;
#   `istio-egressgateway.istio-system` is not completed), a route
#   destination as a client dials it. A missing AuthorizationPolicy is a
#   finding only when mesh-wide policy is known (a live scan, or mesh-wide
#   evidence in the input): a root-namespace policy may limit the gateway.
#   Judged: every egress gateway host (its DestinationRules) and every
#   egress gateway workload whose authorization was decided; findings carry
#   the TLS fields and policy lookups as evidence.
#   One finding per Service, workload or AuthorizationPolicy lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
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

egress_selector(sel) if {
	count(lib.egress_gateway_labels) > 0
	is_object(sel)
	count(sel) > 0
	lib.selects(lib.egress_gateway_labels, sel)
}

egress_selector(sel) if {
	is_object(sel)
	count(sel) > 0
	k := min(object.keys(sel))
	some l in object.get(egress_labels_by_pair, [[k, sel[k]]], set())
	lib.selects(sel, l)
}

# egress_labels_by_pair: the pod labels of the egress gateways by each
# [key, value] (built once), so a Service selector is resolved by lookup.
egress_labels_by_pair := lib.group([[[k, v], w.labels] |
	some w in lib.egress_gateways
	some k, v in w.labels
])

# ---- egress gateway hosts ---------------------------------------------------------

# gateway_hosts: the FQDN of each egress gateway Service of the input.
gateway_hosts := {lib.service_fqdn(svc): lib.resource(svc) |
	some svc in lib.objects("Service")
	lib.in_scope(lib.ns(svc))
	egress_selector(object.get(lib.spec(svc), "selector", {}))
}

# dialled(raw, n): a route destination as a client of namespace n dials it
# (istio-egressgateway.<ns> of a namespace the input does not show too).
dialled(raw, n) := h if {
	h := lib.host_normalize_dns(raw, n)
	endswith(h, lib.svc_suffix)
} else := concat("", [lower(raw), lib.svc_suffix]) if {
	count(split(raw, ".")) == 2
}

vs_routes contains [h, vs] if {
	some vs in lib.objects("VirtualService")
	lib.in_scope(lib.ns(vs))
	some kind in ["http", "tls", "tcp"]
	some r in lib.as_array(object.get(lib.spec(vs), kind, []))
	some d in lib.as_array(object.get(lib.as_object(r), "route", []))
	dest := lib.as_object(object.get(lib.as_object(d), "destination", {}))
	raw := object.get(dest, "host", "")
	is_string(raw)
	startswith(lower(raw), "istio-egressgateway")
	h := dialled(raw, lib.ns(vs))
}

# vs_gateway_hosts: egress gateway hosts routed to by a VirtualService whose
# Service is not in the input, located at the first such VirtualService.
routes_by_host := lib.group([[h, [lib.ns_name(v), lib.resource(v)]] | some [h, v] in vs_routes])

vs_gateway_hosts := {h: min(vals)[1] |
	some h, vals in routes_by_host
	not gateway_hosts[h]
}

all_hosts := object.union(vs_gateway_hosts, gateway_hosts)

# ---- DestinationRules toward them -------------------------------------------------

tls_blocks(dr) := array.concat(
	array.concat(
		[["spec.trafficPolicy.tls", t] | t := lib.as_object(object.get(lib.as_object(object.get(lib.spec(dr), "trafficPolicy", {})), "tls", null))],
		[[sprintf("spec.trafficPolicy.portLevelSettings[%d].tls", [i]), t] |
			some i, ps in lib.as_array(object.get(lib.as_object(object.get(lib.spec(dr), "trafficPolicy", {})), "portLevelSettings", []))
			t := lib.as_object(object.get(lib.as_object(ps), "tls", null))
		],
	),
	[x |
		some i, sub in lib.as_array(object.get(lib.spec(dr), "subsets", []))
		tp := lib.as_object(object.get(lib.as_object(sub), "trafficPolicy", {}))
		some x in array.concat(
			[[sprintf("spec.subsets[%d].trafficPolicy.tls", [i]), lib.as_object(object.get(tp, "tls", null))]],
			[[sprintf("spec.subsets[%d].trafficPolicy.portLevelSettings[%d].tls", [i, j]), lib.as_object(object.get(lib.as_object(ps), "tls", null))] | some j, ps in lib.as_array(object.get(tp, "portLevelSettings", []))],
		)
	],
)

drs_by_host := lib.group([[lib.host_normalize(lib.spec(dr).host, lib.ns(dr)), dr] |
	some dr in lib.objects("DestinationRule")
	lib.in_scope(lib.ns(dr))
	is_string(lib.spec(dr).host)
])

# mutual_blocks(h): [rule, path, tls] of every ISTIO_MUTUAL block toward h.
mutual_blocks(h) := [[dr, path, t] |
	some dr in lib.host_lookup(drs_by_host, h)
	some [path, t] in tls_blocks(dr)
	upper(object.get(t, "mode", "")) == "ISTIO_MUTUAL"
]

# ---- AuthorizationPolicies on the egress gateway ---------------------------------

aps_by_ns := lib.group([[lib.ns(ap), ap] | some ap in lib.objects("AuthorizationPolicy")])

ap_selector(ap) := lib.as_object(object.get(lib.as_object(object.get(lib.spec(ap), "selector", {})), "matchLabels", {}))

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
	some ap in object.get(aps_by_ns, n, set())
	object.get(lib.spec(ap), "targetRefs", null) == null
	object.get(lib.spec(ap), "targetRef", null) == null
	applies(ap, w)
}

action(ap) := upper(object.get(lib.spec(ap), "action", "ALLOW"))

ap_rules(ap) := lib.as_array(object.get(lib.spec(ap), "rules", []))

named(list) if {
	is_array(list)
	count(list) > 0
	not "*" in list
}

limited_source(f) if named(lib.as_object(object.get(lib.as_object(f), "source", {})).principals)

limited_source(f) if named(lib.as_object(object.get(lib.as_object(f), "source", {})).namespaces)

limited_rule(r) if {
	froms := lib.as_array(object.get(lib.as_object(r), "from", []))
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
	ro := lib.as_object(r)
	count(lib.as_array(object.get(ro, "to", []))) == 0
	count(lib.as_array(object.get(ro, "when", []))) == 0
	some f in lib.as_array(object.get(ro, "from", []))
	src := lib.as_object(object.get(lib.as_object(f), "source", {}))
	some k in ["notPrincipals", "notNamespaces"]
	named(object.get(src, k, []))
}

# ---- findings -------------------------------------------------------------------------

finding contains {
	"msg": sprintf("no DestinationRule for egress gateway host %s sets tls.mode ISTIO_MUTUAL, so the sidecar-to-egress-gateway hop is not pinned to mutual TLS with the gateway's identity: add one for the host with tls.mode ISTIO_MUTUAL and sni naming the external host", [h]),
	"resource": res,
	"evidence": [{"path": sprintf("DestinationRule for host %s with tls.mode ISTIO_MUTUAL", [h]), "value": 0}],
} if {
	some h, res in all_hosts
	count(mutual_blocks(h)) == 0
}

finding contains {
	"msg": sprintf("DestinationRule %s sets ISTIO_MUTUAL for egress gateway host %s without sni, so the gateway cannot match the external host's server: set sni to the external host", [concat(", ", names), h]),
	"resource": res,
	"severity": "low",
	"evidence": [{"path": concat("", [path, ".sni"]), "resource": lib.resource(dr)} | some [dr, path, _] in blocks],
} if {
	some h, res in all_hosts
	blocks := mutual_blocks(h)
	count(blocks) > 0
	every b in blocks {
		object.get(b[2], "sni", "") == ""
	}
	names := sort({lib.ns_name(dr) | some [dr, _, _] in blocks})
}

finding contains {
	"msg": sprintf("no AuthorizationPolicy limits which workloads may use egress gateway %s: any pod of the mesh can send traffic out through it; add an ALLOW policy with its selector naming the principals or namespaces allowed", [lib.workload_name(w)]),
	"resource": w.resource,
	"evidence": [{"path": sprintf("AuthorizationPolicy in namespace %q or %q applying to the gateway's pods and limiting principals or namespaces", [w.namespace, lib.root_ns]), "value": 0}],
} if {
	lib.mesh_policy_known
	some w in lib.egress_gateways
	count(allow_aps(w)) == 0
	not deny_limits(w)
}

finding contains {
	"msg": sprintf("AuthorizationPolicy %s lets any source use egress gateway %s: rule(s) %s name no principals or namespaces (other than *); name them in each rule's from.source", [lib.ns_name(ap), lib.workload_name(w), concat(", ", [sprintf("%d", [i]) | some i in open])]),
	"resource": lib.resource(ap),
	"evidence": [object.union({"path": sprintf("spec.rules[%d].from", [i])}, {"value": v | v := ap_rules(ap)[i].from}) | some i in open],
} if {
	some w in lib.egress_gateways
	some ap in allow_aps(w)
	open := open_rules(ap)
	count(open) > 0
}

# ---- verdict ----------------------------------------------------------------------------

authz_decided(w) if count(allow_aps(w)) > 0

authz_decided(w) if deny_limits(w)

authz_decided(_) if lib.mesh_policy_known

judged contains res if some _, res in all_hosts

judged contains w.resource if {
	some w in lib.egress_gateways
	authz_decided(w)
}

not_applicable contains "no egress gateway in the input (no workload or Service with the egress gateway labels, no VirtualService routing to one)" if {
	count(lib.egress_gateways) == 0
	count(all_hosts) == 0
}

not_applicable contains sprintf("no AuthorizationPolicy of the input applies to the egress gateway, and the input holds no mesh-wide evidence (mesh config or Istio policy in root namespace %q): a root-namespace policy may limit it", [lib.root_ns]) if {
	count(judged) == 0
	count(lib.egress_gateways) > 0
}

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
