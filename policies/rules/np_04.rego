# METADATA
# title: NetworkPolicy ingress not open to everyone
# description: |
#   Ingress rules of app-namespace NetworkPolicies must name their sources:
#   a rule without `from` (or `from: []`, `ingress: [{}]`) or with an ipBlock
#   covering the whole address space (`0.0.0.0/0`, `::/0`) admits every
#   source, in and outside the cluster, and a peer `namespaceSelector: {}`
#   without a pod selector admits every pod of every namespace, which fails
#   when the rule opens all ports. Policies whose podSelector selects
#   designated gateway pods (parameter `gateway_labels`) may be open: they
#   receive external traffic by design. Rules admitting a monitoring
#   namespace (parameter `monitoring_namespaces`, matched against the
#   Namespace's labels and its `kubernetes.io/metadata.name`) must be
#   limited to Istio's metrics ports 15020 and 15090. Only policies that
#   apply to Ingress are read (policyTypes, or Kubernetes' default); each is
#   judged. One finding per policy lists every open rule with the rule,
#   peer or ports as evidence. An implied namespace's labels are those
#   `namespace_labels` states (docs/verdicts.md).
# custom:
#   id: NP-04
#   severity: medium
#   controls: [SC-7(5), AC-4]
#   inputs: [NetworkPolicy, Namespace]
#   subjects: [NetworkPolicy]
#   remediation: |
#     Give every ingress rule a `from` naming the client pods and namespaces
#     (`podSelector` and `namespaceSelector` with labels), and `ports`.
#     Limit rules for the monitoring namespace to ports 15020 and 15090
#     (Istio's merged metrics and Envoy's stats).
#   examples:
#     fail: |
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: cart-ingress
#         namespace: shop
#       spec:
#         podSelector:
#           matchLabels:
#             app: cart
#         policyTypes:
#         - Ingress
#         ingress:
#         - ports:
#           - port: 8080
#     pass: |
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: cart-ingress
#         namespace: shop
#       spec:
#         podSelector:
#           matchLabels:
#             app: cart
#         policyTypes:
#         - Ingress
#         ingress:
#         - from:
#           - podSelector:
#               matchLabels:
#                 app: frontend
#           ports:
#           - port: 8080
#         - from:
#           - namespaceSelector:
#               matchLabels:
#                 kubernetes.io/metadata.name: monitoring
#           ports:
#           - port: 15020
#           - port: 15090
package meshaudit.rules.np_04

import data.meshaudit.lib
import rego.v1

metrics_ports := {15020, 15090}

# Istio's name of the sidecar's Envoy metrics port (15090).
metrics_port_names := {"http-envoy-prom"}

ingress_rules contains [np, i, r] if {
	some np in lib.objects("NetworkPolicy")
	lib.app_ns(lib.ns(np))
	"Ingress" in lib.np_policy_types(np)
	some i, r0 in lib.as_array(object.get(lib.spec(np), "ingress", []))
	r := lib.as_object(r0)
}

# ---- label selectors -------------------------------------------------------------

# empty_selector: a present selector with no requirement (selects all).
empty_selector(sel) if {
	is_object(sel)
	count(lib.as_object(object.get(sel, "matchLabels", {}))) == 0
	count(lib.as_array(object.get(sel, "matchExpressions", []))) == 0
}

# ---- gateways ----------------------------------------------------------------------

# gateway_policy: the policy's podSelector requires one of the designated
# gateway label sets, so it selects gateway pods only.
gateway_policy(np) if {
	ml := lib.as_object(object.get(lib.as_object(object.get(lib.spec(np), "podSelector", {})), "matchLabels", {}))
	some gl in lib.params.gateway_labels
	is_object(gl)
	count(gl) > 0
	lib.selects(gl, ml)
}

# ---- ports ------------------------------------------------------------------------

metrics_port(p) if {
	n := lib.port_number(p)
	n in metrics_ports
	object.get(p, "endPort", n) == n
}

metrics_port(p) if p.port in metrics_port_names

# ---- peers ------------------------------------------------------------------------

from(r) := lib.as_array(object.get(r, "from", []))

whole_space(peer) if {
	cidr := peer.ipBlock.cidr
	is_string(cidr)
	endswith(cidr, "/0")
}

all_namespaces(peer) if {
	empty_selector(peer.namespaceSelector)
	not non_empty_pod_selector(peer)
}

non_empty_pod_selector(peer) if {
	is_object(peer.podSelector)
	not empty_selector(peer.podSelector)
}

monitoring_namespaces := {n | some n in lib.params.monitoring_namespaces}

# monitoring_peer: a namespace selector with requirements that selects a
# monitoring namespace (an empty selector is judged as all namespaces).
monitoring_peer(peer) := n if {
	sel := peer.namespaceSelector
	is_object(sel)
	not empty_selector(sel)
	some n in monitoring_namespaces
	lib.selector_matches(sel, lib.ns_selector_labels(n))
}

# ---- findings -----------------------------------------------------------------------

ingress_policies contains np if {
	some np in lib.objects("NetworkPolicy")
	lib.app_ns(lib.ns(np))
	"Ingress" in lib.np_policy_types(np)
}

# problems_by_np: policy resource -> {[rule index, peer index, text,
# evidence]} (lib.group: one finding per policy, built once).
problems_by_np := lib.group([pair |
	some list in [no_from, whole_space_peers, all_namespace_peers, monitoring_peers]
	some pair in list
])

no_from := [[lib.resource(np), [i, -1, sprintf("ingress[%d] of NetworkPolicy %s has no `from`, so every source, in or outside the cluster, may connect on %s", [i, lib.ns_name(np), lib.np_ports_text(r)]), {"path": sprintf("spec.ingress[%d]", [i]), "value": r}]] |
	some [np, i, r] in ingress_rules
	not gateway_policy(np)
	count(from(r)) == 0
]

whole_space_peers := [[lib.resource(np), [i, j, sprintf("ingress[%d] of NetworkPolicy %s admits ipBlock %s, every address, on %s", [i, lib.ns_name(np), peer.ipBlock.cidr, lib.np_ports_text(r)]), {"path": sprintf("spec.ingress[%d].from[%d].ipBlock.cidr", [i, j]), "value": peer.ipBlock.cidr}]] |
	some [np, i, r] in ingress_rules
	not gateway_policy(np)
	some j, peer in from(r)
	whole_space(peer)
]

all_namespace_peers := [[lib.resource(np), [i, j, sprintf("ingress[%d] of NetworkPolicy %s admits every pod of every namespace (namespaceSelector {}) on all ports", [i, lib.ns_name(np)]), {"path": sprintf("spec.ingress[%d].from[%d].namespaceSelector", [i, j]), "value": peer.namespaceSelector}]] |
	some [np, i, r] in ingress_rules
	not gateway_policy(np)
	count(lib.rule_ports(r)) == 0
	some j, peer in from(r)
	all_namespaces(peer)
]

monitoring_peers := [[lib.resource(np), [i, j, sprintf("ingress[%d] of NetworkPolicy %s admits monitoring namespace %q on %s; monitoring is limited to ports 15020 and 15090", [i, lib.ns_name(np), n, what]), object.union({"path": sprintf("spec.ingress[%d].ports", [i])}, {"value": lib.rule_ports(r) | count(lib.rule_ports(r)) > 0})]] |
	some [np, i, r] in ingress_rules
	some j, peer in from(r)
	n := monitoring_peer(peer)
	extra := [p | some p0 in lib.rule_ports(r); p := lib.as_object(p0); not metrics_port(p)]
	what := monitoring_ports_text(r, extra)
	what != ""
]

deny contains {
	"msg": sprintf("%s; name the sources (podSelector and namespaceSelector with labels) and ports", [concat("; ", [p[2] | some p in ps])]),
	"resource": res,
	"evidence": [p[3] | some p in ps],
} if {
	some res, set_ps in problems_by_np
	ps := sort(set_ps)
}

judged contains lib.resource(np) if some np in ingress_policies

monitoring_ports_text(r, _) := "all ports" if count(lib.rule_ports(r)) == 0

monitoring_ports_text(r, extra) := sprintf("ports %s", [concat(", ", [lib.np_port_text(p) | some p in extra])]) if {
	count(lib.rule_ports(r)) > 0
	count(extra) > 0
}

monitoring_ports_text(r, extra) := "" if {
	count(lib.rule_ports(r)) > 0
	count(extra) == 0
}

not_applicable contains "no NetworkPolicy of an application namespace applies to Ingress" if count(judged) == 0
