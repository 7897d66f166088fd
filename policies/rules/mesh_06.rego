# METADATA
# title: No host-network pods in meshed namespaces
# description: |
#   A pod with `hostNetwork: true` shares the node's network namespace: Istio
#   never injects a sidecar into it (nor captures it in ambient mode), and
#   NetworkPolicy does not apply to it. In a namespace enrolled in the mesh
#   (or for a pod that asks to be meshed with `sidecar.istio.io/inject:
#   "true"`, `istio.io/rev` or `istio.io/dataplane-mode: ambient`) such a pod
#   silently runs outside the mesh: no mTLS, no authorization, no telemetry.
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

# why(w): the reason the workload would be meshed but for hostNetwork.
why(w) := sprintf("namespace %q is enrolled in the mesh", [w.namespace]) if {
	lib.namespace_enrolled(w.namespace)
} else := "its pod label sidecar.istio.io/inject=true asks for a sidecar" if {
	w.labels["sidecar.istio.io/inject"] == "true"
} else := sprintf("its pod label istio.io/rev=%v asks for a sidecar", [w.labels["istio.io/rev"]]) if {
	object.get(w.labels, "istio.io/rev", "") != ""
	not lib.opted_out(w)
} else := "its pod label istio.io/dataplane-mode=ambient asks for ambient capture" if {
	w.labels["istio.io/dataplane-mode"] == "ambient"
}

deny contains {
	"msg": sprintf("pod template sets hostNetwork: true although %s: Istio never meshes host-network pods and NetworkPolicy does not apply to them, so its traffic has no mTLS and no authorization", [why(w)]),
	"resource": w.resource,
} if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	lib.host_network(w)
	why(w)
}
