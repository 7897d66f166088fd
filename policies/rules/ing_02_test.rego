package meshaudit.rules.ing_02_test

import data.meshaudit.lib
import data.meshaudit.rules.ing_02
import data.meshaudit.testlib
import rego.v1

gw(servers) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "web"}, "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}}

gw_res := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "web", "name": "edge"}

https(tls) := {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["a.example.com"], "tls": object.union({"mode": "SIMPLE", "credentialName": "a-cert"}, tls)}

test_defaults_pass if {
	count(ing_02.deny) == 0 with input as testlib.inp({"Gateway": [gw([https({}), https({"minProtocolVersion": "TLSV1_2", "cipherSuites": ["ECDHE-RSA-AES256-GCM-SHA384"]})])]})
}

test_old_min_version_fails if {
	testlib.strip(ing_02.deny) == {{
		"msg": "server port 443 (HTTPS) sets tls.minProtocolVersion TLSV1_0, below TLSV1_2: raise it to TLSV1_2",
		"resource": gw_res,
	}} with input as testlib.inp({"Gateway": [gw([https({"minProtocolVersion": "TLSV1_0"})])]})
}

test_unset_min_with_tls13_policy if {
	testlib.strip(ing_02.deny) == {{
		"msg": "server port 443 (HTTPS) leaves tls.minProtocolVersion unset (TLS 1.2), below TLSV1_3: set it to TLSV1_3",
		"resource": gw_res,
	}} with input as testlib.inp({"Gateway": [gw([https({"minProtocolVersion": "TLS_AUTO"}), https({"minProtocolVersion": "TLSV1_3"})])]})
		with data.meshaudit.params as object.union(lib.params, {"min_tls_version": "TLSV1_3"})
}

test_max_below_min_fails if {
	testlib.strip(ing_02.deny) == {{
		"msg": "server port 443 (HTTPS) sets tls.maxProtocolVersion TLSV1_1, below TLSV1_2: raise it or remove it",
		"resource": gw_res,
	}} with input as testlib.inp({"Gateway": [gw([https({"maxProtocolVersion": "TLSV1_1"})])]})
}

test_weak_ciphers_fail if {
	testlib.strip(ing_02.deny) == {{
		"msg": "server port 443 (HTTPS) allows cipher suites outside allowed_cipher_suites: AES128-SHA, ECDHE-RSA-AES128-SHA; remove them from tls.cipherSuites",
		"resource": gw_res,
	}} with input as testlib.inp({"Gateway": [gw([https({"cipherSuites": ["ECDHE-RSA-AES128-SHA", "AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"]})])]})
}

test_passthrough_and_http_not_judged if {
	pt := {"port": {"number": 443, "name": "tls", "protocol": "TLS"}, "hosts": ["a"], "tls": {"mode": "PASSTHROUGH", "minProtocolVersion": "TLSV1_0"}}
	http := {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a"], "tls": {"httpsRedirect": true}}
	count(ing_02.deny) == 0 with input as testlib.inp({"Gateway": [gw([pt, http])]})
}

test_gateway_api_cipher_option if {
	g := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "api", "namespace": "web"}, "spec": {"gatewayClassName": "istio", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"mode": "Terminate", "options": {"gateway.istio.io/tls-cipher-suites": "ECDHE-RSA-AES128-GCM-SHA256, DES-CBC3-SHA"}}}]}}
	testlib.strip(ing_02.deny) == {{
		"msg": "listener https option gateway.istio.io/tls-cipher-suites allows cipher suites outside allowed_cipher_suites: DES-CBC3-SHA; remove them from the option",
		"resource": {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "web", "name": "api"},
	}} with input as testlib.inp({"Gateway.gateway.networking.k8s.io": [g]})
}

test_evidence if {
	some f in ing_02.deny with input as testlib.inp({"Gateway": [gw([https({"minProtocolVersion": "TLSV1_0"})])]})
	f.evidence == [{"path": "spec.servers[0].tls.minProtocolVersion", "value": "TLSV1_0"}]
}

test_judged if {
	ing_02.judged == {gw_res} with input as testlib.inp({"Gateway": [gw([https({})])]})
	http := {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a"], "tls": {"httpsRedirect": true}}
	count(ing_02.judged) == 0 with input as testlib.inp({"Gateway": [gw([http])]})
	count(ing_02.not_applicable) == 1 with input as testlib.inp({"Gateway": [gw([http])]})
}
