package meshaudit.rules.np_04_test

import data.meshaudit.lib
import data.meshaudit.rules.np_04
import data.meshaudit.testlib
import rego.v1

res(ns, name) := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "namespace": ns, "name": name}

ingress(name, rules) := testlib.network_policy("shop", name, {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"], "ingress": rules})

from_frontend := {"podSelector": {"matchLabels": {"app": "frontend"}}}

monitoring_sel := {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}

test_named_sources_pass if {
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [ingress("ok", [
		{"from": [from_frontend], "ports": [{"port": 8080}]},
		{"from": [{"namespaceSelector": {"matchLabels": {"team": "a"}}, "podSelector": {}}]},
		{"from": [monitoring_sel], "ports": [{"port": 15020}, {"port": 15090, "protocol": "TCP"}]},
	])]})
}

test_from_missing_fails if {
	testlib.strip(np_04.deny) == {{
		"msg": "ingress[0] of NetworkPolicy shop/open has no `from`, so every source, in or outside the cluster, may connect on ports 8080/TCP; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "open"),
	}} with input as testlib.inp({"NetworkPolicy": [ingress("open", [{"ports": [{"port": 8080}]}])]})
}

test_empty_rule_fails if {
	testlib.strip(np_04.deny) == {{
		"msg": "ingress[0] of NetworkPolicy shop/open has no `from`, so every source, in or outside the cluster, may connect on all ports; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "open"),
	}} with input as testlib.inp({"NetworkPolicy": [ingress("open", [{}])]})
}

test_from_empty_list_fails if {
	count(np_04.deny) == 1 with input as testlib.inp({"NetworkPolicy": [ingress("open", [{"from": []}])]})
}

test_all_namespaces_all_ports_fails if {
	testlib.strip(np_04.deny) == {{
		"msg": "ingress[1] of NetworkPolicy shop/ns ns admits every pod of every namespace (namespaceSelector {}) on all ports; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "ns ns"),
	}} with input as testlib.inp({"NetworkPolicy": [ingress("ns ns", [{"from": [from_frontend]}, {"from": [{"namespaceSelector": {}}]}])]})
}

test_all_namespaces_with_empty_pod_selector_fails if {
	count(np_04.deny) == 1 with input as testlib.inp({"NetworkPolicy": [ingress("x", [{"from": [{"namespaceSelector": {}, "podSelector": {}}]}])]})
}

# namespaceSelector {} restricted to some ports, or narrowed by a pod selector, passes.
test_all_namespaces_narrowed_passes if {
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [ingress("x", [
		{"from": [{"namespaceSelector": {}}], "ports": [{"port": 8080}]},
		{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "frontend"}}}]},
	])]})
}

test_whole_address_space_fails if {
	testlib.strip(np_04.deny) == {{
		"msg": "ingress[0] of NetworkPolicy shop/ip admits ipBlock 0.0.0.0/0, every address, on ports 443/TCP; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "ip"),
	}} with input as testlib.inp({"NetworkPolicy": [ingress("ip", [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}], "ports": [{"port": 443}]}])]})
}

# Policies selecting designated gateway pods may be open.
test_gateway_policy_exempt if {
	gw := testlib.network_policy("shop", "gw", {"podSelector": {"matchLabels": {"istio": "ingressgateway", "app": "gw"}}, "ingress": [{}, {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}, {"from": [{"namespaceSelector": {}}]}]})
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [gw]})

	# the exemption follows the parameter
	# the exemption follows the parameter: one finding listing the 3 rules
	np_04.deny == {{
		"msg": "ingress[0] of NetworkPolicy shop/gw has no `from`, so every source, in or outside the cluster, may connect on all ports; ingress[1] of NetworkPolicy shop/gw admits ipBlock 0.0.0.0/0, every address, on all ports; ingress[2] of NetworkPolicy shop/gw admits every pod of every namespace (namespaceSelector {}) on all ports; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "gw"),
		"evidence": [
			{"path": "spec.ingress[0]", "value": {}},
			{"path": "spec.ingress[1].from[0].ipBlock.cidr", "value": "0.0.0.0/0"},
			{"path": "spec.ingress[2].from[0].namespaceSelector", "value": {}},
		],
	}} with input as testlib.inp({"NetworkPolicy": [gw]})
		with data.meshaudit.params as object.union(lib.params, {"gateway_labels": [{"app": "edge"}]})
	np_04.judged == {res("shop", "gw")} with input as testlib.inp({"NetworkPolicy": [gw]})
}

# An implied namespace's labels come from params.namespace_labels.
test_monitoring_namespace_labels_from_params if {
	p := ingress("prom", [{"from": [{"namespaceSelector": {"matchLabels": {"team": "obs"}}}]}])
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [p]})
	some f in np_04.deny with input as testlib.inp({"NetworkPolicy": [p]})
		with data.meshaudit.params.namespace_labels as {"monitoring": {"team": "obs"}}
	f.evidence == [{"path": "spec.ingress[0].ports"}]
}

# An empty podSelector selects more than the gateway pods: no exemption.
test_all_pods_policy_not_gateway if {
	count(np_04.deny) == 1 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("shop", "all", {"podSelector": {}, "ingress": [{}]})]})
}

test_monitoring_all_ports_fails if {
	testlib.strip(np_04.deny) == {{
		"msg": "ingress[0] of NetworkPolicy shop/prom admits monitoring namespace \"monitoring\" on all ports; monitoring is limited to ports 15020 and 15090; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "prom"),
	}} with input as testlib.inp({"NetworkPolicy": [ingress("prom", [{"from": [monitoring_sel]}])]})
}

test_monitoring_other_port_fails if {
	testlib.strip(np_04.deny) == {{
		"msg": "ingress[0] of NetworkPolicy shop/prom admits monitoring namespace \"monitoring\" on ports 8080/TCP; monitoring is limited to ports 15020 and 15090; name the sources (podSelector and namespaceSelector with labels) and ports",
		"resource": res("shop", "prom"),
	}} with input as testlib.inp({"NetworkPolicy": [ingress("prom", [{"from": [monitoring_sel], "ports": [{"port": 15090}, {"port": 8080}]}])]})
}

test_monitoring_range_fails if {
	some f in np_04.deny with input as testlib.inp({"NetworkPolicy": [ingress("prom", [{"from": [monitoring_sel], "ports": [{"port": 15020, "endPort": 15090}]}])]})
	contains(f.msg, "on ports 15020-15090/TCP")
}

# The monitoring namespace is matched by its Namespace object's labels.
test_monitoring_by_namespace_labels if {
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring", "labels": {"purpose": "observability"}}}
	rule := {"from": [{"namespaceSelector": {"matchExpressions": [{"key": "purpose", "operator": "In", "values": ["observability"]}]}}], "ports": [{"port": 9090}]}
	count(np_04.deny) == 1 with input as testlib.inp({"Namespace": [ns], "NetworkPolicy": [ingress("prom", [rule])]})
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [ingress("prom", [rule])]})
}

test_monitoring_named_metrics_port_passes if {
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [ingress("prom", [{"from": [monitoring_sel], "ports": [{"port": "http-envoy-prom"}, {"port": "15020"}]}])]})
}

# Monitoring limits apply to gateway policies too.
test_monitoring_on_gateway_policy if {
	gw := testlib.network_policy("shop", "gw", {"podSelector": {"matchLabels": {"istio": "ingressgateway"}}, "ingress": [{"from": [monitoring_sel]}]})
	count(np_04.deny) == 1 with input as testlib.inp({"NetworkPolicy": [gw]})
}

test_egress_only_policy_ignored if {
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("shop", "e", {"podSelector": {}, "policyTypes": ["Egress"], "ingress": [{}]})]})
}

test_root_and_excluded_skipped if {
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("istio-system", "a", {"podSelector": {}, "ingress": [{}]}), testlib.network_policy("kube-system", "a", {"podSelector": {}, "ingress": [{}]})]})
}

test_malformed if {
	count(np_04.deny) == 0 with input as testlib.inp({"NetworkPolicy": [testlib.network_policy("shop", "n", null), ingress("m", [{"from": ["x", {"ipBlock": {"cidr": 5}}], "ports": ["y"]}])]})
}
