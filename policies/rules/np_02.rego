# METADATA
# title: Every pod selected by a NetworkPolicy in each direction
# description: |
#   Every pod of an app namespace (the pod template of each owning workload)
#   is selected by at least one NetworkPolicy of its namespace for Ingress and
#   for Egress. A pod no policy selects for a direction is not isolated in
#   that direction: it accepts, or opens, any connection. policyTypes follows
#   Kubernetes' defaults: a policy without policyTypes applies to Ingress, and
#   to Egress only when it has egress rules; a policy listing policyTypes
#   applies to exactly those directions. podSelector matchLabels and
#   matchExpressions are evaluated against the pod template's labels.
#   hostNetwork pods are reported on their own: Kubernetes leaves
#   NetworkPolicy behaviour for them undefined and most network plugins
#   ignore them, so no policy reliably isolates them. Only namespaces that
#   hold NetworkPolicies are judged, and only for the directions some policy
#   of the namespace applies to: a namespace (or direction) without any
#   policy is NP-01's finding, not repeated per workload. Findings carry the
#   pod labels and the lookup that found no selecting policy as evidence.
# custom:
#   id: NP-02
#   severity: medium
#   controls: [SC-7]
#   inputs: [NetworkPolicy, workloads]
#   subjects: [workloads]
#   remediation: |
#     Apply a default-deny NetworkPolicy (`podSelector: {}`, `policyTypes:
#     [Ingress, Egress]`) in every app namespace, so every pod is selected in
#     both directions, and allow the required flows with further policies.
#     Move workloads off `hostNetwork` (NetworkPolicy cannot isolate them).
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         replicas: 2
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
#               ports:
#               - containerPort: 8080
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: frontend
#         namespace: shop
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: frontend
#         template:
#           metadata:
#             labels:
#               app: frontend
#           spec:
#             containers:
#             - name: frontend
#               image: registry.example.com/shop/frontend:2.0.1
#               ports:
#               - containerPort: 8080
#       ---
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: cart-from-frontend
#         namespace: shop
#       spec:
#         podSelector:
#           matchLabels:
#             app: cart
#         ingress:
#         - from:
#           - podSelector:
#               matchLabels:
#                 app: frontend
#           ports:
#           - port: 8080
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         replicas: 2
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
#               ports:
#               - containerPort: 8080
#       ---
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: default-deny
#         namespace: shop
#       spec:
#         podSelector: {}
#         policyTypes:
#         - Ingress
#         - Egress
#       ---
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: cart-from-frontend
#         namespace: shop
#       spec:
#         podSelector:
#           matchLabels:
#             app: cart
#         ingress:
#         - from:
#           - podSelector:
#               matchLabels:
#                 app: frontend
#           ports:
#           - port: 8080
package meshaudit.rules.np_02

import data.meshaudit.lib
import rego.v1

# ---- label selectors (matchLabels and matchExpressions) --------------------

# ---- index: the policies of each namespace -------------------------------------

# ns_directions(n): the directions some policy of namespace n applies to. A
# direction no policy of the namespace applies to is NP-01's finding (the
# namespace has no default-deny for it), not repeated here per workload.
ns_directions(n) := {d | some np in object.get(lib.network_policies_by_ns, n, set()); some d in lib.np_policy_types(np)}

covered(w, dir) if {
	some np in object.get(lib.network_policies_by_ns, w.namespace, set())
	dir in lib.np_policy_types(np)
	lib.selector_matches(object.get(lib.spec(np), "podSelector", {}), w.labels)
}

# subjects: workloads of application namespaces that hold NetworkPolicies.
subjects contains w if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	count(object.get(lib.network_policies_by_ns, w.namespace, set())) > 0
}

judged contains w.resource if some w in subjects

not_applicable contains "no application namespace of the input holds a NetworkPolicy: a namespace without any is NP-01's finding, not repeated per workload" if {
	count(judged) == 0
}

labels_text(l) := "none" if count(l) == 0

else := concat(",", sort([sprintf("%s=%s", [k, v]) | some k, v in l]))

deny contains {
	"msg": sprintf("no NetworkPolicy in namespace %q selects these pods (labels %s) for %s; add a policy whose podSelector matches them", [w.namespace, labels_text(w.labels), concat(" or ", missing)]),
	"resource": w.resource,
	"evidence": array.concat(
		[{"path": sprintf("%s.labels", [lib.pod_meta_path(w)]), "value": w.labels}],
		[{"path": sprintf("NetworkPolicy in namespace %q selecting these pods for %s", [w.namespace, d]), "value": 0} | some d in missing],
	),
} if {
	some w in subjects
	not lib.host_network(w)
	dirs := ns_directions(w.namespace)
	missing := [d | some d in lib.np_directions; d in dirs; not covered(w, d)]
	count(missing) > 0
}

deny contains {
	"msg": "pods use hostNetwork, so no NetworkPolicy reliably isolates them (Kubernetes leaves NetworkPolicy behaviour for hostNetwork pods undefined and most plugins ignore them); run them without hostNetwork",
	"resource": w.resource,
	"evidence": [{"path": sprintf("%s.hostNetwork", [lib.pod_spec_path(w)]), "value": true}],
} if {
	some w in subjects
	lib.host_network(w)
}
