# METADATA
# title: User workloads not in default, system or Istio root namespaces
# description: |
#   User workloads belong in dedicated application namespaces, the unit of
#   isolation for RBAC, NetworkPolicy, Pod Security admission, quotas and
#   Istio policy. Reported: workloads in `default` (shared by everything
#   deployed without a namespace; a manifest without metadata.namespace is
#   placed in the scan's --default-namespace, "default" unless set), in `kube-*`
#   namespaces (reserved for Kubernetes' own components) and in the Istio
#   root namespace (mesh-wide policy and the mesh CA's keys live there).
#   Istio's own workloads are not reported: istiod, gateways, istio-cni-node
#   and ztunnel. Excluded namespaces are not judged; the default exclusions
#   (kube-system, kube-public, kube-node-lease) hold the cluster's own
#   components, which cannot be told apart from user workloads, so only
#   other kube-* namespaces, or those removed from the exclusion list, are
#   judged. Every in-scope workload but Istio's own is judged; the evidence
#   is the workload's metadata.namespace.
# custom:
#   id: POD-10
#   severity: medium
#   controls: [SC-2, SC-3]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Move the workload into a dedicated application namespace (set
#     metadata.namespace in its manifests, or deploy with `-n`/`--namespace`),
#     labelled for mesh enrolment and Pod Security, with its own
#     ServiceAccounts, NetworkPolicies and AuthorizationPolicies. Keep the
#     Istio root namespace for Istio's control plane and gateways.
#   examples:
#     fail: |
#       # no metadata.namespace: lands in "default"
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#       spec:
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
package meshaudit.rules.pod_10

import data.meshaudit.lib
import rego.v1

istio_component(w) if lib.gateway(w)

istio_component(w) if {
	some k in ["app", "k8s-app"]
	w.labels[k] in lib.istio_component_names
}

istio_component(w) if {
	w.kind in {"Deployment", "DaemonSet"}
	lib.name(w.obj) in lib.istio_component_names
}

# Revisioned control planes: istiod-<revision>.
istio_component(w) if {
	w.kind == "Deployment"
	startswith(lib.name(w.obj), "istiod-")
}

manifest_note := "" if {
	lib.live
} else := " (a manifest without metadata.namespace is placed in the scan's --default-namespace, \"default\" unless set)"

why(n) := sprintf("is in namespace \"default\", shared by everything deployed without a namespace%s; move it to a dedicated application namespace", [manifest_note]) if {
	n == "default"
} else := sprintf("is in the Istio root namespace %q, which holds mesh-wide policy and the mesh CA's keys; only Istio's own components belong there", [n]) if {
	n == lib.root_ns
} else := sprintf("is in system namespace %q, reserved for Kubernetes' own components; move it to a dedicated application namespace", [n]) if {
	startswith(n, "kube-")
}

# judged: every in-scope workload but Istio's own components.
judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not istio_component(w)
}

deny contains {
	"msg": concat(" ", ["workload", why(w.namespace)]),
	"resource": w.resource,
	"evidence": [{"path": "metadata.namespace", "value": w.namespace}],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not istio_component(w)
	why(w.namespace)
}

not_applicable contains "no workload in an in-scope namespace other than Istio's own components" if count(judged) == 0
