# METADATA
# title: No allow-all AuthorizationPolicy
# description: |
#   An ALLOW AuthorizationPolicy (action ALLOW or unset) must not contain a
#   rule that matches every request: an empty rule `{}` (no from, to or
#   when), or a rule whose only constraint is a source with `principals`
#   and/or `namespaces` of `["*"]` (any peer). Such a rule allows everything
#   to the workloads the policy selects and defeats default deny. Judged:
#   every AuthorizationPolicy of the input, on itself, whether or not the
#   workloads it selects are in the input (a policy repository is judged
#   too).
# custom:
#   id: AUTHZ-02
#   severity: high
#   controls: [AC-3, AC-6]
#   inputs: [AuthorizationPolicy]
#   subjects: [AuthorizationPolicy]
#   remediation: |
#     Replace the catch-all rule with rules that name the exact source
#     principals or namespaces and, where possible, the operations (`to`)
#     each caller needs; delete the policy if it only existed to open access.
#   examples:
#     fail: |
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: frontend-allow
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["*"]
#     pass: |
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: frontend-allow
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"]
#           to:
#           - operation:
#               methods: ["GET", "POST"]
package meshaudit.rules.authz_02

import data.meshaudit.lib
import rego.v1

wildcard_keys := {"principals", "namespaces"}

# any_source: a from entry that matches every peer (empty, or only
# principals/namespaces containing "*").
any_source(f) if {
	src := object.get(f, "source", {})
	every k, v in src {
		k in wildcard_keys
		"*" in v
	}
}

no_to_when(rule) if {
	count(object.get(rule, "to", [])) == 0
	count(object.get(rule, "when", [])) == 0
}

# catch_all(rule) describes why the rule matches every request (from
# entries are ORed, so one catch-all source is enough).
catch_all(rule) := "it has no from, to or when conditions" if {
	no_to_when(rule)
	count(object.get(rule, "from", [])) == 0
} else := source_desc(froms[0]) if {
	no_to_when(rule)
	froms := [f | some f in rule.from; any_source(f)]
	count(froms) > 0
}

source_desc(f) := "its from has an empty source" if {
	count(object.get(f, "source", {})) == 0
} else := sprintf("its only constraint is %s", [concat(" and ", keys)]) if {
	keys := [sprintf("source.%s [\"*\"]", [k]) | some k in sort(object.keys(f.source))]
}

action_desc(ap) := sprintf("action %s", [upper(ap.spec.action)]) if ap.spec.action
else := "action unset (ALLOW)"

# rule_evidence(ap, i): the catch-all rule, and the action that makes it
# allow (absent: ALLOW).
rule_evidence(ap, i) := [
	{"path": sprintf("spec.rules[%d]", [i]), "value": ap.spec.rules[i]},
	action_evidence(ap),
]

action_evidence(ap) := {"path": "spec.action", "value": ap.spec.action} if ap.spec.action
else := {"path": "spec.action"}

policies contains ap if {
	some ap in lib.objects("AuthorizationPolicy")
	lib.in_scope(lib.ns(ap))
}

# judged: every policy, on itself.
judged contains lib.resource(ap) if some ap in policies

deny contains {
	"msg": sprintf("%s with rules[%d] matching every request: %s", [action_desc(ap), i, catch_all(ap.spec.rules[i])]),
	"resource": lib.resource(ap),
	"evidence": rule_evidence(ap, i),
} if {
	some ap in policies
	lib.allow_policy(ap)
	idx := [j | some j, r in object.get(ap.spec, "rules", []); catch_all(r)]
	count(idx) > 0
	i := min(idx)
}

not_applicable contains "no AuthorizationPolicy in the input (outside excluded namespaces)" if count(policies) == 0
