# METADATA
# title: No outbound traffic bypasses the sidecar
# description: |
#   Pod annotations that take outbound traffic out of the sidecar's capture:
#   `traffic.sidecar.istio.io/excludeOutboundIPRanges`,
#   `excludeOutboundPorts`, `includeOutboundIPRanges` other than `*` (an
#   empty value disables outbound capture) and `excludeInterfaces`. Traffic
#   that bypasses the proxy gets no mTLS, no egress policy, no telemetry:
#   the talk's latency-sensitive database clients bypassing Istio are this
#   case and must appear unless covered by an approved exception
#   (`allowed_outbound_bypass_cidrs`, `allowed_outbound_bypass_ports`).
#   `includeOutboundPorts` and `kubevirtInterfaces` are not reported: in
#   istio-iptables both add redirection to the proxy, they bypass nothing.
#   Judged: workloads with (or about to get) a sidecar; a namespace implied
#   by its objects is not enrolled unless `namespace_labels` says so
#   (docs/verdicts.md). One finding per workload lists every bypass with its
#   annotation as evidence and names the fix.
# custom:
#   id: MESH-04
#   severity: high
#   controls: [SC-7(8), AC-4]
#   inputs: [workloads, Namespace]
#   requires: [istio]
#   subjects: [workloads]
#   remediation: |
#     Remove the bypass annotation so that the traffic goes through the
#     sidecar (and the egress gateway); for an external database, declare it
#     with a ServiceEntry and route it through the egress gateway. A bypass
#     that is an accepted risk goes into `allowed_outbound_bypass_cidrs` /
#     `allowed_outbound_bypass_ports`, with its justification.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: orders
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: orders-db-client
#         namespace: orders
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: orders-db-client
#         template:
#           metadata:
#             labels:
#               app: orders-db-client
#             annotations:
#               traffic.sidecar.istio.io/excludeOutboundIPRanges: "10.240.64.0/24"
#           spec:
#             containers:
#               - name: orders-db-client
#                 image: registry.example.com/orders/db-client:4.0.2
#                 env:
#                   - name: DB_HOST
#                     value: orders-db.prod.example.com
#                   - name: DB_PORT
#                     value: "5432"
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: orders
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: orders-db-client
#         namespace: orders
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: orders-db-client
#         template:
#           metadata:
#             labels:
#               app: orders-db-client
#           spec:
#             containers:
#               - name: orders-db-client
#                 image: registry.example.com/orders/db-client:4.0.2
#                 env:
#                   - name: DB_HOST
#                     value: orders-db.prod.example.com
#                   - name: DB_PORT
#                     value: "5432"
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: orders-db
#         namespace: orders
#       spec:
#         hosts:
#           - orders-db.prod.example.com
#         location: MESH_EXTERNAL
#         resolution: DNS
#         ports:
#           - number: 5432
#             name: tcp-postgres
#             protocol: TCP
package meshaudit.rules.mesh_04

import data.meshaudit.lib
import rego.v1

# ---- which workloads have a sidecar (see MESH-02 for the webhook logic) -----

judged contains w.resource if some w in lib.sidecar_app_workloads

# ---- helpers ------------------------------------------------------------------

ann(w, k) := sprintf("%v", [w.annotations[concat("", [lib.traffic_annotation_prefix, k])]])

allowed_ports := {sprintf("%v", [p]) | some p in lib.params.allowed_outbound_bypass_ports}

allowed_cidrs := {c | some c in lib.params.allowed_outbound_bypass_cidrs}

cidr_allowed(c) if c in allowed_cidrs

cidr_allowed(c) if {
	net.cidr_is_valid(c)
	some a in allowed_cidrs
	net.cidr_is_valid(a)
	net.cidr_contains(a, c)
}

# The Prometheus pattern of TEL-03 (scraping with Istio certificates):
# includeInboundPorts "" and includeOutboundIPRanges "".
prometheus_pattern(w) if {
	trim_space(ann(w, "includeInboundPorts")) == ""
	trim_space(ann(w, "includeOutboundIPRanges")) == ""
}

tel03_note(w) := "; this is TEL-03's Prometheus scraping pattern: if this is the mesh's Prometheus, record it as an approved exception" if {
	prometheus_pattern(w)
} else := ""

# ---- findings ---------------------------------------------------------------------

ev(w, k) := {"path": lib.annotation_path(w, concat("", [lib.traffic_annotation_prefix, k])), "value": w.annotations[concat("", [lib.traffic_annotation_prefix, k])]}

# problems(w): every bypass of the workload, as {text, evidence}.
problems(w) := [p |
	some list in [
		exclude_ranges(w), exclude_ports(w), include_ranges_empty(w),
		include_ranges_partial(w), exclude_interfaces(w),
	]
	some p in list
]

exclude_ranges(w) := [{"text": sprintf("%sexcludeOutboundIPRanges %q sends traffic to %s around the sidecar (no mTLS, no egress policy)", [lib.traffic_annotation_prefix, v, concat(", ", sort(bypassed))]), "evidence": ev(w, "excludeOutboundIPRanges")} |
	v := ann(w, "excludeOutboundIPRanges")
	bypassed := {c | some c in lib.comma_list(v); not cidr_allowed(c)}
	count(bypassed) > 0
]

exclude_ports(w) := [{"text": sprintf("%sexcludeOutboundPorts %q sends outbound traffic on port(s) %s around the sidecar (no mTLS, no egress policy)", [lib.traffic_annotation_prefix, v, lib.format_ports(bypassed)]), "evidence": ev(w, "excludeOutboundPorts")} |
	v := ann(w, "excludeOutboundPorts")
	bypassed := lib.comma_list(v) - allowed_ports
	count(bypassed) > 0
]

include_ranges_empty(w) := [{"text": sprintf("%sincludeOutboundIPRanges \"\" disables outbound capture, so all outbound traffic bypasses the sidecar%s", [lib.traffic_annotation_prefix, tel03_note(w)]), "evidence": ev(w, "includeOutboundIPRanges")} |
	v := ann(w, "includeOutboundIPRanges")
	trim_space(v) == ""
]

include_ranges_partial(w) := [{"text": sprintf("%sincludeOutboundIPRanges %q captures only these ranges, so outbound traffic to any other address bypasses the sidecar", [lib.traffic_annotation_prefix, v]), "evidence": ev(w, "includeOutboundIPRanges")} |
	v := ann(w, "includeOutboundIPRanges")
	not trim_space(v) in {"", "*"}
]

exclude_interfaces(w) := [{"text": sprintf("%sexcludeInterfaces %q lets traffic on interface(s) %s bypass the sidecar", [lib.traffic_annotation_prefix, v, concat(", ", sort(lib.comma_list(v)))]), "evidence": ev(w, "excludeInterfaces")} |
	v := ann(w, "excludeInterfaces")
	count(lib.comma_list(v)) > 0
]

deny contains {
	"msg": sprintf("%s; remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception", [concat("; ", [p.text | some p in ps])]),
	"resource": w.resource,
	"evidence": [p.evidence | some p in ps],
} if {
	some w in lib.sidecar_app_workloads
	ps := problems(w)
	count(ps) > 0
}

not_applicable contains "no workload with a sidecar in the input (a namespace implied by its objects is not enrolled unless params.namespace_labels says so)" if count(judged) == 0
