# METADATA
# title: Sidecar egress scoped per namespace
# description: |
#   Without a Sidecar resource every proxy receives configuration for, and
#   can reach, every service of the mesh. Each namespace with sidecars needs
#   a selector-less Sidecar of its own, or the mesh default Sidecar
#   (selector-less, in the Istio root namespace), whose `egress[].hosts` are
#   not `*/*`; a Sidecar without `egress` inherits the root default's (and
#   without one, everything). Also reported: any Sidecar listing `*/*`,
#   several selector-less Sidecars in one namespace (istioctl analyze
#   IST0111: only one applies) and a workload selected by several Sidecars
#   (IST0110). A manifest scan without the root namespace cannot see the
#   mesh default, so namespaces without their own Sidecar are then not
#   judged: that needs mesh-wide evidence (the mesh config or an Istio policy
#   object of the root namespace; docs/verdicts.md). Namespaces implied by
#   their objects are judged like others and say so. Judged: those
#   namespaces, every in-scope Sidecar and the workloads of namespaces with
#   selecting Sidecars; findings name the fix and carry the egress field or
#   the Sidecar lookup as evidence.
# custom:
#   id: MESH-09
#   severity: medium
#   controls: [CM-7, AC-4]
#   inputs: [Sidecar, Namespace, workloads]
#   requires: [istio]
#   subjects: [workloads, Sidecar]
#   remediation: |
#     Create a Sidecar named `default` without workloadSelector in the Istio
#     root namespace with `egress: [{hosts: ["./*", "istio-system/*"]}]`, and
#     per namespace a selector-less Sidecar listing only the namespaces (or
#     hosts) its workloads call. Replace `*/*` with those hosts, keep one
#     selector-less Sidecar per namespace and make workloadSelectors
#     disjoint.
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: Sidecar
#       metadata:
#         name: default
#         namespace: storefront
#       spec:
#         egress:
#           - hosts:
#               - "*/*"
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: Sidecar
#       metadata:
#         name: default
#         namespace: storefront
#       spec:
#         egress:
#           - hosts:
#               - "./*"
#               - "payments/payments-api.payments.svc.cluster.local"
#               - "istio-system/*"
package meshaudit.rules.mesh_09

import data.meshaudit.lib
import rego.v1

all_hosts := "*/*"

sel(sc) := object.get(sc, ["spec", "workloadSelector", "labels"], {})

selectorless(sc) if count(sel(sc)) == 0

defaults_by_ns := lib.group([[lib.ns(sc), sc] | some sc in lib.scoped_sidecars; selectorless(sc)])

selected_by_ns := lib.group([[lib.ns(sc), sc] | some sc in lib.scoped_sidecars; not selectorless(sc)])

# The oldest selector-less Sidecar of a namespace applies.
ns_defaults(n) := object.get(defaults_by_ns, n, set())

ns_default(n) := lib.oldest(ns_defaults(n)) if count(ns_defaults(n)) > 0

root_default := lib.oldest(ns_defaults(lib.root_ns)) if count(ns_defaults(lib.root_ns)) > 0

# root_known: the root namespace's default Sidecar (mesh-wide policy) is
# known: a live scan, or an input holding mesh-wide evidence.
root_known if lib.mesh_policy_known

# ---- which namespaces have sidecars (as MESH-03) -----------------------------

sidecar_namespaces contains w.namespace if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	lib.runs_sidecar(w)
}

sidecar_namespaces contains n if {
	some n in lib.namespaces
	lib.app_ns(n)
	lib.sidecar_enrolled(n)
}

# ---- egress scope --------------------------------------------------------------

has_egress(sc) if count(object.get(sc.spec, "egress", [])) > 0

wide(sc) if {
	some l in sc.spec.egress
	all_hosts in object.get(l, "hosts", [])
}

judged_namespaces contains n if {
	some n in sidecar_namespaces
	ns_default(n)
}

judged_namespaces contains n if {
	some n in sidecar_namespaces
	not ns_default(n)
	root_known
}

# ---- judged subjects -------------------------------------------------------------

judged contains lib.namespace_resource(n) if some n in judged_namespaces

judged contains lib.resource(sc) if some sc in lib.scoped_sidecars

# workloads in a namespace with Sidecars that select pods (IST0110).
selected_workloads contains w if {
	some w in lib.workloads
	count(object.get(selected_by_ns, w.namespace, set())) > 0
}

judged contains w.resource if some w in selected_workloads

not_applicable contains "no namespace with sidecars can be judged: they have no Sidecar of their own and the input holds no mesh-wide evidence (the root namespace's default Sidecar or other mesh policy)" if {
	count(judged) == 0
}

lookup_default(n) := {"path": sprintf("Sidecar without workloadSelector in namespace %q", [n]), "value": count(ns_defaults(n))}

deny contains {
	"msg": sprintf("namespace %q%s has no Sidecar and the root namespace %q has no default Sidecar, so its proxies get configuration for, and can reach, every service in the mesh; add a Sidecar whose egress lists only the hosts it needs (e.g. \"./*\", \"istio-system/*\")", [n, lib.ns_note(n), lib.root_ns]),
	"resource": lib.namespace_resource(n),
	"evidence": [lookup_default(n), lookup_default(lib.root_ns)],
} if {
	some n in judged_namespaces
	not ns_default(n)
	not root_default
}

deny contains {
	"msg": sprintf("Sidecar %s lists egress host %q, so the proxies it applies to can reach every service in the mesh; list only the hosts they need", [lib.ns_name(sc), all_hosts]),
	"resource": lib.resource(sc),
	"evidence": [{"path": sprintf("spec.egress[%d].hosts", [i]), "value": l.hosts} |
		some i, l in sc.spec.egress
		all_hosts in object.get(l, "hosts", [])
	],
} if {
	some sc in lib.scoped_sidecars
	wide(sc)
}

deny contains {
	"msg": sprintf("Sidecar %s sets no egress and the root namespace %q has no default Sidecar, so its proxies can reach every service in the mesh; give it egress hosts (or add a scoped default Sidecar in the root namespace)", [lib.ns_name(sc), lib.root_ns]),
	"resource": lib.resource(sc),
	"evidence": [{"path": "spec.egress"}, lookup_default(lib.root_ns)],
} if {
	some sc in lib.scoped_sidecars
	lib.ns(sc) != lib.root_ns
	not has_egress(sc)
	root_known
	not root_default
}

deny contains {
	"msg": sprintf("default Sidecar %s in the root namespace sets no egress, so proxies without a namespace Sidecar can reach every service in the mesh; give it egress hosts (e.g. \"./*\", \"istio-system/*\")", [lib.ns_name(root_default)]),
	"resource": lib.resource(root_default),
	"evidence": [{"path": "spec.egress"}],
} if {
	not has_egress(root_default)
}

# ---- conflicts ------------------------------------------------------------------

deny contains {
	"msg": sprintf("namespace %q%s has %d Sidecars without workloadSelector (%s): Istio applies only one of them; keep one", [n, lib.ns_note(n), count(list), concat(", ", sort([lib.name(s) | some s in list]))]),
	"resource": lib.namespace_resource(n),
	"evidence": [lookup_default(n)],
} if {
	some n, list in defaults_by_ns
	count(list) > 1
}

deny contains {
	"msg": sprintf("pods of %s %s/%s are selected by %d Sidecars (%s): Istio applies only one of them; make their workloadSelectors disjoint", [w.kind, w.namespace, lib.name(w.obj), count(names), concat(", ", sort(names))]),
	"resource": w.resource,
	"evidence": [{"path": sprintf("Sidecar in namespace %q whose workloadSelector selects the pod labels", [w.namespace]), "value": sort(names)}],
} if {
	some w in selected_workloads
	list := object.get(selected_by_ns, w.namespace, set())
	names := [lib.name(s) | some s in list; lib.selects(sel(s), w.labels)]
	count(names) > 1
}
