package meshaudit.rules.ha_07_test

import data.meshaudit.lib
import data.meshaudit.rules.ha_07
import data.meshaudit.testlib
import rego.v1

tmpl := {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0"}]}}

deploy(extra) := object.union(
	{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"template": tmpl},
	},
	{"spec": extra},
)

rolling(u, s) := {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": u, "maxSurge": s}}

run(extra) := d if {
	d := ha_07.deny with input as testlib.inp({"Deployment": [deploy(extra)]})
}

msgs(extra) := {f.msg | some f in run(extra)}

msg(extra) := m if {
	d := run(extra)
	count(d) == 1
	some f in d
	m := f.msg
}

judged(extra) := j if {
	j := ha_07.judged with input as testlib.inp({"Deployment": [deploy(extra)]})
}

test_talk_strategy_passes if {
	count(run({"replicas": 5, "strategy": rolling(1, 0)})) == 0
	judged({"replicas": 5, "strategy": rolling(1, 0)}) == {testlib.deployment_ref("shop", "web")}
}

# The talk's own manifest: replicas is a template string, not a number: no
# finding, and not judged either (the verdict depends on the count).
test_talk_manifest_with_string_replicas_not_judged if {
	extra := {"replicas": "#int {{ armada.armada-replicas-configmap.FIVE }}", "strategy": rolling(1, 0)}
	count(run(extra)) == 0
	count(judged(extra)) == 0
	na := ha_07.not_applicable with input as testlib.inp({"Deployment": [deploy(extra)]})
	na == {`spec.replicas of Deployment shop/web is "#int {{ armada.armada-replicas-configmap.FIVE }}", not a number (a template placeholder), and whether its rollout keeps serving depends on it`}
}

# One finding per workload, every problem listed, with evidence.
test_missing_strategy_fails_on_25_percent_defaults if {
	run({"replicas": 3}) == {{
		"msg": "maxUnavailable 25% (default) resolves to 0 of 3 replicas, want 1; maxSurge 25% (default) resolves to 1 of 3 replicas, want 0",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.strategy.rollingUpdate.maxUnavailable"},
			{"path": "spec.replicas", "value": 3},
			{"path": "spec.strategy.rollingUpdate.maxSurge"},
			{"path": "spec.replicas", "value": 3},
		],
	}}
	judged({"replicas": 3}) == {testlib.deployment_ref("shop", "web")}
}

test_rolling_update_without_values_uses_defaults if {
	msg({"replicas": 8, "strategy": {"type": "RollingUpdate"}}) == "maxUnavailable 25% (default) resolves to 2 of 8 replicas, want 1; maxSurge 25% (default) resolves to 2 of 8 replicas, want 0"
}

# Each missing field defaults on its own.
test_missing_surge_defaults_to_25_percent if {
	msg({"replicas": 3, "strategy": {"rollingUpdate": {"maxUnavailable": 1}}}) == "maxSurge 25% (default) resolves to 1 of 3 replicas, want 0"
}

test_recreate_fails if {
	run({"replicas": 3, "strategy": {"type": "Recreate"}}) == {{
		"msg": "strategy type Recreate, want RollingUpdate with maxUnavailable 1 and maxSurge 0",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [{"path": "spec.strategy.type", "value": "Recreate"}],
	}}
}

# Recreate with a single replica: the fix that keeps the pod serving.
test_recreate_single_replica_fails_with_safe_fix if {
	msg({"replicas": 1, "strategy": {"type": "Recreate"}}) == "strategy type Recreate, want RollingUpdate with maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready"
	msg({"replicas": "{{ .Values.replicas }}", "strategy": {"type": "Recreate"}}) == "strategy type Recreate, want RollingUpdate (maxUnavailable 1 and maxSurge 0 with 2 or more replicas, maxUnavailable 0 and maxSurge 1 with one)"
	judged({"replicas": "{{ .Values.replicas }}", "strategy": {"type": "Recreate"}}) == {testlib.deployment_ref("shop", "web")}
}

test_absolute_values_compared if {
	msg({"replicas": 10, "strategy": rolling(2, 1)}) == "maxUnavailable 2, want 1; maxSurge 1, want 0"
}

# maxUnavailable rounds down, maxSurge rounds up.
test_percentages_resolved_against_replicas if {
	count(run({"replicas": 4, "strategy": rolling("25%", "0%")})) == 0
	count(run({"replicas": 10, "strategy": rolling("19%", 0)})) == 0
	msg({"replicas": 10, "strategy": rolling("20%", "1%")}) == "maxUnavailable 20% resolves to 2 of 10 replicas, want 1; maxSurge 1% resolves to 1 of 10 replicas, want 0"
}

# Issue 14: one replica with the default strategy (25%/25% resolves to
# unavailable 0, surge 1) keeps the pod serving: no finding, and never the
# advice maxUnavailable 1 / maxSurge 0, which would stop the only pod.
test_single_replica_default_strategy_passes if {
	count(run({})) == 0
	count(run({"replicas": 1})) == 0
	count(run({"replicas": 1, "strategy": {"type": "RollingUpdate"}})) == 0
	count(run({"replicas": 1, "strategy": rolling(0, 1)})) == 0
	count(run({"replicas": 1, "strategy": rolling("50%", "50%")})) == 0
	judged({"replicas": 1}) == {testlib.deployment_ref("shop", "web")}
	judged({}) == {testlib.deployment_ref("shop", "web")}
}

test_single_replica_never_advised_an_outage if {
	run({"replicas": 1, "strategy": rolling(1, 0)}) == {{
		"msg": "maxUnavailable 1: with 1 replica a rollout stops the only pod before its replacement is ready, want maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.strategy.rollingUpdate.maxUnavailable", "value": 1},
			{"path": "spec.strategy.rollingUpdate.maxSurge", "value": 0},
			{"path": "spec.replicas", "value": 1},
		],
	}}
	msg({"strategy": rolling("25%", 0)}) == "maxUnavailable 25% resolves to 0 of 1 replica (spec.replicas unset), raised to 1 because maxSurge is also 0: with 1 replica (spec.replicas unset) a rollout stops the only pod before its replacement is ready, want maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready"
	every f in run({"replicas": 1, "strategy": rolling(1, 0)}) {
		not contains(f.msg, "want 1")
		not contains(f.msg, "want 0;")
	}
}

# A template placeholder replica count: absolute values that fit any count
# are not judged; percentages cannot be resolved.
test_non_numeric_replicas if {
	count(run({"replicas": "3", "strategy": rolling(2, "10%")})) == 0
	count(judged({"replicas": "3", "strategy": rolling(2, "10%")})) == 0
}

# Both resolving to 0: the controller uses maxUnavailable 1, which is what
# the default parameters ask for.
test_fencepost_counts_as_one if {
	count(run({"replicas": 3, "strategy": rolling("25%", 0)})) == 0
	msg({"replicas": 3, "strategy": rolling("25%", 0)}) == "maxUnavailable 25% resolves to 0 of 3 replicas, raised to 1 because maxSurge is also 0, want 2" with data.meshaudit.params as object.union(lib.params, {"rollout_max_unavailable": 2})
}

test_both_zero_rejected if {
	run({"replicas": 3, "strategy": rolling(0, "0%")}) == {{
		"msg": "maxUnavailable and maxSurge are both 0, which Kubernetes rejects (a rollout could never progress), want maxUnavailable 1 and maxSurge 0",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.strategy.rollingUpdate.maxUnavailable", "value": 0},
			{"path": "spec.strategy.rollingUpdate.maxSurge", "value": "0%"},
		],
	}}
	msg({"replicas": 1, "strategy": rolling(0, 0)}) == "maxUnavailable and maxSurge are both 0, which Kubernetes rejects (a rollout could never progress), want maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready"
}

# A Deployment scaled to 0 is judged at 1 replica: the default strategy
# keeps that one pod serving.
test_zero_replicas_judged_at_one if {
	count(run({"replicas": 0})) == 0
	judged({"replicas": 0}) == {testlib.deployment_ref("shop", "web")}
	msg({"replicas": 0, "strategy": rolling(1, 0)}) == "maxUnavailable 1: with 1 replica (spec.replicas 0, judged at 1) a rollout stops the only pod before its replacement is ready, want maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready"
}

test_invalid_value if {
	msg({"replicas": 3, "strategy": rolling("one", 0)}) == "maxUnavailable \"one\" is neither a number nor a percentage, want 1"
	msg({"replicas": 1, "strategy": rolling("one", 1)}) == "maxUnavailable \"one\" is neither a number nor a percentage, want 0"
}

test_parameters_respected if {
	p := object.union(lib.params, {"rollout_max_unavailable": 2, "rollout_max_surge": 1})
	count(run({"replicas": 10, "strategy": rolling(2, "10%")})) == 0 with data.meshaudit.params as p
	msg({"replicas": 10, "strategy": rolling(1, 0)}) == "maxUnavailable 1, want 2; maxSurge 0, want 1" with data.meshaudit.params as p
	msg({"replicas": 2, "strategy": {"type": "Recreate"}}) == "strategy type Recreate, want RollingUpdate with maxUnavailable 2 and maxSurge 1" with data.meshaudit.params as p
}

daemonset(extra) := object.union(
	{
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {"name": "agent", "namespace": "shop"},
		"spec": {"template": tmpl},
	},
	extra,
)

ds_msgs(extra) := {f.msg | some f in d} if {
	d := ha_07.deny with input as testlib.inp({"DaemonSet": [daemonset(extra)]})
	every f in d {
		f.resource == {"apiVersion": "apps/v1", "kind": "DaemonSet", "namespace": "shop", "name": "agent"}
	}
}

# DaemonSets default to RollingUpdate 1/0.
test_daemonset_defaults_pass if {
	count(ds_msgs({})) == 0
	count(ds_msgs({"spec": {"updateStrategy": {"type": "RollingUpdate"}}})) == 0
}

test_daemonset_on_delete_fails if {
	ds_msgs({"spec": {"updateStrategy": {"type": "OnDelete"}}}) == {"updateStrategy type OnDelete, want RollingUpdate with maxUnavailable 1 and maxSurge 0"}
}

test_daemonset_values if {
	ds_msgs({"spec": {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 3}}}}) == {"maxUnavailable 3, want 1"}
	ds_msgs({"spec": {"updateStrategy": {"rollingUpdate": {"maxUnavailable": 3, "maxSurge": 1}}}}) == {"maxUnavailable 3, want 1; maxSurge 1, want 0"}
	ds_msgs({"spec": {"updateStrategy": {"rollingUpdate": {"maxSurge": 1}}}}) == {"maxSurge 1, want 0"}
}

# DaemonSet percentages are of its nodes and round up; without status the
# node count is unknown: not judged on it (issue 14 precision: a manifest
# cannot tell, and a live scan of a small cluster passes it).
test_daemonset_percentages if {
	count(ds_msgs({"spec": {"updateStrategy": rolling("10%", 0)}})) == 0
	count(ds_msgs({"spec": {"updateStrategy": rolling("10%", 0)}, "status": {"desiredNumberScheduled": 7}})) == 0
	ds_msgs({"spec": {"updateStrategy": rolling("10%", 0)}, "status": {"desiredNumberScheduled": 12}}) == {"maxUnavailable 10% resolves to 2 of 12 scheduled nodes, want 1"}
}

test_statefulsets_and_others_not_judged if {
	sts := {
		"apiVersion": "apps/v1", "kind": "StatefulSet",
		"metadata": {"name": "db", "namespace": "shop"},
		"spec": {"updateStrategy": {"type": "OnDelete"}, "template": tmpl},
	}
	rs := {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs", "namespace": "shop"}, "spec": {"template": tmpl}}
	count(ha_07.deny) == 0 with input as testlib.inp({"StatefulSet": [sts], "ReplicaSet": [rs]})
}

test_excluded_namespace_ignored if {
	d := object.union(deploy({"strategy": {"type": "Recreate"}}), {"metadata": {"namespace": "kube-system"}})
	count(ha_07.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}

test_owned_replicaset_not_reported if {
	rs := {
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": {"name": "web-5d8", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
		"spec": {"template": tmpl},
	}
	ha_07.deny == {{
		"msg": "strategy type Recreate, want RollingUpdate with maxUnavailable 0 and maxSurge 1, so the only pod keeps serving until its replacement is ready",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [{"path": "spec.strategy.type", "value": "Recreate"}],
	}} with input as testlib.inp({"Deployment": [deploy({"strategy": {"type": "Recreate"}})], "ReplicaSet": [rs]})
}

test_null_strategy_is_default if {
	msg({"replicas": 4, "strategy": null}) == "maxSurge 25% (default) resolves to 1 of 4 replicas, want 0"
}

# A template with `metadata: null` is judged: lib.workloads reads a null
# field as absent, as the collectors do.
test_template_with_null_metadata_still_checked if {
	d := object.union(deploy({"replicas": 2, "strategy": {"type": "Recreate"}}), {"spec": {"template": {"metadata": null}}})
	ha_07.deny == {{
		"msg": "strategy type Recreate, want RollingUpdate with maxUnavailable 1 and maxSurge 0",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [{"path": "spec.strategy.type", "value": "Recreate"}],
	}} with input as testlib.inp({"Deployment": [d]})
}

# A DaemonSet whose rollout is a percentage of unknown nodes is not judged
# in a manifest scan: not applicable, saying only a live scan can tell; a
# problem that does not depend on the count is still reported.
test_daemonset_percentage_not_judged_in_manifests if {
	i := testlib.inp({"DaemonSet": [daemonset({"spec": {"updateStrategy": rolling("10%", 0)}})]})
	count(ha_07.judged) == 0 with input as i
	ha_07.not_applicable == {"only a live scan can tell how many pods a rollout of DaemonSet shop/agent takes down: maxUnavailable 10% is a share of the nodes it runs on (status.desiredNumberScheduled)"} with input as i
	i2 := testlib.inp({"DaemonSet": [daemonset({"spec": {"updateStrategy": rolling("10%", 2)}})]})
	ha_07.judged == {{"apiVersion": "apps/v1", "kind": "DaemonSet", "namespace": "shop", "name": "agent"}} with input as i2
	{f.msg | some f in ha_07.deny} == {"maxSurge 2, want 0"} with input as i2
}
