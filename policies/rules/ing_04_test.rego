package meshaudit.rules.ing_04_test

import data.meshaudit.rules.ing_04
import data.meshaudit.testlib
import rego.v1

gw(name, sel, servers) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": "web"}, "spec": {"selector": sel, "servers": servers}}

res(name) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "web", "name": name}

ingress := {"istio": "ingressgateway"}

https(hosts, cred) := {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts, "tls": {"mode": "SIMPLE", "credentialName": cred}}

test_named_hosts_pass if {
	count(ing_04.deny) == 0 with input as testlib.inp({"Gateway": [
		gw("a", ingress, [https(["a.example.com"], "a-cert")]),
		gw("b", ingress, [https(["b.example.com"], "b-cert")]),
		gw("c", {"istio": "other"}, [https(["a.example.com"], "a-cert")]),
	]})
}

test_wildcard_hosts_fail if {
	# one finding on the Gateway, listing both hosts (issue 14)
	testlib.strip(ing_04.deny) == {
		{"msg": "server port 443 binds host \"*\", which accepts any hostname: list the exact hostnames it serves; server port 443 binds host \"*/*\", which accepts any hostname: list the exact hostnames it serves", "resource": res("a")},
	} with input as testlib.inp({"Gateway": [gw("a", ingress, [https(["*", "*/*", "*.example.com"], "a-cert")])]})
}

test_conflicting_gateways if {
	testlib.strip(ing_04.deny) == {
		{"msg": "conflicts with Gateway web/b: same selector {\"istio\":\"ingressgateway\"}, port 443 and overlapping hosts shop.example.com; Istio merges them unpredictably: serve each host and port from one Gateway", "resource": res("a")},
		{"msg": "conflicts with Gateway web/a: same selector {\"istio\":\"ingressgateway\"}, port 443 and overlapping hosts *.example.com; Istio merges them unpredictably: serve each host and port from one Gateway", "resource": res("b")},
	} with input as testlib.inp({"Gateway": [
		gw("a", ingress, [https(["shop.example.com", "other.org"], "a-cert")]),
		gw("b", ingress, [https(["*.example.com"], "b-cert")]),
	]})
}

test_duplicate_certificate if {
	testlib.strip(ing_04.deny) == {
		{"msg": "credentialName \"shared\" is also used by Gateway web/b on the same selector {\"istio\":\"ingressgateway\"}: clients reusing HTTP/2 connections across their hosts get 404s; use a distinct certificate per Gateway or one Gateway for the hosts sharing it", "resource": res("a")},
		{"msg": "credentialName \"shared\" is also used by Gateway web/a on the same selector {\"istio\":\"ingressgateway\"}: clients reusing HTTP/2 connections across their hosts get 404s; use a distinct certificate per Gateway or one Gateway for the hosts sharing it", "resource": res("b")},
	} with input as testlib.inp({"Gateway": [
		gw("a", ingress, [https(["a.example.com"], "shared")]),
		gw("b", ingress, [https(["b.example.com"], "shared")]),
	]})
}

test_same_gateway_shared_certificate_passes if {
	count(ing_04.deny) == 0 with input as testlib.inp({"Gateway": [gw("a", ingress, [https(["a.example.com"], "shared"), https(["b.example.com"], "shared")])]})
}

test_gateway_api_listener_without_hostname if {
	g := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "api", "namespace": "web"}, "spec": {"listeners": [
		{"name": "http", "port": 80, "protocol": "HTTP"},
		{"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "api.example.com"},
	]}}
	testlib.strip(ing_04.deny) == {{
		"msg": "listener http (HTTP) has no hostname, which accepts any hostname: set hostname to the exact name it serves",
		"resource": {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "web", "name": "api"},
	}} with input as testlib.inp({"Gateway.gateway.networking.k8s.io": [g]})
}

test_conflict_evidence_and_case if {
	inp2 := testlib.inp({"Gateway": [
		gw("a", ingress, [https(["other.org", "Shop.Example.com"], "a-cert")]),
		gw("b", ingress, [https(["web/*.example.com"], "b-cert")]),
	]})
	some f in ing_04.deny with input as inp2
	f.resource == res("a")
	f.evidence == [
		{"path": "spec.selector", "value": ingress},
		{"path": "spec.servers[0].hosts[1]", "value": "shop.example.com"},
		{"path": "spec.selector", "value": ingress, "resource": res("b")},
	]
	count(ing_04.deny) == 2 with input as inp2
}

test_wildcard_evidence if {
	some f in ing_04.deny with input as testlib.inp({"Gateway": [gw("a", ingress, [https(["a.example.com", "./*"], "a-cert")])]})
	f.evidence == [{"path": "spec.servers[0].hosts[1]", "value": "./*"}]
}

test_judged if {
	ing_04.judged == {res("a")} with input as testlib.inp({"Gateway": [gw("a", ingress, [https(["a.example.com"], "a-cert")])]})
	ing_04.not_applicable == {"no Gateway with a server or listener in the input"} with input as testlib.inp({})
}
