package meshaudit.rules.pod_08_test

import data.meshaudit.rules.pod_08
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

inp(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

test_dedicated_sa_no_token_passes if {
	count(pod_08.deny) == 0 with input as inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web", "automountServiceAccountToken": false})]})
}

test_sa_object_disables_token_passes if {
	count(pod_08.deny) == 0 with input as inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})],
		"ServiceAccount": [sa("shop", "web", false)],
	})
}

test_pod_true_overrides_sa_false if {
	pod_08.deny == {{
		"msg": "the Kubernetes API token of ServiceAccount \"web\" is mounted into the pods (automountServiceAccountToken: true on the pod); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
	}} with input as inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web", "automountServiceAccountToken": true})],
		"ServiceAccount": [sa("shop", "web", false)],
	})
}

test_sa_without_setting_fails if {
	pod_08.deny == {{
		"msg": "the Kubernetes API token of ServiceAccount \"web\" is mounted into the pods (automountServiceAccountToken is not false on the pod nor on ServiceAccount shop/web); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
	}} with input as inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})],
		"ServiceAccount": [sa_plain("shop", "web")],
	})
}

test_sa_not_in_input_fails if {
	pod_08.deny == {{
		"msg": "the Kubernetes API token of ServiceAccount \"web\" is mounted into the pods (automountServiceAccountToken is not false on the pod, and ServiceAccount shop/web is not in the input); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
		"resource": res("web"),
	}} with input as inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})]})
}

# A ServiceAccount of the same name in another namespace does not count.
test_sa_in_other_namespace_not_used if {
	count(pod_08.deny) == 1 with input as inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "web"})],
		"ServiceAccount": [sa("other", "web", false)],
	})
}

test_default_sa_unset_fails if {
	pod_08.deny == {{
		"msg": "pods run as ServiceAccount \"default\" (no serviceAccountName set), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it",
		"resource": res("web"),
	}} with input as inp({"Deployment": [deploy("shop", "web", {}, {"automountServiceAccountToken": false})]})
}

test_default_sa_explicit_fails_both if {
	pod_08.deny == {
		{
			"msg": "pods run as ServiceAccount \"default\" (serviceAccountName: default), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it",
			"resource": res("web"),
		},
		{
			"msg": "the Kubernetes API token of ServiceAccount \"default\" is mounted into the pods (automountServiceAccountToken is not false on the pod nor on ServiceAccount shop/default); set automountServiceAccountToken: false unless the workload calls the Kubernetes API",
			"resource": res("web"),
		},
	} with input as inp({
		"Deployment": [deploy("shop", "web", {}, {"serviceAccountName": "default"})],
		"ServiceAccount": [sa_plain("shop", "default")],
	})
}

test_deprecated_service_account_field_honoured if {
	count(pod_08.deny) == 0 with input as inp({"Deployment": [deploy("shop", "web", {}, {"serviceAccount": "web", "automountServiceAccountToken": false})]})
}

test_default_sa_with_token_disabled_on_sa if {
	count(pod_08.deny) == 1 with input as inp({
		"Deployment": [deploy("shop", "web", {}, {})],
		"ServiceAccount": [sa("shop", "default", false)],
	})
}

test_istiod_token_not_judged if {
	count(pod_08.deny) == 0 with input as inp({"Deployment": [deploy("istio-system", "istiod", {"app": "istiod"}, {"serviceAccountName": "istiod"})]})
}

# Gateways: the token is not judged, their identity is.
test_gateway_identity_judged_not_token if {
	gw := deploy("shop", "gw", {"istio.io/gateway-name": "gw"}, {})
	pod_08.deny == {{
		"msg": "pods run as ServiceAccount \"default\" (no serviceAccountName set), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it",
		"resource": res("gw"),
	}} with input as inp({"Deployment": [gw]})
}

test_excluded_namespace_ignored if {
	count(pod_08.deny) == 0 with input as inp({"Deployment": [deploy("kube-system", "coredns", {}, {})]})
}

test_live_pod_with_admission_filled_sa if {
	p := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "shop"}, "spec": {"serviceAccountName": "default", "serviceAccount": "default", "containers": [{"name": "a"}]}}
	some f in pod_08.deny with input as {"cluster": "c1", "source": "cluster", "objects": {"Pod": [p], "ServiceAccount": [sa_plain("shop", "default")]}}
	f.msg == "pods run as ServiceAccount \"default\" (serviceAccountName: default), so their mesh identity ns/shop/sa/default is shared with every other workload of the namespace using it"
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("shop", "web", {}, {"serviceAccountName": "web"}), {"spec": {"template": {"metadata": null}}})
	count(pod_08.deny) == 1 with input as inp({"Deployment": [d]})
}
