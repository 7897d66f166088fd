package meshaudit.rules.ha_05_test

import data.meshaudit.lib
import data.meshaudit.rules.ha_05
import data.meshaudit.testlib
import rego.v1

zone_tsc(sel) := {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": sel}]}

workload(kind, spec, podspec) := {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": object.union(spec, {"template": {
		"metadata": {"labels": {"app": "web", "tier": "front"}},
		"spec": object.union({"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}, podspec),
	}}),
}

deploy(spec, podspec) := workload("Deployment", spec, podspec)

spread := zone_tsc({"matchLabels": {"app": "web"}})

hpa(min) := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": {"name": "web-hpa", "namespace": "shop"},
	"spec": object.union({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}, "maxReplicas": 10}, min),
}

msgs(objs) := {f.msg | some f in ha_05.deny with input as testlib.inp(objs)}

no_spread := "pods are not spread across zones: no topologySpreadConstraint or podAntiAffinity term with topologyKey topology.kubernetes.io/zone selects the workload's own pods"

test_replicas_and_spread_pass if {
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3}, spread)]})
}

test_single_replica_fails if {
	ha_05.deny == {{
		"msg": concat("; ", ["spec.replicas 1, want at least 2", no_spread]),
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.replicas", "value": 1},
			{"path": "spec.template.spec.topologySpreadConstraints"},
		],
	}} with input as testlib.inp({"Deployment": [deploy({"replicas": 1}, {})]})
	ha_05.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [deploy({"replicas": 1}, {})]})
}

test_unset_replicas_default_to_one if {
	msgs({"Deployment": [deploy({}, spread)]}) == {"spec.replicas unset (defaults to 1), want at least 2"}
}

test_hpa_min_replicas_counts if {
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 1}, spread)], "HorizontalPodAutoscaler": [hpa({"minReplicas": 2})]})
	msgs({"Deployment": [deploy({"replicas": 5}, spread)], "HorizontalPodAutoscaler": [hpa({})]}) == {"HorizontalPodAutoscaler shop/web-hpa minReplicas 1, want at least 2"}
}

test_min_replicas_parameter if {
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 1}, {})]})
		with data.meshaudit.params as object.union(lib.params, {"min_replicas": 1})
}

test_min_replicas_parameter_three if {
	ds := ha_05.deny with input as testlib.inp({"Deployment": [deploy({"replicas": 2}, spread)]})
		with data.meshaudit.params as object.union(lib.params, {"min_replicas": 3})
	{f.msg | some f in ds} == {"spec.replicas 2, want at least 3"}
}

test_statefulset_judged if {
	s := workload("StatefulSet", {"replicas": 1}, spread)
	testlib.strip(ha_05.deny) == {{"msg": "spec.replicas 1, want at least 2", "resource": {"apiVersion": "apps/v1", "kind": "StatefulSet", "namespace": "shop", "name": "web"}}} with input as testlib.inp({"StatefulSet": [s]})
}

test_anti_affinity_on_zone_passes if {
	required := {"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchLabels": {"app": "web"}}}]}}}
	preferred := {"affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": {"topologyKey": "topology.kubernetes.io/zone", "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}}}]}}}
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 2}, required)]})
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 2}, preferred)]})
}

# Hostname spread keeps all pods possibly in one zone.
test_hostname_spread_fails if {
	tsc := {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchLabels": {"app": "web"}}}]}
	msgs({"Deployment": [deploy({"replicas": 3}, tsc)]}) == {no_spread}
}

# A selector that does not select the workload's own pods spreads nothing.
test_foreign_selector_fails if {
	msgs({"Deployment": [deploy({"replicas": 3}, zone_tsc({"matchLabels": {"app": "other"}}))]}) == {no_spread}
	msgs({"Deployment": [deploy({"replicas": 3}, zone_tsc({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}))]}) == {no_spread}
	msgs({"Deployment": [deploy({"replicas": 3}, {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}]})]}) == {no_spread}
}

test_match_expressions_select if {
	sel := {"matchExpressions": [{"key": "app", "operator": "Exists"}, {"key": "canary", "operator": "DoesNotExist"}, {"key": "tier", "operator": "NotIn", "values": ["back"]}]}
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3}, zone_tsc(sel))]})
}

test_scaled_to_zero_not_judged if {
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 0}, {})]})
}

# A template placeholder: the count is not in the input; the spread (needed
# whatever the count with min_replicas 2) is still judged. Never unknown.
test_non_numeric_replicas_not_judged_on_count if {
	d := deploy({"replicas": "#int {{ armada.FIVE }}"}, spread)
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [d]})
	not ha_05.unknown with input as testlib.inp({"Deployment": [d]})
	ha_05.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [d]})
	p := object.union(lib.params, {"min_replicas": 1})
	count(ha_05.judged) == 0 with input as testlib.inp({"Deployment": [d]}) with data.meshaudit.params as p
	ha_05.not_applicable == {"Deployment shop/web: spec.replicas \"#int {{ armada.FIVE }}\" is not a number (a template placeholder), so its replica count is not in the input"} with input as testlib.inp({"Deployment": [d]}) with data.meshaudit.params as p
}

test_hpa_evidence if {
	{f.evidence | some f in ha_05.deny} == {[{"path": "spec.minReplicas", "value": 1, "resource": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "namespace": "shop", "name": "web-hpa"}}]} with input as testlib.inp({"Deployment": [deploy({"replicas": 5}, spread)], "HorizontalPodAutoscaler": [hpa({})]})
}

test_other_kinds_not_judged if {
	ds := object.union(workload("DaemonSet", {}, {}), {"kind": "DaemonSet"})
	count(ha_05.deny) == 0 with input as testlib.inp({"DaemonSet": [ds]})
}

test_excluded_namespace_skipped if {
	d := object.union(deploy({"replicas": 1}, {}), {"metadata": {"namespace": "kube-system"}})
	count(ha_05.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}
