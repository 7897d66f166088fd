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
#   ignore them, so no policy reliably isolates them.
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

directions := ["Ingress", "Egress"]

obj_or_empty(x) := x if is_object(x)

else := {}

list_or_empty(x) := x if is_array(x)

else := []

spec(np) := obj_or_empty(object.get(np, "spec", {}))

# policy_types: as written, else Kubernetes' default (Ingress, plus Egress
# when the policy has egress rules).
policy_types(np) := {t | some t in list_or_empty(object.get(spec(np), "policyTypes", []))} if {
	count(list_or_empty(object.get(spec(np), "policyTypes", []))) > 0
} else := {"Ingress", "Egress"} if {
	count(list_or_empty(object.get(spec(np), "egress", []))) > 0
} else := {"Ingress"}

# ---- label selectors (matchLabels and matchExpressions) --------------------

expr_matches(e, l) if {
	e.operator == "In"
	l[e.key] in list_or_empty(object.get(e, "values", []))
}

expr_matches(e, l) if {
	e.operator == "NotIn"
	# (not l[e.key] in ... would be false for an absent key: the compiler
	# hoists the ref out of the negation)
	v := object.get(l, e.key, null)
	not v in list_or_empty(object.get(e, "values", []))
}

expr_matches(e, l) if {
	e.operator == "Exists"
	e.key in object.keys(l)
}

expr_matches(e, l) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(l)
}

# selector_matches: a LabelSelector ({} or absent: every pod) selects labels.
selector_matches(sel, l) if {
	s := obj_or_empty(sel)
	every k, v in obj_or_empty(object.get(s, "matchLabels", {})) {
		l[k] == v
	}
	every e in list_or_empty(object.get(s, "matchExpressions", [])) {
		expr_matches(e, l)
	}
}

# ---- index: the policies of each namespace -------------------------------------

# (a complete object grouped once: a lookup into a partial rule re-evaluates
# it on every call)
policy_pairs := [[lib.ns(np), np] | some np in lib.objects("NetworkPolicy")]

policies_by_ns := {n: nps |
	some n in {p[0] | some p in policy_pairs}
	nps := [p[1] | some p in policy_pairs; p[0] == n]
}

covered(w, dir) if {
	some np in object.get(policies_by_ns, w.namespace, [])
	dir in policy_types(np)
	selector_matches(object.get(spec(np), "podSelector", {}), w.labels)
}

host_network(w) if object.get(w.spec, "hostNetwork", false) == true

judged contains w if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
}

labels_text(l) := "none" if count(l) == 0

else := concat(",", sort([sprintf("%s=%s", [k, v]) | some k, v in l]))

deny contains {
	"msg": sprintf("no NetworkPolicy in namespace %q selects these pods (labels %s) for %s", [w.namespace, labels_text(w.labels), concat(" or ", missing)]),
	"resource": w.resource,
} if {
	some w in judged
	not host_network(w)
	missing := [d | some d in directions; not covered(w, d)]
	count(missing) > 0
}

deny contains {
	"msg": "pods use hostNetwork, so no NetworkPolicy reliably isolates them (Kubernetes leaves NetworkPolicy behaviour for hostNetwork pods undefined and most plugins ignore them)",
	"resource": w.resource,
} if {
	some w in judged
	host_network(w)
}
