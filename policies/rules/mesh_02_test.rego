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
# (docs/verdicts.md): that is MESH-01's finding on the namespace, reported
# once there; its workloads, which neither opt in nor out, are not judged
# here (issue 14: once, on the subject that can fix it).
test_implied_namespace_not_enrolled_left_to_mesh_01 if {
	i := testlib.inp({"Deployment": [deploy("shop", "web", {}, {}), deploy("shop", "api", {}, {})]})
	count(mesh_02.deny) == 0 with input as i
	count(mesh_02.judged) == 0 with input as i
	mesh_02.not_applicable == {"every workload in scope is left to its namespace: namespace \"shop\" is not enrolled and their workloads neither opt in nor out; MESH-01 reports each namespace once, and MESH-02 judges workloads of enrolled namespaces and workloads that set their own injection"} with input as i
}

test_no_workload_not_applicable if {
	mesh_02.not_applicable == {"no workload in an application namespace of the input"} with input as testlib.inp({"Namespace": [testlib.enrolled("app")]})
}

# Only the workloads a namespace leaves to MESH-01 are skipped: an enrolled
# namespace's workloads and an opt-out elsewhere are judged.
test_judged_only_where_workload_or_namespace_decides if {
	i := testlib.inp({
		"Namespace": [testlib.enrolled("app"), testlib.namespace("legacy", {})],
		"Deployment": [deploy("app", "web", {}, {}), deploy("legacy", "old", {}, {}), deploy("legacy", "db", {"sidecar.istio.io/inject": "false"}, {}), deploy("legacy", "new", {"sidecar.istio.io/inject": "true"}, {})],
	})
	mesh_02.judged == {dres("app", "web"), dres("legacy", "db"), dres("legacy", "new")} with input as i
	{f.resource | some f in mesh_02.deny} == {dres("legacy", "db")} with input as i
	count(mesh_02.not_applicable) == 0 with input as i
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

# A namespace without enrolment is MESH-01's finding, not one per workload.
test_unenrolled_namespace_not_repeated_per_workload if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {}, {})]})
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled"})], "Deployment": [deploy("app", "web", {}, {})]})
	count(mesh_02.judged) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled"})], "Deployment": [deploy("app", "web", {}, {})]})
}

test_label_opt_in_unlabelled_namespace_passes if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "true"}, {})]})
}

# The annotation alone never reaches the injector: the object webhook selects
# on the label. The workload meant to opt in and can fix it itself, so it
# is judged and fails here (MESH-01 reports the namespace apart).
test_annotation_opt_in_unlabelled_namespace_fails if {
	mesh_02.deny == {{
		"msg": "sidecar.istio.io/inject annotation \"true\" does not opt the workload in: namespace \"app\" has no injection label, and there Istio's injector selects pods by the sidecar.istio.io/inject label only, so it runs without a sidecar; set sidecar.istio.io/inject: \"true\" as a pod template label (or enrol the namespace)",
		"resource": dres("app", "web"),
		"evidence": [
			{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/inject\"]", "value": "true"},
			{"path": "metadata.labels[\"istio-injection\"]", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
			{"path": "metadata.labels[\"istio.io/dataplane-mode\"]", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
			{"path": "metadata.labels[\"istio.io/rev\"]", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
		],
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {}, {"sidecar.istio.io/inject": "true"})]})
}

test_pod_revision_label_in_unlabelled_namespace_passes if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [deploy("app", "web", {"istio.io/rev": "1-22"}, {})]})
}

# istio-injection=disabled wins over a pod opt-in: the namespace is the
# subject to fix (MESH-01), not each workload.
test_disabled_namespace_left_to_mesh_01 if {
	d := mesh_02.deny with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled"})], "Deployment": [deploy("app", "web", {"sidecar.istio.io/inject": "true"}, {})]})
	count(d) == 0
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

test_live_bare_pod_unenrolled_namespace_left_to_mesh_01 if {
	count(mesh_02.deny) == 0 with input as testlib.live({"Namespace": [testlib.namespace("app", {})], "Pod": [pod("debug", false, "")]})
	count(mesh_02.judged) == 0 with input as testlib.live({"Namespace": [testlib.namespace("app", {})], "Pod": [pod("debug", false, "")]})
}

# Manifests: the same uninjected pod list is not judged (no pods expected).
test_manifest_template_never_judged_by_containers if {
	count(mesh_02.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy("app", "web", {}, {})]})
}
