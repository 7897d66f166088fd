package meshaudit.rules.ha_03_test

import data.meshaudit.rules.ha_03
import data.meshaudit.testlib
import rego.v1

plain := testlib.namespace("app", {})

full := {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}

container(name, resources) := {"name": name, "image": "registry.example/app:1.0", "resources": resources}

deploy(annotations, containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "app"},
	"spec": {"template": {
		"metadata": {"labels": {"app": "web"}, "annotations": annotations},
		"spec": {"containers": containers},
	}},
}

quota := {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "app"}, "spec": {"hard": {"requests.cpu": "10"}}}

limitrange(item) := {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr", "namespace": "app"}, "spec": {"limits": [item]}}

test_complete_resources_pass if {
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ResourceQuota": [quota], "Deployment": [deploy({}, [container("app", full)])]})
}

test_missing_resources_fail if {
	testlib.strip(ha_03.deny) == {{
		"msg": "container \"app\" has no requests.cpu, requests.memory, limits.memory",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [deploy({}, [container("app", {})])]})
}

test_memory_limit_missing_fails if {
	testlib.strip(ha_03.deny) == {{
		"msg": "container \"app\" has no limits.memory",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [deploy({}, [container("app", {"requests": {"cpu": "1", "memory": "1Gi"}})])]})
}

# Kubernetes copies a limit into a missing request.
test_limits_imply_requests if {
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [deploy({}, [container("app", {"limits": {"cpu": "1", "memory": "1Gi"}})])]})
}

test_init_container_judged if {
	d := object.union(deploy({}, [container("app", full)]), {"spec": {"template": {"spec": {"initContainers": [container("migrate", {"requests": {"cpu": "1"}})]}}}})
	testlib.strip(ha_03.deny) == {{
		"msg": "container \"migrate\" has no requests.memory, limits.memory",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [d]})
}

# LimitRange defaults fill missing values (default also defaults the request).
test_limitrange_defaults_fill if {
	lr := limitrange({"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"}})
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [plain], "LimitRange": [lr], "Deployment": [deploy({}, [container("app", {})])]})
}

test_limitrange_request_only if {
	lr := limitrange({"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"}})
	testlib.strip(ha_03.deny) == {{
		"msg": "container \"app\" has no limits.memory",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.inp({"Namespace": [plain], "LimitRange": [lr], "Deployment": [deploy({}, [container("app", {})])]})
}

# A Pod-type LimitRange item fills nothing in.
test_limitrange_pod_type_does_not_default if {
	lr := limitrange({"type": "Pod", "max": {"cpu": "4", "memory": "4Gi"}})
	count(ha_03.deny) == 1 with input as testlib.inp({"Namespace": [plain], "LimitRange": [lr], "Deployment": [deploy({}, [container("app", {})])]})
}

test_pod_level_resources_count if {
	d := object.union(deploy({}, [container("app", {})]), {"spec": {"template": {"spec": {"resources": {"requests": {"cpu": "1"}, "limits": {"memory": "1Gi"}}}}}})
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [d]})
}

# No proxy annotation: the injector's defaults apply (not read, not failed).
test_sidecar_defaults_not_failed if {
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ResourceQuota": [quota], "Deployment": [deploy({}, [container("app", full)])]})
}

test_sidecar_complete_annotations_pass if {
	a := {"sidecar.istio.io/proxyCPU": "100m", "sidecar.istio.io/proxyMemory": "128Mi", "sidecar.istio.io/proxyMemoryLimit": "512Mi"}
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ResourceQuota": [quota], "Deployment": [deploy(a, [container("app", full)])]})
}

test_sidecar_partial_annotations_fail if {
	testlib.strip(ha_03.deny) == {{
		"msg": "istio-proxy gets no requests.memory, limits.memory: once any sidecar.istio.io/proxy* resource annotation is set, the injector ignores its defaults (set sidecar.istio.io/proxyMemory, sidecar.istio.io/proxyMemoryLimit)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ResourceQuota": [quota], "Deployment": [deploy({"sidecar.istio.io/proxyCPU": "100m"}, [container("app", full)])]})
}

# proxyMemoryLimit alone: the memory request is the limit, the CPU request is missing.
test_sidecar_limit_annotation_implies_request if {
	{f.msg | some f in ha_03.deny} == {"istio-proxy gets no requests.cpu: once any sidecar.istio.io/proxy* resource annotation is set, the injector ignores its defaults (set sidecar.istio.io/proxyCPU)"} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ResourceQuota": [quota], "Deployment": [deploy({"sidecar.istio.io/proxyMemoryLimit": "1Gi"}, [container("app", full)])]})
}

# Not meshed: the annotations do nothing.
test_unmeshed_annotations_ignored if {
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [deploy({"sidecar.istio.io/proxyCPU": "100m"}, [container("app", full)])]})
}

test_live_injected_pod_proxy_judged if {
	pod := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "web-1", "namespace": "app", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {"containers": [container("app", full), container("istio-proxy", {"requests": {"cpu": "100m", "memory": "128Mi"}})]},
	}
	testlib.strip(ha_03.deny) == {{
		"msg": "istio-proxy container has no limits.memory",
		"resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "app", "name": "web-1"},
	}} with input as testlib.live({"Namespace": [testlib.enrolled("app")], "ResourceQuota": [quota], "Pod": [pod]})
}

# A gateway's istio-proxy ("auto") is Istio's: its explicit resources count.
test_gateway_explicit_resources if {
	gw := object.union(deploy({"inject.istio.io/templates": "gateway", "sidecar.istio.io/proxyCPU": "500m"}, [{"name": "istio-proxy", "image": "auto", "resources": {"requests": {"memory": "256Mi"}, "limits": {"memory": "1Gi"}}}]), {"spec": {"template": {"metadata": {"labels": {"sidecar.istio.io/inject": "true"}}}}})
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [gw]})
}

test_namespace_without_limitrange_or_quota_fails if {
	testlib.strip(ha_03.deny) == {{
		"msg": "namespace \"app\" has neither a LimitRange nor a ResourceQuota",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"},
	}} with input as testlib.inp({"Namespace": [plain], "Deployment": [deploy({}, [container("app", full)])]})
}

# Manifests without the Namespace object: the namespace is implied and
# judged like any other (its message says so).
test_manifests_implied_namespace_judged if {
	testlib.strip(ha_03.deny) == {{
		"msg": "namespace \"app\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) has neither a LimitRange nor a ResourceQuota",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"},
	}} with input as testlib.inp({"Deployment": [deploy({}, [container("app", full)])]})
}

# Issue 12: file and live scans judge the same namespaces: those holding
# workloads; a namespace without workloads is judged in neither.
test_file_and_live_judge_namespaces_with_workloads if {
	every source in ["cluster", "manifests"] {
		empty := {"cluster": "c1", "source": source, "objects": {"Namespace": [plain, testlib.namespace("empty", {})]}}
		full_in := {"cluster": "c1", "source": source, "objects": {"Namespace": [plain, testlib.namespace("empty", {})], "Deployment": [deploy({}, [container("app", full)])]}}
		count(ha_03.deny) == 0 with input as empty
		count(ha_03.judged) == 0 with input as empty
		count(ha_03.deny) == 1 with input as full_in
		ha_03.judged == {testlib.deployment_ref("app", "web"), {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}} with input as full_in
	}
}

# One finding per workload listing every container, with evidence.
test_evidence if {
	d := object.union(deploy({}, [container("app", {"requests": {"cpu": "1"}})]), {"spec": {"template": {"spec": {"initContainers": [container("migrate", {"limits": {"memory": "1Gi"}})]}}}})
	ha_03.deny == {{
		"msg": "container \"app\" has no requests.memory, limits.memory; container \"migrate\" has no requests.cpu",
		"resource": testlib.deployment_ref("app", "web"),
		"evidence": [
			{"path": "spec.template.spec.containers[0].resources.requests.memory"},
			{"path": "spec.template.spec.containers[0].resources.limits.memory"},
			{"path": "spec.template.spec.initContainers[0].resources.requests.cpu"},
		],
	}} with input as testlib.inp({"Namespace": [plain], "ResourceQuota": [quota], "Deployment": [d]})
	{f.evidence | some f in ha_03.deny} == {[
		{"path": "LimitRange in namespace \"app\"", "value": 0},
		{"path": "ResourceQuota in namespace \"app\"", "value": 0},
	]} with input as testlib.inp({"Namespace": [plain], "Deployment": [deploy({}, [container("app", full)])]})
}

test_root_and_excluded_namespaces_not_judged if {
	count(ha_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("istio-system", {}), testlib.namespace("kube-system", {})]})
}
