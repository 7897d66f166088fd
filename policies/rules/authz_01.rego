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
#   Judged: the app namespaces in the mesh (enrolled by their Namespace
#   object, or by params.namespace_labels for a namespace the input only
#   implies, or running meshed workloads). A namespace without its own
#   allow-nothing policy is judged only when the root namespace's policy is
#   known (a live scan, or an input holding the mesh config or an Istio
#   policy object of the root namespace): an application repository alone
#   cannot show a mesh-wide default deny kept elsewhere. With no namespace in
#   the mesh (e.g. Istio's bookinfo sample alone) the rule is not applicable,
#   unless the root namespace's allow-nothing policy is in the input: the
#   mesh is then judged on it.
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
#       ---
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: STRICT
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

selectorless(ap) if count(object.get(ap.spec, ["selector", "matchLabels"], {})) == 0

# allow_nothing: applies to the whole namespace and allows nothing.
allow_nothing(ap) if {
	spec := object.get(ap, "spec", {})
	upper(object.get(spec, "action", "ALLOW")) == "ALLOW"
	count(object.get(spec, "rules", [])) == 0
	not spec.provider
	not spec.targetRef
	count(object.get(spec, "targetRefs", [])) == 0
	selectorless(ap)
	not lib.dry_run(ap)
}

# default_deny_namespaces: namespaces with an allow-nothing policy (built
# once; default_deny_in is called per namespace).
default_deny_namespaces := {lib.ns(ap) | some ap in policies; allow_nothing(ap)}

default_deny_in(n) if n in default_deny_namespaces

# mesh_namespaces: app namespaces in the mesh (enrolled, or with meshed
# workloads).
mesh_namespaces contains n if {
	some n in lib.namespaces
	lib.app_ns(n)
	lib.namespace_enrolled(n)
}

mesh_namespaces contains w.namespace if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	lib.meshed(w)
}

# decided(n): the input shows whether n is default-deny: its own
# allow-nothing policy, the root's, or the root's policy is known (live, or
# mesh-wide evidence in the input), so its absence is a fact.
decided(n) if default_deny_in(n)

decided(_) if default_deny_in(lib.root_ns)

decided(_) if lib.mesh_policy_known

judged contains lib.namespace_resource(n) if {
	some n in mesh_namespaces
	decided(n)
}

# An allow-nothing policy of the root namespace makes the whole mesh default
# deny: the mesh is judged on it (a platform repository holding only it
# passes).
judged contains lib.mesh_resource if default_deny_in(lib.root_ns)

deny contains {
	"msg": sprintf("namespace %q%s has no allow-nothing AuthorizationPolicy and root namespace %q has none either, so Istio allows every request to workloads no ALLOW policy selects; add an allow-nothing AuthorizationPolicy (spec: {}) to the namespace, or one to %q for the whole mesh", [n, lib.ns_note(n), lib.root_ns, lib.root_ns]),
	"resource": lib.namespace_resource(n),
	"evidence": [{"path": sprintf("AuthorizationPolicy with an empty spec (allow-nothing) in namespace %q or root namespace %q", [n, lib.root_ns]), "value": 0}],
} if {
	not default_deny_in(lib.root_ns)
	some n in mesh_namespaces
	decided(n)
	not default_deny_in(n)
}

ns_list(ns) := concat(", ", [sprintf("%q%s", [n, lib.ns_note(n)]) | some n in sort(ns)])

not_applicable contains sprintf("no namespace in the mesh in the input: namespaces %s are not enrolled in the mesh and run no meshed workload", [ns_list(lib.app_namespaces)]) if {
	count(mesh_namespaces) == 0
	count(lib.app_namespaces) > 0
	count(judged) == 0
}

not_applicable contains "no namespace in the mesh in the input: it holds no app namespace" if {
	count(lib.app_namespaces) == 0
	count(judged) == 0
}

not_applicable contains sprintf("namespaces %s have no allow-nothing AuthorizationPolicy, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in root namespace %q), so a mesh-wide one there is not ruled out", [ns_list(mesh_namespaces), lib.root_ns]) if {
	count(mesh_namespaces) > 0
	count(judged) == 0
}
