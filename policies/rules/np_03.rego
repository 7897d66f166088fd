# METADATA
# title: External egress only through the egress gateway
# description: |
#   NetworkPolicy egress rules of app namespaces must not open a direct path
#   out of the cluster: an `ipBlock` outside the cluster's pod and Service
#   CIDRs (parameter `cluster_cidrs`), a rule without `to` (or `to: []`,
#   `egress: [{}]`), which allows every destination, and any rule reaching
#   the cloud metadata address 169.254.169.254 (even inside the cluster
#   CIDRs, unless the ipBlock's `except` lists it) fail. Pod and namespace
#   selectors only reach pods of the cluster, so peers such as the Istio
#   root namespace, the mesh namespaces (parameter `mesh_namespaces`) and the
#   egress gateway pods are always allowed; rules whose ports are only DNS
#   (53) and istiod's XDS port (15012) are allowed whatever their
#   destination. Only policies that apply to Egress are read (policyTypes, or
#   Kubernetes' default: Egress when the policy has egress rules). When
#   `cluster_cidrs` is empty, an ipBlock inside a private range cannot be
#   judged and the rule is unknown; a public range is external. Pods that no
#   Egress policy selects are NP-01/NP-02's findings. Judged: every
#   in-scope policy that applies to Egress (but for one whose private
#   ipBlock only `cluster_cidrs` could place); one finding per policy lists
#   every open rule, with the rule or ipBlock as evidence.
# custom:
#   id: NP-03
#   severity: critical
#   controls: [SC-7(8), SC-7(5), AC-4]
#   inputs: [NetworkPolicy]
#   subjects: [NetworkPolicy]
#   remediation: |
#     Remove egress rules to external ipBlocks and rules without `to`; allow
#     egress only to in-cluster peers (the egress gateway pods with
#     `podSelector` + `namespaceSelector`, istiod on 15012, the mesh
#     namespaces, DNS on 53) and send external traffic through the egress
#     gateway. List 169.254.169.254/32 in the `except` of any broad ipBlock.
#     Set `cluster_cidrs` to the cluster's pod and Service CIDRs.
#   examples:
#     fail: |
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: payments-egress
#         namespace: payments
#       spec:
#         podSelector:
#           matchLabels:
#             app: payments
#         policyTypes:
#         - Egress
#         egress:
#         - to:
#           - ipBlock:
#               cidr: 0.0.0.0/0
#           ports:
#           - port: 443
#     pass: |
#       apiVersion: networking.k8s.io/v1
#       kind: NetworkPolicy
#       metadata:
#         name: payments-egress
#         namespace: payments
#       spec:
#         podSelector:
#           matchLabels:
#             app: payments
#         policyTypes:
#         - Egress
#         egress:
#         - to:
#           - namespaceSelector:
#               matchLabels:
#                 kubernetes.io/metadata.name: istio-system
#             podSelector:
#               matchLabels:
#                 istio: egressgateway
#           ports:
#           - port: 443
#         - to:
#           - namespaceSelector:
#               matchLabels:
#                 kubernetes.io/metadata.name: kube-system
#             podSelector:
#               matchLabels:
#                 k8s-app: kube-dns
#           ports:
#           - port: 53
#             protocol: UDP
#           - port: 53
#             protocol: TCP
package meshaudit.rules.np_03

import data.meshaudit.lib
import rego.v1

metadata_ip := "169.254.169.254"

# Port numbers a rule may open to any destination: DNS, istiod XDS.
exempt_ports := {53, 15012}

private_ranges := ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]

# egress_rules: [np, index, rule] of every egress rule that takes effect.
egress_rules contains [np, i, r] if {
	some np in lib.objects("NetworkPolicy")
	lib.app_ns(lib.ns(np))
	"Egress" in lib.np_policy_types(np)
	some i, r0 in lib.as_array(object.get(lib.spec(np), "egress", []))
	r := lib.as_object(r0)
}

# ---- ports ---------------------------------------------------------------------

# exempt_port: a single DNS or istiod port (no range).
exempt_port(p) if {
	is_object(p)
	n := lib.port_number(p)
	n in exempt_ports
	object.get(p, "endPort", n) == n
}

exempt_rule(r) if {
	count(lib.rule_ports(r)) > 0
	every p in lib.rule_ports(r) {
		exempt_port(p)
	}
}

# ---- peers ---------------------------------------------------------------------

to(r) := lib.as_array(object.get(r, "to", []))

cluster_cidrs := [c | some c in lib.params.cluster_cidrs; net.cidr_is_valid(c)]

excepts(b) := [e | some e in lib.as_array(object.get(b, "except", [])); is_string(e); net.cidr_is_valid(e)]

# inside_cluster: the ipBlock minus its excepts lies in the cluster CIDRs.
inside_cluster(b) if {
	count(cluster_cidrs) > 0
	some c in net.cidr_merge(array.concat(cluster_cidrs, excepts(b)))
	net.cidr_contains(c, b.cidr)
}

private(cidr) if {
	some p in private_ranges
	net.cidr_contains(p, cidr)
}

reaches_metadata(b) if {
	net.cidr_contains(b.cidr, metadata_ip)
	not metadata_excepted(b)
}

metadata_excepted(b) if {
	some e in excepts(b)
	net.cidr_contains(e, metadata_ip)
}

# external(b): outside the cluster CIDRs; with no cluster CIDRs known, only
# public ranges are known to be external.
external(b) if {
	count(cluster_cidrs) > 0
	not inside_cluster(b)
}

external(b) if {
	count(cluster_cidrs) == 0
	not private(b.cidr)
}

ip_blocks contains [np, i, r, b, j] if {
	some [np, i, r] in egress_rules
	not exempt_rule(r)
	some j, peer in to(r)
	b := object.get(lib.as_object(peer), "ipBlock", null)
	is_object(b)
	is_string(object.get(b, "cidr", null))
	net.cidr_is_valid(b.cidr)
}

reasons(b) := array.concat(
	["outside the cluster CIDRs" | external(b)],
	[sprintf("including the cloud metadata address %s", [metadata_ip]) | reaches_metadata(b)],
)

except_text(b) := "" if count(excepts(b)) == 0

else := sprintf(" (except %s)", [concat(", ", excepts(b))])

# ---- findings ------------------------------------------------------------------

# egress_policies: in-scope policies that apply to Egress.
egress_policies contains np if {
	some np in lib.objects("NetworkPolicy")
	lib.app_ns(lib.ns(np))
	"Egress" in lib.np_policy_types(np)
}

# problems_by_np: policy resource -> {[rule index, peer index, text,
# evidence]} (lib.group: one finding per policy, built once).
problems_by_np := lib.group(array.concat(
	[[lib.resource(np), [i, -1, sprintf("egress[%d] of NetworkPolicy %s has no `to`, so it allows every destination, the internet and the cloud metadata address %s included, on %s", [i, lib.ns_name(np), metadata_ip, lib.np_ports_text(r)]), {"path": sprintf("spec.egress[%d]", [i]), "value": r}]] |
		some [np, i, r] in egress_rules
		count(to(r)) == 0
		not exempt_rule(r)
	],
	[[lib.resource(np), [i, j, sprintf("egress[%d] of NetworkPolicy %s allows ipBlock %s%s on %s: %s", [i, lib.ns_name(np), b.cidr, except_text(b), lib.np_ports_text(r), concat(", ", why)]), {"path": sprintf("spec.egress[%d].to[%d].ipBlock", [i, j]), "value": b}]] |
		some [np, i, r, b, j] in ip_blocks
		why := reasons(b)
		count(why) > 0
	],
))

deny contains {
	"msg": sprintf("%s; external traffic must leave through the egress gateway", [concat("; ", [p[2] | some p in ps])]),
	"resource": res,
	"evidence": [p[3] | some p in ps],
} if {
	some res, set_ps in problems_by_np
	ps := sort(set_ps)
}

# undecided: policies with a private ipBlock that only params.cluster_cidrs
# could place inside or outside the cluster.
undecided contains lib.resource(np) if {
	count(cluster_cidrs) == 0
	some [np, _, _, b, _] in ip_blocks
	private(b.cidr)
	not reaches_metadata(b)
}

# judged: every in-scope Egress policy whose rules the input decides (a
# policy with a finding is judged whatever else it holds).
judged contains res if {
	some np in egress_policies
	res := lib.resource(np)
	not res in undecided
}

judged contains res if some res, _ in problems_by_np

unknown contains sprintf("egress[%d] of NetworkPolicy %s allows private ipBlock %s, which may be outside the cluster: set params.cluster_cidrs to the cluster's pod and Service CIDRs", [i, lib.ns_name(np), b.cidr]) if {
	count(cluster_cidrs) == 0
	some [np, i, r, b, _] in ip_blocks
	private(b.cidr)
	not reaches_metadata(b)
}

not_applicable contains "no NetworkPolicy of an application namespace applies to Egress (or its private ipBlocks need params.cluster_cidrs)" if count(judged) == 0
