# METADATA
# title: Default-deny NetworkPolicy per namespace
# description: |
#   Every in-scope app namespace has a default-deny NetworkPolicy: it selects
#   every pod (`podSelector: {}`), lists both Ingress and Egress in
#   policyTypes and has no ingress or egress rules. Without it, pods accept
#   and open any connection that no other policy restricts, and the mesh's
#   own controls are the only barrier (NetworkPolicy also covers traffic that
#   bypasses the sidecar). The two directions may come from two policies.
#   A namespace implied by its objects (no Namespace object in the input) is
#   judged like any other and the message says so (docs/verdicts.md); one
#   the input neither holds nor implies never is. Evidence: the lookup that
#   found no default-deny policy, and the policies denying one direction.
# custom:
#   id: NP-01
#   severity: high
#   controls: [SC-7(5), AC-4]
#   inputs: [NetworkPolicy, Namespace]
#   remediation: |
#     Apply in each app namespace a NetworkPolicy `default-deny` with
#     `podSelector: {}` and `policyTypes: [Ingress, Egress]` and no rules, then
#     allow the required flows (DNS, istiod 15012, the egress gateway, peers)
#     with additional policies.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: shop
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
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: shop
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
package meshaudit.rules.np_01

import data.meshaudit.lib
import rego.v1

all_pods(np) if {
	sel := object.get(np.spec, "podSelector", {})
	count(object.get(sel, "matchLabels", {})) == 0
	count(object.get(sel, "matchExpressions", [])) == 0
}

# policy_types: as written, else Kubernetes' default (Ingress, plus Egress
# when the policy has egress rules).
policy_types(np) := np.spec.policyTypes if count(object.get(np.spec, "policyTypes", [])) > 0

policy_types(np) := ["Ingress"] if {
	count(object.get(np.spec, "policyTypes", [])) == 0
	count(object.get(np.spec, "egress", [])) == 0
}

policy_types(np) := ["Ingress", "Egress"] if {
	count(object.get(np.spec, "policyTypes", [])) == 0
	count(object.get(np.spec, "egress", [])) > 0
}

# deniers: namespace -> {[direction, policy resource]} of the policies that
# deny that direction by default (lib.group: built once).
deniers := lib.group([[lib.ns(np), [d, lib.resource(np)]] |
	some np in lib.objects("NetworkPolicy")
	all_pods(np)
	some d in lib.np_directions
	d in policy_types(np)
	count(object.get(np.spec, lower(d), [])) == 0
])

denied(n) := {d | some [d, _] in object.get(deniers, n, set())}

judged contains lib.namespace_resource(n) if some n in lib.app_namespaces

deny contains {
	"msg": sprintf("namespace %q%s has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules); add one", [n, lib.ns_note(n)]),
	"resource": lib.namespace_resource(n),
	"evidence": [{"path": sprintf("NetworkPolicy with podSelector {} and no rules in namespace %q", [n]), "value": 0}],
} if {
	some n in lib.app_namespaces
	count(denied(n)) == 0
}

deny contains {
	"msg": sprintf("namespace %q%s denies %s by default but not %s: no NetworkPolicy with podSelector {} has policyTypes %s and no %s rules; add one", [n, lib.ns_note(n), have, miss, miss, lower(miss)]),
	"resource": lib.namespace_resource(n),
	"evidence": array.concat(
		[{"path": sprintf("NetworkPolicy with podSelector {}, policyTypes %s and no %s rules in namespace %q", [miss, lower(miss), n]), "value": 0}],
		[{"path": "spec.policyTypes", "value": [have], "resource": r} | some [have, r] in object.get(deniers, n, set())],
	),
} if {
	some n in lib.app_namespaces
	have_set := denied(n)
	count(have_set) == 1
	some have in have_set
	some miss in lib.np_directions
	not miss in have_set
}

not_applicable contains "no application namespace in the input (the root namespace and excluded namespaces are not judged)" if count(judged) == 0
