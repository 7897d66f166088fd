# METADATA
# title: EnvoyFilters are scoped and allowlisted
# description: |
#   EnvoyFilter patches Envoy's generated configuration directly: a
#   break-glass API that bypasses Istio's validation and can silently
#   disable security filters. Each one must select its proxies
#   (`workloadSelector`, or `targetRefs`): without it, it patches every proxy
#   of its namespace, or of the whole mesh in the root namespace. Outside the
#   root namespace EnvoyFilters are allowed only in
#   `allowed_envoyfilter_namespaces`. Also reported, after istioctl analyze
#   (IST0151-IST0155): relative operations (INSERT_BEFORE, INSERT_AFTER,
#   REPLACE) without a `priority`, which may not apply (low; named IST0155
#   when a proxyVersion match makes it break on upgrade), REPLACE outside
#   HTTP_FILTER/NETWORK_FILTER, ADD or REMOVE on ROUTE_CONFIGURATION/
#   HTTP_ROUTE (ignored by Istio), and the removed v1alpha3 fields
#   `workloadLabels` and `filters`. Judged: every EnvoyFilter in scope;
#   findings carry the patch fields as evidence.
# custom:
#   id: CP-06
#   severity: medium
#   controls: [CM-7, CM-3]
#   inputs: [EnvoyFilter]
#   requires: [istio]
#   subjects: [EnvoyFilter]
#   remediation: |
#     Prefer first-class APIs (Telemetry, WasmPlugin, DestinationRule,
#     AuthorizationPolicy). Where an EnvoyFilter remains, give it a
#     `workloadSelector` (or `targetRefs`) naming the proxies it is for, keep
#     it in the root namespace or an allowlisted namespace
#     (`allowed_envoyfilter_namespaces`), set `priority` for relative
#     operations, and use each patch operation only where Istio applies it.
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1alpha3
#       kind: EnvoyFilter
#       metadata:
#         name: xff-trusted-hops
#         namespace: istio-system
#       spec:
#         configPatches:
#           - applyTo: NETWORK_FILTER
#             match:
#               context: GATEWAY
#               listener:
#                 filterChain:
#                   filter:
#                     name: envoy.filters.network.http_connection_manager
#             patch:
#               operation: MERGE
#               value:
#                 typed_config:
#                   "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
#                   xff_num_trusted_hops: 1
#     pass: |
#       apiVersion: networking.istio.io/v1alpha3
#       kind: EnvoyFilter
#       metadata:
#         name: xff-trusted-hops
#         namespace: istio-system
#       spec:
#         workloadSelector:
#           labels:
#             istio: ingressgateway
#         configPatches:
#           - applyTo: NETWORK_FILTER
#             match:
#               context: GATEWAY
#               listener:
#                 filterChain:
#                   filter:
#                     name: envoy.filters.network.http_connection_manager
#             patch:
#               operation: MERGE
#               value:
#                 typed_config:
#                   "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
#                   xff_num_trusted_hops: 1
package meshaudit.rules.cp_06

import data.meshaudit.lib
import rego.v1

filters contains f if {
	some f in lib.objects("EnvoyFilter")
	lib.in_scope(lib.ns(f))
}

scoped(f) if count(object.get(f.spec, ["workloadSelector", "labels"], {})) > 0

scoped(f) if count(object.get(f.spec, "targetRefs", [])) > 0

scoped(f) if object.get(f.spec, "targetRef", null) != null

reach(f) := "every proxy of the mesh (it is in the root namespace)" if {
	lib.ns(f) == lib.root_ns
} else := sprintf("every proxy of namespace %s", [lib.ns(f)])

deny contains {
	"msg": sprintf("EnvoyFilter %s has no workloadSelector or targetRefs, so it patches %s", [lib.ns_name(f), reach(f)]),
	"resource": lib.resource(f),
	"evidence": [{"path": "spec.workloadSelector"}, {"path": "spec.targetRefs"}],
} if {
	some f in filters
	not scoped(f)
}

allowed_ns := {n | some n in lib.params.allowed_envoyfilter_namespaces}

deny contains {
	"msg": sprintf("EnvoyFilter %s is in namespace %s, which is neither the root namespace %s nor in the allowed EnvoyFilter namespaces", [lib.ns_name(f), lib.ns(f), lib.root_ns]),
	"resource": lib.resource(f),
	"evidence": [{"path": "metadata.namespace", "value": lib.ns(f)}, {"path": "params.allowed_envoyfilter_namespaces", "value": sort(allowed_ns)}],
} if {
	some f in filters
	lib.ns(f) != lib.root_ns
	not lib.ns(f) in allowed_ns
}

# ---- patch usage (istioctl analyze IST0151-IST0155) -------------------------

patches(f) := object.get(f.spec, "configPatches", [])

op(p) := upper(object.get(p, ["patch", "operation"], ""))

apply_to(p) := upper(object.get(p, "applyTo", ""))

relative_ops := {"INSERT_BEFORE", "INSERT_AFTER", "REPLACE"}

route_kinds := {"ROUTE_CONFIGURATION", "HTTP_ROUTE"}

deny contains {
	"msg": sprintf("EnvoyFilter %s patch %d uses the relative operation %s without a priority%s, so it may not be applied (istioctl analyze %s)", [lib.ns_name(f), i, op(p), upgrade_note(p), code(p)]),
	"resource": lib.resource(f),
	"severity": "low",
	"evidence": [{"path": sprintf("spec.configPatches[%d].patch.operation", [i]), "value": op(p)}, {"path": "spec.priority"}],
} if {
	some f in filters
	object.get(f.spec, "priority", 0) == 0
	some i, p in patches(f)
	op(p) in relative_ops
}

proxy_version(p) if object.get(p, ["match", "proxy", "proxyVersion"], "") != ""

upgrade_note(p) := " and matches a proxyVersion, which breaks it during upgrades" if {
	proxy_version(p)
} else := ""

code(p) := "IST0155" if {
	proxy_version(p)
} else := "IST0151"

deny contains {
	"msg": sprintf("EnvoyFilter %s patch %d uses REPLACE on %s; REPLACE is only valid for HTTP_FILTER and NETWORK_FILTER (istioctl analyze IST0152)", [lib.ns_name(f), i, apply_to(p)]),
	"resource": lib.resource(f),
	"evidence": [{"path": sprintf("spec.configPatches[%d].applyTo", [i]), "value": apply_to(p)}, {"path": sprintf("spec.configPatches[%d].patch.operation", [i]), "value": "REPLACE"}],
} if {
	some f in filters
	some i, p in patches(f)
	op(p) == "REPLACE"
	not apply_to(p) in {"HTTP_FILTER", "NETWORK_FILTER"}
}

deny contains {
	"msg": sprintf("EnvoyFilter %s patch %d uses %s on %s, which Istio ignores (istioctl analyze %s)", [lib.ns_name(f), i, op(p), apply_to(p), c]),
	"resource": lib.resource(f),
	"evidence": [{"path": sprintf("spec.configPatches[%d].applyTo", [i]), "value": apply_to(p)}, {"path": sprintf("spec.configPatches[%d].patch.operation", [i]), "value": op(p)}],
} if {
	some f in filters
	some i, p in patches(f)
	apply_to(p) in route_kinds
	c := {"ADD": "IST0153", "REMOVE": "IST0154"}[op(p)]
}

deny contains {
	"msg": sprintf("EnvoyFilter %s uses the removed field spec.%s, which current Istio ignores", [lib.ns_name(f), field]),
	"resource": lib.resource(f),
	"evidence": [{"path": sprintf("spec.%s", [field]), "value": f.spec[field]}],
} if {
	some f in filters
	some field in ["workloadLabels", "filters"]
	field in object.keys(f.spec)
}

# judged: every EnvoyFilter in scope.
judged contains lib.resource(f) if some f in filters
