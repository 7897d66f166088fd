package meshaudit.rules.egr_06_test

import data.meshaudit.rules.egr_06
import data.meshaudit.testlib
import rego.v1

egw_labels := {"istio": "egressgateway", "app": "istio-egressgateway"}

egw := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "istio-egressgateway", "namespace": "istio-system"},
	"spec": {"replicas": 2, "template": {"metadata": {"labels": egw_labels}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}},
}

egw_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istio-egressgateway"}

svc := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": "istio-egressgateway", "namespace": "istio-system"},
	"spec": {"selector": {"istio": "egressgateway"}, "ports": [{"port": 443, "name": "https"}]},
}

svc_res := {"apiVersion": "v1", "kind": "Service", "namespace": "istio-system", "name": "istio-egressgateway"}

host := "istio-egressgateway.istio-system.svc.cluster.local"

dr(ns, name, h, tls) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "DestinationRule",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"host": h, "subsets": [{"name": "cnn", "trafficPolicy": {"portLevelSettings": [{"port": {"number": 443}, "tls": tls}]}}]},
}

good_dr := dr("app", "egressgateway-for-cnn", host, {"mode": "ISTIO_MUTUAL", "sni": "edition.cnn.com"})

ap(ns, name, sel, sp) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "AuthorizationPolicy",
	"metadata": {"name": name, "namespace": ns},
	"spec": object.union({"selector": {"matchLabels": sel}}, sp),
}

good_ap := ap("istio-system", "egress-allow", {"istio": "egressgateway"}, {"action": "ALLOW", "rules": [{
	"from": [{"source": {"principals": ["cluster.local/ns/app/sa/client"]}}],
	"to": [{"operation": {"hosts": ["edition.cnn.com"]}}],
}]})

test_secured_hop_passes if {
	count(egr_06.deny) == 0 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [good_ap]})
	count(egr_06.not_applicable) == 0 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [good_ap]})
}

test_no_destination_rule_fails if {
	testlib.strip(egr_06.deny) == {{
		"msg": "no DestinationRule for egress gateway host istio-egressgateway.istio-system.svc.cluster.local sets tls.mode ISTIO_MUTUAL, so the sidecar-to-egress-gateway hop is not pinned to mutual TLS with the gateway's identity: add one for the host with tls.mode ISTIO_MUTUAL and sni naming the external host",
		"resource": svc_res,
	}} with input as testlib.live({"Deployment": [egw], "Service": [svc], "AuthorizationPolicy": [good_ap]})
}

test_disable_destination_rule_fails if {
	d := dr("app", "plain", host, {"mode": "DISABLE"})
	count(egr_06.deny) == 1 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [d], "AuthorizationPolicy": [good_ap]})
}

# A short DestinationRule host resolves in the rule's namespace; Istio does
# not complete name.namespace (lib/hosts.rego), so such a rule does not
# apply to the Service.
test_short_host_forms if {
	d1 := dr("istio-system", "short", "istio-egressgateway", {"mode": "ISTIO_MUTUAL", "sni": "a.example.com"})
	d2 := dr("app", "two", "istio-egressgateway.istio-system", {"mode": "ISTIO_MUTUAL", "sni": "a.example.com"})
	d3 := dr("app", "upper", "Istio-EgressGateway.istio-system.svc.cluster.local", {"mode": "ISTIO_MUTUAL", "sni": "a.example.com"})
	count(egr_06.deny) == 0 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [d1], "AuthorizationPolicy": [good_ap]})
	count(egr_06.deny) == 1 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [d2], "AuthorizationPolicy": [good_ap]})
	count(egr_06.deny) == 0 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [d3], "AuthorizationPolicy": [good_ap]})

	# a short name in another namespace names another Service
	count(egr_06.deny) == 1 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [dr("app", "short", "istio-egressgateway", {"mode": "ISTIO_MUTUAL", "sni": "a"})], "AuthorizationPolicy": [good_ap]})
}

test_missing_sni_low if {
	d := dr("app", "nosni", host, {"mode": "ISTIO_MUTUAL"})
	testlib.strip(egr_06.deny) == {{
		"msg": "DestinationRule app/nosni sets ISTIO_MUTUAL for egress gateway host istio-egressgateway.istio-system.svc.cluster.local without sni, so the gateway cannot match the external host's server: set sni to the external host",
		"resource": svc_res,
		"severity": "low",
	}} with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [d], "AuthorizationPolicy": [good_ap]})
}

test_no_authorization_policy_fails if {
	testlib.strip(egr_06.deny) == {{
		"msg": "no AuthorizationPolicy limits which workloads may use egress gateway Deployment istio-system/istio-egressgateway: any pod of the mesh can send traffic out through it; add an ALLOW policy with its selector naming the principals or namespaces allowed",
		"resource": egw_res,
	}} with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr]})
}

# A policy selecting other pods does not count.
test_policy_for_other_pods if {
	other := ap("istio-system", "ingress", {"istio": "ingressgateway"}, {"rules": [{"from": [{"source": {"namespaces": ["app"]}}]}]})
	count(egr_06.deny) == 1 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [other]})
}

test_allow_all_policy_fails if {
	open := ap("istio-system", "open", {"istio": "egressgateway"}, {"rules": [
		{"from": [{"source": {"namespaces": ["app"]}}]},
		{},
		{"from": [{"source": {"principals": ["*"]}}]},
		{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]},
		{"from": [{"source": {"namespaces": ["app"]}}, {"source": {"notNamespaces": ["x"]}}]},
	]})
	testlib.strip(egr_06.deny) == {{
		"msg": "AuthorizationPolicy istio-system/open lets any source use egress gateway Deployment istio-system/istio-egressgateway: rule(s) 1, 2, 3, 4 name no principals or namespaces (other than *); name them in each rule's from.source",
		"resource": testlib.authz_policy_ref("istio-system", "open"),
	}} with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [open]})
}

# A root-namespace allow-nothing policy applies to the gateway and limits it.
test_root_allow_nothing_limits if {
	root := {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "deny-all", "namespace": "istio-system"}, "spec": {}}
	count(egr_06.deny) == 0 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [root]})
}

test_deny_not_namespaces_limits if {
	d := ap("istio-system", "only-app", {"istio": "egressgateway"}, {"action": "DENY", "rules": [{"from": [{"source": {"notNamespaces": ["app"]}}]}]})
	count(egr_06.deny) == 0 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [d]})

	# a DENY narrowed by `to` does not limit every use
	d2 := ap("istio-system", "only-app", {"istio": "egressgateway"}, {"action": "DENY", "rules": [{"from": [{"source": {"notNamespaces": ["app"]}}], "to": [{"operation": {"hosts": ["a.com"]}}]}]})
	count(egr_06.deny) == 1 with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [d2]})
}

# Manifests: a VirtualService routing to the egress gateway is judged for the DR.
test_manifest_vs_route if {
	vs := {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": {"name": "cnn", "namespace": "app"}, "spec": {
		"hosts": ["edition.cnn.com"], "gateways": ["mesh", "istio-system/egress"],
		"http": [{"match": [{"gateways": ["mesh"]}], "route": [{"destination": {"host": "istio-egressgateway.istio-system.svc.cluster.local", "subset": "cnn"}}]}],
	}}
	testlib.strip(egr_06.deny) == {{
		"msg": "no DestinationRule for egress gateway host istio-egressgateway.istio-system.svc.cluster.local sets tls.mode ISTIO_MUTUAL, so the sidecar-to-egress-gateway hop is not pinned to mutual TLS with the gateway's identity: add one for the host with tls.mode ISTIO_MUTUAL and sni naming the external host",
		"resource": {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "namespace": "app", "name": "cnn"},
	}} with input as testlib.inp({"VirtualService": [vs]})
	count(egr_06.deny) == 0 with input as testlib.inp({"VirtualService": [vs], "DestinationRule": [good_dr]})
}

test_not_applicable_without_egress_gateway if {
	egr_06.not_applicable == {"no egress gateway in the input (no workload or Service with the egress gateway labels, no VirtualService routing to one)"} with input as testlib.live({"Service": [json.patch(svc, [{"op": "replace", "path": "/spec/selector", "value": {"app": "web"}}])]})
	count(egr_06.deny) == 0 with input as testlib.live({"Service": [json.patch(svc, [{"op": "replace", "path": "/spec/selector", "value": {"app": "web"}}])]})
}

test_malformed if {
	count(egr_06.deny) == 0 with input as testlib.live({
		"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr, {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "n", "namespace": "app"}, "spec": null}],
		"AuthorizationPolicy": [good_ap, {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "n", "namespace": "x"}, "spec": null}],
	})
}

test_evidence if {
	some f in egr_06.deny with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [dr("app", "nosni", host, {"mode": "ISTIO_MUTUAL"})], "AuthorizationPolicy": [good_ap]})
	f.evidence == [{"path": "spec.subsets[0].trafficPolicy.portLevelSettings[0].tls.sni", "resource": {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "namespace": "app", "name": "nosni"}}]
}

# Without mesh-wide evidence a root-namespace policy may limit the gateway.
test_manifests_without_mesh_evidence_no_authz_finding if {
	m := testlib.inp({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr]})
	count(egr_06.deny) == 0 with input as m
	egr_06.judged == {svc_res} with input as m
	pa := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}}
	count(egr_06.deny) == 1 with input as testlib.inp({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "PeerAuthentication": [pa]})
}

test_judged if {
	egr_06.judged == {svc_res, egw_res} with input as testlib.live({"Deployment": [egw], "Service": [svc], "DestinationRule": [good_dr], "AuthorizationPolicy": [good_ap]})
}
