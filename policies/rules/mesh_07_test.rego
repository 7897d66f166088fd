package meshaudit.rules.mesh_07_test

import data.meshaudit.rules.mesh_07
import data.meshaudit.testlib
import rego.v1

optout := {"key": "sidecar.istio.io/inject", "operator": "NotIn", "values": ["false"]}

# Istio's default-revision injector (istiod chart), abridged to its selectors.
std_hooks := [
	{
		"name": "rev.namespace.sidecar-injector.istio.io",
		"failurePolicy": "Fail",
		"namespaceSelector": {"matchExpressions": [
			{"key": "istio.io/rev", "operator": "In", "values": ["default"]},
			{"key": "istio-injection", "operator": "DoesNotExist"},
		]},
		"objectSelector": {"matchExpressions": [optout]},
	},
	{
		"name": "rev.object.sidecar-injector.istio.io",
		"failurePolicy": "Fail",
		"namespaceSelector": {"matchExpressions": [
			{"key": "istio.io/rev", "operator": "DoesNotExist"},
			{"key": "istio-injection", "operator": "DoesNotExist"},
		]},
		"objectSelector": {"matchExpressions": [optout, {"key": "istio.io/rev", "operator": "In", "values": ["default"]}]},
	},
	{
		"name": "namespace.sidecar-injector.istio.io",
		"failurePolicy": "Fail",
		"namespaceSelector": {"matchExpressions": [{"key": "istio-injection", "operator": "In", "values": ["enabled"]}]},
		"objectSelector": {"matchExpressions": [optout]},
	},
	{
		"name": "object.sidecar-injector.istio.io",
		"namespaceSelector": {"matchExpressions": [
			{"key": "istio-injection", "operator": "DoesNotExist"},
			{"key": "istio.io/rev", "operator": "DoesNotExist"},
		]},
		"objectSelector": {"matchExpressions": [
			{"key": "sidecar.istio.io/inject", "operator": "In", "values": ["true"]},
			{"key": "istio.io/rev", "operator": "DoesNotExist"},
		]},
	},
]

mwc(name, hooks) := {
	"apiVersion": "admissionregistration.k8s.io/v1",
	"kind": "MutatingWebhookConfiguration",
	"metadata": {"name": name},
	"webhooks": hooks,
}

mres(name) := {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "namespace": "", "name": name}

deploy(n, name, labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": n},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

enrolled := [testlib.namespace("shop", {"istio-injection": "enabled"}), testlib.namespace("pay", {"istio.io/rev": "default"})]

test_istio_default_webhooks_pass if {
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {
		"Namespace": enrolled,
		"MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", std_hooks)],
		"Deployment": [deploy("shop", "web", {"app": "web"}), deploy("pay", "api", {})],
	})
}

test_failure_policy_ignore_fails if {
	hooks := [object.union(std_hooks[2], {"failurePolicy": "Ignore"})]
	testlib.strip(mesh_07.deny) == {{
		"msg": "MutatingWebhookConfiguration istio-sidecar-injector: webhook namespace.sidecar-injector.istio.io has failurePolicy Ignore: pods created while istiod is unreachable start without a sidecar (set failurePolicy: Fail)",
		"resource": mres("istio-sidecar-injector"),
	}} with input as testlib.input_from("manifests", {"MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", hooks)]})
}

test_revision_tag_checked if {
	hooks := [object.union(std_hooks[0], {"failurePolicy": "Ignore"})]
	some f in mesh_07.deny with input as testlib.input_from("cluster", {"MutatingWebhookConfiguration": [mwc("istio-revision-tag-default", hooks)]})
	f.resource == mres("istio-revision-tag-default")
}

# Unset failurePolicy is Fail in admissionregistration/v1.
test_failure_policy_unset_passes if {
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", [std_hooks[3]])]})
}

test_other_webhooks_ignored if {
	other := mwc("cert-manager-webhook", [{"name": "webhook.cert-manager.io", "failurePolicy": "Ignore"}])
	mesh_07.not_applicable == {"no istio-sidecar-injector or istio-revision-tag MutatingWebhookConfiguration in the input"} with input as testlib.input_from("manifests", {"MutatingWebhookConfiguration": [other]})
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"MutatingWebhookConfiguration": [other]})
}

test_live_without_injector_fails if {
	testlib.strip(mesh_07.deny) == {{
		"msg": "no sidecar injector webhook (MutatingWebhookConfiguration istio-sidecar-injector* or istio-revision-tag-*) is installed, so no pod gets a sidecar by injection; install istiod's injector (or a revision tag)",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as testlib.input_from("cluster", {"Namespace": enrolled})
}

test_manifests_without_injector_not_judged if {
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": enrolled})
	count(mesh_07.not_applicable) == 1 with input as testlib.input_from("manifests", {"Namespace": enrolled})
}

excl := {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["shop", "legacy"]}

test_namespace_selector_excludes_enrolled_namespace if {
	h := object.union(std_hooks[2], {"namespaceSelector": {"matchExpressions": [
		{"key": "istio-injection", "operator": "In", "values": ["enabled"]},
		excl,
	]}})
	hooks := [std_hooks[0], std_hooks[1], h, std_hooks[3]]
	testlib.strip(mesh_07.deny) == {{
		"msg": "MutatingWebhookConfiguration istio-sidecar-injector: namespace \"shop\" is enrolled for sidecar injection but no injector webhook selects it: the namespaceSelector of webhook namespace.sidecar-injector.istio.io excludes it with kubernetes.io/metadata.name NotIn [shop, legacy] (remove the exclusion)",
		"resource": mres("istio-sidecar-injector"),
	}} with input as testlib.input_from("manifests", {"Namespace": enrolled, "MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", hooks)]})
}

# Another webhook still selecting the namespace: not reported.
test_exclusion_covered_by_other_webhook_passes if {
	h := object.union(std_hooks[2], {"namespaceSelector": {"matchExpressions": [
		{"key": "istio-injection", "operator": "In", "values": ["enabled"]},
		excl,
	]}})
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": enrolled, "MutatingWebhookConfiguration": [
		mwc("istio-sidecar-injector", [h]),
		mwc("istio-revision-tag-default", [std_hooks[2]]),
	]})
}

test_excluded_namespace_not_judged if {
	h := object.union(std_hooks[2], {"namespaceSelector": {"matchExpressions": [
		{"key": "istio-injection", "operator": "In", "values": ["enabled"]},
		{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]},
	]}})
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": [testlib.namespace("kube-system", {"istio-injection": "enabled"})], "MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", [h])]})
}

# A revision without webhook is MESH-01's (revision without istiod), not an exclusion.
test_missing_revision_not_reported_here if {
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": [testlib.namespace("pay", {"istio.io/rev": "canary"})], "MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", std_hooks)]})
}

test_object_selector_excludes_pods if {
	h := object.union(std_hooks[2], {"objectSelector": {"matchExpressions": [optout, {"key": "tier", "operator": "NotIn", "values": ["batch"]}]}})
	d := deploy("shop", "report", {"tier": "batch"})
	testlib.strip(mesh_07.deny) == {{
		"msg": "MutatingWebhookConfiguration istio-sidecar-injector: pods of Deployment shop/report in enrolled namespace \"shop\" get no sidecar: the objectSelector of webhook namespace.sidecar-injector.istio.io excludes them with tier NotIn [batch] (remove the exclusion)",
		"resource": mres("istio-sidecar-injector"),
	}} with input as testlib.input_from("manifests", {"Namespace": enrolled, "MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", [std_hooks[0], std_hooks[1], h, std_hooks[3]])], "Deployment": [d, deploy("shop", "web", {})]})
}

test_opted_out_pod_not_reported if {
	d := deploy("shop", "job", {"sidecar.istio.io/inject": "false"})
	count(mesh_07.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": enrolled, "MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", std_hooks)], "Deployment": [d]})
}

# One finding per configuration, every problem listed with its field.
test_one_finding_per_configuration_with_evidence if {
	hooks := [object.union(std_hooks[2], {"failurePolicy": "Ignore"}), object.union(std_hooks[3], {"failurePolicy": "Ignore"})]
	d := mesh_07.deny with input as testlib.input_from("manifests", {"MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", hooks)]})
	count(d) == 1
	some f in d
	f.evidence == [
		{"path": "webhooks[0].failurePolicy", "value": "Ignore"},
		{"path": "webhooks[1].failurePolicy", "value": "Ignore"},
	]
	mesh_07.judged == {mres("istio-sidecar-injector")} with input as testlib.input_from("manifests", {"MutatingWebhookConfiguration": [mwc("istio-sidecar-injector", hooks)]})
}

test_live_without_injector_judges_the_mesh if {
	mesh_07.judged == {{"kind": "Mesh", "name": "c1"}} with input as testlib.input_from("cluster", {"Namespace": enrolled})
}
