package meshaudit.rules.ha_06_test

import data.meshaudit.rules.ha_06
import data.meshaudit.testlib
import rego.v1

workload(kind, spec) := {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": object.union(spec, {"template": {
		"metadata": {"labels": {"app": "web", "tier": "front"}},
		"spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
	}}),
}

deploy(spec) := workload("Deployment", spec)

pdb(name, spec) := {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": "shop"}, "spec": spec}

web_sel := {"matchLabels": {"app": "web"}}

hpa(spec) := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": object.union({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}}, spec),
}

test_evidence if {
	ha_06.deny == {{
		"msg": "no PodDisruptionBudget selects its pods (spec.replicas 3), so a drain may evict all of them at once; add one with maxUnavailable: 1",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [{"path": "PodDisruptionBudget selecting the pods of Deployment shop/web", "value": 0}],
	}} with input as testlib.inp({"Deployment": [deploy({"replicas": 3})]})
	ha_06.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [deploy({"replicas": 3})]})
	count(ha_06.judged) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 1})]})
}

# Two budgets, one of them with maxUnavailable 0: one finding, low.
test_one_finding_per_workload if {
	d := ha_06.deny with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [
		pdb("web", {"maxUnavailable": 0, "selector": web_sel}),
		pdb("all", {"maxUnavailable": 1, "selector": {}}),
	]})
	count(d) == 1
	some f in d
	f.severity == "low"
	f.msg == "PodDisruptionBudget shop/web has maxUnavailable 0, so no pod may ever be evicted and node drains block; set maxUnavailable: 1; its pods are selected by 2 PodDisruptionBudgets (shop/all, shop/web), so the eviction API refuses to evict them and node drains block; keep one"
	{"path": "spec.maxUnavailable", "value": 0, "resource": {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "namespace": "shop", "name": "web"}} in f.evidence
	count(f.evidence) == 3
}

msgs(objs) := {f.msg | some f in ha_06.deny with input as testlib.inp(objs)}

test_pdb_selects_passes if {
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"maxUnavailable": 1, "selector": web_sel})]})
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"minAvailable": 2, "selector": web_sel})]})
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"minAvailable": "50%", "selector": web_sel})]})
}

test_missing_pdb_fails if {
	testlib.strip(ha_06.deny) == {{
		"msg": "no PodDisruptionBudget selects its pods (spec.replicas 3), so a drain may evict all of them at once; add one with maxUnavailable: 1",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [deploy({"replicas": 3})]})
}

test_pdb_in_other_namespace_or_selector_does_not_count if {
	other := object.union(pdb("web", {"maxUnavailable": 1, "selector": web_sel}), {"metadata": {"namespace": "other"}})
	count(ha_06.deny) == 1 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [other]})
	count(ha_06.deny) == 1 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("x", {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web", "v": "2"}}})]})
	count(ha_06.deny) == 1 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("x", {"maxUnavailable": 1})]})
}

# policy/v1: an empty selector selects every pod of the namespace.
test_empty_selector_selects_all if {
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("all", {"maxUnavailable": 1, "selector": {}})]})
}

test_match_expressions if {
	sel := {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("x", {"maxUnavailable": 1, "selector": sel})]})
}

test_single_replica_not_judged if {
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 1})]})
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({})]})
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy({"replicas": 0})], "HorizontalPodAutoscaler": [hpa({"maxReplicas": 5})]})
}

test_hpa_max_replicas_makes_it_multi if {
	msgs({"Deployment": [deploy({"replicas": 1})], "HorizontalPodAutoscaler": [hpa({"minReplicas": 1, "maxReplicas": 5})]}) == {"no PodDisruptionBudget selects its pods (HorizontalPodAutoscaler maxReplicas 5), so a drain may evict all of them at once; add one with maxUnavailable: 1"}
}

test_non_numeric_replicas_judged if {
	msgs({"Deployment": [deploy({"replicas": "{{ .Values.replicas }}"})]}) == {"no PodDisruptionBudget selects its pods (spec.replicas \"{{ .Values.replicas }}\"), so a drain may evict all of them at once; add one with maxUnavailable: 1"}
	msgs({"Deployment": [deploy({"replicas": "{{ .Values.replicas }}"})], "PodDisruptionBudget": [pdb("web", {"minAvailable": "100%", "selector": web_sel})]}) == {"PodDisruptionBudget shop/web has minAvailable 100%, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)"}
	msgs({"Deployment": [deploy({"replicas": "{{ .Values.replicas }}"})], "PodDisruptionBudget": [pdb("web", {"minAvailable": 2, "selector": web_sel})]}) == set()
}

test_statefulset_judged if {
	testlib.strip(ha_06.deny) == {{
		"msg": "no PodDisruptionBudget selects its pods (spec.replicas 3), so a drain may evict all of them at once; add one with maxUnavailable: 1",
		"resource": {"apiVersion": "apps/v1", "kind": "StatefulSet", "namespace": "shop", "name": "web"},
	}} with input as testlib.inp({"StatefulSet": [workload("StatefulSet", {"replicas": 3})]})
}

test_max_unavailable_zero_blocks_drains if {
	testlib.strip(ha_06.deny) == {{
		"msg": "PodDisruptionBudget shop/web has maxUnavailable 0, so no pod may ever be evicted and node drains block; set maxUnavailable: 1",
		"resource": testlib.deployment_ref("shop", "web"),
		"severity": "low",
	}} with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"maxUnavailable": 0, "selector": web_sel})]})
	msgs({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"maxUnavailable": "0%", "selector": web_sel})]}) == {"PodDisruptionBudget shop/web has maxUnavailable 0%, so no pod may ever be evicted and node drains block; set maxUnavailable: 1"}
}

test_min_available_equal_replicas_blocks_drains if {
	testlib.strip(ha_06.deny) == {{
		"msg": "PodDisruptionBudget shop/web has minAvailable 3 with 3 replicas, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)",
		"resource": testlib.deployment_ref("shop", "web"),
		"severity": "low",
	}} with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"minAvailable": 3, "selector": web_sel})]})
}

# 51% of 2 rounds up to 2.
test_min_available_percent_rounds_up if {
	msgs({"Deployment": [deploy({"replicas": 2})], "PodDisruptionBudget": [pdb("web", {"minAvailable": "51%", "selector": web_sel})]}) == {"PodDisruptionBudget shop/web has minAvailable 51% with 2 replicas, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)"}
	msgs({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [pdb("web", {"minAvailable": "100%", "selector": web_sel})]}) == {"PodDisruptionBudget shop/web has minAvailable 100% with 3 replicas, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)"}
}

# With an HPA, the budget blocks when the HPA scales down to minReplicas.
test_min_available_against_hpa_min if {
	msgs({"Deployment": [deploy({"replicas": 5})], "HorizontalPodAutoscaler": [hpa({"minReplicas": 2, "maxReplicas": 10})], "PodDisruptionBudget": [pdb("web", {"minAvailable": 2, "selector": web_sel})]}) == {"PodDisruptionBudget shop/web has minAvailable 2 with HorizontalPodAutoscaler minReplicas 2, so no pod may be evicted and node drains block; use maxUnavailable: 1 (or run more replicas than minAvailable)"}
}

test_two_budgets_block_eviction if {
	testlib.strip(ha_06.deny) == {{
		"msg": "its pods are selected by 2 PodDisruptionBudgets (shop/all, shop/web), so the eviction API refuses to evict them and node drains block; keep one",
		"resource": testlib.deployment_ref("shop", "web"),
		"severity": "low",
	}} with input as testlib.inp({"Deployment": [deploy({"replicas": 3})], "PodDisruptionBudget": [
		pdb("web", {"maxUnavailable": 1, "selector": web_sel}),
		pdb("all", {"maxUnavailable": 1, "selector": {}}),
	]})
}

test_excluded_namespace_skipped if {
	d := object.union(deploy({"replicas": 3}), {"metadata": {"namespace": "kube-system"}})
	count(ha_06.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}

# NotIn matches a pod that lacks the key (Kubernetes label selector rules).
test_notin_selector_matches_pods_without_the_key if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cart", "namespace": "shop"}, "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "cart"}}, "template": {"metadata": {"labels": {"app": "cart"}}, "spec": {"containers": [{"name": "c", "image": "x:1"}]}}}}
	pdb := {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "cart", "namespace": "shop"}, "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "cart"}, "matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["batch"]}]}}}
	count(ha_06.deny) == 0 with input as {"cluster": "c", "source": "manifests", "objects": {"Deployment": [d], "PodDisruptionBudget": [pdb]}}
}
