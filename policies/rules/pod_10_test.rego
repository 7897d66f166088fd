package meshaudit.rules.pod_10_test

import data.meshaudit.lib
import data.meshaudit.rules.pod_10
import rego.v1

# strip: findings without their evidence (asserted in the evidence tests).
strip(d) := {object.remove(f, ["evidence"]) | some f in d}

deploy(ns, name, lbls) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": lbls}, "spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

res(ns, name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name}

manifests(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

live(objs) := {"cluster": "c1", "source": "cluster", "objects": objs}

test_app_namespace_passes if {
	count(pod_10.deny) == 0 with input as manifests({"Deployment": [deploy("shop", "web", {})]})
	pod_10.judged == {res("shop", "web")} with input as manifests({"Deployment": [deploy("shop", "web", {})]})
}

test_evidence_is_the_namespace if {
	some f in pod_10.deny with input as live({"Deployment": [deploy("default", "web", {})]})
	f.evidence == [{"path": "metadata.namespace", "value": "default"}]
}

test_default_live_fails if {
	strip(pod_10.deny) == {{
		"msg": "workload is in namespace \"default\", shared by everything deployed without a namespace; move it to a dedicated application namespace",
		"resource": res("default", "web"),
	}} with input as live({"Deployment": [deploy("default", "web", {})]})
}

test_default_manifests_mentions_namespace_flag if {
	strip(pod_10.deny) == {{
		"msg": "workload is in namespace \"default\", shared by everything deployed without a namespace (a manifest without metadata.namespace is placed in the scan's --default-namespace, \"default\" unless set); move it to a dedicated application namespace",
		"resource": res("default", "web"),
	}} with input as manifests({"Deployment": [deploy("default", "web", {})]})
}

test_root_namespace_user_workload_fails if {
	strip(pod_10.deny) == {{
		"msg": "workload is in the Istio root namespace \"istio-system\", which holds mesh-wide policy and the mesh CA's keys; only Istio's own components belong there",
		"resource": res("istio-system", "kiali"),
	}} with input as manifests({"Deployment": [deploy("istio-system", "kiali", {"app": "kiali"})]})
}

test_istio_components_in_root_pass if {
	gw := object.union(deploy("istio-system", "istio-ingressgateway", {"istio": "ingressgateway"}), {"spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2", "args": ["proxy", "router"]}]}}}})
	cni := object.union(deploy("istio-system", "istio-cni-node", {"k8s-app": "istio-cni-node"}), {"kind": "DaemonSet"})
	objs := {
		"Deployment": [deploy("istio-system", "istiod", {"app": "istiod"}), deploy("istio-system", "istiod-1-30", {"app": "istiod"}), gw],
		"DaemonSet": [cni, object.union(deploy("istio-system", "ztunnel", {"app": "ztunnel"}), {"kind": "DaemonSet"})],
	}
	count(pod_10.deny) == 0 with input as manifests(objs)
}

# kube-system is excluded by default; other kube-* namespaces are judged.
test_kube_namespaces if {
	strip(pod_10.deny) == {{
		"msg": "workload is in system namespace \"kube-tools\", reserved for Kubernetes' own components; move it to a dedicated application namespace",
		"resource": res("kube-tools", "agent"),
	}} with input as manifests({"Deployment": [deploy("kube-system", "coredns", {}), deploy("kube-tools", "agent", {})]})
}

test_kube_system_judged_when_not_excluded if {
	p := object.union(lib.params, {"excluded_namespaces": []})
	count(pod_10.deny) == 1 with input as manifests({"Deployment": [deploy("kube-system", "mine", {})]})
		with data.meshaudit.params as p
}

test_excluded_default_not_judged if {
	p := object.union(lib.params, {"excluded_namespaces": ["default"]})
	count(pod_10.deny) == 0 with input as manifests({"Deployment": [deploy("default", "web", {})]})
		with data.meshaudit.params as p
}

test_custom_root_namespace if {
	p := object.union(lib.params, {"root_namespace": "mesh-root"})
	count(pod_10.deny) == 1 with input as manifests({"Deployment": [deploy("mesh-root", "web", {}), deploy("istio-system", "web", {})]})
		with data.meshaudit.params as p
}

test_gateway_in_default_not_reported if {
	gw := deploy("default", "gw", {"istio.io/gateway-name": "gw"})
	count(pod_10.deny) == 0 with input as live({"Deployment": [gw]})
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("default", "web", {}), {"spec": {"template": {"metadata": null}}})
	count(pod_10.deny) == 1 with input as live({"Deployment": [d]})
}
