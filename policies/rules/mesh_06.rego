# METADATA
# title: No host-network pods in meshed namespaces
# description: |
#   A pod with `hostNetwork: true` shares the node's network namespace: Istio
#   never injects a sidecar into it (nor captures it in ambient mode), and
#   NetworkPolicy does not apply to it. In a namespace enrolled in the mesh
#   (or for a pod that asks to be meshed with `sidecar.istio.io/inject:
#   "true"`, `istio.io/rev` or `istio.io/dataplane-mode: ambient`) such a pod
#   silently runs outside the mesh: no mTLS, no authorization, no telemetry.
#   Every application workload is judged; a namespace implied by its
#   objects is not enrolled unless `namespace_labels` says so
#   (docs/verdicts.md). Findings carry hostNetwork and the label asking for
#   the mesh as evidence and name the fix.
# custom:
#   id: MESH-06
#   severity: high
#   controls: [SC-7, AC-4]
#   inputs: [workloads, Namespace]
#   requires: [istio]
#   subjects: [workloads]
#   remediation: |
#     Remove `hostNetwork: true` from the pod template, or move the workload
#     to a namespace outside the mesh (covered by an approved exception and
#     by host-level firewalling) if it really needs the node's network.
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
#         name: inventory-sync
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: inventory-sync
#         template:
#           metadata:
#             labels:
#               app: inventory-sync
#           spec:
#             hostNetwork: true
#             dnsPolicy: ClusterFirstWithHostNet
#             containers:
#               - name: inventory-sync
#                 image: registry.example.com/storefront/inventory-sync:1.3.0
#                 ports:
#                   - containerPort: 9000
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
#         name: inventory-sync
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: inventory-sync
#         template:
#           metadata:
#             labels:
#               app: inventory-sync
#           spec:
#             containers:
#               - name: inventory-sync
#                 image: registry.example.com/storefront/inventory-sync:1.3.0
#                 ports:
#                   - containerPort: 9000
package meshaudit.rules.mesh_06

import data.meshaudit.lib
import rego.v1

# why(w): [the reason the workload would be meshed but for hostNetwork,
# the evidence of it].
why(w) := [sprintf("namespace %q%s is enrolled in the mesh", [w.namespace, lib.ns_note(w.namespace)]), ns_evidence(w.namespace)] if {
	lib.namespace_enrolled(w.namespace)
} else := ["its pod label sidecar.istio.io/inject=true asks for a sidecar", [{"path": lib.label_path(w, "sidecar.istio.io/inject"), "value": "true"}]] if {
	w.labels["sidecar.istio.io/inject"] == "true"
} else := [sprintf("its pod label istio.io/rev=%v asks for a sidecar", [w.labels["istio.io/rev"]]), [{"path": lib.label_path(w, "istio.io/rev"), "value": w.labels["istio.io/rev"]}]] if {
	object.get(w.labels, "istio.io/rev", "") != ""
	not lib.opted_out(w)
} else := ["its pod label istio.io/dataplane-mode=ambient asks for ambient capture", [{"path": lib.label_path(w, "istio.io/dataplane-mode"), "value": "ambient"}]] if {
	w.labels["istio.io/dataplane-mode"] == "ambient"
}

ns_evidence(n) := [e |
	some k in ["istio-injection", "istio.io/rev", "istio.io/dataplane-mode"]
	e := lib.ns_label_evidence_of(n, k)
	"value" in object.keys(e)
]

# judged: every workload of an application namespace (its hostNetwork and
# its namespace's enrolment are in the input; an implied namespace is not
# enrolled unless params.namespace_labels says so, docs/verdicts.md).
judged contains w.resource if some w in lib.app_workloads

deny contains {
	"msg": sprintf("pod template sets hostNetwork: true although %s: Istio never meshes host-network pods and NetworkPolicy does not apply to them, so its traffic has no mTLS and no authorization; remove hostNetwork (or move the workload out of the mesh's namespaces)", [reason]),
	"resource": w.resource,
	"evidence": array.concat([{"path": sprintf("%s.hostNetwork", [lib.pod_spec_path(w)]), "value": true}], ev),
} if {
	some w in lib.app_workloads
	lib.host_network(w)
	[reason, ev] := why(w)
}

not_applicable contains "no workload in an application namespace of the input" if count(judged) == 0
