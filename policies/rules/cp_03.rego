# METADATA
# title: istiod and gateways are highly available
# description: |
#   istiod (label `app=istiod`) and the gateway Deployments (the designated
#   gateway labels, `istio=ingressgateway`/`egressgateway` by default, and
#   Gateway API deployments labelled `gateway.istio.io/managed`) need at
#   least `min_replicas` replicas (an HPA's `minReplicas` when one targets
#   the Deployment), a PodDisruptionBudget selecting their pods, CPU and
#   memory requests on their containers (the gateway's injected `istio-proxy`
#   with image `auto` gets them from the injection template), and a
#   `priorityClassName`. Without them one node drain, noisy neighbour or
#   eviction takes down the mesh's configuration or its edge. Judged: every
#   istiod and gateway Deployment; one finding per Deployment lists every
#   gap, with the fields (or, for a missing budget or autoscaler, the
#   lookup) as evidence.
# custom:
#   id: CP-03
#   severity: high
#   controls: [CP-10, SC-6]
#   inputs: [Deployment, HorizontalPodAutoscaler, PodDisruptionBudget]
#   requires: [istio]
#   remediation: |
#     Run istiod and every gateway with at least two replicas (Helm
#     `autoscaleMin`/`replicaCount`, or an HPA with `minReplicas: 2`), add a
#     PodDisruptionBudget (`maxUnavailable: 1`) selecting their pods, set CPU
#     and memory requests, and give them a high `priorityClassName` (e.g.
#     `system-cluster-critical`).
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 1
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args: ["discovery", "--monitoringAddr=:15014", "--domain", "cluster.local"]
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             priorityClassName: system-cluster-critical
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args: ["discovery", "--monitoringAddr=:15014", "--domain", "cluster.local"]
#                 resources:
#                   requests:
#                     cpu: 500m
#                     memory: 2Gi
#       ---
#       apiVersion: autoscaling/v2
#       kind: HorizontalPodAutoscaler
#       metadata:
#         name: istiod
#         namespace: istio-system
#       spec:
#         scaleTargetRef:
#           apiVersion: apps/v1
#           kind: Deployment
#           name: istiod
#         minReplicas: 2
#         maxReplicas: 5
#         metrics:
#           - type: Resource
#             resource:
#               name: cpu
#               target:
#                 type: Utilization
#                 averageUtilization: 80
#       ---
#       apiVersion: policy/v1
#       kind: PodDisruptionBudget
#       metadata:
#         name: istiod
#         namespace: istio-system
#       spec:
#         maxUnavailable: 1
#         selector:
#           matchLabels:
#             app: istiod
#             istio: pilot
package meshaudit.rules.cp_03

import data.meshaudit.lib
import rego.v1

role(d) := "istiod" if {
	lib.istiod(d)
} else := "gateway" if {
	some sel in lib.params.gateway_labels
	count(sel) > 0
	lib.selects(sel, object.union(lib.labels(d), lib.template_labels(d)))
} else := "gateway" if {
	"gateway.istio.io/managed" in object.keys(lib.labels(d))
}

subjects contains d if {
	some d in lib.objects("Deployment")
	lib.in_scope(lib.ns(d))
	role(d)
}

what(d) := sprintf("%s Deployment %s/%s", [role(d), lib.ns(d), lib.name(d)])

# ---- replicas --------------------------------------------------------------

hpas := lib.group([[[lib.ns(h), h.spec.scaleTargetRef.name], h] |
	some h in lib.objects("HorizontalPodAutoscaler")
	object.get(h.spec.scaleTargetRef, "kind", "") == "Deployment"
])

problems contains {
	"resource": lib.resource(d),
	"msg": sprintf("%s is scaled by HorizontalPodAutoscaler %s with minReplicas %d, want at least %d", [what(d), lib.name(h), n, lib.params.min_replicas]),
	"evidence": [{"path": "spec.minReplicas", "value": n, "resource": lib.resource(h)}],
} if {
	some d in subjects
	some h in object.get(hpas, [[lib.ns(d), lib.name(d)]], set())
	n := object.get(h.spec, "minReplicas", 1)
	n < lib.params.min_replicas
}

problems contains {
	"resource": lib.resource(d),
	"msg": sprintf("%s runs %d replica(s) (spec.replicas) and no HorizontalPodAutoscaler, want at least %d", [what(d), n, lib.params.min_replicas]),
	"evidence": [replicas_evidence(d), {"path": sprintf("HorizontalPodAutoscaler targeting Deployment %s/%s", [lib.ns(d), lib.name(d)]), "value": 0}],
} if {
	some d in subjects
	count(object.get(hpas, [[lib.ns(d), lib.name(d)]], set())) == 0
	n := object.get(d.spec, "replicas", 1)
	n < lib.params.min_replicas
}

# ---- PodDisruptionBudget ---------------------------------------------------

# A PDB with an empty selector selects every pod of its namespace, one
# without a selector none (policy/v1).
pdb_selects(p, lbls) if {
	sel := p.spec.selector
	lib.label_selector_matches(sel, lbls)
}

problems contains {
	"resource": lib.resource(d),
	"msg": sprintf("%s has no PodDisruptionBudget selecting its pods; add one with maxUnavailable: 1 (or minAvailable: 1 with 2 or more replicas)", [what(d)]),
	"evidence": [{"path": sprintf("PodDisruptionBudget selecting the pods of Deployment %s/%s", [lib.ns(d), lib.name(d)]), "value": 0}],
} if {
	some d in subjects
	lbls := lib.template_labels(d)
	not any_pdb(lib.ns(d), lbls)
}

any_pdb(n, lbls) if {
	some p in object.get(lib.pdbs_by_ns, n, set())
	pdb_selects(p, lbls)
}

# ---- requests and priority -------------------------------------------------

missing_requests(c) := [r |
	some r in ["cpu", "memory"]
	object.get(c, ["resources", "requests", r], null) == null
]

problems contains {
	"resource": lib.resource(d),
	"msg": sprintf("%s container %s has no %s request", [what(d), c.name, concat(" or ", missing)]),
	"evidence": [{"path": sprintf("spec.template.spec.containers[%d].resources.requests.%s", [i, r])} | some r in missing],
} if {
	some d in subjects
	some i, c in object.get(d, ["spec", "template", "spec", "containers"], [])
	object.get(c, "image", "") != "auto"
	missing := missing_requests(c)
	count(missing) > 0
}

problems contains {
	"resource": lib.resource(d),
	"msg": sprintf("%s has no priorityClassName, so its pods are evicted and preempted like any other; set priorityClassName: system-cluster-critical", [what(d)]),
	"evidence": [{"path": "spec.template.spec.priorityClassName"}],
} if {
	some d in subjects
	object.get(d, ["spec", "template", "spec", "priorityClassName"], "") == ""
}

replicas_evidence(d) := {"path": "spec.replicas", "value": d.spec.replicas} if {
	object.get(d.spec, "replicas", null) != null
} else := {"path": "spec.replicas"}

# One finding per Deployment, listing every gap.
deny contains f if some f in lib.findings_per_subject(problems)

# judged: every istiod and gateway Deployment of the input.
judged contains lib.resource(d) if some d in subjects

not_applicable contains "no istiod or gateway Deployment in the input" if count(subjects) == 0
