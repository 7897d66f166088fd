# METADATA
# title: Workloads run with a mesh proxy
# description: |
#   Every workload in an application namespace must be in the mesh: opted-out
#   workloads (`sidecar.istio.io/inject` label, or the annotation when there
#   is no label, set to anything but true) run without a sidecar, so their
#   traffic is neither encrypted nor authorized by the mesh. In a live scan,
#   Pods are judged by what they run: an `istio-proxy` container and the
#   `sidecar.istio.io/status` annotation; pods of a workload that should be
#   injected but run without a proxy (created before enrolment, or injection
#   failed) are reported on the workload. Reported once, on the subject that
#   can fix it: a workload whose namespace is not enrolled and that neither
#   opts in nor out is MESH-01's finding on the namespace (once per
#   namespace), not repeated here per workload; such workloads are not
#   judged by MESH-02. Judged: the workloads of enrolled namespaces (by their
#   Namespace object, or `namespace_labels` for a namespace the input only
#   implies; docs/verdicts.md) and the workloads that set their own
#   injection (an opt-out anywhere; a pod-level opt-in, which passes where
#   Istio's object selector honours it, and fails when written only as the
#   annotation in a namespace without injection labels, where the injector
#   never sees it). Not applicable when every workload is left to its
#   namespace. Every finding names the fix and carries the label,
#   annotation or containers that decided it.
# custom:
#   id: MESH-02
#   severity: high
#   controls: [SC-8(1), AC-4]
#   inputs: [workloads, Namespace]
#   requires: [istio]
#   subjects: [workloads]
#   remediation: |
#     Remove the `sidecar.istio.io/inject: "false"` label/annotation (or get
#     an approved exception), enrol the namespace (`istio-injection=enabled`
#     or `istio.io/rev=<revision>`), and restart pods that were created
#     before the namespace was enrolled (`kubectl rollout restart`).
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: checkout
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: checkout
#         template:
#           metadata:
#             labels:
#               app: checkout
#               sidecar.istio.io/inject: "false"
#           spec:
#             containers:
#               - name: checkout
#                 image: registry.example.com/storefront/checkout:3.2.0
#                 ports:
#                   - containerPort: 8080
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: checkout
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: checkout
#         template:
#           metadata:
#             labels:
#               app: checkout
#           spec:
#             containers:
#               - name: checkout
#                 image: registry.example.com/storefront/checkout:3.2.0
#                 ports:
#                   - containerPort: 8080
package meshaudit.rules.mesh_02

import data.meshaudit.lib
import rego.v1

# ---- injection semantics (Istio's webhooks and injector) --------------------

# sidecar_expected: some injector webhook selects the pod and the injector
# does not refuse it.
sidecar_expected(w) if {
	lib.sidecar_enrolled(w.namespace)
	not lib.opted_out(w)
}

sidecar_expected(w) if {
	w.labels["sidecar.istio.io/inject"] == "true"
	lib.unlabelled_ns(w.namespace)
}

# rev.object.sidecar-injector: a pod label istio.io/rev in a namespace
# without injection labels (lib.meshed does not cover this case).
sidecar_expected(w) if {
	object.get(w.labels, "istio.io/rev", "") != ""
	lib.unlabelled_ns(w.namespace)
	not lib.opted_out(w)
}

ambient_captured(w) if {
	lib.ambient_enrolled(w.namespace)
	object.get(w.labels, "istio.io/dataplane-mode", "") != "none"
}

ambient_captured(w) if w.labels["istio.io/dataplane-mode"] == "ambient"

covered(w) if lib.meshed(w)

covered(w) if sidecar_expected(w)

covered(w) if ambient_captured(w)

# ---- live pods ----------------------------------------------------------------

pod_has_proxy(p) if {
	some kind in ["containers", "initContainers"]
	some c in object.get(p.spec, kind, [])
	c.name == "istio-proxy"
}

# ---- findings -------------------------------------------------------------------

subjects := lib.app_workloads

# left_to_namespace(w): the workload's own labels and annotations do not
# decide whether it is meshed: its namespace is not enrolled and it neither
# opts in nor out. That is MESH-01's finding on the namespace, reported once
# there; MESH-02 does not judge such a workload.
left_to_namespace(w) if {
	not lib.opted_out(w)
	not covered(w)
	not annotation_opt_in(w)
}

# annotation_opt_in(w): sidecar.istio.io/inject true written only as the
# annotation, in a namespace without injection labels: Istio's object
# selector webhook matches the pod label, so the injector never sees it.
annotation_opt_in(w) if {
	lib.inject_source(w) == "annotation"
	lower(sprintf("%v", [w.annotations["sidecar.istio.io/inject"]])) in lib.inject_true_values
	lib.unlabelled_ns(w.namespace)
	not covered(w)
}

label_place(w) := "pod label" if w.kind == "Pod"

else := "pod template label"

# judged: every workload of an application namespace whose injection the
# workload or an enrolled namespace decides.
judged contains w.resource if {
	some w in subjects
	not left_to_namespace(w)
}

overrides(w) := sprintf(", overriding annotation %q", [w.annotations["sidecar.istio.io/inject"]]) if {
	lib.inject_source(w) == "label"
	w.annotations["sidecar.istio.io/inject"] != w.labels["sidecar.istio.io/inject"]
} else := ""

ns_evidence(n) := [e | some e in {lib.ns_label_evidence_of(n, k) | some k in ["istio-injection", "istio.io/rev", "istio.io/dataplane-mode"]}]

container_names(spec) := [c.name | some kind in ["initContainers", "containers"]; some c in object.get(spec, kind, [])]

deny contains {
	"msg": sprintf("sidecar.istio.io/inject %s %q opts the workload out of sidecar injection%s, so it runs outside the mesh; remove it (or record an approved exception)", [lib.inject_source(w), lib.inject_raw(w), overrides(w)]),
	"resource": w.resource,
	"evidence": [{"path": lib.inject_path(w), "value": lib.inject_raw(w)}],
} if {
	some w in lib.app_workloads
	lib.opted_out(w)
	not ambient_captured(w)
}

deny contains {
	"msg": sprintf("sidecar.istio.io/inject annotation %q does not opt the workload in: namespace %q%s has no injection label, and there Istio's injector selects pods by the sidecar.istio.io/inject label only, so it runs without a sidecar; set sidecar.istio.io/inject: \"true\" as a %s (or enrol the namespace)", [w.annotations["sidecar.istio.io/inject"], w.namespace, lib.ns_note(w.namespace), label_place(w)]),
	"resource": w.resource,
	"evidence": array.concat([{"path": lib.annotation_path(w, "sidecar.istio.io/inject"), "value": w.annotations["sidecar.istio.io/inject"]}], ns_evidence(w.namespace)),
} if {
	some w in subjects
	annotation_opt_in(w)
}

# Live: a Pod the injector should have handled, judged by what it runs.
deny contains {
	"msg": sprintf("pod has no %s although it should be injected, so it runs without a sidecar; delete it so that its controller recreates it with one", [concat(" and no ", missing)]),
	"resource": w.resource,
	"evidence": [
		{"path": "spec.containers", "value": container_names(w.spec)},
		object.union({"path": lib.annotation_path(w, "sidecar.istio.io/status")}, {"value": v | v := w.annotations["sidecar.istio.io/status"]}),
	],
} if {
	lib.live
	some w in lib.app_workloads
	w.kind == "Pod"
	sidecar_expected(w)
	missing := [m |
		some m in ["istio-proxy container", "sidecar.istio.io/status annotation"]
		not has_part(w, m)
	]
	count(missing) > 0
}

has_part(w, "istio-proxy container") if pod_has_proxy(w.obj)

has_part(w, "sidecar.istio.io/status annotation") if lib.injected(w)

# Live: pods of a workload that should be injected but run without a proxy.
deny contains {
	"msg": sprintf("pods %s run without an istio-proxy container although the workload should be injected (created before enrolment, or injection failed); restart the workload (kubectl rollout restart)", [concat(", ", [lib.name(p) | some p in bare])]),
	"resource": w.resource,
	"evidence": [{"path": "spec.containers", "value": container_names(p.spec), "resource": lib.resource(p)} | some p in bare],
} if {
	lib.live
	some w in lib.app_workloads
	w.kind != "Pod"
	sidecar_expected(w)
	bare := sort([p | some p in lib.pods_of(w); not pod_has_proxy(p)])
	count(bare) > 0
}

not_applicable contains "no workload in an application namespace of the input" if count(subjects) == 0

not_applicable contains sprintf("every workload in scope is left to its namespace: %s and their workloads neither opt in nor out; MESH-01 reports each namespace once, and MESH-02 judges workloads of enrolled namespaces and workloads that set their own injection", [left_namespaces]) if {
	count(subjects) > 0
	count(judged) == 0
}

left_namespaces := sprintf("namespace %s is not enrolled", [ns[0]]) if {
	ns := sort({sprintf("%q", [w.namespace]) | some w in subjects})
	count(ns) == 1
} else := sprintf("namespaces %s are not enrolled", [concat(", ", sort({sprintf("%q", [w.namespace]) | some w in subjects}))])
