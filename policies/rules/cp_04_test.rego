package meshaudit.rules.cp_04_test

import data.meshaudit.rules.cp_04
import data.meshaudit.testlib
import rego.v1

istiod(env, args) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
	"spec": {"template": {
		"metadata": {"labels": {"app": "istiod", "istio": "pilot"}},
		"spec": {"containers": [{
			"name": "discovery",
			"image": "istio/pilot:1.31.2",
			"args": args,
			"env": env,
			"ports": [{"containerPort": 8080, "name": "http-debug"}, {"containerPort": 15010, "name": "grpc-xds"}, {"containerPort": 15012, "name": "tls-xds"}],
		}]},
	}},
}

closed_env := [{"name": "ENABLE_DEBUG_ON_HTTP", "value": "false"}]

closed_args := ["discovery", "--grpcAddr="]

np(spec) := {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "istiod", "namespace": "istio-system"}, "spec": spec}

msg_8080(why) := sprintf("istiod istio-system/istiod serves unauthenticated debug endpoints on plaintext port 8080 (%s) and no NetworkPolicy restricts that port", [why])

msg_15010 := "istiod istio-system/istiod serves plaintext xDS on port 15010 (no --grpcAddr=\"\" argument) and no NetworkPolicy restricts that port"

test_closed_passes if {
	inp := testlib.inp({"Deployment": [istiod(closed_env, closed_args)]})
	count(cp_04.deny) == 0 with input as inp
	count(cp_04.unknown) == 0 with input as inp
}

test_grpc_addr_separate_empty_arg_closes if {
	count(cp_04.deny) == 0 with input as testlib.inp({"Deployment": [istiod(closed_env, ["discovery", "--grpcAddr", ""])]})
}

test_defaults_open_both if {
	# One finding per istiod listing both open ports (issue 14).
	testlib.strip(cp_04.deny) == {
		{"msg": concat("; ", [msg_15010, msg_8080("ENABLE_DEBUG_ON_HTTP unset, Istio's default true")]), "resource": testlib.deployment_ref("istio-system", "istiod")},
	} with input as testlib.inp({"Deployment": [istiod([], ["discovery"])]})
}

test_explicit_true if {
	testlib.strip(cp_04.deny) == {{"msg": msg_8080("ENABLE_DEBUG_ON_HTTP=true"), "resource": testlib.deployment_ref("istio-system", "istiod")}} with input as testlib.inp({"Deployment": [istiod([{"name": "ENABLE_DEBUG_ON_HTTP", "value": "true"}], closed_args)]})
}

test_redacted_unknown if {
	inp := testlib.inp({"Deployment": [istiod([{"name": "ENABLE_DEBUG_ON_HTTP", "value": "<redacted by meshaudit>"}], closed_args)]})
	count(cp_04.deny) == 0 with input as inp
	cp_04.unknown == {"istiod istio-system/istiod sets ENABLE_DEBUG_ON_HTTP but its value is redacted in snapshots, and no NetworkPolicy restricts port 8080"} with input as inp
}

# Ingress isolated, only 15012/15017 admitted from anywhere.
test_network_policy_restricting_ports_passes if {
	p := np({"podSelector": {"matchLabels": {"app": "istiod"}}, "policyTypes": ["Ingress"], "ingress": [{"ports": [{"port": 15012}, {"port": 15017}]}]})
	inp := testlib.inp({"Deployment": [istiod([{"name": "ENABLE_DEBUG_ON_HTTP", "value": "<redacted by meshaudit>"}], ["discovery"])], "NetworkPolicy": [p]})
	count(cp_04.deny) == 0 with input as inp
	count(cp_04.unknown) == 0 with input as inp
}

# Port admitted from a limited source still counts as restricted.
test_network_policy_limited_source_restricts if {
	p := np({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}}}], "ports": [{"port": "http-debug"}, {"port": 15010}]}]})
	count(cp_04.deny) == 0 with input as testlib.inp({"Deployment": [istiod([], [])], "NetworkPolicy": [p]})
}

test_network_policy_open_rule_reopens_port if {
	deny_all := np({"podSelector": {}, "policyTypes": ["Ingress"]})
	open := json.patch(np({"podSelector": {"matchLabels": {"app": "istiod"}}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 15000, "endPort": 15100}]}]}), [{"op": "replace", "path": "/metadata/name", "value": "open"}])
	testlib.strip(cp_04.deny) == {{"msg": msg_15010, "resource": testlib.deployment_ref("istio-system", "istiod")}} with input as testlib.inp({"Deployment": [istiod([], [])], "NetworkPolicy": [deny_all, open]})
}

test_egress_only_policy_does_not_restrict if {
	p := np({"podSelector": {}, "policyTypes": ["Egress"]})
	count(cp_04.deny) == 1 with input as testlib.inp({"Deployment": [istiod([], [])], "NetworkPolicy": [p]})
}

test_policy_in_other_namespace_ignored if {
	p := json.patch(np({"podSelector": {}, "policyTypes": ["Ingress"]}), [{"op": "replace", "path": "/metadata/namespace", "value": "default"}])
	count(cp_04.deny) == 1 with input as testlib.inp({"Deployment": [istiod([], [])], "NetworkPolicy": [p]})
}

test_no_istiod_not_applicable if {
	cp_04.not_applicable == {"no istiod Deployment in the input"} with input as testlib.inp({})
}

test_evidence if {
	inp := testlib.inp({"Deployment": [istiod([{"name": "ENABLE_DEBUG_ON_HTTP", "value": "true"}], closed_args)]})
	{f.evidence | some f in cp_04.deny} == {[
		{"path": "spec.template.spec.containers[0].env[0].value", "value": "true"},
		{"path": "NetworkPolicy isolating ingress to port 8080 of Deployment istio-system/istiod", "value": 0},
	]} with input as inp
	cp_04.judged == {testlib.deployment_ref("istio-system", "istiod")} with input as inp
	count(cp_04.judged) == 0 with input as testlib.inp({"Deployment": [istiod([{"name": "ENABLE_DEBUG_ON_HTTP", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "y"}}}], closed_args)]})
}
