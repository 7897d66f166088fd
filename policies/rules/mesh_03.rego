# METADATA
# title: No inbound traffic bypasses the sidecar
# description: |
#   The pod annotations `traffic.sidecar.istio.io/excludeInboundPorts` and
#   `traffic.sidecar.istio.io/includeInboundPorts` decide which inbound ports
#   istio-iptables (or Istio CNI) redirects to the sidecar. A port that is
#   not redirected is served in plaintext straight by the application: it
#   skips mTLS, PeerAuthentication and AuthorizationPolicy. As in
#   istio-iptables, the exclusion list applies only while the inclusion list
#   is `*` (the default); with an explicit list every declared container
#   port left out of it bypasses the sidecar, and an empty list disables
#   inbound capture. Istio's own proxy ports (15008, 15020, 15021, 15090 and
#   the status port) and the allowlisted ports are not reported. Judged:
#   workloads with (or about to get) a sidecar; a namespace implied by its
#   objects is not enrolled unless `namespace_labels` says so
#   (docs/verdicts.md). Findings carry the annotation as evidence and name
#   the fix.
# custom:
#   id: MESH-03
#   severity: critical
#   controls: [SC-7(5), SC-8(1), AC-3]
#   inputs: [workloads, Namespace]
#   requires: [istio]
#   subjects: [workloads]
#   remediation: |
#     Remove `traffic.sidecar.istio.io/excludeInboundPorts`, and either remove
#     `traffic.sidecar.istio.io/includeInboundPorts` (default `*`) or list
#     every container port in it (the talk's `"15090,6969"` pattern for a
#     workload serving metrics on 6969). Ports that must bypass the proxy
#     need an approved exception in `allowed_inbound_bypass_ports`.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: alb
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: alb
#       spec:
#         replicas: 3
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#             annotations:
#               prometheus.io/scrape: "true"
#               prometheus.io/path: /metrics
#               prometheus.io/port: "6969"
#               traffic.sidecar.istio.io/excludeInboundPorts: "6969"
#           spec:
#             containers:
#               - name: alb-api
#                 image: registry.example.com/alb/alb-api:1.12.0
#                 ports:
#                   - name: http-metrics
#                     containerPort: 6969
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: alb
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: alb
#       spec:
#         replicas: 3
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#             annotations:
#               prometheus.io/scrape: "true"
#               prometheus.io/path: /metrics
#               prometheus.io/port: "6969"
#               traffic.sidecar.istio.io/includeInboundPorts: "15090,6969"
#           spec:
#             containers:
#               - name: alb-api
#                 image: registry.example.com/alb/alb-api:1.12.0
#                 ports:
#                   - name: http-metrics
#                     containerPort: 6969
package meshaudit.rules.mesh_03

import data.meshaudit.lib
import rego.v1

# ---- which workloads have a sidecar (see MESH-02 for the webhook logic) -----

judged contains w.resource if some w in lib.sidecar_app_workloads

# ---- port lists -----------------------------------------------------------------

allowed := {sprintf("%v", [p]) | some p in lib.params.allowed_inbound_bypass_ports}

# Ports of the proxy itself, already outside inbound capture.
istio_ports(w) := {"15008", "15020", "15021", "15090"} | {sprintf("%v", [p]) |
	p := w.annotations["status.sidecar.istio.io/port"]
}

include_value(w) := v if {
	v := trim_space(sprintf("%v", [w.annotations[lib.include_inbound_ports_key]]))
} else := "*"

# ---- findings ---------------------------------------------------------------------

deny contains {
	"msg": sprintf("%s %q lets inbound traffic to port(s) %s bypass the sidecar (no mTLS, no authorization); remove the annotation or list the port in allowed_inbound_bypass_ports with an approved exception", [lib.exclude_inbound_ports_key, w.annotations[lib.exclude_inbound_ports_key], lib.format_ports(bypassed)]),
	"resource": w.resource,
	"evidence": [{"path": lib.annotation_path(w, lib.exclude_inbound_ports_key), "value": w.annotations[lib.exclude_inbound_ports_key]}],
} if {
	some w in lib.sidecar_app_workloads
	include_value(w) == "*"
	bypassed := (lib.comma_list(w.annotations[lib.exclude_inbound_ports_key]) - allowed) - istio_ports(w)
	count(bypassed) > 0
}

deny contains {
	"msg": sprintf("%s %q leaves container port(s) %s out of inbound capture, so their traffic bypasses the sidecar (no mTLS, no authorization); add them to the list or remove the annotation (default \"*\")", [lib.include_inbound_ports_key, w.annotations[lib.include_inbound_ports_key], lib.format_ports(missing)]),
	"resource": w.resource,
	"evidence": [{"path": lib.annotation_path(w, lib.include_inbound_ports_key), "value": w.annotations[lib.include_inbound_ports_key]}],
} if {
	some w in lib.sidecar_app_workloads
	include_value(w) != "*"
	declared := {sprintf("%v", [p]) | some p in lib.container_ports(w)}
	missing := (declared - lib.comma_list(include_value(w))) - allowed
	count(missing) > 0
}

not_applicable contains "no workload with a sidecar in the input (a namespace implied by its objects is not enrolled unless params.namespace_labels says so)" if count(judged) == 0
