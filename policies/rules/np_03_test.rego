package meshaudit.rules.np_03_test

import data.meshaudit.lib
import data.meshaudit.rules.np_03
import data.meshaudit.testlib
import rego.v1

res(ns, name) := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "namespace": ns, "name": name}

egress(name, rules) := testlib.network_policy("shop", name, {"podSelector": {}, "policyTypes": ["Egress"], "egress": rules})

cidrs := object.union(lib.params, {"cluster_cidrs": ["10.0.0.0/16", "10.96.0.0/12"]})

block(cidr) := {"ipBlock": {"cidr": cidr}}

https := [{"port": 443, "protocol": "TCP"}]

# The allowed pattern: DNS anywhere, istiod, mesh namespace, egress gateway pods.
test_allowed_peers_pass if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [egress("allowed", [
		{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
		{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}], "ports": [{"port": 15012}]},
		{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}, "podSelector": {"matchLabels": {"istio": "egressgateway"}}}]},
		{"to": [{"podSelector": {}}]},
	])]})
	count(np_03.unknown) == 0 with input as testlib.inp({"NetworkPolicy": [egress("allowed", [{"ports": [{"port": 53, "protocol": "UDP"}]}])]})
}

test_to_missing_fails if {
	testlib.strip(np_03.deny) == {{
		"msg": "egress[0] of NetworkPolicy shop/open has no `to`, so it allows every destination, the internet and the cloud metadata address 169.254.169.254 included, on ports 443/TCP; external traffic must leave through the egress gateway",
		"resource": res("shop", "open"),
	}} with input as testlib.inp({"NetworkPolicy": [egress("open", [{"ports": https}])]})
}

test_egress_empty_rule_fails if {
	testlib.strip(np_03.deny) == {{
		"msg": "egress[0] of NetworkPolicy shop/all has no `to`, so it allows every destination, the internet and the cloud metadata address 169.254.169.254 included, on all ports; external traffic must leave through the egress gateway",
		"resource": res("shop", "all"),
	}} with input as testlib.inp({"NetworkPolicy": [egress("all", [{}])]})
}

test_to_empty_list_fails if {
	count(np_03.deny) == 1 with input as testlib.inp({"NetworkPolicy": [egress("all", [{"to": []}])]})
}

# DNS port together with another port is not a DNS-only rule.
test_dns_plus_other_port_fails if {
	count(np_03.deny) == 1 with input as testlib.inp({"NetworkPolicy": [egress("x", [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 80}]}])]})
}

# A port range starting at 53 is not DNS-only.
test_dns_range_fails if {
	some f in np_03.deny with input as testlib.inp({"NetworkPolicy": [egress("x", [{"ports": [{"port": 53, "endPort": 1024, "protocol": "TCP"}]}])]})
	contains(f.msg, "on ports 53-1024/TCP")
}

test_external_ipblock_fails if {
	testlib.strip(np_03.deny) == {{
		"msg": "egress[0] of NetworkPolicy shop/ext allows ipBlock 203.0.113.0/24 on ports 443/TCP: outside the cluster CIDRs; external traffic must leave through the egress gateway",
		"resource": res("shop", "ext"),
	}} with input as testlib.inp({"NetworkPolicy": [egress("ext", [{"to": [block("203.0.113.0/24")], "ports": https}])]})
		with data.meshaudit.params as cidrs
}

test_everything_ipblock_fails if {
	testlib.strip(np_03.deny) == {{
		"msg": "egress[0] of NetworkPolicy shop/any allows ipBlock 0.0.0.0/0 (except 10.0.0.0/8) on all ports: outside the cluster CIDRs, including the cloud metadata address 169.254.169.254; external traffic must leave through the egress gateway",
		"resource": res("shop", "any"),
	}} with input as testlib.inp({"NetworkPolicy": [egress("any", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}])]})
		with data.meshaudit.params as cidrs
}

test_cluster_ipblock_passes if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [egress("in", [{"to": [block("10.0.4.0/24"), block("10.96.0.10/32")]}])]})
		with data.meshaudit.params as cidrs
}

# The except list may carve out the part outside the cluster CIDRs.
test_except_carves_external_part if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [egress("in", [{"to": [{"ipBlock": {"cidr": "10.0.0.0/15", "except": ["10.1.0.0/16"]}}]}])]})
		with data.meshaudit.params as cidrs
}

# The metadata address fails even inside an allowed CIDR, unless excepted.
test_metadata_inside_cluster_cidr if {
	p := object.union(lib.params, {"cluster_cidrs": ["169.254.0.0/16"]})
	testlib.strip(np_03.deny) == {{
		"msg": "egress[0] of NetworkPolicy shop/md allows ipBlock 169.254.0.0/16 on all ports: including the cloud metadata address 169.254.169.254; external traffic must leave through the egress gateway",
		"resource": res("shop", "md"),
	}} with input as testlib.inp({"NetworkPolicy": [egress("md", [{"to": [block("169.254.0.0/16")]}])]})
		with data.meshaudit.params as p
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [egress("md", [{"to": [{"ipBlock": {"cidr": "169.254.0.0/16", "except": ["169.254.169.254/32"]}}]}])]})
		with data.meshaudit.params as p
}

test_metadata_exact_fails if {
	some f in np_03.deny with input as testlib.inp({"NetworkPolicy": [egress("md", [{"to": [block("169.254.169.254/32")], "ports": [{"port": 80}]}])]})
		with data.meshaudit.params as cidrs
	f.msg == "egress[0] of NetworkPolicy shop/md allows ipBlock 169.254.169.254/32 on ports 80/TCP: outside the cluster CIDRs, including the cloud metadata address 169.254.169.254; external traffic must leave through the egress gateway"
}

# No cluster CIDRs configured: a private range is unknown, a public one fails.
test_private_range_without_cluster_cidrs_unknown if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [egress("priv", [{"to": [block("10.20.0.0/16")]}])]})
	np_03.unknown == {"egress[0] of NetworkPolicy shop/priv allows private ipBlock 10.20.0.0/16, which may be outside the cluster: set params.cluster_cidrs to the cluster's pod and Service CIDRs"} with input as testlib.inp({"NetworkPolicy": [egress("priv", [{"to": [block("10.20.0.0/16")]}])]})
}

test_public_range_without_cluster_cidrs_fails if {
	count(np_03.deny) == 1 with input as testlib.inp({"NetworkPolicy": [egress("pub", [{"to": [block("8.8.8.8/32")]}])]})
}

test_ipv6_everything_fails if {
	some f in np_03.deny with input as testlib.inp({"NetworkPolicy": [egress("v6", [{"to": [block("::/0")]}])]})
		with data.meshaudit.params as cidrs
	f.msg == "egress[0] of NetworkPolicy shop/v6 allows ipBlock ::/0 on all ports: outside the cluster CIDRs; external traffic must leave through the egress gateway"
}

# Egress rules of a policy that applies to Ingress only take no effect.
test_ingress_only_policy_ignored if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("shop", "in", {"podSelector": {}, "policyTypes": ["Ingress"], "egress": [{}]})]})
}

# policyTypes unset: egress rules make the policy apply to Egress.
test_policy_types_default_with_egress if {
	count(np_03.deny) == 1 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("shop", "d", {"podSelector": {}, "egress": [{}]})]})
}

test_root_and_excluded_namespaces_skipped if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [
		testlib.network_policy("istio-system", "a", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}),
		testlib.network_policy("kube-system", "a", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}),
	]})
}

# Invalid CIDRs and malformed rules do not raise errors.
test_malformed if {
	count(np_03.deny) == 0 with input as testlib.inp({"NetworkPolicy": [
		egress("bad", [{"to": [{"ipBlock": {"cidr": "not-a-cidr"}}]}, {"to": [{"ipBlock": {}}], "ports": [{"port": 53}]}]),
		testlib.network_policy("shop", "nulls", null),
	]})
}

test_mixed_peers_only_ipblock_reported if {
	d := np_03.deny with input as testlib.inp({"NetworkPolicy": [egress("mix", [{"to": [{"podSelector": {}}, block("198.51.100.7/32")], "ports": [{"port": "8443", "protocol": "TCP"}]}])]})
		with data.meshaudit.params as cidrs
	count(d) == 1
	some f in d
	contains(f.msg, "ipBlock 198.51.100.7/32 on ports 8443/TCP")
}

# One finding per policy: every open rule listed, each with its evidence.
test_one_finding_per_policy_with_evidence if {
	p := egress("open", [{"ports": https}, {"to": [{"podSelector": {}}, block("203.0.113.0/24")]}])
	np_03.deny == {{
		"msg": "egress[0] of NetworkPolicy shop/open has no `to`, so it allows every destination, the internet and the cloud metadata address 169.254.169.254 included, on ports 443/TCP; egress[1] of NetworkPolicy shop/open allows ipBlock 203.0.113.0/24 on all ports: outside the cluster CIDRs; external traffic must leave through the egress gateway",
		"resource": res("shop", "open"),
		"evidence": [
			{"path": "spec.egress[0]", "value": {"ports": https}},
			{"path": "spec.egress[1].to[1].ipBlock", "value": {"cidr": "203.0.113.0/24"}},
		],
	}} with input as testlib.inp({"NetworkPolicy": [p]}) with data.meshaudit.params as cidrs
	np_03.judged == {res("shop", "open")} with input as testlib.inp({"NetworkPolicy": [p]}) with data.meshaudit.params as cidrs
}

test_judged_passing_and_undecided if {
	ok := egress("dns", [{"ports": [{"port": 53, "protocol": "UDP"}]}])
	priv := egress("priv", [{"to": [block("10.20.0.0/16")]}])
	np_03.judged == {res("shop", "dns")} with input as testlib.inp({"NetworkPolicy": [ok, priv]})
	count(np_03.judged) == 0 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("shop", "in", {"podSelector": {}, "policyTypes": ["Ingress"]})]})
}
