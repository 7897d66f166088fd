package meshaudit.rules.pod_05_test

import data.meshaudit.rules.pod_05
import data.meshaudit.testlib
import rego.v1

deploy(ns, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

run(spec) := testlib.strip(d) if {
	d := pod_05.deny with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

c(name, sc) := {"name": name, "image": "registry.example.com/app:1.0", "securityContext": sc}

hardened := {"allowPrivilegeEscalation": false}

pod_nonroot := {"runAsNonRoot": true, "runAsUser": 10001}

test_hardened_pod_passes if {
	count(run({"securityContext": pod_nonroot, "containers": [c("app", hardened)]})) == 0
}

test_container_level_settings_pass if {
	sc := {"runAsNonRoot": true, "runAsUser": 1000, "allowPrivilegeEscalation": false}
	count(run({"containers": [c("app", sc)]})) == 0
}

# runAsUser unset: the image's USER decides and runAsNonRoot makes the kubelet
# refuse root, so that passes.
test_run_as_user_unset_passes if {
	count(run({"securityContext": {"runAsNonRoot": true}, "containers": [c("app", hardened)]})) == 0
}

test_nothing_set_lists_every_problem if {
	run({"containers": [{"name": "app", "image": "registry.example.com/app:1.0"}]}) == {{
		"msg": "container \"app\": runAsNonRoot not set (want true); allowPrivilegeEscalation not set (defaults to true, want false)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_root_user_from_pod if {
	spec := {"securityContext": {"runAsNonRoot": true, "runAsUser": 0}, "containers": [c("app", hardened)]}
	run(spec) == {{"msg": "container \"app\": runAsUser 0 in the pod securityContext", "resource": testlib.deployment_ref("shop", "web")}}
}

# The container's securityContext overrides the pod's, both ways.
test_container_overrides_pod_to_worse if {
	spec := {"securityContext": pod_nonroot, "containers": [c("app", {"runAsNonRoot": false, "runAsUser": 0, "allowPrivilegeEscalation": true})]}
	run(spec) == {{
		"msg": "container \"app\": runAsNonRoot false in the container securityContext (want true); runAsUser 0 in the container securityContext; allowPrivilegeEscalation true (want false)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_container_overrides_pod_to_better if {
	spec := {"securityContext": {"runAsNonRoot": false, "runAsUser": 0}, "containers": [c("app", {"runAsNonRoot": true, "runAsUser": 1000, "allowPrivilegeEscalation": false})]}
	count(run(spec)) == 0
}

# A null container field does not override the pod's value.
test_null_container_field_falls_back_to_pod if {
	spec := {"securityContext": {"runAsNonRoot": false}, "containers": [c("app", {"runAsNonRoot": null, "allowPrivilegeEscalation": false})]}
	run(spec) == {{"msg": "container \"app\": runAsNonRoot false in the pod securityContext (want true)", "resource": testlib.deployment_ref("shop", "web")}}
}

test_every_container_kind_checked_once_each if {
	spec := {
		"securityContext": pod_nonroot,
		"initContainers": [c("setup", {"runAsUser": 0, "allowPrivilegeEscalation": false})],
		"containers": [c("app", hardened), c("worker", {})],
		"ephemeralContainers": [{"name": "debugger", "image": "busybox:1.36"}],
	}
	pod_05.deny == {{
		"msg": "init container \"setup\": runAsUser 0 in the container securityContext; container \"worker\": allowPrivilegeEscalation not set (defaults to true, want false); ephemeral container \"debugger\": allowPrivilegeEscalation not set (defaults to true, want false)",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.spec.initContainers[0].securityContext.runAsUser", "value": 0},
			{"path": "spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation"},
			{"path": "spec.template.spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation"},
		],
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
	pod_05.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

test_pod_level_value_evidence_points_at_pod_spec if {
	spec := {"securityContext": {"runAsNonRoot": false}, "containers": [c("app", {"allowPrivilegeEscalation": false})]}
	some f in pod_05.deny with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
	f.evidence == [{"path": "spec.template.spec.securityContext.runAsNonRoot", "value": false}]
}

test_string_values_tolerated if {
	spec := {"securityContext": {"runAsNonRoot": "true", "runAsUser": "0"}, "containers": [c("app", {"allowPrivilegeEscalation": "false"})]}
	run(spec) == {{"msg": "container \"app\": runAsUser 0 in the pod securityContext", "resource": testlib.deployment_ref("shop", "web")}}
}

# allowPrivilegeEscalation is a Linux-only field the API rejects on Windows
# pods; runAsNonRoot still applies there.
test_windows_pod_not_judged_on_escalation if {
	spec := {"os": {"name": "windows"}, "containers": [{"name": "app", "image": "registry.example.com/win:1.0"}]}
	run(spec) == {{"msg": "container \"app\": runAsNonRoot not set (want true)", "resource": testlib.deployment_ref("shop", "web")}}
}

injected_pod(containers) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "web-abc", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{}"}},
	"spec": {
		"securityContext": pod_nonroot,
		"initContainers": [{"name": "istio-init", "image": "docker.io/istio/proxyv2:1.24.0", "securityContext": {"runAsUser": 0, "runAsNonRoot": false}}],
		"containers": containers,
	},
}

test_istio_containers_on_injected_pod_ignored if {
	p := injected_pod([c("app", hardened), {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"}])
	count(pod_05.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

test_istio_named_container_on_non_injected_pod_fires if {
	spec := {"securityContext": pod_nonroot, "containers": [c("app", hardened), {"name": "istio-proxy", "image": "registry.example.com/envoy:1.0"}]}
	run(spec) == {{
		"msg": "container \"istio-proxy\": allowPrivilegeEscalation not set (defaults to true, want false)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_gateway_auto_image_ignored if {
	count(run({"containers": [{"name": "istio-proxy", "image": "auto"}]})) == 0
}

test_excluded_namespace_ignored if {
	count(pod_05.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", {"containers": [c("app", {})]})]})
}

test_owned_replicaset_not_double_reported if {
	spec := {"containers": [c("app", {"runAsNonRoot": true})]}
	rs := {
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": {"name": "web-5d8", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
		"spec": {"template": {"spec": spec}},
	}
	testlib.strip(pod_05.deny) == {{
		"msg": "container \"app\": allowPrivilegeEscalation not set (defaults to true, want false)",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)], "ReplicaSet": [rs]})
}

# A template with `metadata: null` is judged: lib.workloads reads a null
# field as absent, as the collectors do.
test_template_with_null_metadata_still_checked if {
	d := object.union(deploy("shop", {"securityContext": pod_nonroot, "containers": [c("app", {})]}), {"spec": {"template": {"metadata": null}}})
	testlib.strip(pod_05.deny) == {{
		"msg": "container \"app\": allowPrivilegeEscalation not set (defaults to true, want false)",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}
