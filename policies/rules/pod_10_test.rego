package meshaudit.rules.pod_10_test

import data.meshaudit.lib
import data.meshaudit.rules.pod_10
import data.meshaudit.testlib
import rego.v1

test_app_namespace_passes if {
	count(pod_10.deny) == 0 with input as testlib.inp({"Deployment": [testlib.deployment("shop", "web", {})]})
	pod_10.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [testlib.deployment("shop", "web", {})]})
}

test_evidence_is_the_namespace if {
	some f in pod_10.deny with input as testlib.live({"Deployment": [testlib.deployment("default", "web", {})]})
	f.evidence == [{"path": "metadata.namespace", "value": "default"}]
}

test_default_live_fails if {
	testlib.strip(pod_10.deny) == {{
		"msg": "workload is in namespace \"default\", shared by everything deployed without a namespace; move it to a dedicated application namespace",
		"resource": testlib.deployment_ref("default", "web"),
	}} with input as testlib.live({"Deployment": [testlib.deployment("default", "web", {})]})
}

test_default_manifests_mentions_namespace_flag if {
	testlib.strip(pod_10.deny) == {{
		"msg": "workload is in namespace \"default\", shared by everything deployed without a namespace (a manifest without metadata.namespace is placed in the scan's --default-namespace, \"default\" unless set); move it to a dedicated application namespace",
		"resource": testlib.deployment_ref("default", "web"),
	}} with input as testlib.inp({"Deployment": [testlib.deployment("default", "web", {})]})
}

test_root_namespace_user_workload_fails if {
	testlib.strip(pod_10.deny) == {{
		"msg": "workload is in the Istio root namespace \"istio-system\", which holds mesh-wide policy and the mesh CA's keys; only Istio's own components belong there",
		"resource": testlib.deployment_ref("istio-system", "kiali"),
	}} with input as testlib.inp({"Deployment": [testlib.deployment("istio-system", "kiali", {"app": "kiali"})]})
}

test_istio_components_in_root_pass if {
	gw := object.union(testlib.deployment("istio-system", "istio-ingressgateway", {"istio": "ingressgateway"}), {"spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2", "args": ["proxy", "router"]}]}}}})
	cni := object.union(testlib.deployment("istio-system", "istio-cni-node", {"k8s-app": "istio-cni-node"}), {"kind": "DaemonSet"})
	objs := {
		"Deployment": [testlib.deployment("istio-system", "istiod", {"app": "istiod"}), testlib.deployment("istio-system", "istiod-1-30", {"app": "istiod"}), gw],
		"DaemonSet": [cni, object.union(testlib.deployment("istio-system", "ztunnel", {"app": "ztunnel"}), {"kind": "DaemonSet"})],
	}
	count(pod_10.deny) == 0 with input as testlib.inp(objs)
}

# kube-system is excluded by default; other kube-* namespaces are judged.
test_kube_namespaces if {
	testlib.strip(pod_10.deny) == {{
		"msg": "workload is in system namespace \"kube-tools\", reserved for Kubernetes' own components; move it to a dedicated application namespace",
		"resource": testlib.deployment_ref("kube-tools", "agent"),
	}} with input as testlib.inp({"Deployment": [testlib.deployment("kube-system", "coredns", {}), testlib.deployment("kube-tools", "agent", {})]})
}

test_kube_system_judged_when_not_excluded if {
	p := object.union(lib.params, {"excluded_namespaces": []})
	count(pod_10.deny) == 1 with input as testlib.inp({"Deployment": [testlib.deployment("kube-system", "mine", {})]})
		with data.meshaudit.params as p
}

test_excluded_default_not_judged if {
	p := object.union(lib.params, {"excluded_namespaces": ["default"]})
	count(pod_10.deny) == 0 with input as testlib.inp({"Deployment": [testlib.deployment("default", "web", {})]})
		with data.meshaudit.params as p
}

test_custom_root_namespace if {
	p := object.union(lib.params, {"root_namespace": "mesh-root"})
	count(pod_10.deny) == 1 with input as testlib.inp({"Deployment": [testlib.deployment("mesh-root", "web", {}), testlib.deployment("istio-system", "web", {})]})
		with data.meshaudit.params as p
}

test_gateway_in_default_not_reported if {
	gw := testlib.deployment("default", "gw", {"istio.io/gateway-name": "gw"})
	count(pod_10.deny) == 0 with input as testlib.live({"Deployment": [gw]})
}

test_template_with_null_metadata_judged if {
	d := object.union(testlib.deployment("default", "web", {}), {"spec": {"template": {"metadata": null}}})
	count(pod_10.deny) == 1 with input as testlib.live({"Deployment": [d]})
}
