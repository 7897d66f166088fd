package meshaudit.rules.pod_02_test

import data.meshaudit.rules.pod_02
import data.meshaudit.testlib
import rego.v1

status := {"sidecar.istio.io/status": "{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"]}"}

init_c := {
	"name": "istio-init",
	"image": "docker.io/istio/proxyv2:1.30.0",
	"securityContext": {"capabilities": {"add": ["NET_RAW", "NET_ADMIN"], "drop": ["ALL"]}, "runAsUser": 0},
}

validation_c := {"name": "istio-validation", "image": "docker.io/istio/proxyv2:1.30.0"}

ref(api, kind, name) := {"apiVersion": api, "kind": kind, "name": name, "controller": true}

deploy := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

rs := {
	"apiVersion": "apps/v1",
	"kind": "ReplicaSet",
	"metadata": {"name": "web-7d9", "namespace": "shop", "ownerReferences": [ref("apps/v1", "Deployment", "web")]},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

pod(name, ns, owners, inits) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": name, "namespace": ns, "annotations": status, "ownerReferences": owners},
	"spec": {"initContainers": inits, "containers": [{"name": "app", "image": "r/app:1"}, {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.30.0"}]},
}

web_pod(name, inits) := pod(name, "shop", [ref("apps/v1", "ReplicaSet", "web-7d9")], inits)

cni_ds(ns) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "istio-cni-node", "namespace": ns},
	"spec": {"template": {"spec": {"containers": [{"name": "install-cni", "image": "docker.io/istio/install-cni:1.30.0"}]}}},
}

test_istio_init_without_cni_fails_once_on_deployment if {
	pod_02.deny == {{
		"msg": "init container istio-init adds capabilities NET_ADMIN, NET_RAW to redirect traffic to the sidecar: Istio CNI is not in use (no istio-cni-node DaemonSet in the input); install Istio CNI so that sidecars need no istio-init",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.initContainers[0]", "value": "istio-init", "resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "web-7d9-a"}},
			{"path": "spec.initContainers[0]", "value": "istio-init", "resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "web-7d9-b"}},
		],
	}} with input as testlib.live({
		"Deployment": [deploy],
		"ReplicaSet": [rs],
		"Pod": [web_pod("web-7d9-a", [init_c]), web_pod("web-7d9-b", [init_c])],
	})
}

test_cni_in_use_passes if {
	objs := {
		"Deployment": [deploy],
		"ReplicaSet": [rs],
		"Pod": [web_pod("web-7d9-a", [validation_c])],
		"DaemonSet": [cni_ds("kube-system")],
	}
	count(pod_02.deny) == 0 with input as testlib.live(objs)
	pod_02.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.live(objs)
	count(pod_02.not_applicable) == 0 with input as testlib.live(objs)
}

# kube-system is excluded from scope but its CNI DaemonSet still counts.
test_cni_in_excluded_namespace_counts if {
	testlib.strip(pod_02.deny) == {{
		"msg": "init container istio-init adds capabilities NET_ADMIN, NET_RAW to redirect traffic to the sidecar: DaemonSet kube-system/istio-cni-node runs Istio CNI, so the pods were injected before CNI was enabled or the injector is not configured for it; enable CNI in the injector (values.istio_cni.enabled) and restart the pods",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.live({
		"Deployment": [deploy],
		"ReplicaSet": [rs],
		"Pod": [web_pod("web-7d9-a", [init_c])],
		"DaemonSet": [cni_ds("kube-system")],
	})
}

test_validation_pods_show_cni if {
	other := pod("api-1", "shop", [], [validation_c])
	testlib.strip(pod_02.deny) == {{
		"msg": "init container istio-init adds capabilities NET_ADMIN, NET_RAW to redirect traffic to the sidecar: other injected pods use istio-validation (Istio CNI), so these pods were injected before CNI was enabled or by an injector not configured for it; restart them or re-inject them with CNI",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.live({"Deployment": [deploy], "ReplicaSet": [rs], "Pod": [web_pod("web-7d9-a", [init_c]), other]})
}

test_bare_pod_reported_on_itself if {
	p := pod("debug", "shop", [], [{"name": "istio-init", "image": "x"}])
	testlib.strip(pod_02.deny) == {{
		"msg": "init container istio-init needs NET_ADMIN and NET_RAW to redirect traffic to the sidecar: Istio CNI is not in use (no istio-cni-node DaemonSet in the input); install Istio CNI so that sidecars need no istio-init",
		"resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "debug"},
	}} with input as testlib.live({"Pod": [p]})
}

test_cronjob_pod_reported_on_cronjob if {
	cj := {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "sync", "namespace": "shop"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "s"}]}}}}}}
	job := {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sync-1", "namespace": "shop", "ownerReferences": [ref("batch/v1", "CronJob", "sync")]}, "spec": {"template": {"spec": {"containers": [{"name": "s"}]}}}}
	p := pod("sync-1-x", "shop", [ref("batch/v1", "Job", "sync-1")], [init_c])
	some f in pod_02.deny with input as testlib.live({"CronJob": [cj], "Job": [job], "Pod": [p]})
	f.resource == {"apiVersion": "batch/v1", "kind": "CronJob", "namespace": "shop", "name": "sync"}
}

# Pod whose owner is not in the input: reported on the pod.
test_pod_with_absent_owner_on_pod if {
	some f in pod_02.deny with input as testlib.live({"Pod": [web_pod("web-7d9-a", [init_c])]})
	f.resource.kind == "Pod"
}

test_excluded_namespace_ignored if {
	p := pod("x", "kube-system", [], [init_c])
	count(pod_02.deny) == 0 with input as testlib.live({"Pod": [p]})
}

test_live_nothing_injected_not_applicable if {
	pod_02.not_applicable == {"no injected pod in scope and no istio-cni-node DaemonSet in the cluster: no pod runs istio-init"} with input as testlib.live({"Deployment": [deploy]})
}

test_manifests_uninjected_not_applicable if {
	objs := {"Deployment": [deploy]}
	count(pod_02.deny) == 0 with input as testlib.inp(objs)
	pod_02.not_applicable == {"manifest scan: pod templates are not injected yet and the input holds neither an istio-cni-node DaemonSet nor kube-injected pods, so whether sidecars will need istio-init (NET_ADMIN, NET_RAW) cannot be told from it"} with input as testlib.inp(objs)
}

# With the CNI DaemonSet in the input, workloads that get a sidecar are
# judged (the injector gives them istio-validation, not istio-init).
test_manifests_with_cni_daemonset_pass if {
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}}
	objs := {"Namespace": [ns], "Deployment": [deploy], "DaemonSet": [cni_ds("istio-system")]}
	count(pod_02.deny) == 0 with input as testlib.inp(objs)
	count(pod_02.not_applicable) == 0 with input as testlib.inp(objs)
	pod_02.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp(objs)
}

# ... and nothing is judged when no workload gets a sidecar.
test_manifests_with_cni_daemonset_no_sidecar_judges_nothing if {
	count(pod_02.judged) == 0 with input as testlib.inp({"Deployment": [deploy], "DaemonSet": [cni_ds("istio-system")]})
}

# istioctl kube-inject output: the template is injected.
test_manifests_kube_injected_template_fails if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"template": {
			"metadata": {"annotations": status},
			"spec": {"initContainers": [init_c], "containers": [{"name": "app", "image": "r/app:1"}]},
		}},
	}
	some f in pod_02.deny with input as testlib.inp({"Deployment": [d]})
	f.resource == testlib.deployment_ref("shop", "web")
}

test_cni_daemonset_by_label if {
	ds := object.union(cni_ds("istio-system"), {"metadata": {"name": "cni", "labels": {"k8s-app": "istio-cni-node"}}})
	count(pod_02.not_applicable) == 0 with input as testlib.inp({"DaemonSet": [ds]})
}

# A template running istio-init without the injection annotation is judged
# (and fails): the rule then never also says it is not applicable.
test_istio_init_without_status_judged_not_not_applicable if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"template": {"spec": {"initContainers": [init_c], "containers": [{"name": "app", "image": "r/app:1"}]}}},
	}
	count(pod_02.deny) == 1 with input as testlib.inp({"Deployment": [d]})
	pod_02.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [d]})
	count(pod_02.not_applicable) == 0 with input as testlib.inp({"Deployment": [d]})
}
