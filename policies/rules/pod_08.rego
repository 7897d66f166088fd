# METADATA
# title: Dedicated ServiceAccount without a mounted API token
# description: |
#   A workload's ServiceAccount is its mesh identity (SPIFFE ID
#   `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`), the
#   principal AuthorizationPolicies name. A workload running as the
#   namespace's `default` ServiceAccount (serviceAccountName unset or
#   "default") shares that identity with every other such workload, so no
#   policy can tell them apart. Reported too: the Kubernetes API token is
#   mounted, i.e. `automountServiceAccountToken` is not false on the pod
#   and, when the pod does not set it, not false on its ServiceAccount (or
#   the ServiceAccount is not in the input). Whether a workload calls the
#   Kubernetes API cannot be seen from its objects, so the finding asks to
#   disable the token unless it does. Istio's own workloads (istiod,
#   gateways, istio-cni-node, ztunnel) are not judged on the token, which
#   istiod and the node agents need; gateways are judged on their identity.
# custom:
#   id: POD-08
#   severity: medium
#   controls: [IA-9, AC-6]
#   inputs: [workloads, ServiceAccount]
#   subjects: [workloads]
#   remediation: |
#     Create a ServiceAccount per workload and set `serviceAccountName` in its
#     pod template, then write AuthorizationPolicies against that identity.
#     Set `automountServiceAccountToken: false` on the pod (or on the
#     ServiceAccount) unless the workload calls the Kubernetes API; when it
#     does, bind it the least privileges it needs.
#   examples:
#     fail: |
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
#     pass: |
#       apiVersion: v1
#       kind: ServiceAccount
#       metadata:
#         name: cart
#         namespace: shop
#       automountServiceAccountToken: false
#       ---
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
#             serviceAccountName: cart
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
package meshaudit.rules.pod_08

import data.meshaudit.lib
import rego.v1

# workloads: lib.workloads' entries, built null-safe. lib.workloads calls
# object.get on the pod template's metadata, so a template with
# `metadata: null` (an empty `metadata:` line in YAML, which Kubernetes
# accepts) is a built-in type error; under the engine's strict built-in
# errors the whole rule would turn unknown. Same shape and owner filtering
# as lib.workloads.
workloads contains w if {
	some k in lib.workload_kinds
	some obj in lib.objects(k)
	not lib.owned(obj)
	t := lib.pod_template(obj)
	is_object(t)
	meta := as_object(object.get(t, "metadata", {}))
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": lib.ns(obj),
		"resource": lib.resource(obj),
		"labels": as_object(object.get(meta, "labels", {})),
		"annotations": as_object(object.get(meta, "annotations", {})),
		"spec": as_object(object.get(t, "spec", {})),
	}
}

as_object(x) := x if is_object(x) else := {}

# ---- Istio's own workloads ---------------------------------------------------------

istio_component_names := {"istiod", "istio-cni-node", "ztunnel"}

istio_component(w) if lib.gateway(w)

istio_component(w) if {
	some k in ["app", "k8s-app"]
	w.labels[k] in istio_component_names
}

istio_component(w) if {
	w.kind in {"Deployment", "DaemonSet"}
	lib.name(w.obj) in istio_component_names
}

# ---- ServiceAccounts ---------------------------------------------------------------

sa_present contains [lib.ns(sa), lib.name(sa)] if some sa in lib.objects("ServiceAccount")

sa_no_automount contains [lib.ns(sa), lib.name(sa)] if {
	some sa in lib.objects("ServiceAccount")
	lib.falsy(object.get(sa, "automountServiceAccountToken", null))
}

# sa_name(w): the ServiceAccount the pods run as (serviceAccount is the
# deprecated alias Kubernetes still honours when serviceAccountName is unset).
sa_name(w) := n if {
	n := w.spec.serviceAccountName
	is_string(n)
	n != ""
} else := n if {
	n := w.spec.serviceAccount
	is_string(n)
	n != ""
} else := "default"

sa_source(w) := "serviceAccountName: default" if {
	w.spec.serviceAccountName == "default"
} else := "serviceAccount: default" if {
	sa_name(w) == "default"
	w.spec.serviceAccount == "default"
} else := "no serviceAccountName set"

judged contains w if {
	some w in workloads
	lib.in_scope(w.namespace)
}

deny contains {
	"msg": sprintf("pods run as ServiceAccount \"default\" (%s), so their mesh identity ns/%s/sa/default is shared with every other workload of the namespace using it", [sa_source(w), w.namespace]),
	"resource": w.resource,
} if {
	some w in judged
	sa_name(w) == "default"
}

# mounted_reason(w): why the API token is mounted; undefined when it is not.
mounted_reason(w) := "automountServiceAccountToken: true on the pod" if {
	lib.truthy(object.get(w.spec, "automountServiceAccountToken", null))
} else := r if {
	not lib.falsy(object.get(w.spec, "automountServiceAccountToken", null))
	key := [w.namespace, sa_name(w)]
	not key in sa_no_automount
	r := sa_reason(key)
}

sa_reason(key) := sprintf("automountServiceAccountToken is not false on the pod nor on ServiceAccount %s/%s", key) if {
	key in sa_present
} else := sprintf("automountServiceAccountToken is not false on the pod, and ServiceAccount %s/%s is not in the input", key)

deny contains {
	"msg": sprintf("the Kubernetes API token of ServiceAccount %q is mounted into the pods (%s); set automountServiceAccountToken: false unless the workload calls the Kubernetes API", [sa_name(w), reason]),
	"resource": w.resource,
} if {
	some w in judged
	not istio_component(w)
	reason := mounted_reason(w)
}
