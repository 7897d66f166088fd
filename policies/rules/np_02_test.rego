package meshaudit.rules.np_02_test

import data.meshaudit.rules.np_02
import data.meshaudit.testlib
import rego.v1

web := testlib.deployment("shop", "web", {"app": "web"})

deny_all := testlib.network_policy("shop", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})

test_default_deny_covers if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [deny_all]})
}

# A namespace without any NetworkPolicy is NP-01's finding: NP-02 does not
# repeat it per workload, and judges nothing there.
test_no_policy_is_np01s_finding if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web]})
	count(np_02.judged) == 0 with input as testlib.inp({"Deployment": [web]})
	count(np_02.not_applicable) == 1 with input as testlib.inp({"Deployment": [web]})
}

# A policy in another namespace does not make this one judged.
test_other_namespace_policy_does_not_count if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("other", "d", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})]})
	count(np_02.judged) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("other", "d", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})]})
}

# policyTypes unset and no egress rules: Ingress only. No policy of the
# namespace applies to Egress: that is NP-01's finding, not NP-02's.
test_policy_types_default_ingress_only if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("shop", "in", {"podSelector": {}})]})
	np_02.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("shop", "in", {"podSelector": {}})]})
}

# Per direction: an Egress policy for other pods, an Ingress one for all.
test_missing_direction_where_policies_exist if {
	i := testlib.inp({"Deployment": [web], "NetworkPolicy": [
		testlib.network_policy("shop", "in", {"podSelector": {}, "policyTypes": ["Ingress"]}),
		testlib.network_policy("shop", "db-out", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Egress"]}),
	]})
	np_02.deny == {{
		"msg": "no NetworkPolicy in namespace \"shop\" selects these pods (labels app=web) for Egress; add a policy whose podSelector matches them",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.metadata.labels", "value": {"app": "web"}},
			{"path": "NetworkPolicy in namespace \"shop\" selecting these pods for Egress", "value": 0},
		],
	}} with input as i
}

# policyTypes unset with egress rules: both directions.
test_policy_types_default_with_egress_rules if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("shop", "both", {
		"podSelector": {"matchLabels": {"app": "web"}},
		"egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
	})]})
}

# policyTypes [Egress] with ingress rules: the ingress rules are ignored, so
# no policy of the namespace applies to Ingress (NP-01's finding).
test_explicit_egress_only if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("shop", "e", {
		"podSelector": {},
		"policyTypes": ["Egress"],
		"ingress": [{"from": [{"podSelector": {}}]}],
	})]})
}

test_selector_not_matching if {
	count(np_02.deny) == 1 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [testlib.network_policy("shop", "api", {
		"podSelector": {"matchLabels": {"app": "api"}},
		"policyTypes": ["Ingress", "Egress"],
	})]})
}

test_match_expressions if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web, testlib.deployment("shop", "db", {"tier": "db"})], "NetworkPolicy": [
		testlib.network_policy("shop", "in", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, "policyTypes": ["Ingress", "Egress"]}),
		testlib.network_policy("shop", "notin", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, "policyTypes": ["Ingress", "Egress"]}),
	]})

	# Exists / DoesNotExist
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web, testlib.deployment("shop", "db", {"tier": "db"})], "NetworkPolicy": [
		testlib.network_policy("shop", "ex", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "policyTypes": ["Ingress", "Egress"]}),
		testlib.network_policy("shop", "dne", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, "policyTypes": ["Ingress", "Egress"]}),
	]})
}

test_match_expressions_not_matching if {
	testlib.strip(np_02.deny) == {{
		"msg": "no NetworkPolicy in namespace \"shop\" selects these pods (labels none) for Ingress or Egress; add a policy whose podSelector matches them",
		"resource": testlib.deployment_ref("shop", "bare"),
	}} with input as testlib.inp({"Deployment": [web, testlib.deployment("shop", "bare", {})], "NetworkPolicy": [
		testlib.network_policy("shop", "ex", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "policyTypes": ["Ingress", "Egress"]}),
	]})
}

# Directions may come from different policies.
test_two_policies_cover if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [
		testlib.network_policy("shop", "in", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}),
		testlib.network_policy("shop", "out", {"podSelector": {}, "policyTypes": ["Egress"]}),
	]})
}

test_root_and_excluded_skipped if {
	count(np_02.deny) == 0 with input as testlib.inp({"Deployment": [testlib.deployment("istio-system", "istiod", {"app": "istiod"}), testlib.deployment("kube-system", "dns", {"k8s-app": "kube-dns"})]})
}

test_host_network_reported if {
	hn := object.union(web, {"spec": {"template": {"spec": {"hostNetwork": true}}}})
	testlib.strip(np_02.deny) == {{
		"msg": "pods use hostNetwork, so no NetworkPolicy reliably isolates them (Kubernetes leaves NetworkPolicy behaviour for hostNetwork pods undefined and most plugins ignore them); run them without hostNetwork",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [hn], "NetworkPolicy": [deny_all]})
}

# Live: a ReplicaSet and Pod owned by the Deployment are reported once, on the Deployment.
test_live_reported_on_owner if {
	rs := {
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": {"name": "web-1", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
		"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {}}},
	}
	pod := {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "web-1-x", "namespace": "shop", "labels": {"app": "web"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "controller": true}]},
		"spec": {},
	}
	other := testlib.network_policy("shop", "api", {"podSelector": {"matchLabels": {"app": "api"}}, "policyTypes": ["Ingress"]})
	d := np_02.deny with input as {"cluster": "c1", "source": "cluster", "objects": {"Deployment": [web], "ReplicaSet": [rs], "Pod": [pod], "NetworkPolicy": [other]}}
	count(d) == 1
	some f in d
	f.resource == testlib.deployment_ref("shop", "web")
}

# A malformed policy (spec null) does not break the rule.
test_malformed_policy if {
	count(np_02.judged) == 1 with input as testlib.inp({"Deployment": [web], "NetworkPolicy": [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x", "namespace": "shop"}, "spec": null}]})
}
