# METADATA
# title: Enough replicas, spread across zones
# description: |
#   Deployments and StatefulSets need at least `min_replicas` replicas
#   (default 2), counting a HorizontalPodAutoscaler's minReplicas (default 1)
#   instead of spec.replicas when one targets the workload, so that losing
#   one pod or node does not take the service down. Their pods must also be
#   spread across zones: a topologySpreadConstraint, or a podAntiAffinity
#   term (required or preferred), with topologyKey
#   `topology.kubernetes.io/zone` whose labelSelector selects the
#   workload's own pods (a selector that does not match them spreads
#   nothing). The spread is required whenever min_replicas or the replica
#   count is 2 or more. A workload scaled to 0 is not judged; a spec.replicas
#   that is not a number (a template placeholder) leaves the count undecided
#   (not judged on it; never unknown). One finding per workload lists both
#   problems, with spec.replicas (or the HPA's minReplicas) and the pod
#   spec's spread fields as evidence. This rule is where a single replica
#   is told to run more (HA-07 never advises a rollout stopping it). DaemonSets
#   (one pod per node), Jobs, CronJobs, bare Pods and ReplicaSets without
#   their Deployment are not judged: replicas and spread do not apply to
#   them the same way.
# custom:
#   id: HA-05
#   severity: medium
#   controls: [CP-10, SC-36]
#   inputs: [Deployment, StatefulSet, HorizontalPodAutoscaler]
#   subjects: [Deployment, StatefulSet]
#   remediation: |
#     Set `spec.replicas` (or the HorizontalPodAutoscaler's `minReplicas`) to
#     at least the organisation's minimum, and add to the pod template a
#     `topologySpreadConstraints` entry with `topologyKey:
#     topology.kubernetes.io/zone` (maxSkew 1) and a `labelSelector` matching
#     the pod's own labels, or an equivalent podAntiAffinity term.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         replicas: 1
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
#             topologySpreadConstraints:
#             - maxSkew: 1
#               topologyKey: topology.kubernetes.io/zone
#               whenUnsatisfiable: ScheduleAnyway
#               labelSelector:
#                 matchLabels:
#                   app: cart
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
package meshaudit.rules.ha_05

import data.meshaudit.lib
import rego.v1

zone_key := "topology.kubernetes.io/zone"

subjects contains w if {
	some w in lib.workloads
	w.kind in {"Deployment", "StatefulSet"}
	lib.in_scope(w.namespace)
	not scaled_to_zero(w)
}

scaled_to_zero(w) if w.obj.spec.replicas == 0

# ---- label selectors -------------------------------------------------------------

# ---- replicas --------------------------------------------------------------------

# hpas: [namespace, kind, name] of the scale target -> its
# HorizontalPodAutoscalers, built once and looked up per workload.
# (lib.group: one pass; a partial rule `idx[key] contains value` re-runs
# per keyed lookup and grows quadratically even when materialised whole.)
hpa_targets := [[[lib.ns(h), h.spec.scaleTargetRef.kind, h.spec.scaleTargetRef.name], h] |
	some h in lib.objects("HorizontalPodAutoscaler")
]

hpas := lib.group(hpa_targets)

hpa_min(h) := object.get(h.spec, "minReplicas", 1)

# replicas(w): [count, description]; undefined when not a number.
replicas(w) := [n, sprintf("HorizontalPodAutoscaler %s/%s minReplicas %v", [lib.ns(h), lib.name(h), n])] if {
	list := object.get(hpas, [[w.namespace, w.kind, w.obj.metadata.name]], set())
	count(list) > 0
	n := min({hpa_min(h) | some h in list})
	h := sort([x | some x in list; hpa_min(x) == n])[0]
} else := [1, "spec.replicas unset (defaults to 1)"] if {
	object.get(w.obj.spec, "replicas", null) == null
} else := [n, sprintf("spec.replicas %v", [n])] if {
	n := w.obj.spec.replicas
	is_number(n)
}

# replicas_evidence(w): the field that gave the replica count.
replicas_evidence(w) := {"path": "spec.minReplicas", "value": n, "resource": lib.resource(h)} if {
	list := object.get(hpas, [[w.namespace, w.kind, w.obj.metadata.name]], set())
	count(list) > 0
	n := min({hpa_min(x) | some x in list})
	h := sort([x | some x in list; hpa_min(x) == n])[0]
} else := {"path": "spec.replicas"} if {
	object.get(w.obj.spec, "replicas", null) == null
} else := {"path": "spec.replicas", "value": w.obj.spec.replicas}

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s, want at least %v", [desc, lib.params.min_replicas]),
	"evidence": [replicas_evidence(w)],
} if {
	some w in subjects
	[n, desc] := replicas(w)
	n < lib.params.min_replicas
}

# ---- zone spread -----------------------------------------------------------------

needs_spread(_) if lib.params.min_replicas >= 2

needs_spread(w) if {
	[n, _] := replicas(w)
	n >= 2
}

spread(w) if {
	some c in object.get(w.spec, "topologySpreadConstraints", [])
	c.topologyKey == zone_key
	lib.set_selector_matches(c.labelSelector, w.labels)
}

anti_affinity_terms(w) := array.concat(
	object.get(w.spec, ["affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"], []),
	[t.podAffinityTerm | some t in object.get(w.spec, ["affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"], [])],
)

spread(w) if {
	some t in anti_affinity_terms(w)
	t.topologyKey == zone_key
	lib.set_selector_matches(t.labelSelector, w.labels)
}

spread_evidence(w) := [{"path": sprintf("%s.%s", [lib.pod_spec_path(w), f]), "value": v} |
	some f in ["topologySpreadConstraints", "affinity"]
	v := object.get(w.spec, f, null)
	v != null
] if {
	some f in ["topologySpreadConstraints", "affinity"]
	object.get(w.spec, f, null) != null
} else := [{"path": sprintf("%s.topologySpreadConstraints", [lib.pod_spec_path(w)])}]

problems contains {
	"resource": w.resource,
	"msg": sprintf("pods are not spread across zones: no topologySpreadConstraint or podAntiAffinity term with topologyKey %s selects the workload's own pods", [zone_key]),
	"evidence": spread_evidence(w),
	"order": 1,
} if {
	some w in subjects
	needs_spread(w)
	not spread(w)
}

# One finding per workload: replicas and spread together.
deny contains f if some f in lib.findings_per_subject(problems)

# judged: the workloads whose replica count is known, and those whose spread
# is required whatever the count (min_replicas >= 2). A spec.replicas that
# is not a number (a template placeholder) leaves the count undecided.
judged contains w.resource if {
	some w in subjects
	replicas(w)
}

judged contains w.resource if {
	some w in subjects
	lib.params.min_replicas >= 2
}

not_applicable contains sprintf("%s %s/%s: spec.replicas %s is not a number (a template placeholder), so its replica count is not in the input", [w.kind, w.namespace, w.obj.metadata.name, json.marshal(w.obj.spec.replicas)]) if {
	count(judged) == 0
	some w in subjects
	not replicas(w)
}
