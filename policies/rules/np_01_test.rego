package meshaudit.rules.np_01_test

import data.meshaudit.rules.np_01
import data.meshaudit.testlib
import rego.v1

namespace(name) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}

deny_all := {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

none_msg(n) := sprintf("namespace %q has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules); add one", [n])

test_default_deny_passes if {
	count(np_01.deny) == 0 with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "default-deny", deny_all)]})
	np_01.judged == {testlib.namespace_ref("shop")} with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "default-deny", deny_all)]})
}

test_one_direction_evidence if {
	some f in np_01.deny with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "deny-in", {"podSelector": {}, "policyTypes": ["Ingress"]})]})
	f.evidence == [
		{"path": "NetworkPolicy with podSelector {}, policyTypes Egress and no egress rules in namespace \"shop\"", "value": 0},
		{"path": "spec.policyTypes", "value": ["Ingress"], "resource": {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "namespace": "shop", "name": "deny-in"}},
	]
}

# Only cluster-scoped or root objects: no namespace is judged.
test_no_namespace_from_cluster_scoped_or_root_objects if {
	i := testlib.inp({"ClusterRole": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}], "NetworkPolicy": [testlib.network_policy("istio-system", "x", deny_all)]})
	count(np_01.deny) == 0 with input as i
	count(np_01.judged) == 0 with input as i
}

test_missing_fails if {
	testlib.strip(np_01.deny) == {{"msg": none_msg("shop"), "resource": testlib.namespace_ref("shop")}} with input as testlib.inp({
		"Namespace": [namespace("shop"), namespace("pay")],
		"NetworkPolicy": [testlib.network_policy("pay", "default-deny", deny_all)],
	})
}

# A namespace implied by its objects is judged too.
test_implied_namespace_judged if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "api"}, "spec": {}}
	np_01.deny == {{
		"msg": "namespace \"api\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) has no default-deny NetworkPolicy (podSelector {}, policyTypes [Ingress, Egress], no rules); add one",
		"resource": testlib.namespace_ref("api"),
		"evidence": [{"path": "NetworkPolicy with podSelector {} and no rules in namespace \"api\"", "value": 0}],
	}} with input as testlib.inp({"Deployment": [d]})
	np_01.judged == {testlib.namespace_ref("api")} with input as testlib.inp({"Deployment": [d]})
}

test_root_and_excluded_namespaces_skipped if {
	count(np_01.deny) == 0 with input as testlib.inp({"Namespace": [namespace("istio-system"), namespace("kube-system"), namespace("kube-public")]})
}

test_ingress_only_fails if {
	testlib.strip(np_01.deny) == {{
		"msg": "namespace \"shop\" denies Ingress by default but not Egress: no NetworkPolicy with podSelector {} has policyTypes Egress and no egress rules; add one",
		"resource": testlib.namespace_ref("shop"),
	}} with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})]})
}

# policyTypes unset: Kubernetes defaults to Ingress only.
test_policy_types_unset_is_ingress_only if {
	some f in np_01.deny with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "deny", {"podSelector": {}})]})
	startswith(f.msg, "namespace \"shop\" denies Ingress by default but not Egress")
}

test_egress_only_fails if {
	some f in np_01.deny with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})]})
	f.msg == "namespace \"shop\" denies Egress by default but not Ingress: no NetworkPolicy with podSelector {} has policyTypes Ingress and no ingress rules; add one"
}

test_two_policies_combine if {
	count(np_01.deny) == 0 with input as testlib.inp({"NetworkPolicy": [
		testlib.network_policy("shop", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]}),
		testlib.network_policy("shop", "deny-egress", {"podSelector": {"matchLabels": {}}, "policyTypes": ["Egress"], "egress": []}),
	]})
}

test_rules_are_not_default_deny if {
	p := object.union(deny_all, {"egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})
	some f in np_01.deny with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "p", p)]})
	startswith(f.msg, "namespace \"shop\" denies Ingress by default but not Egress")
}

test_allow_all_ingress_is_not_default_deny if {
	p := object.union(deny_all, {"ingress": [{}]})
	some f in np_01.deny with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "p", p)]})
	startswith(f.msg, "namespace \"shop\" denies Egress by default but not Ingress")
}

test_pod_selector_not_all_pods if {
	p := object.union(deny_all, {"podSelector": {"matchLabels": {"app": "api"}}})
	testlib.strip(np_01.deny) == {{"msg": none_msg("shop"), "resource": testlib.namespace_ref("shop")}} with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "p", p)]})
}

test_match_expressions_not_all_pods if {
	p := object.union(deny_all, {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}})
	count(np_01.deny) == 1 with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "p", p)]})
}

test_missing_pod_selector_selects_all if {
	count(np_01.deny) == 0 with input as testlib.inp({"Namespace": [namespace("shop")], "NetworkPolicy": [testlib.network_policy("shop", "p", {"policyTypes": ["Ingress", "Egress"]})]})
}

test_policy_in_other_namespace_does_not_count if {
	testlib.strip(np_01.deny) == {{"msg": none_msg("shop"), "resource": testlib.namespace_ref("shop")}} with input as testlib.inp({
		"Namespace": [namespace("shop")],
		"NetworkPolicy": [testlib.network_policy("kube-system", "default-deny", deny_all)],
	})
}
