# METADATA
# title: Explicit cross-namespace access
# description: |
#   An ALLOW AuthorizationPolicy (action ALLOW or unset) that admits callers
#   from outside its own namespace must name them exactly: in
#   `from.source.namespaces` and `from.source.principals` (and the
#   `source.namespace` / `source.principal` conditions) a value with `*`
#   (`*`, `prod-*`, `cluster.local/ns/*`, `*/sa/web`) is only accepted when it
#   provably stays inside the policy's namespace (e.g.
#   `cluster.local/ns/<own>/sa/*`). Wildcards grant access to namespaces
#   that may not exist yet and to identities nobody reviewed. Judged: every
#   ALLOW policy of the input, on itself.
# custom:
#   id: AUTHZ-05
#   severity: medium
#   controls: [AC-4, CA-9]
#   inputs: [AuthorizationPolicy]
#   subjects: [AuthorizationPolicy]
#   remediation: |
#     List each calling namespace and service account exactly
#     (`cluster.local/ns/<namespace>/sa/<service-account>`); keep wildcards
#     only for service accounts of the policy's own namespace.
#   examples:
#     fail: |
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: payments-api-allow-checkout
#         namespace: payments
#       spec:
#         selector:
#           matchLabels:
#             app: payments-api
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["cluster.local/ns/*/sa/checkout"]
#     pass: |
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: payments-api-allow-checkout
#         namespace: payments
#       spec:
#         selector:
#           matchLabels:
#             app: payments-api
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["cluster.local/ns/storefront/sa/checkout"]
package meshaudit.rules.authz_05

import data.meshaudit.lib
import rego.v1

# principal_ns: the exact namespace a principal value names
# (<trust-domain>/ns/<namespace>/sa/<sa>), undefined when it has none.
principal_ns(v) := m[1] if {
	m := regex.find_all_string_submatch_n(`^[^/]*/ns/([^/*]+)/sa/`, v, 1)[0]
}

# broad(kind, v, own): a wildcard value that is not confined to namespace own.
broad("namespaces", v, _) if contains(v, "*")

broad("principals", v, own) if {
	contains(v, "*")
	not confined(v, own)
}

confined(v, own) if principal_ns(v) == own

cond_kind := {"source.namespace": "namespaces", "source.principal": "principals"}

# values: [field, kind, value, path] of the identity fields of a policy
# (path: of the value inside the policy).
values(ap) := {[sprintf("from.source.%s", [k]), k, v, sprintf("spec.rules[%d].from[%d].source.%s[%d]", [i, j, k, n])] |
	some i, r in object.get(ap, ["spec", "rules"], [])
	some j, fr in object.get(r, "from", [])
	some k in ["namespaces", "principals"]
	some n, v in object.get(fr, ["source", k], [])
} | {[sprintf("when %s", [c.key]), cond_kind[c.key], v, sprintf("spec.rules[%d].when[%d].values[%d]", [i, j, n])] |
	some i, r in object.get(ap, ["spec", "rules"], [])
	some j, c in object.get(r, "when", [])
	some n, v in object.get(c, "values", [])
}

allow_policies contains ap if {
	some ap in lib.objects("AuthorizationPolicy")
	lib.in_scope(lib.ns(ap))
	lib.allow_policy(ap)
}

# judged: every ALLOW policy, on itself.
judged contains lib.resource(ap) if some ap in allow_policies

# broad_by_field(ap): [field, [[value, path], ...]] of each identity field
# with wildcard values reaching outside the policy's namespace.
broad_by_field(ap) := [[field, vals] |
	some field in {f | some [f, _, _, _] in values(ap)}
	vals := sort({[v, p] | some [f, kind, v, p] in values(ap); f == field; broad(kind, v, lib.ns(ap))})
	count(vals) > 0
]

field_text(field, vals) := sprintf("%s %s", [field, concat(", ", [sprintf("%q", [v]) | some v in sort({v | some [v, _] in vals})])])

# One finding per policy, listing every field with wildcards.
deny contains {
	"msg": sprintf("ALLOW policy admits callers by wildcard outside namespace %q: %s; list cross-namespace callers exactly", [lib.ns(ap), concat("; ", [field_text(f, vals) | some [f, vals] in broad])]),
	"resource": lib.resource(ap),
	"evidence": [{"path": p, "value": v} | some [_, vals] in broad; some [v, p] in vals],
} if {
	some ap in allow_policies
	broad := broad_by_field(ap)
	count(broad) > 0
}

not_applicable contains "no ALLOW AuthorizationPolicy in the input (outside excluded namespaces)" if count(allow_policies) == 0
