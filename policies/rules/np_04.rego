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

obj_or_empty(x) := x if is_object(x)

else := {}

list_or_empty(x) := x if is_array(x)

else := []

spec(np) := obj_or_empty(object.get(np, "spec", {}))

policy_types(np) := {t | some t in list_or_empty(object.get(spec(np), "policyTypes", []))} if {
	count(list_or_empty(object.get(spec(np), "policyTypes", []))) > 0
} else := {"Ingress", "Egress"} if {
	count(list_or_empty(object.get(spec(np), "egress", []))) > 0
} else := {"Ingress"}

np_name(np) := sprintf("%s/%s", [lib.ns(np), lib.name(np)])

ingress_rules contains [np, i, r] if {
	some np in lib.objects("NetworkPolicy")
	lib.app_ns(lib.ns(np))
	"Ingress" in policy_types(np)
	some i, r0 in list_or_empty(object.get(spec(np), "ingress", []))
	r := obj_or_empty(r0)
}

# ---- label selectors -------------------------------------------------------------

expr_matches(e, l) if {
	e.operator == "In"
	v := object.get(l, e.key, null)
	v in list_or_empty(object.get(e, "values", []))
}

expr_matches(e, l) if {
	e.operator == "NotIn"
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

selector_matches(sel, l) if {
	s := obj_or_empty(sel)
	every k, v in obj_or_empty(object.get(s, "matchLabels", {})) {
		l[k] == v
	}
	every e in list_or_empty(object.get(s, "matchExpressions", [])) {
		expr_matches(e, l)
	}
}

# empty_selector: a present selector with no requirement (selects all).
empty_selector(sel) if {
	is_object(sel)
	count(obj_or_empty(object.get(sel, "matchLabels", {}))) == 0
	count(list_or_empty(object.get(sel, "matchExpressions", []))) == 0
}

# ---- gateways ----------------------------------------------------------------------

# gateway_policy: the policy's podSelector requires one of the designated
# gateway label sets, so it selects gateway pods only.
gateway_policy(np) if {
	ml := obj_or_empty(object.get(obj_or_empty(object.get(spec(np), "podSelector", {})), "matchLabels", {}))
	some gl in lib.params.gateway_labels
	is_object(gl)
	count(gl) > 0
	lib.selects(gl, ml)
}

# ---- ports ------------------------------------------------------------------------

ports(r) := list_or_empty(object.get(r, "ports", []))

proto(p) := object.get(p, "protocol", "TCP")

port_text(p) := sprintf("%v-%v/%s", [p.port, p.endPort, proto(p)]) if {
	object.get(p, "port", null) != null
	object.get(p, "endPort", null) != null
} else := sprintf("%v/%s", [p.port, proto(p)]) if {
	object.get(p, "port", null) != null
} else := sprintf("all %s ports", [proto(p)])

ports_text(r) := "all ports" if count(ports(r)) == 0

else := sprintf("ports %s", [concat(", ", [port_text(obj_or_empty(p)) | some p in ports(r)])])

port_number(p) := n if {
	n := p.port
	is_number(n)
} else := to_number(p.port) if {
	is_string(p.port)
	regex.match(`^[0-9]+$`, p.port)
}

metrics_port(p) if {
	n := port_number(p)
	n in metrics_ports
	object.get(p, "endPort", n) == n
}

metrics_port(p) if p.port in metrics_port_names

# ---- peers ------------------------------------------------------------------------

from(r) := list_or_empty(object.get(r, "from", []))

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

# ns_labels(n): the namespace's labels (an implied namespace's from
# params.namespace_labels, docs/verdicts.md) plus kubernetes.io/metadata.name.
ns_labels(n) := object.union(lib.ns_labels(n), {"kubernetes.io/metadata.name": n})

monitoring_namespaces := {n | some n in lib.params.monitoring_namespaces}

# monitoring_peer: a namespace selector with requirements that selects a
# monitoring namespace (an empty selector is judged as all namespaces).
monitoring_peer(peer) := n if {
	sel := peer.namespaceSelector
	is_object(sel)
	not empty_selector(sel)
	some n in monitoring_namespaces
	selector_matches(sel, ns_labels(n))
}

# ---- findings -----------------------------------------------------------------------

ingress_policies contains np if {
	some np in lib.objects("NetworkPolicy")
	lib.app_ns(lib.ns(np))
	"Ingress" in policy_types(np)
}

# problems_by_np: policy resource -> {[rule index, peer index, text,
# evidence]} (lib.group: one finding per policy, built once).
problems_by_np := lib.group([pair |
	some list in [no_from, whole_space_peers, all_namespace_peers, monitoring_peers]
	some pair in list
])

no_from := [[lib.resource(np), [i, -1, sprintf("ingress[%d] of NetworkPolicy %s has no `from`, so every source, in or outside the cluster, may connect on %s", [i, np_name(np), ports_text(r)]), {"path": sprintf("spec.ingress[%d]", [i]), "value": r}]] |
	some [np, i, r] in ingress_rules
	not gateway_policy(np)
	count(from(r)) == 0
]

whole_space_peers := [[lib.resource(np), [i, j, sprintf("ingress[%d] of NetworkPolicy %s admits ipBlock %s, every address, on %s", [i, np_name(np), peer.ipBlock.cidr, ports_text(r)]), {"path": sprintf("spec.ingress[%d].from[%d].ipBlock.cidr", [i, j]), "value": peer.ipBlock.cidr}]] |
	some [np, i, r] in ingress_rules
	not gateway_policy(np)
	some j, peer in from(r)
	whole_space(peer)
]

all_namespace_peers := [[lib.resource(np), [i, j, sprintf("ingress[%d] of NetworkPolicy %s admits every pod of every namespace (namespaceSelector {}) on all ports", [i, np_name(np)]), {"path": sprintf("spec.ingress[%d].from[%d].namespaceSelector", [i, j]), "value": peer.namespaceSelector}]] |
	some [np, i, r] in ingress_rules
	not gateway_policy(np)
	count(ports(r)) == 0
	some j, peer in from(r)
	all_namespaces(peer)
]

monitoring_peers := [[lib.resource(np), [i, j, sprintf("ingress[%d] of NetworkPolicy %s admits monitoring namespace %q on %s; monitoring is limited to ports 15020 and 15090", [i, np_name(np), n, what]), object.union({"path": sprintf("spec.ingress[%d].ports", [i])}, {"value": ports(r) | count(ports(r)) > 0})]] |
	some [np, i, r] in ingress_rules
	some j, peer in from(r)
	n := monitoring_peer(peer)
	extra := [p | some p0 in ports(r); p := obj_or_empty(p0); not metrics_port(p)]
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

monitoring_ports_text(r, _) := "all ports" if count(ports(r)) == 0

monitoring_ports_text(r, extra) := sprintf("ports %s", [concat(", ", [port_text(p) | some p in extra])]) if {
	count(ports(r)) > 0
	count(extra) > 0
}

monitoring_ports_text(r, extra) := "" if {
	count(ports(r)) > 0
	count(extra) == 0
}

not_applicable contains "no NetworkPolicy of an application namespace applies to Ingress" if count(judged) == 0
