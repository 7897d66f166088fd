# METADATA
# title: No control plane / data plane version skew and no orphan revisions
# description: |
#   Every injected proxy (the `istio-proxy` container of pods annotated
#   `sidecar.istio.io/status`, and of pod templates carrying an explicit
#   proxy image) must run the Istio version of the istiod revision that
#   injected it (the `revision` of the status annotation, else the pod's
#   `istio.io/rev` label, else `default`). A different minor version is
#   reported at medium severity, a different patch version at low (pods not
#   restarted after an istiod patch upgrade). Also reported: proxies and
#   namespaces (`istio.io/rev`) that point at a revision (or revision tag,
#   resolved through the `istio.io/tag` injector webhooks) with no istiod,
#   and, in a live scan, istiod revisions that no namespace, pod or revision
#   tag uses, and namespaces labelled istio-injection=enabled when neither a
#   default istiod nor a `default` revision tag exists. Judged only when an
#   istiod Deployment is in the input: the proxies with a versioned image,
#   the namespaces enrolled in a revision (istio.io/rev or
#   istio-injection=enabled) and, live, the istiods; findings carry the images and labels as evidence.
# custom:
#   id: CP-02
#   severity: medium
#   controls: [CM-2, SI-2]
#   inputs: [Deployment, Namespace, MutatingWebhookConfiguration, workloads]
#   requires: [istio]
#   remediation: |
#     Restart (rollout restart) the workloads whose proxies run another
#     version than their istiod, so that they are injected again; relabel
#     namespaces that point at a missing revision (`istio.io/rev`) or install
#     that revision; uninstall istiod revisions no namespace or pod uses any
#     more.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod-1-31
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio.io/rev: "1-31"
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: istiod
#             istio.io/rev: "1-31"
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio.io/rev: "1-31"
#           spec:
#             serviceAccountName: istiod-1-31
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args: ["discovery", "--monitoringAddr=:15014", "--domain", "cluster.local"]
#       ---
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio.io/rev: "1-30"
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod-1-31
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio.io/rev: "1-31"
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: istiod
#             istio.io/rev: "1-31"
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio.io/rev: "1-31"
#           spec:
#             serviceAccountName: istiod-1-31
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args: ["discovery", "--monitoringAddr=:15014", "--domain", "cluster.local"]
#       ---
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio.io/rev: "1-31"
package meshaudit.rules.cp_02

import data.meshaudit.lib
import rego.v1

# ---- istiod revisions ------------------------------------------------------

revision(d) := r if {
	r := lib.labels(d)["istio.io/rev"]
	r != ""
} else := r if {
	r := object.get(d, ["spec", "template", "metadata", "labels", "istio.io/rev"], "")
	r != ""
} else := "default"

istiod_image(d) := c.image if {
	some c in object.get(d, ["spec", "template", "spec", "containers"], [])
	c.name == "discovery"
}

version(img) := m[1] if {
	m := regex.find_all_string_submatch_n(`^v?([0-9]+\.[0-9]+(\.[0-9]+)?)`, lib.image_tag(img), 1)[0]
}

minor(v) := concat(".", array.slice(split(v, "."), 0, 2))

revisions := {revision(d) | some d in lib.istiods}

rev_versions := lib.group([[revision(d), version(istiod_image(d))] | some d in lib.istiods])

# Revision tags: injector webhooks labelled istio.io/tag=<tag> and
# istio.io/rev=<revision>.
tags := {t: r |
	some wh in lib.objects("MutatingWebhookConfiguration")
	t := lib.labels(wh)["istio.io/tag"]
	r := lib.labels(wh)["istio.io/rev"]
}

resolve(x) := object.get(tags, x, x)

# ---- proxies ---------------------------------------------------------------

proxy_image(spec) := proxy_at(spec)[1]

# proxy_at(spec): [path inside the pod spec, image] of the istio-proxy
# container (the first one).
proxy_at(spec) := [sprintf("%s[%d].image", [kind, i]), c.image] if {
	some kind in ["containers", "initContainers"]
	some i, c in object.get(spec, kind, [])
	c.name == "istio-proxy"
	c.image != "auto"
}

status_revision(ann) := r if {
	raw := ann["sidecar.istio.io/status"]
	is_string(raw)
	json.is_valid(raw)
	r := json.unmarshal(raw).revision
	is_string(r)
	r != ""
}

pod_revision(ann, lbls) := r if {
	r := status_revision(ann)
} else := r if {
	r := lbls["istio.io/rev"]
	r != ""
} else := "default"

# owner_resource: the topmost controller in the input (two levels: Pod ->
# ReplicaSet -> Deployment, Pod -> Job -> CronJob).
owner_resource(p) := lib.resource(gp) if {
	ref := lib.controller(p)
	some parent in lib.workload_objects(ref.kind, lib.ns(p), ref.name)
	ref2 := lib.controller(parent)
	some gp in lib.workload_objects(ref2.kind, lib.ns(p), ref2.name)
} else := lib.resource(parent) if {
	ref := lib.controller(p)
	some parent in lib.workload_objects(ref.kind, lib.ns(p), ref.name)
} else := lib.resource(p)

# proxies: {resource, image, revision} of every injected proxy.
proxies_found contains {"resource": w.resource, "image": img, "revision": pod_revision(w.annotations, w.labels), "evidence": {"path": sprintf("%s.%s", [lib.pod_spec_path(w), path]), "value": img}} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	[path, img] := proxy_at(w.spec)
}

proxies_found contains {"resource": owner_resource(p), "image": img, "revision": pod_revision(lib.annotations(p), lib.labels(p)), "evidence": {"path": sprintf("spec.%s", [path]), "value": img, "resource": lib.resource(p)}} if {
	some p in lib.objects("Pod")
	lib.in_scope(lib.ns(p))
	lib.owned(p)
	[path, img] := proxy_at(p.spec)
}

# proxies: one entry per owner, image and revision (the Pods of one
# Deployment collapse), with the evidence of the first of them.
proxy_evidence := lib.group([[[x.resource, x.image, x.revision], x.evidence] | some x in proxies_found])

proxies := {object.union(k, {"evidence": sort(evs)[0]}) |
	some key, evs in proxy_evidence
	k := {"resource": key[0], "image": key[1], "revision": key[2]}
}

istiod_evidence(rev) := [{"path": sprintf("spec.template.spec.containers[%d].image", [i]), "value": c.image, "resource": lib.resource(d)} |
	some d in lib.istiods
	revision(d) == rev
	some i, c in object.get(d, ["spec", "template", "spec", "containers"], [])
	c.name == "discovery"
]

deny contains f if {
	some x in proxies
	pv := version(x.image)
	some iv in object.get(rev_versions, x.revision, set())
	pv != iv
	f := {
		"msg": sprintf("istio-proxy image %s runs Istio %s but istiod revision %s runs %s", [x.image, pv, x.revision, iv]),
		"resource": x.resource,
		"severity": skew_severity(pv, iv),
		"evidence": array.concat([x.evidence], istiod_evidence(x.revision)),
	}
}

skew_severity(a, b) := "low" if {
	minor(a) == minor(b)
} else := "medium"

deny contains {
	"msg": sprintf("istio-proxy was injected by revision %s, which has no istiod Deployment", [x.revision]),
	"resource": x.resource,
	"evidence": [x.evidence, {"path": sprintf("istiod Deployment of revision %s", [x.revision]), "value": 0}],
} if {
	count(lib.istiods) > 0
	some x in proxies
	not x.revision in revisions
}

unknown contains sprintf("istio-proxy image %s of %s %s/%s has no version tag, so its skew is unknown", [x.image, x.resource.kind, x.resource.namespace, x.resource.name]) if {
	count(lib.istiods) > 0
	some x in proxies
	not version(x.image)
}

# ---- namespaces ------------------------------------------------------------

ns_rev(n) := lib.labels(n)["istio.io/rev"]

deny contains {
	"msg": sprintf("namespace %s selects revision %s (istio.io/rev), but no istiod of that revision exists", [lib.name(n), rev]),
	"resource": lib.resource(n),
	"evidence": [{"path": "metadata.labels[\"istio.io/rev\"]", "value": rev}, {"path": sprintf("istiod Deployment of revision %s", [resolve(rev)]), "value": 0}],
} if {
	count(lib.istiods) > 0
	some n in lib.objects("Namespace")
	lib.in_scope(lib.name(n))
	rev := ns_rev(n)
	rev != ""
	not resolve(rev) in revisions
}

# istio-injection=enabled selects the default revision (its istiod, or the
# revision the `default` revision tag points at).
deny contains {
	"msg": sprintf("namespace %s enables injection (istio-injection=enabled), which uses the default revision, but no istiod of revision default and no default revision tag exists", [lib.name(n)]),
	"resource": lib.resource(n),
	"evidence": [{"path": "metadata.labels[\"istio-injection\"]", "value": "enabled"}, {"path": "istiod Deployment of revision default (or revision tag default)", "value": 0}],
} if {
	count(lib.istiods) > 0
	some n in lib.objects("Namespace")
	lib.in_scope(lib.name(n))
	injection_enabled(n)
	not resolve("default") in revisions
}

injection_enabled(n) if lib.labels(n)["istio-injection"] == "enabled"

# ---- orphan revisions (live: every user is visible) ------------------------

used contains resolve(ns_rev(n)) if some n in lib.objects("Namespace")

used contains resolve("default") if {
	some n in lib.objects("Namespace")
	lib.labels(n)["istio-injection"] == "enabled"
}

used contains x.revision if some x in proxies

used contains resolve(r) if {
	some w in lib.workloads
	r := w.labels["istio.io/rev"]
}

used contains r if some _, r in tags

deny contains {
	"msg": sprintf("istiod revision %s (%s/%s) is used by no namespace, pod or revision tag", [rev, lib.ns(d), lib.name(d)]),
	"resource": lib.resource(d),
	"evidence": [{"path": sprintf("Namespace, pod or revision tag using revision %s", [rev]), "value": 0}],
} if {
	lib.live
	some d in lib.istiods
	rev := revision(d)
	not rev in used
}

not_applicable contains "no istiod Deployment in the input" if count(lib.istiods) == 0

# judged (only with an istiod in the input): every proxy whose version and
# revision can be compared, every namespace selecting a revision, and, in a
# live scan, every istiod (orphan revisions).
judged contains x.resource if {
	count(lib.istiods) > 0
	some x in proxies
	version(x.image)
}

judged contains lib.resource(n) if {
	count(lib.istiods) > 0
	some n in lib.objects("Namespace")
	lib.in_scope(lib.name(n))
	ns_rev(n) != ""
}

judged contains lib.resource(n) if {
	count(lib.istiods) > 0
	some n in lib.objects("Namespace")
	lib.in_scope(lib.name(n))
	injection_enabled(n)
}

judged contains lib.resource(d) if {
	lib.live
	some d in lib.istiods
}

not_applicable contains "only a live scan can tell which proxy versions run against istiod: no injected proxy with a versioned image and no namespace enrolled in a revision is in the input" if {
	not lib.live
	count(lib.istiods) > 0
	count(judged) == 0
}
