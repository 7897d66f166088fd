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
#   `targetRef(s)` are not judged on their selector. Judged: every policy
#   whose selector can be checked against the input (or that has none, or is
#   bound by targetRefs), and every policy in dry-run.
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
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: frontend
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: frontend
#         template:
#           metadata:
#             labels:
#               app: frontend
#           spec:
#             containers:
#               - name: frontend
#                 image: registry.example.com/storefront/frontend:3.1.0
package meshaudit.rules.authz_07

import data.meshaudit.lib
import rego.v1

dry_run_value(ap) := v if {
	v := lib.annotations(ap)["istio.io/dry-run"]
	lib.truthy(v)
}

deny contains {
	"msg": sprintf("policy is in dry-run (istio.io/dry-run: %q): its %s action is logged but never enforced", [sprintf("%v", [v]), upper(object.get(ap, ["spec", "action"], "ALLOW"))]),
	"resource": lib.resource(ap),
	"evidence": [{"path": "metadata.annotations[\"istio.io/dry-run\"]", "value": v}],
} if {
	some ap in lib.scoped_authorization_policies
	v := dry_run_value(ap)
}

# ---- selector matching nothing ------------------------------------------------------

# workload_labels_by_ns: namespace -> the pod labels of its workloads, grouped
# once as a complete object (a keyed lookup into a partial rule re-evaluates
# it on every call).
workload_labels_by_ns := lib.group([[w.namespace, w.labels] | some w in lib.workloads])

selector(ap) := ap.spec.selector.matchLabels

# workloads_known(ap): the input holds the workloads the selector could
# match. A live scan holds every workload.
workloads_known(_) if lib.live

workloads_known(ap) if {
	lib.ns(ap) != lib.root_ns
	workload_labels_by_ns[lib.ns(ap)]
}

workloads_known(ap) if {
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
	"evidence": [
		{"path": "spec.selector.matchLabels", "value": selector(ap)},
		{"path": sprintf("workload with these pod labels in %s", [where(ap)]), "value": 0},
	],
} if {
	some ap in lib.scoped_authorization_policies
	selector_checked(ap)
	not matches(ap)
}

# selector_checked(ap): the policy binds by selector and the input holds the
# workloads it could select.
selector_checked(ap) if {
	count(object.get(ap, ["spec", "selector", "matchLabels"], {})) > 0
	not lib.targeted(ap)
	workloads_known(ap)
}

# judged: policies whose selector is checked, that have none (or bind by
# targetRefs), or that are in dry-run.
judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	selector_checked(ap)
}

judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	count(object.get(ap, ["spec", "selector", "matchLabels"], {})) == 0
}

judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	lib.targeted(ap)
}

judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	dry_run_value(ap)
}

not_applicable contains sprintf("the selectors of AuthorizationPolicies %s cannot be checked: the input holds no workload of the namespaces they can select", [concat(", ", sort([sprintf("%s/%s", [lib.ns(ap), lib.name(ap)]) | some ap in lib.scoped_authorization_policies]))]) if {
	count(lib.scoped_authorization_policies) > 0
	count(judged) == 0
}

not_applicable contains "no AuthorizationPolicy in the input (outside excluded namespaces)" if count(lib.scoped_authorization_policies) == 0
