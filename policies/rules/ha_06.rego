# METADATA
# title: A PodDisruptionBudget protects each replicated workload without blocking drains
# description: |
#   Every Deployment and StatefulSet that runs more than one pod (spec.replicas
#   above 1, or a HorizontalPodAutoscaler targeting it with maxReplicas above
#   1; a spec.replicas that is not a number is judged too) needs a
#   PodDisruptionBudget in its namespace whose selector selects its pod
#   template's labels (matchLabels and matchExpressions; an empty selector
#   selects every pod of the namespace, a missing one selects none), so a node
#   drain or cluster upgrade never evicts all its pods at once. Reported with
#   low severity, because they block node drains instead: a budget with
#   maxUnavailable 0 (or 0%), or minAvailable that resolves (percentages
#   rounded up, as the disruption controller does) to the replica count or
#   more, counting the HorizontalPodAutoscaler's minReplicas as the replica
#   count when there is one; and pods selected by more than one budget, which
#   the eviction API refuses to evict. Workloads with one replica, scaled to 0,
#   and DaemonSets, Jobs, CronJobs and bare Pods are not judged. One finding
#   per workload lists every problem (medium when no budget selects it, low
#   when budgets only block drains), with the budgets' fields (or, for a
#   missing budget, the lookup) as evidence.
# custom:
#   id: HA-06
#   severity: medium
#   controls: [CP-10]
#   inputs: [Deployment, StatefulSet, HorizontalPodAutoscaler, PodDisruptionBudget]
#   subjects: [Deployment, StatefulSet]
#   remediation: |
#     Add a PodDisruptionBudget (policy/v1) whose `spec.selector.matchLabels`
#     match the pod template's labels, with `maxUnavailable: 1` (or a
#     `minAvailable` below the replica count). Keep exactly one budget per pod.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         replicas: 3
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         replicas: 3
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#       ---
#       apiVersion: policy/v1
#       kind: PodDisruptionBudget
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         maxUnavailable: 1
#         selector:
#           matchLabels:
#             app: cart
package meshaudit.rules.ha_06

import data.meshaudit.lib
import rego.v1

# ---- label selectors -------------------------------------------------------------

# ---- replicas --------------------------------------------------------------------

# hpas: [namespace, kind, name] of the scale target -> its
# HorizontalPodAutoscalers, built once with lib.group.
hpas := lib.group([[[lib.ns(h), h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name], h] |
	some h in lib.objects("HorizontalPodAutoscaler")
])

target_hpas(w) := hpas[[w.namespace, w.kind, w.obj.metadata.name]]

spec_replicas(w) := object.get(w.obj.spec, "replicas", 1)

numeric(w) if is_number(spec_replicas(w))

multi(w) if {
	numeric(w)
	spec_replicas(w) > 1
}

multi(w) if {
	numeric(w)
	spec_replicas(w) > 0
	some h in target_hpas(w)
	object.get(h.spec, "maxReplicas", 1) > 1
}

multi(w) if not numeric(w)

subjects contains w if {
	some w in lib.workloads
	w.kind in {"Deployment", "StatefulSet"}
	lib.in_scope(w.namespace)
	multi(w)
}

# judged: the Deployments and StatefulSets that run (or may scale to) more
# than one pod; a single pod is not judged.
judged contains w.resource if some w in subjects

# floor(w): [the fewest pods the workload runs, description]; undefined when
# spec.replicas is not a number.
floor(w) := [n, sprintf("HorizontalPodAutoscaler minReplicas %v", [n])] if {
	numeric(w)
	list := target_hpas(w)
	n := min({object.get(h.spec, "minReplicas", 1) | some h in list})
} else := [n, sprintf("%v replicas", [n])] if {
	numeric(w)
	n := spec_replicas(w)
}

replicas_text(w) := sprintf("spec.replicas %v", [spec_replicas(w)]) if {
	numeric(w)
	not target_hpas(w)
} else := sprintf("HorizontalPodAutoscaler maxReplicas %v", [max({object.get(h.spec, "maxReplicas", 1) | some h in target_hpas(w)})]) if {
	numeric(w)
} else := sprintf("spec.replicas %s", [json.marshal(spec_replicas(w))])

# ---- budgets ---------------------------------------------------------------------

budgets(w) := {p |
	some p in object.get(lib.pdbs_by_ns, w.namespace, set())
	lib.set_selector_matches(object.get(p.spec, "selector", null), w.labels)
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("no PodDisruptionBudget selects its pods (%s), so a drain may evict all of them at once; add one with maxUnavailable: 1", [replicas_text(w)]),
	"evidence": [{"path": sprintf("PodDisruptionBudget selecting the pods of %s %s/%s", [w.kind, w.namespace, lib.name(w.obj)]), "value": 0}],
} if {
	some w in subjects
	count(budgets(w)) == 0
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("its pods are selected by %d PodDisruptionBudgets (%s), so the eviction API refuses to evict them and node drains block; keep one", [count(b), concat(", ", sort([lib.ns_name(p) | some p in b]))]),
	"evidence": [{"path": "spec.selector", "value": object.get(p.spec, "selector", null), "resource": lib.resource(p)} | some p in b],
	"severity": "low",
} if {
	some w in subjects
	b := budgets(w)
	count(b) > 1
}

zero(v) if v == 0

zero(v) if {
	is_string(v)
	regex.match(`^0+%$`, v)
}

pct(v) := to_number(trim_suffix(v, "%")) if {
	is_string(v)
	regex.match(`^[0-9]+%$`, v)
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("PodDisruptionBudget %s has maxUnavailable %v, so no pod may ever be evicted and node drains block; set maxUnavailable: 1", [lib.ns_name(p), v]),
	"evidence": [{"path": "spec.maxUnavailable", "value": v, "resource": lib.resource(p)}],
	"severity": "low",
} if {
	some w in subjects
	some p in budgets(w)
	v := p.spec.maxUnavailable
	zero(v)
}

# min_resolved(v, n): minAvailable v as a pod count of n (percentages round up).
min_resolved(v, _) := v if is_number(v)

min_resolved(v, n) := ceil((pct(v) * n) / 100)

problems contains {
	"resource": w.resource,
	"msg": sprintf("PodDisruptionBudget %s has minAvailable %v with %s, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)", [lib.ns_name(p), v, desc]),
	"evidence": [{"path": "spec.minAvailable", "value": v, "resource": lib.resource(p)}, count_evidence(w)],
	"severity": "low",
} if {
	some w in subjects
	some p in budgets(w)
	v := p.spec.minAvailable
	[n, desc] := floor(w)
	min_resolved(v, n) >= n
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("PodDisruptionBudget %s has minAvailable %v, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)", [lib.ns_name(p), v]),
	"evidence": [{"path": "spec.minAvailable", "value": v, "resource": lib.resource(p)}],
	"severity": "low",
} if {
	some w in subjects
	not numeric(w)
	some p in budgets(w)
	v := p.spec.minAvailable
	pct(v) >= 100
}

# count_evidence(w): the HPA's minReplicas, else spec.replicas, that the
# budget was compared with.
count_evidence(w) := {"path": "spec.minReplicas", "value": n, "resource": lib.resource(h)} if {
	list := target_hpas(w)
	n := min({object.get(x.spec, "minReplicas", 1) | some x in list})
	h := sort([x | some x in list; object.get(x.spec, "minReplicas", 1) == n])[0]
} else := {"path": "spec.replicas", "value": spec_replicas(w)}

# One finding per workload, listing every problem (medium when a budget is
# missing, low when budgets only block drains).
deny contains f if some f in lib.findings_per_subject(problems)
