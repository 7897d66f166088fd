# METADATA
# title: Default-deny authorization
# description: |
#   An allow-nothing AuthorizationPolicy (`spec: {}`: no selector, no rules,
#   action ALLOW or unset) in the Istio root namespace, or else in every app
#   namespace that is enrolled in the mesh or runs meshed workloads. Istio
#   allows every request to a workload that no ALLOW policy selects; the
#   allow-nothing policy turns that into default deny, so access must be
#   granted explicitly. A policy in dry-run (`istio.io/dry-run: "true"`) or
#   bound by selector/targetRefs is not a namespace-wide default deny.
# custom:
#   id: AUTHZ-01
#   severity: critical
#   controls: [AC-3, AC-4, SC-7(5)]
#   inputs: [AuthorizationPolicy, Namespace, workloads]
#   remediation: |
#     Apply `kind: AuthorizationPolicy`, `metadata: {name: allow-nothing}`,
#     `spec: {}` in the Istio root namespace (mesh-wide) or in each app
#     namespace, then add ALLOW policies for the traffic each workload needs.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: allow-nothing
#         namespace: storefront
#       spec: {}
package meshaudit.rules.authz_01

import data.meshaudit.lib
import rego.v1

policies := lib.objects("AuthorizationPolicy")

no_selector(ap) if count(object.get(ap.spec, ["selector", "matchLabels"], {})) == 0

dry_run(ap) if lib.truthy(object.get(lib.annotations(ap), "istio.io/dry-run", "false"))

# allow_nothing: applies to the whole namespace and allows nothing.
allow_nothing(ap) if {
	spec := object.get(ap, "spec", {})
	upper(object.get(spec, "action", "ALLOW")) == "ALLOW"
	count(object.get(spec, "rules", [])) == 0
	not spec.provider
	not spec.targetRef
	count(object.get(spec, "targetRefs", [])) == 0
	no_selector(ap)
	not dry_run(ap)
}

# default_deny_namespaces: namespaces with an allow-nothing policy (built
# once; default_deny_in is called per namespace).
default_deny_namespaces := {lib.ns(ap) | some ap in policies; allow_nothing(ap)}

default_deny_in(n) if n in default_deny_namespaces

# judged: app namespaces in the mesh (enrolled, or with meshed workloads).
judged contains n if {
	some n in lib.namespaces
	lib.app_ns(n)
	lib.namespace_enrolled(n)
}

judged contains w.namespace if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	lib.meshed(w)
}

deny contains {
	"msg": sprintf("namespace %q has no allow-nothing AuthorizationPolicy and root namespace %q has none either, so Istio allows every request to workloads no ALLOW policy selects", [n, lib.root_ns]),
	"resource": lib.namespace_resource(n),
} if {
	not default_deny_in(lib.root_ns)
	some n in judged
	not default_deny_in(n)
}
