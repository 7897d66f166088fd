package meshaudit.rules.egr_02_test

import data.meshaudit.lib
import data.meshaudit.rules.egr_02
import data.meshaudit.testlib
import rego.v1

egw_labels := {"istio": "egressgateway", "app": "istio-egressgateway"}

deploy(name, lbls, replicas) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "istio-system"},
	"spec": {"replicas": replicas, "template": {"metadata": {"labels": lbls}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}},
}

egw := deploy("istio-egressgateway", egw_labels, 2)

egw_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istio-egressgateway"}

pdb(sel) := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "egw", "namespace": "istio-system"},
	"spec": {"minAvailable": 1, "selector": sel},
}

egw_pdb := pdb({"matchLabels": {"istio": "egressgateway"}})

hpa(target, minr) := {
	"apiVersion": "autoscaling/v2",
	"kind": "HorizontalPodAutoscaler",
	"metadata": {"name": "egw-hpa", "namespace": "istio-system"},
	"spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "minReplicas": minr, "maxReplicas": 10},
}

test_ha_gateway_passes if {
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [egw_pdb]})
	count(egr_02.unknown) == 0 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [egw_pdb]})
	count(egr_02.not_applicable) == 0 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [egw_pdb]})
}

test_live_no_gateway_fails if {
	testlib.strip(egr_02.deny) == {{
		"msg": "no egress gateway: no workload's pods carry the egress gateway labels istio=egressgateway, so external traffic has no controlled exit point: deploy one (at least 2 replicas, with a PodDisruptionBudget)",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as testlib.live({"Deployment": [deploy("web", {"app": "web"}, 2)]})
}

test_single_replica_fails if {
	testlib.strip(egr_02.deny) == {{
		"msg": "egress gateway runs 1 replica(s) (spec.replicas), fewer than the required 2: run at least 2 (spec.replicas or an HPA's minReplicas)",
		"resource": egw_res,
	}} with input as testlib.live({"Deployment": [deploy("istio-egressgateway", egw_labels, 1)], "PodDisruptionBudget": [egw_pdb]})
}

test_replicas_unset_fails if {
	d := json.remove(egw, ["spec/replicas"])
	testlib.strip(egr_02.deny) == {{
		"msg": "egress gateway runs 1 replica(s) (spec.replicas unset, Kubernetes' default), fewer than the required 2: run at least 2 (spec.replicas or an HPA's minReplicas)",
		"resource": egw_res,
	}} with input as testlib.live({"Deployment": [d], "PodDisruptionBudget": [egw_pdb]})
}

# An HPA's minReplicas replaces spec.replicas, in both directions.
test_hpa_min_counts if {
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [deploy("istio-egressgateway", egw_labels, 1)], "PodDisruptionBudget": [egw_pdb], "HorizontalPodAutoscaler": [hpa("istio-egressgateway", 3)]})
	testlib.strip(egr_02.deny) == {{
		"msg": "egress gateway runs 1 replica(s) (minReplicas of HorizontalPodAutoscaler istio-system/egw-hpa), fewer than the required 2: run at least 2 (spec.replicas or an HPA's minReplicas)",
		"resource": egw_res,
	}} with input as testlib.live({"Deployment": [deploy("istio-egressgateway", egw_labels, 5)], "PodDisruptionBudget": [egw_pdb], "HorizontalPodAutoscaler": [hpa("istio-egressgateway", 1)]})
}

# HPA without minReplicas: Kubernetes' default 1.
test_hpa_default_min if {
	h := json.remove(hpa("istio-egressgateway", 3), ["spec/minReplicas"])
	count(egr_02.deny) == 1 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [egw_pdb], "HorizontalPodAutoscaler": [h]})
}

# An HPA targeting another workload does not count.
test_hpa_other_target if {
	count(egr_02.deny) == 1 with input as testlib.live({"Deployment": [deploy("istio-egressgateway", egw_labels, 1)], "PodDisruptionBudget": [egw_pdb], "HorizontalPodAutoscaler": [hpa("web", 3)]})
}

test_no_pdb_fails if {
	testlib.strip(egr_02.deny) == {{
		"msg": "no PodDisruptionBudget in namespace \"istio-system\" selects the egress gateway pods (labels app=istio-egressgateway,istio=egressgateway), so a node drain may evict every replica at once: add one (minAvailable 1 or maxUnavailable 1) selecting them",
		"resource": egw_res,
	}} with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [pdb({"matchLabels": {"istio": "ingressgateway"}})]})
}

test_pdb_match_expressions_and_empty if {
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [pdb({"matchExpressions": [{"key": "istio", "operator": "In", "values": ["egressgateway"]}]})]})
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [pdb({})]})

	# a PDB without selector selects nothing
	count(egr_02.deny) == 1 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [json.remove(egw_pdb, ["spec/selector"])]})
}

# A PDB in another namespace does not count.
test_pdb_other_namespace if {
	p := object.union(egw_pdb, {"metadata": {"namespace": "other"}})
	count(egr_02.deny) == 1 with input as testlib.live({"Deployment": [egw], "PodDisruptionBudget": [p]})
}

test_manifests_without_gateway_not_applicable if {
	count(egr_02.deny) == 0 with input as testlib.inp({"Deployment": [deploy("web", {"app": "web"}, 2)]})
	egr_02.not_applicable == {"only a live scan can tell whether an egress gateway is deployed: no egress gateway workload (pods labelled istio=egressgateway) is in the input (it may be deployed and judged elsewhere)"} with input as testlib.inp({"Deployment": [deploy("web", {"app": "web"}, 2)]})
}

test_manifests_referring_not_applicable if {
	gw := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "egress-etcd", "namespace": "app"}, "spec": {"selector": {"istio": "egressgateway"}, "servers": []}}
	vs := {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "etcd", "namespace": "app"}, "spec": {"hosts": ["etcd.example.com"], "tls": [{"route": [{"destination": {"host": "istio-egressgateway.istio-system.svc.cluster.local"}}]}]}}
	count(egr_02.deny) == 0 with input as testlib.inp({"Gateway": [gw], "VirtualService": [vs]})
	egr_02.not_applicable == {"no egress gateway workload (pods labelled istio=egressgateway) in the input, although Gateway app/egress-etcd, VirtualService app/etcd refer to one: it is deployed elsewhere, so judge its replicas and PodDisruptionBudget with a live scan or a scan of its manifests"} with input as testlib.inp({"Gateway": [gw], "VirtualService": [vs]})
}

test_manifests_with_gateway_judged if {
	# one finding on the workload, listing both problems (issue 14)
	inp := testlib.inp({"Deployment": [deploy("istio-egressgateway", egw_labels, 1)]})
	count(egr_02.deny) == 1 with input as inp
	some f in egr_02.deny with input as inp
	f.evidence == [
		{"path": "spec.replicas", "value": 1},
		{"path": "PodDisruptionBudget in namespace \"istio-system\" selecting labels app=istio-egressgateway,istio=egressgateway", "value": 0},
	]
	count(split(f.msg, "; ")) == 2
	egr_02.judged == {{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istio-egressgateway"}} with input as inp
}

test_empty_labels_unknown if {
	p := object.union(object.remove(lib.params, ["egress_gateway_labels"]), {"egress_gateway_labels": {}})
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [egw]}) with data.meshaudit.params as p
	egr_02.unknown == {"params.egress_gateway_labels is empty: egress gateway pods cannot be identified"} with input as testlib.live({"Deployment": [egw]}) with data.meshaudit.params as p
}

test_custom_labels if {
	p := object.union(object.remove(lib.params, ["egress_gateway_labels"]), {"egress_gateway_labels": {"gw": "out"}})
	d := deploy("out", {"gw": "out"}, 3)
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [d], "PodDisruptionBudget": [pdb({"matchLabels": {"gw": "out"}})]}) with data.meshaudit.params as p
}

test_daemonset if {
	ds := {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "egw", "namespace": "istio-system"}, "spec": {"template": {"metadata": {"labels": egw_labels}, "spec": {}}}}

	# the node count is a live-only fact: not judged in a manifest scan
	m := testlib.inp({"DaemonSet": [ds], "PodDisruptionBudget": [egw_pdb]})
	count(egr_02.unknown) == 0 with input as m
	egr_02.not_applicable == {"only a live scan can tell how many nodes egress gateway DaemonSet istio-system/egw runs on (a DaemonSet's status.desiredNumberScheduled)"} with input as m
	egr_02.unknown == {"egress gateway DaemonSet istio-system/egw is a DaemonSet whose number of nodes is not in the input (no status.desiredNumberScheduled)"} with input as testlib.live({"DaemonSet": [ds], "PodDisruptionBudget": [egw_pdb]})
	count(egr_02.deny) == 0 with input as testlib.live({"DaemonSet": [object.union(ds, {"status": {"desiredNumberScheduled": 3}})], "PodDisruptionBudget": [egw_pdb]})
	count(egr_02.deny) == 1 with input as testlib.live({"DaemonSet": [object.union(ds, {"status": {"desiredNumberScheduled": 1}})], "PodDisruptionBudget": [egw_pdb]})
}

# Live: Deployment, ReplicaSet and Pods are judged once, on the Deployment.
test_live_owned_objects_once if {
	rs := {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "egw-1", "namespace": "istio-system", "ownerReferences": [{"kind": "Deployment", "name": "istio-egressgateway", "controller": true}]}, "spec": {"replicas": 1, "template": {"metadata": {"labels": egw_labels}, "spec": {}}}}
	pod := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "egw-1-a", "namespace": "istio-system", "labels": egw_labels, "ownerReferences": [{"kind": "ReplicaSet", "name": "egw-1", "controller": true}]}, "spec": {}}
	count(egr_02.deny) == 0 with input as testlib.live({"Deployment": [egw], "ReplicaSet": [rs], "Pod": [pod], "PodDisruptionBudget": [egw_pdb]})
}

test_excluded_namespace_ignored if {
	d := object.union(egw, {"metadata": {"namespace": "kube-system"}})
	some f in egr_02.deny with input as testlib.live({"Deployment": [d], "PodDisruptionBudget": [egw_pdb]})
	startswith(f.msg, "no egress gateway:")
}

test_hpa_evidence if {
	h := {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "egw-hpa", "namespace": "istio-system"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "istio-egressgateway"}, "minReplicas": 1}}
	some f in egr_02.deny with input as testlib.live({"Deployment": [egw], "HorizontalPodAutoscaler": [h], "PodDisruptionBudget": [egw_pdb]})
	f.evidence == [{"path": "spec.minReplicas", "value": 1, "resource": {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "namespace": "istio-system", "name": "egw-hpa"}}]
}

test_live_no_gateway_judges_mesh if {
	egr_02.judged == {{"kind": "Mesh", "name": "c1"}} with input as testlib.live({"Deployment": []})
}
