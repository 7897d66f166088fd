package meshaudit.rules.pod_03_test

import data.meshaudit.rules.pod_03
import data.meshaudit.testlib
import rego.v1

deploy(ns, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

res(ns) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": "web"}

app := {"name": "app", "image": "registry.example.com/app:1.0"}

test_clean_pod_passes if {
	count(pod_03.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", {"containers": [app]})]})
	pod_03.judged == {res("shop")} with input as testlib.inp({"Deployment": [deploy("shop", {"containers": [app]})]})
}

test_excluded_namespace_not_judged if {
	count(pod_03.judged) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", {"containers": [app]})]})
}

test_explicit_false_passes if {
	spec := {
		"hostPID": false, "hostIPC": false,
		"securityContext": {"windowsOptions": {"hostProcess": false}},
		"containers": [object.union(app, {"securityContext": {"privileged": false}})],
	}
	count(pod_03.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

test_every_field_fires_once if {
	spec := {
		"hostPID": true,
		"hostIPC": true,
		"securityContext": {"windowsOptions": {"hostProcess": true}},
		"initContainers": [{"name": "setup", "image": "busybox:1.36", "securityContext": {"privileged": true}}],
		"containers": [
			object.union(app, {"securityContext": {"privileged": true, "windowsOptions": {"hostProcess": true}}}),
			{"name": "ok", "image": "busybox:1.36"},
		],
		"ephemeralContainers": [{"name": "debugger", "image": "busybox:1.36", "securityContext": {"privileged": true}}],
	}
	pod_03.deny == {{
		"msg": "pod sets hostPID: true and shares the node's process namespace; pod sets hostIPC: true and shares the node's IPC namespace; pod sets securityContext.windowsOptions.hostProcess: true and runs its containers as processes on the Windows host; init container \"setup\" sets securityContext.privileged: true; container \"app\" sets securityContext.privileged: true; container \"app\" sets securityContext.windowsOptions.hostProcess: true; ephemeral container \"debugger\" sets securityContext.privileged: true; set each to false",
		"resource": res("shop"),
		"evidence": [
			{"path": "spec.template.spec.hostPID", "value": true},
			{"path": "spec.template.spec.hostIPC", "value": true},
			{"path": "spec.template.spec.securityContext.windowsOptions.hostProcess", "value": true},
			{"path": "spec.template.spec.initContainers[0].securityContext.privileged", "value": true},
			{"path": "spec.template.spec.containers[0].securityContext.privileged", "value": true},
			{"path": "spec.template.spec.containers[0].securityContext.windowsOptions.hostProcess", "value": true},
			{"path": "spec.template.spec.ephemeralContainers[0].securityContext.privileged", "value": true},
		],
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
	pod_03.judged == {res("shop")} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

test_excluded_namespace_ignored if {
	spec := {"hostPID": true, "containers": [object.union(app, {"securityContext": {"privileged": true}})]}
	count(pod_03.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", spec)]})
}

# Istio's own containers on an injected pod never raise findings (istio-init
# and istio-validation run with elevated privileges by design).
injected_pod := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "web-abc", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{\"containers\":[\"istio-proxy\"]}"}},
	"spec": {
		"initContainers": [
			{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.0", "securityContext": {"privileged": true}},
			{"name": "istio-validation", "image": "docker.io/istio/proxyv2:1.24.0", "securityContext": {"privileged": true}},
		],
		"containers": [
			app,
			{"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0", "securityContext": {"privileged": true}},
		],
	},
}

test_istio_containers_on_injected_pod_ignored if {
	count(pod_03.deny) == 0 with input as testlib.inp({"Pod": [injected_pod]})
}

test_gateway_auto_image_ignored if {
	spec := {"containers": [{"name": "istio-proxy", "image": "auto", "securityContext": {"privileged": true}}]}
	count(pod_03.deny) == 0 with input as testlib.inp({"Deployment": [deploy("gw", spec)]})
}

# A container merely named istio-proxy on a pod Istio did not inject, with a
# real image, is an app container.
test_istio_named_container_on_non_injected_pod_fires if {
	spec := {"containers": [{"name": "istio-proxy", "image": "registry.example.com/proxy:1.0", "securityContext": {"privileged": true}}]}
	testlib.strip(pod_03.deny) == {{
		"msg": "container \"istio-proxy\" sets securityContext.privileged: true; set each to false",
		"resource": res("shop"),
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

# A live Pod owned by a ReplicaSet owned by a Deployment: one finding, on the
# Deployment.
test_owned_objects_not_double_reported if {
	spec := {"hostIPC": true, "containers": [app]}
	rs := {
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": {"name": "web-5d8", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
		"spec": {"template": {"spec": spec}},
	}
	pod := {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "web-5d8-x1", "namespace": "shop", "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d8", "controller": true}]},
		"spec": spec,
	}
	testlib.strip(pod_03.deny) == {{
		"msg": "pod sets hostIPC: true and shares the node's IPC namespace; set each to false",
		"resource": res("shop"),
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)], "ReplicaSet": [rs], "Pod": [pod]})
}

test_cronjob_template_checked if {
	cj := {
		"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": {"name": "nightly", "namespace": "shop"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostPID": "true", "containers": [app]}}}}},
	}
	testlib.strip(pod_03.deny) == {{
		"msg": "pod sets hostPID: true and shares the node's process namespace; set each to false",
		"resource": {"apiVersion": "batch/v1", "kind": "CronJob", "namespace": "shop", "name": "nightly"},
	}} with input as testlib.inp({"CronJob": [cj]})
}

test_null_security_context_tolerated if {
	spec := {"securityContext": null, "containers": [object.union(app, {"securityContext": null})]}
	count(pod_03.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

# A template with `metadata: null` is judged: lib.workloads reads a null
# field as absent, as the collectors do.
test_template_with_null_metadata_still_checked if {
	d := object.union(deploy("shop", {"hostPID": true, "containers": [app]}), {"spec": {"template": {"metadata": null}}})
	testlib.strip(pod_03.deny) == {{
		"msg": "pod sets hostPID: true and shares the node's process namespace; set each to false",
		"resource": res("shop"),
	}} with input as testlib.inp({"Deployment": [d]})
}

test_nothing_judged_says_why if {
	pod_03.not_applicable == {"no workload in an in-scope namespace"} with input as testlib.inp({"Deployment": [deploy("kube-system", {"containers": [app]})]})
	count(pod_03.not_applicable) == 0 with input as testlib.inp({"Deployment": [deploy("shop", {"containers": [app]})]})
}
