package meshaudit.rules.np_02_test

import data.meshaudit.rules.np_02
import rego.v1

np(ns, name, spec) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": name, "namespace": ns},
	"spec": spec,
}

deploy(ns, name, lbls) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": lbls}, "spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

res(ns, name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": ns, "name": name}

inp(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

web := deploy("shop", "web", {"app": "web"})

deny_all := np("shop", "default-deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})

test_default_deny_covers if {
	count(np_02.deny) == 0 with input as inp({"Deployment": [web], "NetworkPolicy": [deny_all]})
}

test_no_policy_fails if {
	np_02.deny == {{
		"msg": "no NetworkPolicy in namespace \"shop\" selects these pods (labels app=web) for Ingress or Egress",
		"resource": res("shop", "web"),
	}} with input as inp({"Deployment": [web]})
}

# A policy in another namespace does not cover the pods.
test_other_namespace_policy_does_not_cover if {
	count(np_02.deny) == 1 with input as inp({"Deployment": [web], "NetworkPolicy": [np("other", "d", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})]})
}

# policyTypes unset and no egress rules: Ingress only.
test_policy_types_default_ingress_only if {
	np_02.deny == {{
		"msg": "no NetworkPolicy in namespace \"shop\" selects these pods (labels app=web) for Egress",
		"resource": res("shop", "web"),
	}} with input as inp({"Deployment": [web], "NetworkPolicy": [np("shop", "in", {"podSelector": {}})]})
}

# policyTypes unset with egress rules: both directions.
test_policy_types_default_with_egress_rules if {
	count(np_02.deny) == 0 with input as inp({"Deployment": [web], "NetworkPolicy": [np("shop", "both", {
		"podSelector": {"matchLabels": {"app": "web"}},
		"egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}],
	})]})
}

# policyTypes [Egress] with ingress rules: the ingress rules are ignored.
test_explicit_egress_only if {
	np_02.deny == {{
		"msg": "no NetworkPolicy in namespace \"shop\" selects these pods (labels app=web) for Ingress",
		"resource": res("shop", "web"),
	}} with input as inp({"Deployment": [web], "NetworkPolicy": [np("shop", "e", {
		"podSelector": {},
		"policyTypes": ["Egress"],
		"ingress": [{"from": [{"podSelector": {}}]}],
	})]})
}

test_selector_not_matching if {
	count(np_02.deny) == 1 with input as inp({"Deployment": [web], "NetworkPolicy": [np("shop", "api", {
		"podSelector": {"matchLabels": {"app": "api"}},
		"policyTypes": ["Ingress", "Egress"],
	})]})
}

test_match_expressions if {
	count(np_02.deny) == 0 with input as inp({"Deployment": [web, deploy("shop", "db", {"tier": "db"})], "NetworkPolicy": [
		np("shop", "in", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}, "policyTypes": ["Ingress", "Egress"]}),
		np("shop", "notin", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, "policyTypes": ["Ingress", "Egress"]}),
	]})
	# Exists / DoesNotExist
	count(np_02.deny) == 0 with input as inp({"Deployment": [web, deploy("shop", "db", {"tier": "db"})], "NetworkPolicy": [
		np("shop", "ex", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "policyTypes": ["Ingress", "Egress"]}),
		np("shop", "dne", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, "policyTypes": ["Ingress", "Egress"]}),
	]})
}

test_match_expressions_not_matching if {
	np_02.deny == {{
		"msg": "no NetworkPolicy in namespace \"shop\" selects these pods (labels none) for Ingress or Egress",
		"resource": res("shop", "bare"),
	}} with input as inp({"Deployment": [web, deploy("shop", "bare", {})], "NetworkPolicy": [
		np("shop", "ex", {"podSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]}, "policyTypes": ["Ingress", "Egress"]}),
	]})
}

# Directions may come from different policies.
test_two_policies_cover if {
	count(np_02.deny) == 0 with input as inp({"Deployment": [web], "NetworkPolicy": [
		np("shop", "in", {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}),
		np("shop", "out", {"podSelector": {}, "policyTypes": ["Egress"]}),
	]})
}

test_root_and_excluded_skipped if {
	count(np_02.deny) == 0 with input as inp({"Deployment": [deploy("istio-system", "istiod", {"app": "istiod"}), deploy("kube-system", "dns", {"k8s-app": "kube-dns"})]})
}

test_host_network_reported if {
	hn := object.union(web, {"spec": {"template": {"spec": {"hostNetwork": true}}}})
	np_02.deny == {{
		"msg": "pods use hostNetwork, so no NetworkPolicy reliably isolates them (Kubernetes leaves NetworkPolicy behaviour for hostNetwork pods undefined and most plugins ignore them)",
		"resource": res("shop", "web"),
	}} with input as inp({"Deployment": [hn], "NetworkPolicy": [deny_all]})
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
	d := np_02.deny with input as {"cluster": "c1", "source": "cluster", "objects": {"Deployment": [web], "ReplicaSet": [rs], "Pod": [pod]}}
	count(d) == 1
	some f in d
	f.resource == res("shop", "web")
}

# A malformed policy (spec null) does not break the rule.
test_malformed_policy if {
	count(np_02.deny) == 1 with input as inp({"Deployment": [web], "NetworkPolicy": [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x", "namespace": "shop"}, "spec": null}]})
}
