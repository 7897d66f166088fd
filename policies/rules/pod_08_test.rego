package meshaudit.rules.pod_08_test

import data.meshaudit.rules.pod_08
import data.meshaudit.testlib
import rego.v1

deploy(ns, name, lbls, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": lbls}, "spec": object.union({"containers": [{"name": "app", "image": "r/app:1"}]}, spec)}},
}

sa(ns, name, automount) := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}, "automountServiceAccountToken": automount}

sa_plain(ns, name) := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}}

res(name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": name}

test_dedicated_sa_no_token_passes if {
	count(pod_08.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web", "automountServiceAccountToken": false})]})
}

test_sa_object_disables_token_passes if {
	count(pod_08.deny) == 0 with input as testlib.inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})],
		"ServiceAccount": [sa("shop", "web", false)],
	})
}

test_pod_true_overrides_sa_false if {
	testlib.strip(pod_08.deny) == {{
		"msg": "the Kubernetes API token of ServiceAccount \"web\" is mounted into the pods (automountServiceAccountToken: true on the pod); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
	}} with input as testlib.inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web", "automountServiceAccountToken": true})],
		"ServiceAccount": [sa("shop", "web", false)],
	})
}

test_sa_without_setting_fails if {
	testlib.strip(pod_08.deny) == {{
		"msg": "the Kubernetes API token of ServiceAccount \"web\" is mounted into the pods (automountServiceAccountToken is not false on the pod nor on ServiceAccount shop/web); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
	}} with input as testlib.inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})],
		"ServiceAccount": [sa_plain("shop", "web")],
	})
}

live(objs) := object.union(testlib.inp(objs), {"source": "cluster"})

# Live: the cluster was read, so a ServiceAccount it lacks is absent.
test_sa_not_in_live_input_fails if {
	testlib.strip(pod_08.deny) == {{
		"msg": "the Kubernetes API token of ServiceAccount \"web\" is mounted into the pods (automountServiceAccountToken is not false on the pod, and ServiceAccount shop/web is not in the input); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
	}} with input as live({"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})]})
}

# A ServiceAccount of the same name in another namespace does not count.
test_sa_in_other_namespace_not_used if {
	count(pod_08.deny) == 1 with input as live({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})],
		"ServiceAccount": [sa("other", "web", false)],
	})
}

enabled_shop := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"istio-injection": "enabled"}}}

# A meshed workload shares its mesh identity now.
test_default_sa_unset_fails if {
	testlib.strip(pod_08.deny) == {{
		"msg": "pods run as ServiceAccount \"default\" (no serviceAccountName set), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it; set serviceAccountName to a ServiceAccount of their own",
		"resource": res("web"),
	}} with input as testlib.inp({"Namespace": [enabled_shop], "Deployment": [deploy("shop", "web", {}, {"automountServiceAccountToken": false})]})
}

# A workload not in the mesh (implied, unlabelled namespace) has no mesh
# identity yet: the message says what it shares now (issue 14 precision).
test_default_sa_unmeshed_names_token_and_future_identity if {
	testlib.strip(pod_08.deny) == {{
		"msg": "pods run as ServiceAccount \"default\" (no serviceAccountName set), so its API token and RBAC grants, and the mesh identity ns/shop/sa/default they get once meshed, are shared with every other workload of the namespace using it; set serviceAccountName to a ServiceAccount of their own",
		"resource": res("web"),
	}} with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {"automountServiceAccountToken": false})]})
}

test_default_sa_explicit_fails_both_in_one_finding if {
	pod_08.deny == {{
		"msg": "pods run as ServiceAccount \"default\" (serviceAccountName: default), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it; set serviceAccountName to a ServiceAccount of their own; the Kubernetes API token of ServiceAccount \"default\" is mounted into the pods (automountServiceAccountToken is not false on the pod nor on ServiceAccount shop/default); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
		"evidence": [
			{"path": "spec.template.spec.serviceAccountName", "value": "default"},
			{"path": "spec.template.spec.automountServiceAccountToken"},
			{"path": "automountServiceAccountToken", "resource": {"apiVersion": "v1", "kind": "ServiceAccount", "namespace": "shop", "name": "default"}},
		],
	}} with input as testlib.inp({
		"Namespace": [enabled_shop],
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "default"})],
		"ServiceAccount": [sa_plain("shop", "default")],
	})
}

test_deprecated_service_account_field_honoured if {
	count(pod_08.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccount": "web", "automountServiceAccountToken": false})]})
}

test_default_sa_with_token_disabled_on_sa if {
	count(pod_08.deny) == 1 with input as testlib.inp({
		"Deployment": [deploy("shop", "web", {}, {})],
		"ServiceAccount": [sa("shop", "default", false)],
	})
}

test_istiod_token_not_judged if {
	count(pod_08.deny) == 0 with input as testlib.inp({"Deployment": [deploy("istio-system", "istiod", {"app": "istiod"}, {"serviceAccountName": "istiod"})]})
}

# istiod as "default": the shared ServiceAccount token, never a mesh identity.
test_istiod_default_sa_speaks_of_the_token if {
	pod_08.deny == {{
		"msg": "pods of Istio component istiod run as ServiceAccount \"default\" (no serviceAccountName set): its Kubernetes API token and RBAC grants are shared with every other pod of namespace \"istio-system\" that uses it; give it a ServiceAccount of its own (serviceAccountName), as Istio's charts do",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istiod"},
		"evidence": [{"path": "spec.template.spec.serviceAccountName"}],
	}} with input as testlib.inp({"Deployment": [deploy("istio-system", "istiod", {"app": "istiod"}, {})]})
}

# Gateways: the token is not judged; running as "default" they share it.
test_gateway_default_sa_speaks_of_the_token if {
	gw := deploy("shop", "gw", {"istio.io/gateway-name": "gw"}, {})
	testlib.strip(pod_08.deny) == {{
		"msg": "pods of Istio gateway gw run as ServiceAccount \"default\" (no serviceAccountName set): its Kubernetes API token and RBAC grants are shared with every other pod of namespace \"shop\" that uses it; give it a ServiceAccount of its own (serviceAccountName), as Istio's charts do",
		"resource": res("gw"),
	}} with input as testlib.inp({"Deployment": [gw]})
}

test_excluded_namespace_ignored if {
	count(pod_08.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", "coredns", {}, {})]})
}

test_live_pod_with_admission_filled_sa if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"serviceAccountName": "default", "serviceAccount": "default", "containers": [{"name": "a"}]}}
	some f in pod_08.deny with input as {"cluster": "c1", "source": "cluster", "objects": {"Namespace": [enabled_shop], "Pod": [p], "ServiceAccount": [sa_plain("shop", "default")]}}
	startswith(f.msg, "pods run as ServiceAccount \"default\" (serviceAccountName: default), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it; set serviceAccountName to a ServiceAccount of their own; ")
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("shop", "web", {}, {"serviceAccountName": "web", "automountServiceAccountToken": true}), {"spec": {"template": {"metadata": null}}})
	count(pod_08.deny) == 1 with input as testlib.inp({"Deployment": [d]})
	pod_08.judged == {res("web")} with input as testlib.inp({"Deployment": [d]})
}

# A named ServiceAccount missing from a manifest scan's input: its setting is
# not known, so the token is not judged (the identity is, and passes).
test_named_sa_not_in_manifest_input_not_judged_on_token if {
	count(pod_08.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})]})
	pod_08.judged == {res("web")} with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})]})
}

# ... but with its Namespace object in the input, the ServiceAccount would
# live there: its absence is judged (the token is mounted by default).
test_named_sa_not_in_input_with_namespace_object_judged if {
	nso := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
	some f in pod_08.deny with input as testlib.inp({"Namespace": [nso], "Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})]})
	f.evidence == [
		{"path": "spec.template.spec.automountServiceAccountToken"},
		{"path": "ServiceAccount \"shop/web\" in the input", "value": 0},
	]
}

test_default_sa_not_in_input_mounts_token if {
	some f in pod_08.deny with input as testlib.inp({"Deployment": [deploy("shop", "web", {}, {})]})
	f.evidence == [
		{"path": "spec.template.spec.serviceAccountName"},
		{"path": "spec.template.spec.automountServiceAccountToken"},
		{"path": "ServiceAccount \"shop/default\" in the input", "value": 0},
	]
	contains(f.msg, "ServiceAccount shop/default is not in the input (Kubernetes creates it without automountServiceAccountToken)")
}
