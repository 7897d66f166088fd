# METADATA
# title: Application namespaces enrolled in the mesh
# description: |
#   Every in-scope application namespace (not excluded, not the Istio root)
#   must be enrolled: `istio-injection=enabled`, `istio.io/rev=<revision>`
#   naming an installed revision (or revision tag), or
#   `istio.io/dataplane-mode=ambient`. Pods of a namespace that is not
#   enrolled get no proxy, so their traffic is neither encrypted nor
#   authorized by the mesh. Conflicting labels are reported too: Istio's
#   injector webhooks give `istio-injection` precedence over `istio.io/rev`.
#   A namespace seen only through the objects in it (no Namespace object in
#   the input) is implied (docs/verdicts.md): its labels are those
#   `namespace_labels` states, else none, so it counts as not enrolled and
#   the message says it was implied. A namespace the input neither holds nor
#   implies is never judged, nor is one whose workloads in the input all run
#   on the host network (node agents): Istio never injects hostNetwork pods,
#   so enrolling it would change nothing. Every finding carries the labels that decided it
#   (or the lookup that found no Namespace object) as evidence. A namespace
#   that is not enrolled is reported here once, on the namespace (the
#   subject that can fix it): MESH-02 does not repeat it for each workload
#   that neither opts in nor out.
# custom:
#   id: MESH-01
#   severity: high
#   controls: [AC-4, CM-6]
#   inputs: [Namespace, Deployment, MutatingWebhookConfiguration]
#   requires: [istio]
#   remediation: |
#     Label the namespace `istio-injection=enabled` (default revision) or
#     `istio.io/rev=<revision>` (revision-based installs, never both), or
#     `istio.io/dataplane-mode=ambient` for ambient mode, and restart its
#     pods. Make sure the revision named has an istiod (or a revision tag).
#     Keep the Namespace object with the application's manifests so its
#     enrolment can be checked.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           team: storefront
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           team: storefront
#           istio-injection: enabled
package meshaudit.rules.mesh_01

import data.meshaudit.lib
import rego.v1

# namespaces: every application namespace the input holds or implies
# (lib.namespaces: a namespace no object shows is never a subject).
subject_namespaces contains n if {
	some n in lib.app_namespaces
	not host_network_only(n)
}

# host_network_only(n): the input holds workloads in n and every one runs on
# the host network (node agents: node-exporter, log collectors). Istio never
# injects a hostNetwork pod, so enrolling the namespace would change nothing
# (and MESH-06 would then report each pod): not judged.
network_by_ns := lib.group([[w.namespace, network(w)] | some w in lib.workloads])

network(w) := "host" if lib.host_network(w)

else := "pod"

host_network_only(n) if object.get(network_by_ns, n, set()) == {"host"}

judged contains lib.namespace_resource(n) if some n in subject_namespaces

# evidence(n, keys): the labels that decided, deduplicated (an implied
# namespace without a params entry has one lookup for all of them).
evidence(n, keys) := [e | some e in {lib.ns_label_evidence(n, k) | some k in keys}]

enrol_keys := ["istio-injection", "istio.io/rev", "istio.io/dataplane-mode"]

has_label(l, k) if k in object.keys(l)

ambient(l) if l["istio.io/dataplane-mode"] == "ambient"

has_rev(l) if object.get(l, "istio.io/rev", "") != ""

# ---- revisions known from the input ----------------------------------------

root_istiods contains d if {
	some d in lib.objects("Deployment")
	lib.ns(d) == lib.root_ns
	lib.labels(d).app == "istiod"
}

# An istiod without an istio.io/rev label is the default revision.
revisions contains object.get(lib.labels(d), "istio.io/rev", "default") if some d in root_istiods

revision_exists(r) if r in revisions

# A revision tag (MutatingWebhookConfiguration istio-revision-tag-<tag>,
# labels istio.io/tag=<tag>, istio.io/rev=<revision>) pointing at an istiod.
revision_exists(r) if {
	some mwc in lib.objects("MutatingWebhookConfiguration")
	l := lib.labels(mwc)
	l["istio.io/tag"] == r
	l["istio.io/rev"] in revisions
}

# ---- findings ---------------------------------------------------------------

# No enrolment label at all.
deny contains {
	"msg": sprintf("namespace %q%s has no istio-injection=enabled, istio.io/rev or istio.io/dataplane-mode=ambient label, so its pods get no mesh proxy; label it istio-injection=enabled (or istio.io/rev=<revision>, or istio.io/dataplane-mode=ambient) and restart its pods", [n, lib.ns_note(n)]),
	"resource": lib.namespace_resource(n),
	"evidence": evidence(n, enrol_keys),
} if {
	some n in subject_namespaces
	l := lib.ns_labels(n)
	not has_label(l, "istio-injection")
	not has_rev(l)
	not ambient(l)
}

# Injection switched off.
deny contains {
	"msg": sprintf("namespace %q%s has label istio-injection=disabled, so its pods get no sidecar; set istio-injection=enabled (or record an approved exception for a namespace that must stay out of the mesh)", [n, lib.ns_note(n)]),
	"resource": lib.namespace_resource(n),
	"evidence": evidence(n, ["istio-injection"]),
} if {
	some n in subject_namespaces
	l := lib.ns_labels(n)
	l["istio-injection"] == "disabled"
	not has_rev(l)
	not ambient(l)
}

# A value the injector webhooks do not match (only "enabled" selects).
deny contains {
	"msg": sprintf("namespace %q%s has label istio-injection=%q, which no injector selects (only \"enabled\" does), so its pods get no sidecar; set istio-injection=enabled", [n, lib.ns_note(n), v]),
	"resource": lib.namespace_resource(n),
	"evidence": evidence(n, ["istio-injection"]),
} if {
	some n in subject_namespaces
	l := lib.ns_labels(n)
	v := l["istio-injection"]
	not v in {"enabled", "disabled"}
	not has_rev(l)
	not ambient(l)
}

# Conflicting labels: istio-injection and istio.io/rev together. The
# revisioned webhooks require istio-injection to be absent, so the
# istio-injection label decides.
deny contains {
	"msg": sprintf("namespace %q%s has conflicting labels istio-injection=enabled and istio.io/rev=%q: istio-injection takes precedence, so pods get the default revision, not %q; remove istio-injection to use revision %q", [n, lib.ns_note(n), rev, rev, rev]),
	"resource": lib.namespace_resource(n),
	"evidence": evidence(n, ["istio-injection", "istio.io/rev"]),
} if {
	some n in subject_namespaces
	l := lib.ns_labels(n)
	l["istio-injection"] == "enabled"
	has_rev(l)
	rev := l["istio.io/rev"]
}

deny contains {
	"msg": sprintf("namespace %q%s has conflicting labels istio-injection=%q and istio.io/rev=%q: istio-injection takes precedence, so revision %q does not inject its pods and they get no sidecar; remove the istio-injection label", [n, lib.ns_note(n), v, rev, rev]),
	"resource": lib.namespace_resource(n),
	"evidence": evidence(n, ["istio-injection", "istio.io/rev"]),
} if {
	some n in subject_namespaces
	l := lib.ns_labels(n)
	v := l["istio-injection"]
	v != "enabled"
	has_rev(l)
	rev := l["istio.io/rev"]
}

# Revision without istiod: only claimed when the input holds istiod
# Deployments (a manifest scan of an application usually does not).
deny contains {
	"msg": sprintf("namespace %q%s has label istio.io/rev=%q but no istiod of that revision (or revision tag) is in the input; istiod revisions found: %s; name an installed revision or revision tag", [n, lib.ns_note(n), rev, concat(", ", sort(revisions))]),
	"resource": lib.namespace_resource(n),
	"evidence": evidence(n, ["istio.io/rev"]),
} if {
	count(root_istiods) > 0
	some n in subject_namespaces
	l := lib.ns_labels(n)
	not has_label(l, "istio-injection")
	rev := l["istio.io/rev"]
	rev != ""
	not revision_exists(rev)
}

not_applicable contains "no application namespace in the input (the root namespace and excluded namespaces are not judged)" if {
	count(judged) == 0
	not some_host_network_only
}

some_host_network_only if {
	some n in lib.namespaces
	lib.app_ns(n)
	host_network_only(n)
}

not_applicable contains sprintf("the application namespaces of the input (%s) run only hostNetwork workloads, which Istio never injects: enrolling them would change nothing", [concat(", ", sort([sprintf("%q", [n]) | some n in lib.namespaces; lib.app_ns(n); host_network_only(n)]))]) if {
	count(judged) == 0
	some_host_network_only
}
