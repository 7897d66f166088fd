# METADATA
# title: Rolling updates take one pod down at a time without surge
# description: |
#   The talk's HA microservice guideline (after its thundering-herd restart
#   problems): roll out with a RollingUpdate strategy whose maxUnavailable and
#   maxSurge are the organisation's values (default 1 and 0), so a rollout
#   replaces one pod at a time and never adds pods beyond the planned
#   capacity. Deployments: a missing strategy is RollingUpdate with 25%/25%,
#   which fails; Recreate fails (every pod goes down at once). Percentages
#   resolve against spec.replicas (default 1, also when not a number; a
#   Deployment scaled to 0 is judged at 1) as the Deployment controller does:
#   maxUnavailable rounds down, maxSurge rounds up, and when both resolve to 0
#   the controller uses maxUnavailable 1. DaemonSets: updateStrategy defaults
#   to RollingUpdate with 1/0; OnDelete fails (the controller never replaces
#   pods); percentages are of the nodes the DaemonSet runs on
#   (status.desiredNumberScheduled, only in a live scan) and both round up.
#   StatefulSets are not judged: they have no maxSurge and already update one
#   pod at a time by default.
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
#     values (default `maxUnavailable: 1`, `maxSurge: 0`).
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

# workloads: lib.workloads plus a workaround for a lib bug. lib.workloads
# calls object.get on the pod template's metadata, so a template with
# `metadata: null` (an empty `metadata:` line in YAML, which Kubernetes
# accepts) raises a type error and, outside strict evaluation, silently drops
# the workload and its findings. Those workloads are added here in lib's
# shape (no template labels or annotations to read); once lib is fixed the
# union changes nothing.
workloads := lib.workloads | null_meta_workloads

null_meta_workloads contains w if {
	some k in lib.workload_kinds
	some obj in lib.objects(k)
	not lib.owned(obj)
	t := lib.pod_template(obj)
	is_object(t)
	object.get(t, "metadata", {}) == null
	spec := object.get(t, "spec", {})
	is_object(spec)
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": lib.ns(obj),
		"resource": lib.resource(obj),
		"labels": {},
		"annotations": {},
		"spec": spec,
	}
}

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

# as_object: v if it is an object, else {}.
as_object(v) := v if is_object(v)

else := {}

strategy(w) := as_object(object.get(w.obj, ["spec", strategy_field[w.kind]], {}))

strategy_type(w) := t if {
	t := strategy(w).type
	t != null
} else := "RollingUpdate"

rolling_update(w) := as_object(object.get(strategy(w), "rollingUpdate", {}))

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
# a DaemonSet without status (a manifest scan cannot know its node count).
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
} else := [1, sprintf("1 replica (spec.replicas %v is not a number)", [w.obj.spec.replicas])] if {
	w.kind == "Deployment"
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

judged(w) if {
	w.kind in {"Deployment", "DaemonSet"}
	lib.in_scope(w.namespace)
}

deny contains {
	"msg": sprintf("%s type %v, want %s", [strategy_field[w.kind], strategy_type(w), want_text]),
	"resource": w.resource,
} if {
	some w in workloads
	judged(w)
	not rolling(w)
}

deny contains {
	"msg": sprintf("maxUnavailable and maxSurge are both 0, which Kubernetes rejects (a rollout could never progress), want maxUnavailable %v and maxSurge %v", [want("maxUnavailable"), want("maxSurge")]),
	"resource": w.resource,
} if {
	some w in workloads
	judged(w)
	rolling(w)
	invalid_zero(w)
}

deny contains {
	"msg": sprintf("%s %s is neither a number nor a percentage, want %v", [f, json.marshal(v), want(f)]),
	"resource": w.resource,
} if {
	some w in workloads
	judged(w)
	rolling(w)
	some f in ["maxUnavailable", "maxSurge"]
	[v, _] := raw(w, f)
	not parsed(v)
}

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

deny contains {
	"msg": sprintf("%s%s%s, want %v", [value_text(w, f), resolution_text(w, f), fencepost_text(w, f), want(f)]),
	"resource": w.resource,
} if {
	some w in workloads
	judged(w)
	rolling(w)
	not invalid_zero(w)
	some f in ["maxUnavailable", "maxSurge"]
	effective(w, f) != want(f)
}

# A DaemonSet percentage cannot be resolved without its node count.
deny contains {
	"msg": sprintf("%s is a share of the nodes the DaemonSet runs on, unknown without status.desiredNumberScheduled, want the absolute number %v", [value_text(w, f), want(f)]),
	"resource": w.resource,
} if {
	some w in workloads
	judged(w)
	rolling(w)
	not invalid_zero(w)
	some f in ["maxUnavailable", "maxSurge"]
	[v, _] := raw(w, f)
	parsed(v)
	not resolved(w, f)
}
