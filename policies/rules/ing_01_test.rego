package meshaudit.rules.ing_01_test

import data.meshaudit.lib
import data.meshaudit.rules.ing_01
import data.meshaudit.testlib
import rego.v1

gw(servers) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "Gateway",
	"metadata": {"name": "public", "namespace": "istio-ingress"},
	"spec": {"selector": {"istio": "ingressgateway"}, "servers": servers},
}

gw_res := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "istio-ingress", "name": "public"}

server(number, protocol, hosts, tls) := {"port": {"number": number, "name": sprintf("p%d", [number]), "protocol": protocol}, "hosts": hosts, "tls": tls}

plain(number, protocol, hosts) := {"port": {"number": number, "name": sprintf("p%d", [number]), "protocol": protocol}, "hosts": hosts}

inp(gws) := {"cluster": "c1", "source": "manifests", "objects": {"Gateway": gws}}

api_gw(listeners) := {
	"apiVersion": "gateway.networking.k8s.io/v1",
	"kind": "Gateway",
	"metadata": {"name": "edge", "namespace": "gw"},
	"spec": {"gatewayClassName": "istio", "listeners": listeners},
}

api_res := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "gw", "name": "edge"}

api_inp(gws) := {"cluster": "c1", "source": "manifests", "objects": {"Gateway.gateway.networking.k8s.io": gws}}

with_allow(hosts) := object.union(lib.params, {"allowed_passthrough_hosts": hosts})

# ---- Istio Gateway -------------------------------------------------------------

test_https_simple_and_redirect_pass if {
	count(ing_01.deny) == 0 with input as inp([gw([
		server(443, "HTTPS", ["app.example.com"], {"mode": "SIMPLE", "credentialName": "app-cert"}),
		server(80, "HTTP", ["app.example.com"], {"httpsRedirect": true}),
		server(8443, "TLS", ["mtls.example.com"], {"mode": "MUTUAL", "credentialName": "c"}),
		server(15443, "TLS", ["*.local"], {"mode": "ISTIO_MUTUAL"}),
		server(9443, "HTTPS", ["x.example.com"], {"mode": "optional_mutual", "credentialName": "c"}),
	])])
}

test_http_without_redirect_fails if {
	testlib.strip(ing_01.deny) == {{
		"msg": "server port 80 (HTTP) serves cleartext HTTP without tls.httpsRedirect: true: set it, and serve the hosts on an HTTPS server",
		"resource": gw_res,
	}} with input as inp([gw([plain(80, "HTTP", ["app.example.com"])])])
}

test_http_redirect_false_fails if {
	count(ing_01.deny) == 1 with input as inp([gw([server(80, "http", ["a"], {"httpsRedirect": false})])])
}

# Istio treats HTTP2/GRPC servers as HTTP: tls settings other than the
# redirect are not used, so they are cleartext too.
test_grpc_is_http if {
	testlib.strip(ing_01.deny) == {{
		"msg": "server port 9000 (GRPC) serves cleartext HTTP without tls.httpsRedirect: true: set it, and serve the hosts on an HTTPS server",
		"resource": gw_res,
	}} with input as inp([gw([plain(9000, "GRPC", ["api.example.com"])])])
}

test_tcp_fails if {
	testlib.strip(ing_01.deny) == {{
		"msg": "server port 5432 (TCP) carries cleartext: only HTTPS and TLS servers use TLS; change its protocol to HTTPS or TLS with a terminating tls.mode",
		"resource": gw_res,
	}} with input as inp([gw([plain(5432, "TCP", ["db.example.com"])])])
}

test_mongo_fails if {
	count(ing_01.deny) == 1 with input as inp([gw([plain(27017, "MONGO", ["*"])])])
}

test_https_without_tls_fails if {
	testlib.strip(ing_01.deny) == {{
		"msg": "server port 443 (HTTPS) has no tls settings (Istio rejects HTTPS/TLS servers without them): add tls with mode SIMPLE and a credentialName",
		"resource": gw_res,
	}} with input as inp([gw([plain(443, "HTTPS", ["app.example.com"])])])
}

test_passthrough_not_allowlisted_fails if {
	testlib.strip(ing_01.deny) == {{
		"msg": "server port 443 (TLS) uses tls.mode PASSTHROUGH for hosts not in allowed_passthrough_hosts: api.example.com, b.example.com; terminate TLS at the gateway (tls.mode SIMPLE) or allowlist the hosts in allowed_passthrough_hosts",
		"resource": gw_res,
	}} with input as inp([gw([server(443, "TLS", ["istio-system/b.example.com", "api.example.com"], {"mode": "PASSTHROUGH"})])])
}

# tls.mode defaults to PASSTHROUGH.
test_unset_mode_is_passthrough if {
	testlib.strip(ing_01.deny) == {{
		"msg": "server port 443 (HTTPS) uses tls.mode unset (PASSTHROUGH) for hosts not in allowed_passthrough_hosts: app.example.com; terminate TLS at the gateway (tls.mode SIMPLE) or allowlist the hosts in allowed_passthrough_hosts",
		"resource": gw_res,
	}} with input as inp([gw([server(443, "HTTPS", ["app.example.com"], {"credentialName": "c"})])])
}

test_auto_passthrough_not_allowlisted_fails if {
	some f in ing_01.deny with input as inp([gw([server(15443, "TLS", ["*.local"], {"mode": "AUTO_PASSTHROUGH"})])])
	f.msg == "server port 15443 (TLS) uses tls.mode AUTO_PASSTHROUGH for hosts not in allowed_passthrough_hosts: *.local; terminate TLS at the gateway (tls.mode SIMPLE) or allowlist the hosts in allowed_passthrough_hosts"
}

# The talk's egress-etcd Gateway: PASSTHROUGH for allowlisted etcd hosts.
test_allowlisted_passthrough_passes if {
	etcd := server(30379, "TLS", ["etcd-1-1.us-south.example.com", "armada/etcd-1-2.us-south.example.com"], {"mode": "PASSTHROUGH"})
	count(ing_01.deny) == 0 with input as inp([gw([etcd])]) with data.meshaudit.params as with_allow(["etcd-*.example.com"])
}

# Every host of the server must be allowlisted; only the others are named.
test_partly_allowlisted_passthrough_fails if {
	s := server(443, "TLS", ["etcd-1.example.com", "other.example.org"], {"mode": "PASSTHROUGH"})
	d := ing_01.deny with input as inp([gw([s])]) with data.meshaudit.params as with_allow(["*.example.com"])
	testlib.strip(d) == {{
		"msg": "server port 443 (TLS) uses tls.mode PASSTHROUGH for hosts not in allowed_passthrough_hosts: other.example.org; terminate TLS at the gateway (tls.mode SIMPLE) or allowlist the hosts in allowed_passthrough_hosts",
		"resource": gw_res,
	}}
}

test_unknown_mode_fails if {
	some f in ing_01.deny with input as inp([gw([server(443, "HTTPS", ["a.example.com"], {"mode": "BOGUS"})])])
	f.msg == "server port 443 (HTTPS) has tls.mode BOGUS, want SIMPLE, MUTUAL, OPTIONAL_MUTUAL or ISTIO_MUTUAL"
}

# One finding per Gateway (issue 14), naming every bad server, with the
# evidence of each.
test_one_finding_per_gateway if {
	d := ing_01.deny with input as inp([gw([
		plain(80, "HTTP", ["a"]),
		plain(81, "TCP", ["a"]),
		server(443, "HTTPS", ["a"], {"mode": "SIMPLE", "credentialName": "c"}),
	])])
	count(d) == 1
	some f in d
	count(split(f.msg, "; ")) == 3 # the TCP message has a "; " of its own
	{"path": "spec.servers[1].port.protocol", "value": "TCP"} in f.evidence
	{"path": "spec.servers[0].tls.httpsRedirect"} in f.evidence
}

test_excluded_namespace_ignored if {
	g := object.union(gw([plain(80, "HTTP", ["a"])]), {"metadata": {"namespace": "kube-system"}})
	count(ing_01.deny) == 0 with input as inp([g])
}

# ---- Gateway API -------------------------------------------------------------------

test_api_https_terminate_passes if {
	count(ing_01.deny) == 0 with input as api_inp([api_gw([
		{"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "app.example.com", "tls": {"mode": "Terminate", "certificateRefs": [{"name": "c"}]}},
		{"name": "tls", "port": 8443, "protocol": "TLS", "tls": {"certificateRefs": [{"name": "c"}]}},
	])])
}

test_api_http_listener_fails if {
	testlib.strip(ing_01.deny) == {{
		"msg": "listener http port 80 (HTTP) carries cleartext: use an HTTPS or TLS listener that terminates TLS",
		"resource": api_res,
	}} with input as api_inp([api_gw([{"name": "http", "port": 80, "protocol": "HTTP"}])])
}

test_api_tcp_listener_fails if {
	some f in ing_01.deny with input as api_inp([api_gw([{"name": "db", "port": 5432, "protocol": "TCP"}])])
	f.msg == "listener db port 5432 (TCP) carries cleartext: use an HTTPS or TLS listener that terminates TLS"
}

test_api_passthrough_fails if {
	testlib.strip(ing_01.deny) == {{
		"msg": "listener etcd port 2379 (TLS) uses tls.mode Passthrough for hostname etcd.example.com, which is not in allowed_passthrough_hosts: terminate TLS (tls.mode Terminate) or allowlist the hostname",
		"resource": api_res,
	}} with input as api_inp([api_gw([{"name": "etcd", "port": 2379, "protocol": "TLS", "hostname": "etcd.example.com", "tls": {"mode": "Passthrough"}}])])
}

test_api_passthrough_without_hostname_fails_even_if_allowlisted if {
	l := {"name": "pt", "port": 443, "protocol": "TLS", "tls": {"mode": "Passthrough"}}
	some f in ing_01.deny with input as api_inp([api_gw([l])]) with data.meshaudit.params as with_allow(["*.example.com"])
	f.msg == "listener pt port 443 (TLS) uses tls.mode Passthrough for every hostname (hostname unset), which is not in allowed_passthrough_hosts: terminate TLS (tls.mode Terminate) or allowlist the hostname"
}

test_api_passthrough_allowlisted_passes if {
	l := {"name": "etcd", "port": 2379, "protocol": "TLS", "hostname": "etcd.example.com", "tls": {"mode": "Passthrough"}}
	count(ing_01.deny) == 0 with input as api_inp([api_gw([l])]) with data.meshaudit.params as with_allow(["*.example.com"])
}

test_evidence_http_without_redirect if {
	some f in ing_01.deny with input as inp([gw([plain(80, "HTTP", ["a.example.com"])])])
	f.evidence == [{"path": "spec.servers[0].port.protocol", "value": "HTTP"}, {"path": "spec.servers[0].tls.httpsRedirect"}]
}

test_evidence_passthrough if {
	some f in ing_01.deny with input as inp([gw([server(443, "TLS", ["db.example.com"], {"mode": "PASSTHROUGH"})])])
	contains(f.msg, "PASSTHROUGH")
	f.evidence == [
		{"path": "spec.servers[0].port.protocol", "value": "TLS"},
		{"path": "spec.servers[0].tls.mode", "value": "PASSTHROUGH"},
		{"path": "spec.servers[0].hosts", "value": ["db.example.com"]},
	]
}

test_judged if {
	ing_01.judged == {gw_res} with input as inp([gw([server(443, "HTTPS", ["a.example.com"], {"mode": "SIMPLE", "credentialName": "c"})])])
	ing_01.not_applicable == {"no Istio Gateway server and no Gateway API listener in the input"} with input as inp([])
}

# ---- egress gateway Gateways (issue 14 precision) -------------------------------

egress_gw(servers) := object.union(gw(servers), {"spec": {"selector": {"istio": "egressgateway"}}})

# Istio's egress gateway task: an HTTP server on the egress gateway. A
# redirect to HTTPS would go back to the application; the cleartext hop is
# fixed with ISTIO_MUTUAL.
test_egress_gateway_http_server_advises_istio_mutual if {
	d := ing_01.deny with input as inp([egress_gw([plain(80, "HTTP", ["edition.cnn.com"])])])
	testlib.strip(d) == {{
		"msg": "server port 80 (HTTP) of the egress gateway receives the sidecars' traffic in cleartext (tls.httpsRedirect does not apply to egress): serve it with protocol HTTPS and tls.mode ISTIO_MUTUAL, and route to it through a DestinationRule with tls.mode ISTIO_MUTUAL",
		"resource": gw_res,
	}}
	some f in d
	f.evidence == [{"path": "spec.servers[0].port.protocol", "value": "HTTP"}, {"path": "spec.selector", "value": {"istio": "egressgateway"}}]
}

test_egress_gateway_istio_mutual_passes if {
	count(ing_01.deny) == 0 with input as inp([egress_gw([server(443, "HTTPS", ["edition.cnn.com"], {"mode": "ISTIO_MUTUAL"})])])
}

# A selector holding more labels than egress_gateway_labels still selects
# the egress gateway; one missing a label does not.
test_egress_gateway_by_selector_superset_only if {
	gw2 := object.union(gw([plain(80, "HTTP", ["a.example.com"])]), {"spec": {"selector": {"istio": "egressgateway", "app": "istio-egressgateway"}}})
	some f in ing_01.deny with input as inp([gw2])
	contains(f.msg, "ISTIO_MUTUAL")
	some g in ing_01.deny with input as inp([gw([plain(80, "HTTP", ["a.example.com"])])])
	contains(g.msg, "httpsRedirect: true: set it")
}
