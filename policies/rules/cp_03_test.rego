package meshaudit.rules.cp_03_test

import data.meshaudit.rules.cp_03
import data.meshaudit.testlib
import rego.v1

good_container := {"name": "discovery", "image": "istio/pilot:1.31.2", "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}}}

dep(name, labels, replicas, containers, priority) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "istio-system", "labels": labels},
	"spec": {
		"replicas": replicas,
		"template": {
			"metadata": {"labels": labels},
			"spec": object.union({"containers": containers}, priority),
		},
	},
}

prio := {"priorityClassName": "system-cluster-critical"}

istiod := dep("istiod", {"app": "istiod"}, 2, [good_container], prio)

pdb(labels) := {
	"apiVersion": "policy/v1",
	"kind": "PodDisruptionBudget",
	"metadata": {"name": "pdb", "namespace": "istio-system"},
	"spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
}

res(name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": name}

test_compliant_istiod_passes if {
	inp := testlib.inp({"Deployment": [istiod], "PodDisruptionBudget": [pdb({"app": "istiod"})]})
	count(cp_03.deny) == 0 with input as inp
	count(cp_03.not_applicable) == 0 with input as inp
}

test_every_gap_reported if {
	d := dep("istiod", {"app": "istiod"}, 1, [{"name": "discovery", "image": "istio/pilot:1.31.2", "resources": {"requests": {"cpu": "1"}}}], {})
	testlib.strip(cp_03.deny) == {{"msg": concat("; ", [
		"istiod Deployment istio-system/istiod container discovery has no memory request",
		"istiod Deployment istio-system/istiod has no PodDisruptionBudget selecting its pods; add one with maxUnavailable: 1 (or minAvailable: 1 with 2 or more replicas)",
		"istiod Deployment istio-system/istiod has no priorityClassName, so its pods are evicted and preempted like any other; set priorityClassName: system-cluster-critical",
		"istiod Deployment istio-system/istiod runs 1 replica(s) (spec.replicas) and no HorizontalPodAutoscaler, want at least 2",
	]), "resource": res("istiod")}} with input as testlib.inp({"Deployment": [d]})
}

test_hpa_min_replicas_decides if {
	d := dep("istio-ingressgateway", {"istio": "ingressgateway"}, 1, [{"name": "istio-proxy", "image": "auto"}], prio)
	hpa := {
		"apiVersion": "autoscaling/v2",
		"kind": "HorizontalPodAutoscaler",
		"metadata": {"name": "igw", "namespace": "istio-system"},
		"spec": {"scaleTargetRef": {"kind": "Deployment", "name": "istio-ingressgateway"}, "minReplicas": 3},
	}
	count(cp_03.deny) == 0 with input as testlib.inp({"Deployment": [d], "HorizontalPodAutoscaler": [hpa], "PodDisruptionBudget": [pdb({"istio": "ingressgateway"})]})
	low := json.patch(hpa, [{"op": "replace", "path": "/spec/minReplicas", "value": 1}])
	testlib.strip(cp_03.deny) == {{
		"msg": "gateway Deployment istio-system/istio-ingressgateway is scaled by HorizontalPodAutoscaler igw with minReplicas 1, want at least 2",
		"resource": res("istio-ingressgateway"),
	}} with input as testlib.inp({"Deployment": [d], "HorizontalPodAutoscaler": [low], "PodDisruptionBudget": [pdb({"istio": "ingressgateway"})]})
}

test_replicas_default_one if {
	d := json.patch(istiod, [{"op": "remove", "path": "/spec/replicas"}])
	some f in cp_03.deny with input as testlib.inp({"Deployment": [d], "PodDisruptionBudget": [pdb({"app": "istiod"})]})
	f.msg == "istiod Deployment istio-system/istiod runs 1 replica(s) (spec.replicas) and no HorizontalPodAutoscaler, want at least 2"
}

test_pdb_match_expressions_and_other_namespace if {
	p := {
		"apiVersion": "policy/v1",
		"kind": "PodDisruptionBudget",
		"metadata": {"name": "pdb", "namespace": "istio-system"},
		"spec": {"minAvailable": 1, "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["istiod"]}]}},
	}
	count(cp_03.deny) == 0 with input as testlib.inp({"Deployment": [istiod], "PodDisruptionBudget": [p]})
	other := json.patch(pdb({"app": "istiod"}), [{"op": "replace", "path": "/metadata/namespace", "value": "default"}])
	count(cp_03.deny) == 1 with input as testlib.inp({"Deployment": [istiod], "PodDisruptionBudget": [other]})
}

test_pdb_without_selector_selects_nothing if {
	p := {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pdb", "namespace": "istio-system"}, "spec": {"maxUnavailable": 1}}
	count(cp_03.deny) == 1 with input as testlib.inp({"Deployment": [istiod], "PodDisruptionBudget": [p]})
}

test_gateway_api_managed_gateway_judged if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web-gw-istio", "namespace": "edge", "labels": {"gateway.istio.io/managed": "istio.io-gateway-controller"}},
		"spec": {"replicas": 1, "template": {"metadata": {"labels": {"gateway.networking.k8s.io/gateway-name": "web-gw"}}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}},
	}
	count(cp_03.deny) == 1 with input as testlib.inp({"Deployment": [d]})
	some f in cp_03.deny with input as testlib.inp({"Deployment": [d]})
	count(f.evidence) == 4
}

test_app_deployment_not_subject if {
	d := dep("web", {"app": "web"}, 1, [{"name": "app", "image": "app:1"}], {})
	cp_03.not_applicable == {"no istiod or gateway Deployment in the input"} with input as testlib.inp({"Deployment": [d]})
	count(cp_03.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}

test_evidence if {
	d := dep("istiod", {"app": "istiod"}, 2, [{"name": "discovery", "image": "istio/pilot:1.31.2", "resources": {"requests": {"cpu": "1"}}}], prio)
	inp := testlib.inp({"Deployment": [d], "PodDisruptionBudget": [pdb({"app": "istiod"})]})
	{f.evidence | some f in cp_03.deny} == {[{"path": "spec.template.spec.containers[0].resources.requests.memory"}]} with input as inp
	cp_03.judged == {res("istiod")} with input as inp
	inp2 := testlib.inp({"Deployment": [istiod]})
	{f.evidence | some f in cp_03.deny} == {[{"path": "PodDisruptionBudget selecting the pods of Deployment istio-system/istiod", "value": 0}]} with input as inp2
}
