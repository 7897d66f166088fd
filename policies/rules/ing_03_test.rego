package meshaudit.rules.ing_03_test

import data.meshaudit.rules.ing_03
import data.meshaudit.testlib
import rego.v1

gw(ns, cred) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": ns}, "spec": {
	"selector": {"istio": "ingressgateway"},
	"servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["a.example.com"], "tls": {"mode": "SIMPLE", "credentialName": cred}}],
}}

gw_res(ns) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": ns, "name": "edge"}

ingress(ns) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istio-ingressgateway", "namespace": ns}, "spec": {"template": {"metadata": {"labels": {"istio": "ingressgateway"}}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}}}

secret(ns, name) := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}}

live(objs) := {"cluster": "c1", "source": "cluster", "objects": objs, "kinds": {k: "collected" | some k, _ in objs}}

test_secret_in_workload_namespace_passes if {
	count(ing_03.deny) == 0 with input as live({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "a-cert")]})
	count(ing_03.unknown) == 0 with input as live({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "a-cert")]})
}

# The Secret must be where the gateway proxy runs, not where the Gateway is.
test_secret_in_gateway_object_namespace_fails if {
	testlib.strip(ing_03.deny) == {{
		"msg": "server port 443 credential \"a-cert\" has no Secret istio-ingress/a-cert (the gateway workload's namespace), so the listener serves no certificate: create the Secret there or fix the name",
		"resource": gw_res("web"),
	}} with input as live({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("web", "a-cert")]})
}

test_live_without_secret_names_unknown if {
	ing_03.unknown == {"Secret names were not collected (not collected): run the live scan with --secret-names (metadata only) to check gateway credentials"} with input as live({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")]})
	count(ing_03.deny) == 0 with input as live({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")]})
}

test_live_unresolved_gateway_unknown if {
	ing_03.unknown == {"Gateway web/edge selects no workload in the input, so the namespace of its credential Secrets is unknown"} with input as live({"Gateway": [gw("web", "a-cert")], "Secret": [secret("web", "a-cert")]})
}

test_manifest_without_secrets_not_applicable if {
	ing_03.not_applicable == {"only a live scan can tell whether the gateways' credential Secrets exist: the input holds no Secret of namespace(s) istio-ingress (manifests do not carry issued certificates; scan the cluster with --secret-names)"} with input as testlib.inp({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")]})
	count(ing_03.deny) == 0 with input as testlib.inp({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")]})
}

test_manifest_with_secrets_judged if {
	count(ing_03.deny) == 1 with input as testlib.inp({"Gateway": [gw("web", "b-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "a-cert")]})
	count(ing_03.deny) == 0 with input as testlib.inp({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "a-cert")]})
}

test_manifest_unresolved_not_applicable if {
	ing_03.not_applicable == {"only a live scan can tell whether the credential Secrets of Gateway web/edge exist: its gateway workload is not in the input, so the namespace they must be in is unknown"} with input as testlib.inp({"Gateway": [gw("web", "a-cert")]})
}

test_gateway_api_certificate_refs if {
	g := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "api", "namespace": "web"}, "spec": {"gatewayClassName": "istio", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "tls": {"mode": "Terminate", "certificateRefs": [{"name": "api-cert"}, {"name": "shared", "namespace": "certs"}]}}]}}
	testlib.strip(ing_03.deny) == {{
		"msg": "listener https certificateRef \"shared\" has no Secret certs/shared, so the listener serves no certificate: create the Secret there or fix the reference",
		"resource": {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "web", "name": "api"},
	}} with input as live({"Gateway.gateway.networking.k8s.io": [g], "Secret": [secret("web", "api-cert")]})
}

test_no_credentials_nothing_to_check if {
	g := json.patch(gw("web", "x"), [{"op": "remove", "path": "/spec/servers/0/tls/credentialName"}])
	count(ing_03.unknown) == 0 with input as live({"Gateway": [g]})
	count(ing_03.deny) == 0 with input as live({"Gateway": [g]})
}

# --secret-names given and the cluster has no Secret at all: judged.
test_live_secret_names_collected_none_fails if {
	inp := object.union(live({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")]}), {"kinds": {"Secret": "collected"}})
	count(ing_03.deny) == 1 with input as inp
	count(ing_03.unknown) == 0 with input as inp
}

test_evidence_and_judged if {
	inp := testlib.inp({"Gateway": [gw("web", "b-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "a-cert")]})
	some f in ing_03.deny with input as inp
	f.evidence == [
		{"path": "spec.servers[0].tls.credentialName", "value": "b-cert"},
		{"path": "Secret \"b-cert\" in namespace \"istio-ingress\"", "value": 0},
	]
	ing_03.judged == {gw_res("web")} with input as inp
	count(ing_03.not_applicable) == 0 with input as inp
}

test_pass_is_judged_not_applicable_absent if {
	inp := testlib.inp({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "a-cert")]})
	ing_03.judged == {gw_res("web")} with input as inp
	count(ing_03.not_applicable) == 0 with input as inp
}

test_manifest_without_secrets_judges_nothing if {
	count(ing_03.judged) == 0 with input as testlib.inp({"Gateway": [gw("web", "a-cert")], "Deployment": [ingress("istio-ingress")]})
}

test_credential_names_list_evidence if {
	g := json.patch(gw("web", "x"), [{"op": "replace", "path": "/spec/servers/0/tls", "value": {"mode": "SIMPLE", "credentialNames": ["rsa", "ecdsa"]}}])
	fs := ing_03.deny with input as live({"Gateway": [g], "Deployment": [ingress("istio-ingress")], "Secret": [secret("istio-ingress", "rsa")]})
	count(fs) == 1
	some f in fs
	f.evidence[0] == {"path": "spec.servers[0].tls.credentialNames[1]", "value": "ecdsa"}
}

test_no_credential_refs_not_applicable if {
	g := json.patch(gw("web", "x"), [{"op": "remove", "path": "/spec/servers/0/tls/credentialName"}])
	ing_03.not_applicable == {"no Gateway in the input references a credential Secret (credentialName, credentialNames or certificateRefs)"} with input as testlib.inp({"Gateway": [g]})
}
