package meshaudit.rules.ing_04_test

import data.meshaudit.rules.ing_04
import rego.v1

gw(name, sel, servers) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": name, "namespace": "web"}, "spec": {"selector": sel, "servers": servers}}

res(name) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "web", "name": name}

ingress := {"istio": "ingressgateway"}

https(hosts, cred) := {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": hosts, "tls": {"mode": "SIMPLE", "credentialName": cred}}

inp(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

test_named_hosts_pass if {
	count(ing_04.deny) == 0 with input as inp({"Gateway": [
		gw("a", ingress, [https(["a.example.com"], "a-cert")]),
		gw("b", ingress, [https(["b.example.com"], "b-cert")]),
		gw("c", {"istio": "other"}, [https(["a.example.com"], "a-cert")]),
	]})
}

test_wildcard_hosts_fail if {
	ing_04.deny == {
		{"msg": "server port 443 binds host \"*\", which accepts any hostname", "resource": res("a")},
		{"msg": "server port 443 binds host \"*/*\", which accepts any hostname", "resource": res("a")},
	} with input as inp({"Gateway": [gw("a", ingress, [https(["*", "*/*", "*.example.com"], "a-cert")])]})
}

test_conflicting_gateways if {
	ing_04.deny == {
		{"msg": "conflicts with Gateway web/b: same selector {\"istio\":\"ingressgateway\"}, port 443 and overlapping hosts shop.example.com", "resource": res("a")},
		{"msg": "conflicts with Gateway web/a: same selector {\"istio\":\"ingressgateway\"}, port 443 and overlapping hosts *.example.com", "resource": res("b")},
	} with input as inp({"Gateway": [
		gw("a", ingress, [https(["shop.example.com", "other.org"], "a-cert")]),
		gw("b", ingress, [https(["*.example.com"], "b-cert")]),
	]})
}

test_duplicate_certificate if {
	ing_04.deny == {
		{"msg": "credentialName \"shared\" is also used by Gateway web/b on the same selector {\"istio\":\"ingressgateway\"}: clients reusing HTTP/2 connections across their hosts get 404s", "resource": res("a")},
		{"msg": "credentialName \"shared\" is also used by Gateway web/a on the same selector {\"istio\":\"ingressgateway\"}: clients reusing HTTP/2 connections across their hosts get 404s", "resource": res("b")},
	} with input as inp({"Gateway": [
		gw("a", ingress, [https(["a.example.com"], "shared")]),
		gw("b", ingress, [https(["b.example.com"], "shared")]),
	]})
}

test_same_gateway_shared_certificate_passes if {
	count(ing_04.deny) == 0 with input as inp({"Gateway": [gw("a", ingress, [https(["a.example.com"], "shared"), https(["b.example.com"], "shared")])]})
}

test_gateway_api_listener_without_hostname if {
	g := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "api", "namespace": "web"}, "spec": {"listeners": [
		{"name": "http", "port": 80, "protocol": "HTTP"},
		{"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "api.example.com"},
	]}}
	ing_04.deny == {{
		"msg": "listener http (HTTP) has no hostname, which accepts any hostname",
		"resource": {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "web", "name": "api"},
	}} with input as inp({"Gateway.gateway.networking.k8s.io": [g]})
}
