package meshaudit.rules.egr_05_test

import data.meshaudit.rules.egr_05
import data.meshaudit.testlib
import rego.v1

dr(name, host, tp) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "DestinationRule",
	"metadata": {"name": name, "namespace": "app"},
	"spec": {"host": host, "trafficPolicy": tp},
}

dr_res(name) := {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "namespace": "app", "name": name}

se(name, hosts, ports, extra) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "ServiceEntry",
	"metadata": {"name": name, "namespace": "app"},
	"spec": object.union({"hosts": hosts, "ports": ports, "resolution": "DNS", "location": "MESH_EXTERNAL"}, extra),
}

se_res(name) := {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "namespace": "app", "name": name}

full_tls := {"mode": "SIMPLE", "caCertificates": "/etc/ca/ca.pem", "sni": "api.example.com", "subjectAltNames": ["api.example.com"]}

https_se := se("api", ["api.example.com"], [{"number": 443, "name": "tls", "protocol": "TLS"}], {})

# The Istio TLS-origination pattern: HTTP port 80 upgraded to 443.
http_se := se("api", ["api.example.com"], [{"number": 80, "name": "http", "protocol": "HTTP", "targetPort": 443}], {})

test_verified_origination_passes if {
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [dr("api", "api.example.com", {"tls": full_tls})]})
}

test_insecure_skip_verify_fails if {
	testlib.strip(egr_05.deny) == {{
		"msg": "trafficPolicy of DestinationRule app/api originates SIMPLE TLS to external host \"api.example.com\" with insecureSkipVerify: true, so the server's certificate is not verified: remove insecureSkipVerify and set caCertificates (or credentialName), sni and subjectAltNames",
		"resource": dr_res("api"),
	}} with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [dr("api", "api.example.com", {"tls": object.union(full_tls, {"insecureSkipVerify": true})})]})
}

# TLS/TCP port without subjectAltNames or sni: the name is never verified (high).
test_no_name_non_http_fails_high if {
	testlib.strip(egr_05.deny) == {{
		"msg": "portLevelSettings port 443 of DestinationRule app/api originates MUTUAL TLS to external host \"api.example.com\" without subjectAltNames or sni, so the server's name is not verified (Istio derives it only from the HTTP Host header); without caCertificates or credentialName any CA of the proxy's OS trust bundle is accepted: set sni and subjectAltNames to the server's name",
		"resource": dr_res("api"),
	}} with input as testlib.inp({"ServiceEntry": [https_se], "DestinationRule": [dr("api", "api.example.com", {"portLevelSettings": [{"port": {"number": 443}, "tls": {"mode": "MUTUAL", "credentialName": ""}}]})]})
}

# HTTP only: Istio's auto SNI/SAN validation covers the name; missing items are medium.
test_http_missing_items_medium if {
	testlib.strip(egr_05.deny) == {{
		"msg": "trafficPolicy of DestinationRule app/api originates SIMPLE TLS to external host \"api.example.com\" without caCertificates or credentialName, subjectAltNames, sni: the chain is checked against the proxy's OS trust bundle rather than the server's CA, and the name only where Istio can derive it: set them",
		"resource": dr_res("api"),
		"severity": "medium",
	}} with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [dr("api", "api.example.com", {"tls": {"mode": "SIMPLE"}})]})
}

test_missing_ca_only_medium if {
	t := object.remove(full_tls, ["caCertificates"])
	some f in egr_05.deny with input as testlib.inp({"ServiceEntry": [https_se], "DestinationRule": [dr("api", "api.example.com", {"tls": t})]})
	f.severity == "medium"
	contains(f.msg, "without caCertificates or credentialName:")
}

# credentialName counts as the CA; the ServiceEntry's subjectAltNames count.
test_credential_and_se_sans_pass if {
	s := se("api", ["api.example.com"], [{"number": 443, "name": "tls", "protocol": "TLS"}], {"subjectAltNames": ["api.example.com"]})
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [s], "DestinationRule": [dr("api", "api.example.com", {"tls": {"mode": "SIMPLE", "credentialName": "api-ca", "sni": "api.example.com"}})]})
}

test_subset_settings_judged if {
	d := {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "api", "namespace": "app"}, "spec": {"host": "api.example.com", "subsets": [{"name": "v1", "trafficPolicy": {"tls": {"mode": "SIMPLE", "insecureSkipVerify": true}}}]}}
	some f in egr_05.deny with input as testlib.inp({"ServiceEntry": [https_se], "DestinationRule": [d]})
	startswith(f.msg, "subset v1 trafficPolicy of DestinationRule app/api originates SIMPLE TLS")
}

# In-cluster hosts are MTLS-03's business.
test_cluster_hosts_ignored if {
	count(egr_05.deny) == 0 with input as testlib.inp({
		"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "db"}}], "DestinationRule": [
			dr("a", "mydb.db.svc.cluster.local", {"tls": {"mode": "SIMPLE"}}),
			dr("b", "mydb", {"tls": {"mode": "SIMPLE"}}),
			dr("c", "mydb.db", {"tls": {"mode": "SIMPLE"}}),
			dr("d", "internal.corp", {"tls": {"mode": "SIMPLE"}}),
		],
		"ServiceEntry": [se("int", ["internal.corp"], [{"number": 443, "name": "tls", "protocol": "TLS"}], {"location": "MESH_INTERNAL"})],
	})
}

# A non-cluster hostname is external even without a ServiceEntry.
test_external_without_service_entry if {
	some f in egr_05.deny with input as testlib.inp({"DestinationRule": [dr("x", "db.example.net", {"tls": {"mode": "SIMPLE", "insecureSkipVerify": "true"}})]})
	contains(f.msg, "insecureSkipVerify: true")
}

test_istio_mutual_and_disable_ignored_here if {
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [https_se], "DestinationRule": [dr("api", "api.example.com", {"tls": {"mode": "ISTIO_MUTUAL"}})]})
}

# ---- plaintext ports ----

test_plaintext_http_port_without_origination if {
	testlib.strip(egr_05.deny) == {{
		"msg": "port 80/HTTP of external host \"api.example.com\" carries plaintext and no DestinationRule originates TLS for it: add a DestinationRule for the host with tls.mode SIMPLE (top-level or for this port), or have the application speak TLS (protocol TLS/HTTPS)",
		"resource": se_res("api"),
		"severity": "medium",
	}} with input as testlib.inp({"ServiceEntry": [http_se]})
}

test_plaintext_tcp_port if {
	s := se("db", ["db.example.com"], [{"number": 5432, "name": "pg", "protocol": "TCP"}, {"number": 443, "name": "https", "protocol": "TCP"}], {})
	testlib.strip(egr_05.deny) == {{
		"msg": "port 5432/TCP of external host \"db.example.com\" carries plaintext and no DestinationRule originates TLS for it: add a DestinationRule for the host with tls.mode SIMPLE (top-level or for this port), or have the application speak TLS (protocol TLS/HTTPS)",
		"resource": se_res("db"),
		"severity": "medium",
	}} with input as testlib.inp({"ServiceEntry": [s]})
}

test_tls_protocols_pass if {
	s := se("x", ["x.example.com"], [{"number": 443, "name": "tls", "protocol": "TLS"}, {"number": 8443, "name": "https", "protocol": "HTTPS"}], {})
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [s]})
}

test_port_level_origination_counts if {
	d := dr("api", "api.example.com", {"portLevelSettings": [{"port": {"number": 80}, "tls": full_tls}]})
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [d]})
}

# A port-level DISABLE overrides the top-level origination for that port.
test_port_level_override_disables if {
	d := dr("api", "api.example.com", {"tls": full_tls, "portLevelSettings": [{"port": {"number": 80}, "tls": {"mode": "DISABLE"}}]})
	some f in egr_05.deny with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [d]})
	startswith(f.msg, "port 80/HTTP")
}

# A wildcard DestinationRule host covers the ServiceEntry host.
test_wildcard_dr_host if {
	d := dr("api", "*.example.com", {"tls": full_tls})
	count([f | some f in egr_05.deny; startswith(f.msg, "port ")]) == 0 with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [d]})
}

test_internal_service_entry_ports_ignored if {
	s := se("int", ["svc.corp"], [{"number": 80, "name": "http", "protocol": "HTTP"}], {"location": "MESH_INTERNAL"})
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [s]})
}

test_excluded_namespace_ignored if {
	s := object.union(http_se, {"metadata": {"namespace": "kube-system"}})
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [s]})
}

test_malformed if {
	count(egr_05.deny) == 0 with input as testlib.inp({"DestinationRule": [{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "n", "namespace": "app"}, "spec": null}], "ServiceEntry": [se("m", ["m.example.com"], ["x", {"number": "abc"}], {})]})
}

# Istio's TLS-origination pattern: a VirtualService sends port 80 to 443,
# where a DestinationRule originates TLS (here at the egress gateway).
test_redirect_to_tls_port_passes if {
	s := se("api", ["api.example.com"], [{"number": 80, "name": "http", "protocol": "HTTP"}, {"number": 443, "name": "https", "protocol": "HTTPS"}], {})
	d := dr("api", "api.example.com", {"portLevelSettings": [{"port": {"number": 443}, "tls": full_tls}]})
	vs := {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "api", "namespace": "app"}, "spec": {
		"hosts": ["api.example.com"], "gateways": ["mesh", "istio-system/egress"],
		"http": [
			{"match": [{"gateways": ["mesh"], "port": 80}], "route": [{"destination": {"host": "istio-egressgateway.istio-system.svc.cluster.local", "port": {"number": 80}}}]},
			{"match": [{"gateways": ["istio-system/egress"], "port": 80}], "route": [{"destination": {"host": "api.example.com", "port": {"number": 443}}}]},
		],
	}}
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [s], "DestinationRule": [d], "VirtualService": [vs]})

	# without the VirtualService, port 80 leaves in plaintext
	count(egr_05.deny) == 1 with input as testlib.inp({"ServiceEntry": [s], "DestinationRule": [d]})

	# a redirect to a port without TLS origination does not count
	count(egr_05.deny) == 1 with input as testlib.inp({"ServiceEntry": [s], "DestinationRule": [dr("api", "api.example.com", {"portLevelSettings": [{"port": {"number": 8443}, "tls": full_tls}]})], "VirtualService": [vs]})
}

# ---- evidence, judged, shared host matcher ---------------------------------------

test_insecure_skip_verify_evidence if {
	t := object.union(full_tls, {"insecureSkipVerify": true})
	some f in egr_05.deny with input as testlib.inp({"ServiceEntry": [https_se], "DestinationRule": [dr("api", "api.example.com", {"portLevelSettings": [{"port": {"number": 443}, "tls": t}]})]})
	f.evidence == [
		{"path": "spec.host", "value": "api.example.com"},
		{"path": "spec.trafficPolicy.portLevelSettings[0].tls.mode", "value": "SIMPLE"},
		{"path": "spec.trafficPolicy.portLevelSettings[0].tls.insecureSkipVerify", "value": true},
	]
}

test_plaintext_port_evidence if {
	some f in egr_05.deny with input as testlib.inp({"ServiceEntry": [http_se]})
	f.evidence == [
		{"path": "spec.hosts[0]", "value": "api.example.com"},
		{"path": "spec.ports[0].protocol", "value": "HTTP"},
		{"path": "DestinationRule with tls.mode SIMPLE or MUTUAL for host \"api.example.com\" port 80", "value": 0},
	]
}

test_missing_fields_evidence if {
	some f in egr_05.deny with input as testlib.inp({"ServiceEntry": [https_se], "DestinationRule": [dr("api", "api.example.com", {"tls": {"mode": "SIMPLE", "sni": "api.example.com"}})]})
	f.evidence == [
		{"path": "spec.host", "value": "api.example.com"},
		{"path": "spec.trafficPolicy.tls.mode", "value": "SIMPLE"},
		{"path": "spec.trafficPolicy.tls.caCertificates"},
		{"path": "spec.trafficPolicy.tls.credentialName"},
		{"path": "spec.trafficPolicy.tls.subjectAltNames"},
	]
}

test_judged if {
	i := testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [dr("api", "api.example.com", {"tls": full_tls})]})
	egr_05.judged == {se_res("api"), dr_res("api")} with input as i
	egr_05.not_applicable == {"no external ServiceEntry and no DestinationRule originating TLS to an external host in the input"} with input as testlib.inp({"DestinationRule": [dr("r", "reviews", {"tls": {"mode": "ISTIO_MUTUAL"}})]})
}

# Hosts match case-insensitively: the DestinationRule covers the entry's port.
test_host_case_insensitive if {
	count(egr_05.deny) == 0 with input as testlib.inp({"ServiceEntry": [http_se], "DestinationRule": [dr("api", "API.Example.com", {"tls": full_tls})]})
}

# A name.namespace host of a namespace the input shows is a cluster host.
test_dns_cluster_host_not_external if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reviews", "namespace": "shop"}}
	count(egr_05.deny) == 0 with input as testlib.inp({"Service": [svc], "DestinationRule": [dr("r", "reviews.shop", {"tls": {"mode": "SIMPLE"}})]})
}
