# METADATA
# title: Safe matching in AuthorizationPolicies
# description: |
#   ALLOW AuthorizationPolicies (action ALLOW or unset) should match
#   positively: a `not*` field (`notPrincipals`, `notNamespaces`,
#   `notRequestPrincipals`, `notIpBlocks`, `notRemoteIpBlocks`, `notHosts`,
#   `notPorts`, `notMethods`, `notPaths`, `when[].notValues`) allows every
#   request that is not in the excluded list, including variants the author
#   did not think of. Policies that match on `paths`/`notPaths` (any action)
#   also need MeshConfig `pathNormalization.normalization` MERGE_SLASHES or
#   DECODE_AND_MERGE_SLASHES: Istio's default BASE (and NONE) leaves `//admin`
#   or `%2F`-encoded variants of a path unnormalized before matching, so a
#   DENY on `/admin` can be bypassed. The normalization part needs the mesh
#   config: it is judged in live scans (absent = BASE) and in manifest scans
#   that hold the `istio` ConfigMap; otherwise only the `not*` part is judged.
#   Judged: every ALLOW policy (the `not*` part), and every policy matching
#   on paths when the mesh config is known; a DENY or CUSTOM policy matching
#   on paths in a manifest scan without the mesh config is not judged.
# custom:
#   id: AUTHZ-03
#   severity: medium
#   controls: [AC-3]
#   inputs: [AuthorizationPolicy, ConfigMap]
#   subjects: [AuthorizationPolicy]
#   remediation: |
#     Rewrite ALLOW policies with positive matching (`principals`, `paths`,
#     `methods`, ...) and keep negative matching for DENY policies. Set
#     `meshConfig.pathNormalization.normalization: MERGE_SLASHES` (or
#     DECODE_AND_MERGE_SLASHES) so that path-based rules see the normalized
#     path.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           accessLogFile: /dev/stdout
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: orders-api
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: orders
#         action: ALLOW
#         rules:
#         - to:
#           - operation:
#               notPaths: ["/admin/*"]
#     pass: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           accessLogFile: /dev/stdout
#           pathNormalization:
#             normalization: MERGE_SLASHES
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: orders-api
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: orders
#         action: ALLOW
#         rules:
#         - to:
#           - operation:
#               methods: ["GET", "POST"]
#               paths: ["/api/orders", "/api/orders/*"]
package meshaudit.rules.authz_03

import data.meshaudit.lib
import rego.v1

# negated(ap): [field, path, value] of each not* field the policy uses.
negated(ap) := ({[sprintf("from.source.%s", [k]), sprintf("spec.rules[%d].from[%d].source.%s", [i, j, k]), v] |
	some i, r in lib.authz_rules(ap)
	some j, fr in object.get(r, "from", [])
	some k, v in object.get(fr, "source", {})
	startswith(k, "not")
	count(v) > 0
} | {[sprintf("to.operation.%s", [k]), sprintf("spec.rules[%d].to[%d].operation.%s", [i, j, k]), v] |
	some i, r in lib.authz_rules(ap)
	some j, t in object.get(r, "to", [])
	some k, v in object.get(t, "operation", {})
	startswith(k, "not")
	count(v) > 0
}) | {[sprintf("when[%s].notValues", [object.get(c, "key", "?")]), sprintf("spec.rules[%d].when[%d].notValues", [i, j]), c.notValues] |
	some i, r in lib.authz_rules(ap)
	some j, c in object.get(r, "when", [])
	count(object.get(c, "notValues", [])) > 0
}

# negation_problem(ap): [text, evidence] when an ALLOW policy matches by
# negation.
negation_problem(ap) := [sprintf("ALLOW policy matches by negation (%s): every request not in the excluded list is allowed, so use positive matching in ALLOW policies and keep negation for DENY", [concat(", ", sort({f | some [f, _, _] in fields}))]), lib.fields_evidence(fields)] if {
	lib.allow_policy(ap)
	fields := negated(ap)
	count(fields) > 0
}

# ---- path normalization ---------------------------------------------------------

safe_normalizations := {"MERGE_SLASHES", "DECODE_AND_MERGE_SLASHES"}

normalization := upper(n) if {
	n := lib.mesh_config.pathNormalization.normalization
	is_string(n)
} else := "BASE"

normalization_desc := sprintf("pathNormalization is %s", [normalization]) if {
	lib.mesh_config.pathNormalization.normalization
} else := "pathNormalization is unset (Istio's default BASE)"

# path_fields(ap): [field, path, value] of each paths/notPaths the policy
# matches on.
path_fields(ap) := {[sprintf("to.operation.%s", [k]), sprintf("spec.rules[%d].to[%d].operation.%s", [i, j, k]), t.operation[k]] |
	some i, r in lib.authz_rules(ap)
	some j, t in object.get(r, "to", [])
	some k in ["paths", "notPaths"]
	count(object.get(t, ["operation", k], [])) > 0
}

# normalization_evidence: where the mesh config sets (or leaves unset) the
# normalization.
normalization_evidence := object.union(
	{"path": "data.mesh.pathNormalization.normalization", "resource": lib.resource(lib.mesh_configmap)},
	normalization_value,
) if {
	lib.has_mesh_config
} else := object.union({"path": "pathNormalization.normalization", "resource": lib.mesh_resource}, normalization_value)

normalization_value := {"value": lib.mesh_config.pathNormalization.normalization} if {
	lib.mesh_config.pathNormalization.normalization
} else := {}

# normalization_problem(ap): [text, evidence] when the policy matches on
# paths the mesh config does not normalize safely.
normalization_problem(ap) := [sprintf("policy matches on %s but MeshConfig %s, which does not merge slashes: a variant such as //admin or an encoded path is matched unnormalized; set MERGE_SLASHES or DECODE_AND_MERGE_SLASHES", [concat(" and ", sort({f | some [f, _, _] in fields})), normalization_desc]), array.concat(lib.fields_evidence(fields), [normalization_evidence])] if {
	lib.mesh_config_known
	not normalization in safe_normalizations
	fields := path_fields(ap)
	count(fields) > 0
}

# One finding per policy, listing both problems when it has both.
deny contains {
	"msg": concat("; ", [t | some [t, _] in problems]),
	"resource": lib.resource(ap),
	"evidence": [e | some [_, es] in problems; some e in es],
} if {
	some ap in lib.scoped_authorization_policies
	problems := array.concat([pr | pr := negation_problem(ap)], [pr | pr := normalization_problem(ap)])
	count(problems) > 0
}

# judged: ALLOW policies (the not* part needs nothing else), policies that
# match on no path, and policies matching on paths when the mesh config is
# known.
judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	lib.allow_policy(ap)
}

judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	count(path_fields(ap)) == 0
}

judged contains lib.resource(ap) if {
	lib.mesh_config_known
	some ap in lib.scoped_authorization_policies
}

not_applicable contains sprintf("the AuthorizationPolicies of the input (%s) are not ALLOW policies and match on paths, whose safety depends on the mesh config's pathNormalization, which the input does not hold (ConfigMap %s/istio)", [concat(", ", sort([sprintf("%s/%s", [lib.ns(ap), lib.name(ap)]) | some ap in lib.scoped_authorization_policies])), lib.root_ns]) if {
	count(lib.scoped_authorization_policies) > 0
	count(judged) == 0
}

not_applicable contains "no AuthorizationPolicy in the input (outside excluded namespaces)" if count(lib.scoped_authorization_policies) == 0
