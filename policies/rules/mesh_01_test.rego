package meshaudit.rules.mesh_01_test

import data.meshaudit.rules.mesh_01
import data.meshaudit.testlib
import rego.v1

deploy(namespace, name, labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": namespace, "labels": labels},
	"spec": {"template": {"metadata": {}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

test_enabled_passes if {
	count(mesh_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})]})
}

test_ambient_passes if {
	count(mesh_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio.io/dataplane-mode": "ambient"})]})
}

test_revision_without_istiod_in_input_passes if {
	count(mesh_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio.io/rev": "1-22"})]})
}

test_missing_label_fails if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"app\" has no istio-injection=enabled, istio.io/rev or istio.io/dataplane-mode=ambient label, so its pods get no mesh proxy; label it istio-injection=enabled (or istio.io/rev=<revision>, or istio.io/dataplane-mode=ambient) and restart its pods",
		"resource": testlib.namespace_ref("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {"team": "a"})]})
}

test_ambient_none_fails if {
	some f in mesh_01.deny with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio.io/dataplane-mode": "none"})]})
	startswith(f.msg, "namespace \"app\" has no istio-injection=enabled")
}

test_disabled_fails if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"app\" has label istio-injection=disabled, so its pods get no sidecar; set istio-injection=enabled (or record an approved exception for a namespace that must stay out of the mesh)",
		"resource": testlib.namespace_ref("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled"})]})
}

test_other_value_fails if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"app\" has label istio-injection=\"true\", which no injector selects (only \"enabled\" does), so its pods get no sidecar; set istio-injection=enabled",
		"resource": testlib.namespace_ref("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "true"})]})
}

test_conflict_enabled_and_rev_fails if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"app\" has conflicting labels istio-injection=enabled and istio.io/rev=\"canary\": istio-injection takes precedence, so pods get the default revision, not \"canary\"; remove istio-injection to use revision \"canary\"",
		"resource": testlib.namespace_ref("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "enabled", "istio.io/rev": "canary"})]})
}

test_conflict_disabled_and_rev_fails_once if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"app\" has conflicting labels istio-injection=\"disabled\" and istio.io/rev=\"canary\": istio-injection takes precedence, so revision \"canary\" does not inject its pods and they get no sidecar; remove the istio-injection label",
		"resource": testlib.namespace_ref("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "disabled", "istio.io/rev": "canary"})]})
}

istiod(rev) := deploy("istio-system", sprintf("istiod-%s", [rev]), {"app": "istiod", "istio.io/rev": rev})

test_revision_without_istiod_fails if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"app\" has label istio.io/rev=\"1-21\" but no istiod of that revision (or revision tag) is in the input; istiod revisions found: 1-22, 1-23; name an installed revision or revision tag",
		"resource": testlib.namespace_ref("app"),
	}} with input as testlib.inp({
		"Namespace": [testlib.namespace("app", {"istio.io/rev": "1-21"})],
		"Deployment": [istiod("1-23"), istiod("1-22")],
	})
}

test_revision_with_istiod_passes if {
	count(mesh_01.deny) == 0 with input as testlib.inp({
		"Namespace": [testlib.namespace("app", {"istio.io/rev": "1-22"})],
		"Deployment": [istiod("1-22")],
	})
}

test_unlabelled_istiod_is_default_revision if {
	d := deploy("istio-system", "istiod", {"app": "istiod"})
	count(mesh_01.deny) == 0 with input as testlib.inp({
		"Namespace": [testlib.namespace("app", {"istio.io/rev": "default"})],
		"Deployment": [d],
	})
}

test_revision_tag_passes if {
	tag := {
		"apiVersion": "admissionregistration.k8s.io/v1",
		"kind": "MutatingWebhookConfiguration",
		"metadata": {"name": "istio-revision-tag-prod", "labels": {"istio.io/tag": "prod", "istio.io/rev": "1-22"}},
	}
	count(mesh_01.deny) == 0 with input as testlib.inp({
		"Namespace": [testlib.namespace("app", {"istio.io/rev": "prod"})],
		"Deployment": [istiod("1-22")],
		"MutatingWebhookConfiguration": [tag],
	})
}

test_revision_tag_to_missing_revision_fails if {
	tag := {
		"apiVersion": "admissionregistration.k8s.io/v1",
		"kind": "MutatingWebhookConfiguration",
		"metadata": {"name": "istio-revision-tag-prod", "labels": {"istio.io/tag": "prod", "istio.io/rev": "1-20"}},
	}
	d := mesh_01.deny with input as testlib.inp({
		"Namespace": [testlib.namespace("app", {"istio.io/rev": "prod"})],
		"Deployment": [istiod("1-22")],
		"MutatingWebhookConfiguration": [tag],
	})
	count(d) == 1
}

test_implied_namespace_reported_once if {
	testlib.strip(mesh_01.deny) == {{
		"msg": "namespace \"shop\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) has no istio-injection=enabled, istio.io/rev or istio.io/dataplane-mode=ambient label, so its pods get no mesh proxy; label it istio-injection=enabled (or istio.io/rev=<revision>, or istio.io/dataplane-mode=ambient) and restart its pods",
		"resource": testlib.namespace_ref("shop"),
	}} with input as testlib.inp({"Deployment": [deploy("shop", "a", {}), deploy("shop", "b", {})]})
}

test_implied_namespace_labels_from_params if {
	count(mesh_01.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", "a", {})]})
		with data.meshaudit.params.namespace_labels as {"shop": {"istio-injection": "enabled"}}
}

test_root_and_excluded_namespaces_not_judged if {
	count(mesh_01.deny) == 0 with input as testlib.inp({
		"Namespace": [testlib.namespace("istio-system", {}), testlib.namespace("kube-system", {})],
		"Deployment": [deploy("kube-public", "x", {})],
	})
}

test_excluded_namespace_param if {
	p := object.union(data.meshaudit.params, {"excluded_namespaces": ["legacy"]})
	count(mesh_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("legacy", {})]})
		with data.meshaudit.params as p
}

test_live_same_logic if {
	d := mesh_01.deny with input as {"cluster": "c1", "source": "cluster", "objects": {"Namespace": [testlib.namespace("app", {}), testlib.namespace("ok", {"istio-injection": "enabled"})]}}
	count(d) == 1
	some f in d
	f.resource.name == "app"
}

test_evidence_and_judged if {
	i := testlib.inp({"Namespace": [testlib.namespace("shop", {"istio-injection": "enabled", "istio.io/rev": "canary"}), testlib.namespace("ok", {"istio-injection": "enabled"})]})
	mesh_01.deny == {{
		"msg": "namespace \"shop\" has conflicting labels istio-injection=enabled and istio.io/rev=\"canary\": istio-injection takes precedence, so pods get the default revision, not \"canary\"; remove istio-injection to use revision \"canary\"",
		"resource": testlib.namespace_ref("shop"),
		"evidence": [
			{"path": "metadata.labels[\"istio-injection\"]", "value": "enabled"},
			{"path": "metadata.labels[\"istio.io/rev\"]", "value": "canary"},
		],
	}} with input as i
	mesh_01.judged == {testlib.namespace_ref("shop"), testlib.namespace_ref("ok")} with input as i
}

test_implied_namespace_evidence_is_the_lookup if {
	some f in mesh_01.deny with input as testlib.inp({"Deployment": [deploy("shop", "web", {})]})
	f.evidence == [{"path": "Namespace \"shop\" in the input (implied by its objects; no params.namespace_labels entry)", "value": 0}]
}

# Only cluster-scoped and root-namespace objects: no application namespace
# is held or implied, so nothing is judged (never `default`).
test_no_namespace_from_cluster_scoped_or_root_objects if {
	i := testlib.inp({
		"MutatingWebhookConfiguration": [{"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "metadata": {"name": "istio-sidecar-injector"}}],
		"Deployment": [deploy("istio-system", "istiod", {"app": "istiod"})],
	})
	count(mesh_01.deny) == 0 with input as i
	count(mesh_01.judged) == 0 with input as i
}

# A namespace whose workloads all run on the host network (a node agent):
# Istio never injects them, so enrolling it changes nothing; not judged. A
# namespace mixing hostNetwork and other workloads is judged.
test_host_network_only_namespace_not_judged if {
	agent := {
		"apiVersion": "apps/v1", "kind": "DaemonSet",
		"metadata": {"name": "node-exporter", "namespace": "monitoring"},
		"spec": {"template": {"metadata": {"labels": {"app": "node-exporter"}}, "spec": {"hostNetwork": true, "containers": [{"name": "e", "image": "e:1"}]}}},
	}
	i := testlib.inp({"Namespace": [testlib.namespace("monitoring", {})], "DaemonSet": [agent]})
	count(mesh_01.deny) == 0 with input as i
	count(mesh_01.judged) == 0 with input as i
	mesh_01.not_applicable == {"the application namespaces of the input (\"monitoring\") run only hostNetwork workloads, which Istio never injects: enrolling them would change nothing"} with input as i
	i2 := testlib.inp({"Namespace": [testlib.namespace("monitoring", {})], "DaemonSet": [agent], "Deployment": [deploy("monitoring", "prometheus", {})]})
	count(mesh_01.deny) == 1 with input as i2
}
