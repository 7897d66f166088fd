package meshaudit.rules.mesh_02_test

import data.meshaudit.rules.mesh_02
import data.meshaudit.testlib
import rego.v1

deploy(namespace, name, labels, annotations) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": namespace},
	"spec": {"template": {
		"metadata": {"labels": labels, "annotations": annotations},
		"spec": {"containers": [{"name": "app", "image": "app:1"}]},
	}},
}

res(kind, api, namespace, name) := {"apiVersion": api, "kind": kind, "namespace": namespace, "name": name}

dres(namespace, name) := res("Deployment", "apps/v1", namespace, name)

test_enrolled_passes if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {}, {})]})
}

test_label_opt_out_fails if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "sidecar.istio.io/inject label \"false\" opts the workload out of sidecar injection, so it runs outside the mesh; remove it (or record an approved exception)",
		"resource": dres("app", "web"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "false"}, {})]})
}

test_annotation_opt_out_fails if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "sidecar.istio.io/inject annotation \"false\" opts the workload out of sidecar injection, so it runs outside the mesh; remove it (or record an approved exception)",
		"resource": dres("app", "web"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {}, {"sidecar.istio.io/inject": "false"})]})
}

test_label_wins_over_annotation_true if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "true"}, {"sidecar.istio.io/inject": "false"})]})
}

test_label_false_wins_over_annotation if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "sidecar.istio.io/inject label \"false\" opts the workload out of sidecar injection, overriding annotation \"true\", so it runs outside the mesh; remove it (or record an approved exception)",
		"resource": dres("app", "web"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "false"}, {"sidecar.istio.io/inject": "true"})]})
}

# Istio's injector treats any value but y/yes/true/on as "do not inject".
test_other_false_values_opt_out if {
	some f in mesh_02.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {}, {"sidecar.istio.io/inject": "no"})]})
	f.msg == "sidecar.istio.io/inject annotation \"no\" opts the workload out of sidecar injection, so it runs outside the mesh; remove it (or record an approved exception)"
}

test_opt_out_in_implied_namespace_reported if {
	d := mesh_02.deny with input as testlib.inp({"Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "false"}, {})]})
	count(d) == 1
}

# An implied namespace (no Namespace object) is not enrolled
# (docs/verdicts.md): its workloads are judged and fail, saying so.
test_implied_namespace_not_enrolled if {
	mesh_02.deny == {{
		"msg": "namespace \"shop\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) is not enrolled in the mesh and the workload does not opt in, so it runs without a sidecar; label the namespace istio-injection=enabled (or istio.io/rev, or istio.io/dataplane-mode=ambient)",
		"resource": dres("shop", "web"),
		"evidence": [{"path": "Namespace \"shop\" in the input (implied by its objects; no params.namespace_labels entry)", "value": 0}],
	}} with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {})]})
	mesh_02.judged == {dres("shop", "web")} with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {})]})
}

test_implied_namespace_enrolled_by_params if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {})]})
		with data.meshaudit.params.namespace_labels as {"shop": {"istio-injection": "enabled"}}
}

# A pod-level opt-in in an implied namespace is meshed.
test_implied_namespace_pod_opt_in if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", "web", {"sidecar.istio.io/inject": "true"}, {})]})
}

test_opt_out_evidence if {
	some f in mesh_02.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {}, {"sidecar.istio.io/inject": "false"})]})
	f.evidence == [{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/inject\"]", "value": "false"}]
}

test_unenrolled_namespace_evidence if {
	some f in mesh_02.deny with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled"})], "Deployment": [deploy("app", "web", {}, {})]})
	f.evidence == [
		{"path": "metadata.labels[\"istio-injection\"]", "value": "disabled", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
		{"path": "metadata.labels[\"istio.io/dataplane-mode\"]", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
		{"path": "metadata.labels[\"istio.io/rev\"]", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
	]
}

test_unenrolled_namespace_fails if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "namespace \"app\" is not enrolled in the mesh and the workload does not opt in, so it runs without a sidecar; label the namespace istio-injection=enabled (or istio.io/rev, or istio.io/dataplane-mode=ambient)",
		"resource": dres("app", "web"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {}, {})]})
}

test_label_opt_in_unlabelled_namespace_passes if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "true"}, {})]})
}

# The annotation alone never reaches the injector: the object webhook selects
# on the label.
test_annotation_opt_in_unlabelled_namespace_fails if {
	d := mesh_02.deny with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {}, {"sidecar.istio.io/inject": "true"})]})
	count(d) == 1
}

test_pod_revision_label_in_unlabelled_namespace_passes if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {"istio.io/rev": "1-22"}, {})]})
}

test_disabled_namespace_fails if {
	d := mesh_02.deny with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled"})], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "true"}, {})]})
	count(d) == 1
}

test_ambient_namespace_passes_and_ignores_sidecar_opt_out if {
	amb := testlib.namespace("app", {"istio.io/dataplane-mode": "ambient"})
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [amb], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "false"}, {})]})
}

test_excluded_and_root_namespaces_ignored if {
	count(mesh_02.deny) == 0 with input as testlib.inp({
		"Namespace": [testlib.namespace("kube-system", {}), testlib.namespace("istio-system", {})],
		"Deployment": [deploy("kube-system", "dns", {}, {}), deploy("istio-system", "istiod", {"sidecar.istio.io/inject": "false"}, {})],
	})
}

test_gateway_with_auto_image_passes if {
	gw := object.union(deploy("app", "gw", {}, {"inject.istio.io/templates": "gateway"}), {"spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}}})
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [gw]})
}

# ---- live --------------------------------------------------------------------

rs := {
	"apiVersion": "apps/v1",
	"kind": "ReplicaSet",
	"metadata": {"name": "web-5d8", "namespace": "app", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
	"spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

pod_annotations(true) := {"sidecar.istio.io/status": "{}"}

pod_annotations(false) := {}

pod_proxy(true) := [{"name": "istio-proxy", "image": "proxyv2:1.22"}]

pod_proxy(false) := []

pod_owner("") := []

pod_owner(owner) := [{"kind": "ReplicaSet", "name": owner, "controller": true}] if owner != ""

pod(name, injected, owner) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {
		"name": name,
		"namespace": "app",
		"annotations": pod_annotations(injected),
		"ownerReferences": pod_owner(owner),
	},
	"spec": {"containers": array.concat([{"name": "app", "image": "app:1"}], pod_proxy(injected))},
}

test_live_injected_pods_pass if {
	count(mesh_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy("app", "web", {}, {})],
		"ReplicaSet": [rs],
		"Pod": [pod("web-5d8-a", true, "web-5d8")],
	})
}

test_live_uninjected_pods_reported_on_owner if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "pods web-5d8-a, web-5d8-b run without an istio-proxy container although the workload should be injected (created before enrolment, or injection failed); restart the workload (kubectl rollout restart)",
		"resource": dres("app", "web"),
	}} with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy("app", "web", {}, {})],
		"ReplicaSet": [rs],
		"Pod": [pod("web-5d8-b", false, "web-5d8"), pod("web-5d8-a", false, "web-5d8"), pod("web-5d8-c", true, "web-5d8")],
	})
}

test_live_bare_pod_without_proxy_fails if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "pod has no istio-proxy container and no sidecar.istio.io/status annotation although it should be injected, so it runs without a sidecar; delete it so that its controller recreates it with one",
		"resource": res("Pod", "v1", "app", "debug"),
	}} with input as testlib.live({"Namespace": [testlib.enrolled("app")], "Pod": [pod("debug", false, "")]})
}

test_live_bare_pod_injected_passes if {
	count(mesh_02.deny) == 0 with input as testlib.live({"Namespace": [testlib.enrolled("app")], "Pod": [pod("debug", true, "")]})
}

test_live_bare_pod_unenrolled_namespace_reported_once if {
	testlib.strip(mesh_02.deny) == {{
		"msg": "namespace \"app\" is not enrolled in the mesh and the workload does not opt in, so it runs without a sidecar; label the namespace istio-injection=enabled (or istio.io/rev, or istio.io/dataplane-mode=ambient)",
		"resource": res("Pod", "v1", "app", "debug"),
	}} with input as testlib.live({"Namespace": [testlib.namespace("app", {})], "Pod": [pod("debug", false, "")]})
}

# Manifests: the same uninjected pod list is not judged (no pods expected).
test_manifest_template_never_judged_by_containers if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {}, {})]})
}
