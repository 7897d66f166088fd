# METADATA
# title: Dedicated ServiceAccount without a mounted API token
# description: |
#   A workload's ServiceAccount is its mesh identity (SPIFFE ID
#   `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`), the
#   principal AuthorizationPolicies name. A workload running as the
#   namespace's `default` ServiceAccount (serviceAccountName unset or
#   "default") shares that identity with every other such workload, so no
#   policy can tell them apart (a workload not yet in the mesh shares its
#   API token's RBAC grants now, and that identity once meshed; the message
#   says which). Reported too: the Kubernetes API token is
#   mounted, i.e. `automountServiceAccountToken` is not false on the pod
#   and, when the pod does not set it, not false on its ServiceAccount (or
#   the ServiceAccount is `default` and not in the input: Kubernetes creates
#   it without the field; another ServiceAccount missing from a manifest
#   scan's input counts as mounting it when the input holds its Namespace
#   object, where it would live, and is not judged in an implied
#   namespace). Whether a workload calls the Kubernetes API cannot be seen
#   from its objects, so the finding asks to disable the token unless it
#   does. Istio's own workloads (istiod, gateways,
#   istio-cni-node, ztunnel) are not judged on the token, which they need;
#   running as `default` they are reported for sharing that ServiceAccount's
#   API token and RBAC grants (they have no sidecar identity to share). One
#   finding per workload lists both problems and names what to change, with
#   the pod spec and ServiceAccount fields as evidence.
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

# ---- Istio's own workloads ---------------------------------------------------------

istio_component(w) if lib.gateway(w)

istio_component(w) if {
	some k in ["app", "k8s-app"]
	w.labels[k] in lib.istio_component_names
}

istio_component(w) if {
	w.kind in {"Deployment", "DaemonSet"}
	lib.name(w.obj) in lib.istio_component_names
}

# component_name(w): how a message names an Istio component.
component_name(w) := sprintf("Istio gateway %s", [lib.name(w.obj)]) if {
	lib.gateway(w)
} else := sprintf("Istio component %s", [lib.name(w.obj)])

# ---- ServiceAccounts ---------------------------------------------------------------

# sas: [namespace, name] -> the ServiceAccount objects (lib.group: built
# once; duplicates cannot conflict).
sas := lib.group([[[lib.ns(sa), lib.name(sa)], sa] | some sa in lib.objects("ServiceAccount")])

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

# sa_field(w): [text, path, value-or-absent] of the field that decided the
# ServiceAccount.
sa_field(w) := ["serviceAccountName: default", "serviceAccountName", {"value": "default"}] if {
	w.spec.serviceAccountName == "default"
} else := ["serviceAccount: default", "serviceAccount", {"value": "default"}] if {
	sa_name(w) == "default"
	w.spec.serviceAccount == "default"
} else := ["no serviceAccountName set", "serviceAccountName", {}]

sa_evidence(w) := object.union({"path": sprintf("%s.%s", [lib.pod_spec_path(w), f[1]])}, f[2]) if f := sa_field(w)

judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

# ---- problems ---------------------------------------------------------------------

identity_problems(w) := [] if {
	sa_name(w) != "default"
} else := [{
	"text": sprintf("pods of %s run as ServiceAccount \"default\" (%s): its Kubernetes API token and RBAC grants are shared with every other pod of namespace %q that uses it; give it a ServiceAccount of its own (serviceAccountName), as Istio's charts do", [component_name(w), sa_field(w)[0], w.namespace]),
	"evidence": [sa_evidence(w)],
}] if {
	istio_component(w)
} else := [{
	"text": sprintf("pods run as ServiceAccount \"default\" (%s), so their mesh identity ns/%s/sa/default is shared with every other workload of the namespace using it; set serviceAccountName to a ServiceAccount of their own", [sa_field(w)[0], w.namespace]),
	"evidence": [sa_evidence(w)],
}] if {
	lib.sidecar(w)
} else := [{
	"text": sprintf("pods run as ServiceAccount \"default\" (%s), so its API token and RBAC grants, and the mesh identity ns/%s/sa/default they get once meshed, are shared with every other workload of the namespace using it; set serviceAccountName to a ServiceAccount of their own", [sa_field(w)[0], w.namespace]),
	"evidence": [sa_evidence(w)],
}]

pod_automount_path(w) := sprintf("%s.automountServiceAccountToken", [lib.pod_spec_path(w)])

pod_automount_evidence(w) := object.union(
	{"path": pod_automount_path(w)},
	{"value": v | v := object.get(w.spec, "automountServiceAccountToken", null); v != null},
)

# token(w): [reason, evidence] when the API token is mounted into the pods;
# undefined when it is not, or when the deciding ServiceAccount is not in
# a manifest scan's input (Kubernetes creates only "default" itself).
token(w) := ["automountServiceAccountToken: true on the pod", [pod_automount_evidence(w)]] if {
	lib.truthy(object.get(w.spec, "automountServiceAccountToken", null))
} else := [sprintf("automountServiceAccountToken is not false on the pod nor on ServiceAccount %s/%s", [w.namespace, sa_name(w)]), [
	pod_automount_evidence(w),
	object.union(
		{"path": "automountServiceAccountToken", "resource": lib.resource(sa)},
		{"value": v | v := object.get(sa, "automountServiceAccountToken", null); v != null},
	),
]] if {
	not lib.falsy(object.get(w.spec, "automountServiceAccountToken", null))
	list := object.get(sas, [[w.namespace, sa_name(w)]], set())
	count(list) > 0
	every sa in list {
		not lib.falsy(object.get(sa, "automountServiceAccountToken", null))
	}
	some sa in list
} else := [reason, [
	pod_automount_evidence(w),
	{"path": sprintf("ServiceAccount \"%s/%s\" in the input", [w.namespace, sa_name(w)]), "value": 0},
]] if {
	not lib.falsy(object.get(w.spec, "automountServiceAccountToken", null))
	count(object.get(sas, [[w.namespace, sa_name(w)]], set())) == 0
	absent_sa_mounts(w)
	reason := sprintf("automountServiceAccountToken is not false on the pod, and ServiceAccount %s/%s is not in the input%s", [w.namespace, sa_name(w), absent_note(w)])
}

# A ServiceAccount absent from the input mounts the token: "default" (created
# by Kubernetes without the field); in a live scan, any; in a manifest scan,
# any whose namespace's Namespace object the input holds (the application's
# files, where its ServiceAccount would live). In an implied namespace
# another ServiceAccount may come with other files: not judged.
absent_sa_mounts(w) if sa_name(w) == "default"

absent_sa_mounts(_) if lib.live

absent_sa_mounts(w) if lib.namespace_objects[w.namespace]

absent_note(w) := " (Kubernetes creates it without automountServiceAccountToken)" if {
	sa_name(w) == "default"
	not lib.live
} else := ""

token_problems(w) := [] if {
	istio_component(w)
} else := [{
	"text": sprintf("the Kubernetes API token of ServiceAccount %q is mounted into the pods (%s); set automountServiceAccountToken: false unless the workload calls the Kubernetes API", [sa_name(w), t[0]]),
	"evidence": t[1],
}] if {
	t := token(w)
} else := []

deny contains {
	"msg": concat("; ", [p.text | some p in ps]),
	"resource": w.resource,
	"evidence": [e | some p in ps; some e in p.evidence],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	ps := array.concat(identity_problems(w), token_problems(w))
	count(ps) > 0
}

not_applicable contains "no workload in an in-scope namespace" if count(judged) == 0
