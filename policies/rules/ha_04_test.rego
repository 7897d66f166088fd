package meshaudit.rules.ha_04_test

import data.meshaudit.rules.ha_04
import data.meshaudit.testlib
import rego.v1

deploy(ns, name, lbls, annotations, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {
		"metadata": {"labels": lbls, "annotations": annotations},
		"spec": object.union({"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}, spec),
	}},
}

app(spec) := deploy("shop", "web", {"app": "web"}, {}, spec)

istiod(spec) := deploy("istio-system", "istiod", {"app": "istiod"}, {}, spec)

gateway(spec) := deploy("istio-system", "istio-ingressgateway", {"istio": "ingressgateway", "sidecar.istio.io/inject": "true"}, {"inject.istio.io/templates": "gateway"}, spec)

gw_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istio-ingressgateway"}

pc(name, value, global) := {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value, "globalDefault": global}

test_evidence if {
	ha_04.deny == {{
		"msg": "priorityClassName \"gold\" names no PriorityClass, so the Priority admission plugin rejects its pods",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.spec.priorityClassName", "value": "gold"},
			{"path": "PriorityClass \"gold\"", "value": 0},
		],
	}} with input as testlib.live({"Deployment": [app({"priorityClassName": "gold"})]})
	{f.evidence | some f in ha_04.deny} == {[
		{"path": "spec.template.spec.priorityClassName", "value": "low"},
		{"path": "value", "value": 10, "resource": {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "namespace": "", "name": "low"}},
	]} with input as testlib.live({"Deployment": [istiod({"priorityClassName": "low"})], "PriorityClass": [pc("low", 10, false), pc("def", 100, true)]})
}

test_judged if {
	ha_04.judged == {testlib.deployment_ref("istio-system", "istiod")} with input as {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [istiod({"priorityClassName": "system-cluster-critical"}), app({"priorityClassName": "gold"})]}}
	count(ha_04.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [app({"priorityClassName": "gold"})]}}
	ha_04.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.live({"Deployment": [app({"priorityClassName": "gold"})]})
}

test_existing_classes_pass if {
	count(ha_04.deny) == 0 with input as testlib.live({
		"PriorityClass": [pc("shop-high", 100000, false)],
		"Deployment": [
			app({"priorityClassName": "shop-high"}),
			istiod({"priorityClassName": "system-cluster-critical"}),
			gateway({"priorityClassName": "shop-high"}),
		],
	})
}

test_app_without_class_passes if {
	count(ha_04.deny) == 0 with input as testlib.live({"Deployment": [app({})]})
}

test_unknown_class_live_fails if {
	testlib.strip(ha_04.deny) == {{
		"msg": "priorityClassName \"shop-high\" names no PriorityClass, so the Priority admission plugin rejects its pods",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.live({"Deployment": [app({"priorityClassName": "shop-high"})]})
}

# Manifests: existence judged only when PriorityClasses are in the input.
test_manifests_without_priorityclasses_not_judged if {
	count(ha_04.deny) == 0 with input as testlib.inp({"Deployment": [app({"priorityClassName": "shop-high"})]})
}

test_manifests_with_priorityclasses_judged if {
	count(ha_04.deny) == 1 with input as testlib.inp({"PriorityClass": [pc("other", 10, false)], "Deployment": [app({"priorityClassName": "shop-high"})]})
}

test_builtin_classes_always_exist if {
	count(ha_04.deny) == 0 with input as testlib.live({"Deployment": [app({"priorityClassName": "system-node-critical"})]})
}

test_istiod_and_gateway_need_a_class if {
	testlib.strip(ha_04.deny) == {
		{
			"msg": "istiod has no priorityClassName: it runs at the default priority 0 and can be preempted or left pending under resource pressure; set priorityClassName: system-cluster-critical (or a high PriorityClass of the organisation)",
			"resource": testlib.deployment_ref("istio-system", "istiod"),
		},
		{
			"msg": "the Istio gateway has no priorityClassName: it runs at the default priority 0 and can be preempted or left pending under resource pressure; set priorityClassName: system-cluster-critical (or a high PriorityClass of the organisation)",
			"resource": gw_res,
		},
	} with input as testlib.live({"Deployment": [istiod({}), gateway({})]})
}

test_gateway_class_not_above_default_fails if {
	testlib.strip(ha_04.deny) == {{
		"msg": "the Istio gateway uses priorityClassName \"low\" with value 1000, not above the default priority 1000",
		"resource": gw_res,
	}} with input as testlib.live({
		"PriorityClass": [pc("low", 1000, false), pc("default-prio", 1000, true)],
		"Deployment": [gateway({"priorityClassName": "low"})],
	})
}

test_gateway_class_not_in_manifests_assumed_elevated if {
	count(ha_04.deny) == 0 with input as testlib.inp({"Deployment": [gateway({"priorityClassName": "mesh-critical"})]})
}

test_istiod_revision_name_recognised if {
	d := deploy("istio-system", "istiod-1-30", {"istio.io/rev": "1-30"}, {}, {})
	{f.msg | some f in ha_04.deny} == {"istiod has no priorityClassName: it runs at the default priority 0 and can be preempted or left pending under resource pressure; set priorityClassName: system-cluster-critical (or a high PriorityClass of the organisation)"} with input as testlib.live({"Deployment": [d]})
}

test_excluded_namespace_skipped if {
	d := deploy("kube-system", "web", {}, {}, {"priorityClassName": "missing"})
	count(ha_04.deny) == 0 with input as testlib.live({"Deployment": [d]})
}
