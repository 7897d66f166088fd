# METADATA
# title: No ineffective AuthorizationPolicy
# description: |
#   An AuthorizationPolicy annotated `istio.io/dry-run: "true"` is only
#   logged, never enforced (medium). A policy whose `selector.matchLabels`
#   selects no workload protects nothing, usually because of a typo or a
#   renamed label (low, as istioctl analyze IST0127). The selector is judged
#   in live scans, and in manifest scans only when the input holds workloads
#   of the namespaces the policy can select (its own namespace; every
#   namespace for a policy in the Istio root namespace). Policies bound by
#   `targetRef(s)` are not judged on their selector.
# custom:
#   id: AUTHZ-07
#   severity: medium
#   controls: [AC-3, CM-6]
#   inputs: [AuthorizationPolicy, workloads]
#   subjects: [AuthorizationPolicy]
#   remediation: |
#     Remove the `istio.io/dry-run` annotation once the policy's effect has
#     been verified (or delete the policy). Fix the selector so that it
#     matches the labels of the intended pods, or delete the policy.
#   examples:
#     fail: |
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: deny-admin-paths
#         namespace: storefront
#         annotations:
#           istio.io/dry-run: "true"
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         action: DENY
#         rules:
#         - to:
#           - operation:
#               paths: ["/admin", "/admin/*"]
#     pass: |
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: deny-admin-paths
#         namespace: storefront
#       spec:
#         selector:
#           matchLabels:
#             app: frontend
#         action: DENY
#         rules:
#         - to:
#           - operation:
#               paths: ["/admin", "/admin/*"]
package meshaudit.rules.authz_07

import data.meshaudit.lib
import rego.v1

policies := [ap |
	some ap in lib.objects("AuthorizationPolicy")
	lib.in_scope(lib.ns(ap))
]

deny contains {
	"msg": sprintf("policy is in dry-run (istio.io/dry-run: %q): its %s action is logged but never enforced", [sprintf("%v", [v]), upper(object.get(ap, ["spec", "action"], "ALLOW"))]),
	"resource": lib.resource(ap),
} if {
	some ap in policies
	v := lib.annotations(ap)["istio.io/dry-run"]
	lib.truthy(v)
}

# ---- selector matching nothing ------------------------------------------------------

# workload_labels_by_ns: namespace -> the pod labels of its workloads, grouped
# once as a complete object (a keyed lookup into a partial rule re-evaluates
# it on every call).
workload_label_pairs := [[w.namespace, w.labels] | some w in lib.workloads]

workload_labels_by_ns := {n: ls |
	some n in {p[0] | some p in workload_label_pairs}
	ls := {p[1] | some p in workload_label_pairs; p[0] == n}
}

selector(ap) := ap.spec.selector.matchLabels

targeted(ap) if ap.spec.targetRef

targeted(ap) if count(object.get(ap, ["spec", "targetRefs"], [])) > 0

# judged(ap): the input holds the workloads the selector could match.
# A live scan holds every workload.
judged(_) if lib.live

judged(ap) if {
	lib.ns(ap) != lib.root_ns
	workload_labels_by_ns[lib.ns(ap)]
}

judged(ap) if {
	lib.ns(ap) == lib.root_ns
	count(lib.workloads) > 0
}

matches(ap) if {
	lib.ns(ap) != lib.root_ns
	some l in workload_labels_by_ns[lib.ns(ap)]
	lib.selects(selector(ap), l)
}

matches(ap) if {
	lib.ns(ap) == lib.root_ns
	some w in lib.workloads
	lib.selects(selector(ap), w.labels)
}

where(ap) := "any namespace" if lib.ns(ap) == lib.root_ns

else := sprintf("namespace %q", [lib.ns(ap)])

deny contains {
	"msg": sprintf("selector %s matches no workload in %s, so the policy applies to nothing", [json.marshal(selector(ap)), where(ap)]),
	"resource": lib.resource(ap),
	"severity": "low",
} if {
	some ap in policies
	count(selector(ap)) > 0
	not targeted(ap)
	judged(ap)
	not matches(ap)
}
