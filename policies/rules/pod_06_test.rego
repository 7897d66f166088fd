package meshaudit.rules.pod_06_test

import data.meshaudit.rules.pod_06
import data.meshaudit.testlib
import rego.v1

deploy(ns, annotations, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"annotations": annotations}, "spec": spec}},
}

run(annotations, spec) := testlib.strip(d) if {
	d := pod_06.deny with input as testlib.inp({"Deployment": [deploy("shop", annotations, spec)]})
}

c(name, sc) := {"name": name, "image": "r/app:1", "securityContext": sc}

ro := {"readOnlyRootFilesystem": true}

pod_rd := {"seccompProfile": {"type": "RuntimeDefault"}}

test_pod_runtime_default_and_ro_passes if {
	count(run({}, {"securityContext": pod_rd, "containers": [c("app", ro)]})) == 0
}

test_container_localhost_passes if {
	sc := object.union(ro, {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/app.json"}})
	count(run({}, {"containers": [c("app", sc)]})) == 0
}

test_nothing_set_fails if {
	run({}, {"containers": [{"name": "app", "image": "r/app:1"}]}) == {{
		"msg": "container \"app\": seccompProfile not set (want RuntimeDefault or Localhost); readOnlyRootFilesystem not set (want true)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_container_unconfined_overrides_pod if {
	run({}, {"securityContext": pod_rd, "containers": [c("app", object.union(ro, {"seccompProfile": {"type": "Unconfined"}}))]}) == {{
		"msg": "container \"app\": seccompProfile Unconfined in the container securityContext (want RuntimeDefault or Localhost)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_pod_unconfined_container_runtime_default_passes if {
	spec := {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [c("app", object.union(ro, pod_rd))]}
	count(run({}, spec)) == 0
}

test_pod_unconfined_fails if {
	run({}, {"securityContext": {"seccompProfile": {"type": "Unconfined"}}, "containers": [c("app", ro)]}) == {{
		"msg": "container \"app\": seccompProfile Unconfined in the pod securityContext (want RuntimeDefault or Localhost)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_deprecated_annotation_not_enough if {
	ann := {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default", "container.seccomp.security.alpha.kubernetes.io/app": "runtime/default"}
	run(ann, {"containers": [c("app", ro)]}) == {{
		"msg": "container \"app\": seccompProfile not set (want RuntimeDefault or Localhost; annotation container.seccomp.security.alpha.kubernetes.io/app, seccomp.security.alpha.kubernetes.io/pod is deprecated and not honoured by current Kubernetes)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_read_only_false_fails if {
	run({}, {"securityContext": pod_rd, "initContainers": [c("init", {"readOnlyRootFilesystem": false})], "containers": [c("app", ro)]}) == {{
		"msg": "init container \"init\": readOnlyRootFilesystem false (want true)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_injected_istio_containers_ignored if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {
			"securityContext": pod_rd,
			"initContainers": [{"name": "istio-init", "image": "proxyv2"}],
			"containers": [c("app", ro), {"name": "istio-proxy", "image": "proxyv2"}],
		},
	}
	count(pod_06.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

test_windows_pod_ignored if {
	count(run({}, {"os": {"name": "windows"}, "containers": [{"name": "app"}]})) == 0
}

test_excluded_namespace_ignored if {
	count(pod_06.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", {}, {"containers": [{"name": "app"}]})]})
}

test_null_fields_tolerated if {
	count(run({}, {"securityContext": null, "containers": [c("app", {"seccompProfile": null, "readOnlyRootFilesystem": null})]})) == 1
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("shop", {}, {"securityContext": pod_rd, "containers": [{"name": "app"}]}), {"spec": {"template": {"metadata": null}}})
	testlib.strip(pod_06.deny) == {{
		"msg": "container \"app\": readOnlyRootFilesystem not set (want true)",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}

test_one_finding_per_workload_with_evidence if {
	spec := {
		"securityContext": {"seccompProfile": {"type": "Unconfined"}},
		"initContainers": [c("init", ro)],
		"containers": [c("app", {"readOnlyRootFilesystem": false, "seccompProfile": {"type": "RuntimeDefault"}})],
	}
	pod_06.deny == {{
		"msg": "init container \"init\": seccompProfile Unconfined in the pod securityContext (want RuntimeDefault or Localhost); container \"app\": readOnlyRootFilesystem false (want true)",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.spec.securityContext.seccompProfile.type", "value": "Unconfined"},
			{"path": "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem", "value": false},
		],
	}} with input as testlib.inp({"Deployment": [deploy("shop", {}, spec)]})
	pod_06.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [deploy("shop", {}, spec)]})
}

test_windows_not_judged if {
	count(pod_06.judged) == 0 with input as testlib.inp({"Deployment": [deploy("shop", {}, {"os": {"name": "windows"}, "containers": [c("app", {})]})]})
}
