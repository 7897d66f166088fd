# METADATA
# title: RequestAuthentication is enforced by an AuthorizationPolicy
# description: |
#   A RequestAuthentication only rejects invalid tokens: a request without
#   any token is accepted. Each RequestAuthentication needs an
#   AuthorizationPolicy on the same workloads that requires a token: an
#   ALLOW policy with a rule whose `from.source.requestPrincipals` is set
#   (`["*"]` = any valid token), or a DENY policy with
#   `notRequestPrincipals: ["*"]`. The policy covers the RequestAuthentication
#   when it applies to the same scope: a selector-less policy in the Istio
#   root namespace (mesh-wide) or in the RequestAuthentication's namespace, a
#   policy whose selector is a subset of the RequestAuthentication's selector
#   (it selects at least the same pods), the same `targetRefs`, or, when the
#   workloads are in the input, a policy selecting every workload the
#   RequestAuthentication selects. Policies in dry-run do not count.
#   Judged: each RequestAuthentication that an enforcing policy of the input
#   covers, and, when the root namespace's policy is known (a live scan, or
#   an input holding the mesh config or an Istio policy of the root
#   namespace), every RequestAuthentication: without that evidence an
#   uncovered one is not judged, since a mesh-wide policy kept elsewhere may
#   cover it.
# custom:
#   id: AUTHZ-06
#   severity: high
#   controls: [IA-2, IA-8, AC-3]
#   inputs: [RequestAuthentication, AuthorizationPolicy, workloads]
#   subjects: [RequestAuthentication]
#   remediation: |
#     Add an AuthorizationPolicy with the RequestAuthentication's selector
#     that requires a token, e.g. `action: DENY` with
#     `rules: [{from: [{source: {notRequestPrincipals: ["*"]}}]}]`, or an
#     ALLOW policy whose rules set `from.source.requestPrincipals`.
#   examples:
#     fail: |
#       apiVersion: security.istio.io/v1
#       kind: RequestAuthentication
#       metadata:
#         name: frontend-jwt
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         jwtRules:
#         - issuer: https://auth.example.com
#           jwksUri: https://auth.example.com/.well-known/jwks.json
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: allow-nothing
#         namespace: istio-system
#       spec: {}
#     pass: |
#       apiVersion: security.istio.io/v1
#       kind: RequestAuthentication
#       metadata:
#         name: frontend-jwt
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         jwtRules:
#         - issuer: https://auth.example.com
#           jwksUri: https://auth.example.com/.well-known/jwks.json
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: frontend-require-jwt
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         action: DENY
#         rules:
#         - from:
#           - source:
#               notRequestPrincipals: ["*"]
package meshaudit.rules.authz_06

import data.meshaudit.lib
import rego.v1

target_refs(o) := {r | some r in object.get(o, ["spec", "targetRefs"], [])} | {r | r := o.spec.targetRef}

action(ap) := upper(object.get(ap, ["spec", "action"], "ALLOW"))

# requires_token: the policy rejects requests without a valid token.
requires_token(ap) if {
	action(ap) == "ALLOW"
	some r in object.get(ap, ["spec", "rules"], [])
	some fr in object.get(r, "from", [])
	count(object.get(fr, ["source", "requestPrincipals"], [])) > 0
}

requires_token(ap) if {
	action(ap) == "DENY"
	some r in object.get(ap, ["spec", "rules"], [])
	some fr in object.get(r, "from", [])
	"*" in object.get(fr, ["source", "notRequestPrincipals"], [])
}

enforcing := [ap |
	some ap in lib.objects("AuthorizationPolicy")
	not lib.dry_run(ap)
	requires_token(ap)
]

# ---- scope -------------------------------------------------------------------------

# applies_in(ap, n): the policy's namespace lets it select workloads of n.
applies_in(ap, n) if lib.ns(ap) == n

applies_in(ap, _) if lib.ns(ap) == lib.root_ns

# namespace-wide (no selector, no targetRefs)
wide(o) if {
	count(lib.match_labels(o)) == 0
	count(target_refs(o)) == 0
}

covers(ap, _) if {
	wide(ap)
	lib.ns(ap) == lib.root_ns
}

covers(ap, ra) if {
	wide(ap)
	lib.ns(ap) == lib.ns(ra)
}

# the policy's selector selects every pod the RequestAuthentication selects
covers(ap, ra) if {
	count(target_refs(ra)) == 0
	count(target_refs(ap)) == 0
	count(lib.match_labels(ap)) > 0
	applies_in(ap, lib.ns(ra))
	lib.selects(lib.match_labels(ap), lib.match_labels(ra))
}

covers(ap, ra) if {
	count(target_refs(ra)) > 0
	lib.ns(ap) == lib.ns(ra)
	count(target_refs(ra) - target_refs(ap)) == 0
}

# By workload: every workload the RequestAuthentication selects is selected
# by an enforcing policy.
# Indexes are complete objects grouped once (a lookup into a partial rule
# re-evaluates it on every call). workloads_by_ns holds positions in
# workload_list (cheaper than sets of whole workloads).
workload_list := [w | some w in lib.workloads]

workload_indices_by_ns := lib.group([[w.namespace, i] | some i, w in workload_list])

enforcing_by_ns := lib.group([[lib.ns(ap), ap] | some ap in enforcing])

# candidates(n): the enforcing policies that may apply in namespace n (its
# own and the root namespace's; see applies_in).
candidates(n) := object.get(enforcing_by_ns, n, set()) | object.get(enforcing_by_ns, lib.root_ns, set())

ra_workloads(ra) := {w |
	count(target_refs(ra)) == 0
	some i in object.get(workload_indices_by_ns, lib.ns(ra), set())
	w := workload_list[i]
	lib.selects(lib.match_labels(ra), w.labels)
} if lib.ns(ra) != lib.root_ns

ra_workloads(ra) := {w |
	count(target_refs(ra)) == 0
	some w in lib.workloads
	lib.selects(lib.match_labels(ra), w.labels)
} if lib.ns(ra) == lib.root_ns

ap_selects(ap, w) if {
	count(target_refs(ap)) == 0
	applies_in(ap, w.namespace)
	lib.selects(lib.match_labels(ap), w.labels)
}

covered_by_workloads(ra) if {
	ws := ra_workloads(ra)
	count(ws) > 0
	every w in ws {
		some ap in candidates(w.namespace)
		ap_selects(ap, w)
	}
}

covered(ra) if {
	some ap in candidates(lib.ns(ra))
	covers(ap, ra)
}

covered(ra) if covered_by_workloads(ra)

scope_desc(ra) := sprintf("targetRefs %s", [concat(", ", sort([sprintf("%s/%s", [object.get(r, "kind", "?"), object.get(r, "name", "?")]) | some r in target_refs(ra)]))]) if {
	count(target_refs(ra)) > 0
} else := sprintf("selector %s", [json.marshal(lib.match_labels(ra))]) if {
	count(lib.match_labels(ra)) > 0
} else := "the whole mesh" if {
	lib.ns(ra) == lib.root_ns
} else := sprintf("namespace %q", [lib.ns(ra)])

request_auths contains ra if {
	some ra in lib.objects("RequestAuthentication")
	lib.in_scope(lib.ns(ra))
}

scope_evidence(ra) := {"path": "spec.targetRefs", "value": ra.spec.targetRefs} if {
	count(object.get(ra, ["spec", "targetRefs"], [])) > 0
} else := {"path": "spec.targetRef", "value": ra.spec.targetRef} if {
	ra.spec.targetRef
} else := {"path": "spec.selector.matchLabels", "value": lib.match_labels(ra)} if {
	count(lib.match_labels(ra)) > 0
} else := {"path": "spec.selector"}

deny contains {
	"msg": sprintf("no AuthorizationPolicy requiring a token (ALLOW with from.source.requestPrincipals, or DENY with notRequestPrincipals [\"*\"]) applies to %s, so requests without a JWT are accepted", [scope_desc(ra)]),
	"resource": lib.resource(ra),
	"evidence": [
		scope_evidence(ra),
		{"path": sprintf("AuthorizationPolicy requiring a token, not in dry-run, in namespace %q or root namespace %q, covering this scope", [lib.ns(ra), lib.root_ns]), "value": 0},
	],
} if {
	lib.mesh_policy_known
	some ra in request_auths
	not covered(ra)
}

# judged: covered RequestAuthentications, and every one when the root
# namespace's policy is known (an uncovered one then fails).
judged contains lib.resource(ra) if {
	some ra in request_auths
	covered(ra)
}

judged contains lib.resource(ra) if {
	lib.mesh_policy_known
	some ra in request_auths
}

not_applicable contains sprintf("no AuthorizationPolicy of the input requires a token for RequestAuthentications %s, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in root namespace %q), so a mesh-wide policy there that covers them is not ruled out", [concat(", ", sort([sprintf("%s/%s", [lib.ns(ra), lib.name(ra)]) | some ra in request_auths])), lib.root_ns]) if {
	count(request_auths) > 0
	count(judged) == 0
}

not_applicable contains "no RequestAuthentication in the input (outside excluded namespaces)" if count(request_auths) == 0
