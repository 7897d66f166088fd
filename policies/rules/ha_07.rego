# METADATA
# title: Rolling updates take one pod down at a time without surge
# description: |
#   The talk's HA microservice guideline (after its thundering-herd restart
#   problems), made replica-aware. A Deployment running 2 or more replicas
#   (and every DaemonSet) must roll out with a RollingUpdate strategy whose
#   maxUnavailable and maxSurge are the organisation's values (default 1 and
#   0), so a rollout replaces one pod at a time and never adds pods beyond
#   the planned capacity. A Deployment running one replica must keep it
#   serving: maxUnavailable has to resolve to 0 (so maxSurge to at least 1,
#   the replacement starting first) -- the 25%/25% default does on one
#   replica and passes; 1/0 there would stop the only pod at every rollout
#   and is reported with the fix `maxUnavailable: 0, maxSurge: 1`. Running
#   more replicas is HA-05's finding, never advised here. Deployments: a
#   missing strategy is RollingUpdate with 25%/25% (fails from 2 replicas
#   on); Recreate fails (every pod goes down at once). Percentages resolve
#   against spec.replicas (unset: 1; a Deployment scaled to 0 is judged at
#   1) as the Deployment controller does: maxUnavailable rounds down,
#   maxSurge rounds up, and when both resolve to 0 the controller uses
#   maxUnavailable 1. A spec.replicas that is not a number (a template
#   placeholder) is judged only on what does not depend on it (Recreate,
#   invalid values). DaemonSets: updateStrategy defaults to RollingUpdate
#   with 1/0; OnDelete fails (the controller never replaces pods);
#   percentages are of the nodes the DaemonSet runs on
#   (status.desiredNumberScheduled, only in a live scan) and both round up:
#   a DaemonSet whose verdict rests on a percentage is judged only in a live
#   scan (kube-prometheus's node-exporter `maxUnavailable: 10%` is one pod
#   at a time on up to 10 nodes), never reported from a manifest.
#   One finding per workload lists every problem, with the fields (and the
#   replica count) that decided it as evidence. StatefulSets are not judged:
#   they have no maxSurge and already update one pod at a time by default.
# custom:
#   id: HA-07
#   severity: low
#   controls: [CM-6, CP-10]
#   inputs: [Deployment, DaemonSet]
#   subjects: [Deployment, DaemonSet]
#   remediation: |
#     Set `spec.strategy` (DaemonSet: `spec.updateStrategy`) to
#     `type: RollingUpdate` with `rollingUpdate.maxUnavailable` and
#     `rollingUpdate.maxSurge` as absolute numbers equal to the organisation's
#     values (default `maxUnavailable: 1`, `maxSurge: 0`) when 2 or more
#     replicas run; with a single replica use `maxUnavailable: 0`,
#     `maxSurge: 1` so the only pod keeps serving during a rollout.
#   examples:
#     fail: |
#       # no strategy: RollingUpdate with maxUnavailable 25% / maxSurge 25%
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: razzee
#       spec:
#         replicas: 5
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#           spec:
#             containers:
#             - name: alb-api
#               image: registry.example.com/razzee/alb-api:3.2.0
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: razzee
#       spec:
#         replicas: 5
#         selector:
#           matchLabels:
#             app: alb-api
#         strategy:
#           type: RollingUpdate
#           rollingUpdate:
#             maxUnavailable: 1
#             maxSurge: 0
#         minReadySeconds: 10
#         template:
#           metadata:
#             labels:
#               app: alb-api
#           spec:
#             containers:
#             - name: alb-api
#               image: registry.example.com/razzee/alb-api:3.2.0
package meshaudit.rules.ha_07

import data.meshaudit.lib
import rego.v1

strategy_field := {"Deployment": "strategy", "DaemonSet": "updateStrategy"}

defaults := {
	"Deployment": {"maxUnavailable": "25%", "maxSurge": "25%"},
	"DaemonSet": {"maxUnavailable": 1, "maxSurge": 0},
}

param_of := {"maxUnavailable": "rollout_max_unavailable", "maxSurge": "rollout_max_surge"}

# Deployment rounding (pkg/controller/deployment/util ResolveFenceposts);
# a DaemonSet rounds both up.
round_up := {
	"Deployment": {"maxUnavailable": false, "maxSurge": true},
	"DaemonSet": {"maxUnavailable": true, "maxSurge": true},
}

want(f) := lib.params[param_of[f]]

want_text := sprintf("RollingUpdate with maxUnavailable %v and maxSurge %v", [want("maxUnavailable"), want("maxSurge")])

strategy(w) := lib.as_object(object.get(w.obj, ["spec", strategy_field[w.kind]], {}))

strategy_type(w) := t if {
	t := strategy(w).type
	t != null
} else := "RollingUpdate"

rolling_update(w) := lib.as_object(object.get(strategy(w), "rollingUpdate", {}))

# raw(w, f): [value, defaulted] of maxUnavailable / maxSurge.
raw(w, f) := [v, false] if {
	v := rolling_update(w)[f]
	v != null
} else := [defaults[w.kind][f], true]

# parsed(v): {"n": number, "pct": bool}; undefined for an invalid value.
parsed(v) := {"n": v, "pct": false} if is_number(v)

parsed(v) := {"n": to_number(trim_suffix(v, "%")), "pct": true} if {
	is_string(v)
	regex.match(`^[0-9]+%$`, v)
}

is_zero(v) if parsed(v).n == 0

# total(w): [count percentages resolve against, description]; undefined for
# a Deployment whose spec.replicas is not a number (a template placeholder)
# and for a DaemonSet without status (a manifest scan cannot know its node
# count).
total(w) := [n, sprintf("%d %s", [n, plural(n, "replica", "replicas")])] if {
	w.kind == "Deployment"
	n := w.obj.spec.replicas
	is_number(n)
	n >= 1
} else := [1, sprintf("1 replica (spec.replicas %v, judged at 1)", [w.obj.spec.replicas])] if {
	w.kind == "Deployment"
	is_number(w.obj.spec.replicas)
} else := [1, "1 replica (spec.replicas unset)"] if {
	w.kind == "Deployment"
	object.get(w.obj.spec, "replicas", null) == null
} else := [n, sprintf("%d scheduled %s", [n, plural(n, "node", "nodes")])] if {
	w.kind == "DaemonSet"
	n := w.obj.status.desiredNumberScheduled
	is_number(n)
}

plural(1, one, _) := one

plural(n, _, many) := many if n != 1

# resolved(w, f): the absolute number a value stands for.
resolved(w, f) := p.n if {
	[v, _] := raw(w, f)
	p := parsed(v)
	not p.pct
} else := 0 if {
	[v, _] := raw(w, f)
	parsed(v).n == 0
} else := n if {
	[v, _] := raw(w, f)
	p := parsed(v)
	[t, _] := total(w)
	round_up[w.kind][f]
	n := ceil((p.n * t) / 100)
} else := n if {
	[v, _] := raw(w, f)
	p := parsed(v)
	[t, _] := total(w)
	not round_up[w.kind][f]
	n := floor((p.n * t) / 100)
}

# fencepost: both resolve to 0, so the controller uses maxUnavailable 1.
fencepost(w) if {
	resolved(w, "maxUnavailable") == 0
	resolved(w, "maxSurge") == 0
}

effective(w, "maxUnavailable") := 1 if fencepost(w)

else := resolved(w, "maxUnavailable")

effective(w, "maxSurge") := resolved(w, "maxSurge")

# invalid_zero: both raw values are 0, which the API server rejects.
invalid_zero(w) if {
	[u, _] := raw(w, "maxUnavailable")
	[s, _] := raw(w, "maxSurge")
	is_zero(u)
	is_zero(s)
}

rolling(w) if strategy_type(w) == "RollingUpdate"

subjects contains w if {
	some w in lib.workloads
	w.kind in {"Deployment", "DaemonSet"}
	lib.in_scope(w.namespace)
}

# ---- replica-aware targets ---------------------------------------------------------

# single(w): a Deployment that runs one pod: a rollout must keep it serving
# (maxUnavailable resolving to 0, so the replacement starts first). The
# organisation's values (default 1/0) apply from 2 replicas on, and to
# DaemonSets. "Run 2 or more replicas" is HA-05's finding, not this rule's.
single(w) if {
	w.kind == "Deployment"
	total(w)[0] == 1
}

several(w) if w.kind == "DaemonSet"

several(w) if {
	w.kind == "Deployment"
	[n, _] := total(w)
	n >= 2
}

single_want_text := "maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready"

want_for(w) := want_text if several(w)

else := sprintf("RollingUpdate with %s", [single_want_text]) if single(w)

else := sprintf("RollingUpdate (%s with 2 or more replicas, %s with one)", [sprintf("maxUnavailable %v and maxSurge %v", [want("maxUnavailable"), want("maxSurge")]), "maxUnavailable 0 and maxSurge 1"])

# ---- evidence --------------------------------------------------------------------

strategy_path(w) := sprintf("spec.%s", [strategy_field[w.kind]])

field_path(w, f) := sprintf("%s.rollingUpdate.%s", [strategy_path(w), f])

# field_evidence: the field and its value; no value when defaulted (absent).
field_evidence(w, f) := {"path": field_path(w, f)} if {
	raw(w, f)[1] == true
} else := {"path": field_path(w, f), "value": raw(w, f)[0]}

count_evidence(w) := {"path": "spec.replicas", "value": w.obj.spec.replicas} if {
	w.kind == "Deployment"
	object.get(w.obj.spec, "replicas", null) != null
} else := {"path": "spec.replicas"} if {
	w.kind == "Deployment"
} else := {"path": "status.desiredNumberScheduled", "value": w.obj.status.desiredNumberScheduled} if {
	object.get(w.obj, ["status", "desiredNumberScheduled"], null) != null
} else := {"path": "status.desiredNumberScheduled"}

# ---- problems (one finding per workload lists them all) --------------------------

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s type %v, want %s", [strategy_field[w.kind], strategy_type(w), want_for(w)]),
	"evidence": [{"path": sprintf("%s.type", [strategy_path(w)]), "value": strategy_type(w)}],
} if {
	some w in subjects
	not rolling(w)
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("maxUnavailable and maxSurge are both 0, which Kubernetes rejects (a rollout could never progress), want %s", [trim_prefix(want_for(w), "RollingUpdate with ")]),
	"evidence": [field_evidence(w, "maxUnavailable"), field_evidence(w, "maxSurge")],
} if {
	some w in subjects
	rolling(w)
	invalid_zero(w)
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s %s is neither a number nor a percentage, want %s", [f, json.marshal(v), valid_want(w, f)]),
	"evidence": [field_evidence(w, f)],
	"order": order[f],
} if {
	some w in subjects
	rolling(w)
	some f in ["maxUnavailable", "maxSurge"]
	[v, _] := raw(w, f)
	not parsed(v)
}

order := {"maxUnavailable": 0, "maxSurge": 1}

valid_want(w, f) := sprintf("%v", [want(f)]) if several(w)

else := sprintf("%v", [{"maxUnavailable": 0, "maxSurge": 1}[f]]) if single(w)

else := "a number or a percentage"

# value_text: "maxUnavailable 25% (default)".
value_text(w, f) := sprintf("%s %v%s", [f, v, suffix]) if {
	[v, defaulted] := raw(w, f)
	suffix := {true: " (default)", false: ""}[defaulted]
}

resolution_text(w, f) := sprintf(" resolves to %v of %s", [resolved(w, f), desc]) if {
	[v, _] := raw(w, f)
	parsed(v).pct
	[_, desc] := total(w)
} else := ""

fencepost_text(w, "maxUnavailable") := ", raised to 1 because maxSurge is also 0" if fencepost(w)

else := ""

fencepost_text(_, "maxSurge") := ""

pct_evidence(w, f) := [count_evidence(w)] if {
	[v, _] := raw(w, f)
	parsed(v).pct
} else := []

# Two or more pods (and DaemonSets): the organisation's values.
problems contains {
	"resource": w.resource,
	"msg": sprintf("%s%s%s, want %v", [value_text(w, f), resolution_text(w, f), fencepost_text(w, f), want(f)]),
	"evidence": array.concat([field_evidence(w, f)], pct_evidence(w, f)),
	"order": order[f],
} if {
	some w in subjects
	several(w)
	rolling(w)
	not invalid_zero(w)
	some f in ["maxUnavailable", "maxSurge"]
	effective(w, f) != want(f)
}

# One pod: a rollout that takes it down before its replacement is ready is
# an outage; maxUnavailable resolving to 0 (the 25%/25% default on one
# replica does) keeps it serving.
problems contains {
	"resource": w.resource,
	"msg": sprintf("%s%s%s: with %s a rollout stops the only pod before its replacement is ready, want %s", [value_text(w, "maxUnavailable"), resolution_text(w, "maxUnavailable"), fencepost_text(w, "maxUnavailable"), desc, single_want_text]),
	"evidence": [field_evidence(w, "maxUnavailable"), field_evidence(w, "maxSurge"), count_evidence(w)],
} if {
	some w in subjects
	single(w)
	rolling(w)
	not invalid_zero(w)
	effective(w, "maxUnavailable") > 0
	[_, desc] := total(w)
}

# undecided(w): a DaemonSet whose rollout is a share of its nodes, which only
# a live scan knows (status.desiredNumberScheduled): 10% is one pod at a
# time on up to 10 nodes and more beyond. Not judged on it (no verdict
# without the deciding fact; a live scan of the same object decides it).
undecided(w) if {
	w.kind == "DaemonSet"
	rolling(w)
	not invalid_zero(w)
	some f in ["maxUnavailable", "maxSurge"]
	[v, _] := raw(w, f)
	parsed(v).pct
	not resolved(w, f)
}

deny contains f if some f in lib.findings_per_subject(problems)

# ---- verdict -----------------------------------------------------------------------

failed := {p.resource | some p in problems}

# judged: every Deployment and DaemonSet whose rollout could be decided: a
# DaemonSet, a Deployment with a known replica count, and any with a
# problem that does not depend on it (Recreate, invalid values). A
# Deployment whose spec.replicas is a template placeholder and whose
# strategy is valid is not judged: its verdict depends on the count.
judged contains w.resource if {
	some w in subjects
	w.kind == "DaemonSet"
	not undecided(w)
}

judged contains w.resource if {
	some w in subjects
	total(w)
}

judged contains w.resource if {
	some w in subjects
	w.resource in failed
}

not_applicable contains sprintf("spec.replicas of Deployment %s/%s is %s, not a number (a template placeholder), and whether its rollout keeps serving depends on it", [w.namespace, lib.name(w.obj), json.marshal(w.obj.spec.replicas)]) if {
	count(judged) == 0
	some w in subjects
	not total(w)
}

not_applicable contains sprintf("only a live scan can tell how many pods a rollout of DaemonSet %s/%s takes down: %s", [w.namespace, lib.name(w.obj), concat(", ", [sprintf("%s is a share of the nodes it runs on (status.desiredNumberScheduled)", [value_text(w, f)]) |
	some f in ["maxUnavailable", "maxSurge"]
	[v, _] := raw(w, f)
	parsed(v).pct
	not resolved(w, f)
])]) if {
	count(judged) == 0
	some w in subjects
	undecided(w)
}
