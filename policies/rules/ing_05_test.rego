package meshaudit.rules.ing_05_test

import data.meshaudit.rules.ing_05
import data.meshaudit.testlib
import rego.v1

deploy(ns, name, lbls) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": lbls}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}},
}

ingress := deploy("istio-system", "istio-ingressgateway", {"istio": "ingressgateway", "app": "istio-ingressgateway"})

ingress_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istio-ingressgateway"}

egress := deploy("istio-system", "istio-egressgateway", {"istio": "egressgateway"})

ra(ns, name, spec) := {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": {"name": name, "namespace": ns}, "spec": object.union({"jwtRules": [{"issuer": "https://id.example"}]}, spec)}

gw(servers) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "web"}, "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}}

gw_res := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "web", "name": "edge"}

https := {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["a.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "c"}}

redirect := {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a.example.com"], "tls": {"httpsRedirect": true}}

gw_ap := testlib.authz_policy("istio-system", "ingress", {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "rules": [{"to": [{"operation": {"hosts": ["a.example.com"]}}]}]})

gw_ra := ra("istio-system", "jwt", {"selector": {"matchLabels": {"istio": "ingressgateway"}}})

authz_problem := "no enforced AuthorizationPolicy selects it, so it admits every request: add an AuthorizationPolicy with its selector (in its namespace or the root namespace) allowing only the expected hosts, paths and methods"

authn_fix := "add a RequestAuthentication with its selector and an AuthorizationPolicy requiring a token, or a CUSTOM AuthorizationPolicy calling the external authorizer"

test_protected_gateway_passes if {
	inp := testlib.live({"Deployment": [ingress, egress], "AuthorizationPolicy": [gw_ap], "RequestAuthentication": [gw_ra], "Gateway": [gw([https, redirect])]})
	count(ing_05.deny) == 0 with input as inp
	ing_05.judged == {ingress_res} with input as inp
}

test_gateway_without_policy_fails if {
	testlib.strip(ing_05.deny) == {{
		"msg": concat("", ["gateway workload Deployment istio-system/istio-ingressgateway: ", authz_problem]),
		"resource": ingress_res,
	}} with input as testlib.live({"Deployment": [ingress, egress]})
}

test_gateway_without_policy_evidence if {
	some f in ing_05.deny with input as testlib.live({"Deployment": [ingress]})
	f.evidence == [{"path": "AuthorizationPolicy (not dry-run) in namespace \"istio-system\" or \"istio-system\" selecting labels {\"app\":\"istio-ingressgateway\",\"istio\":\"ingressgateway\"}", "value": 0}]
}

test_selector_less_root_policy_counts if {
	count(ing_05.deny) == 0 with input as testlib.live({"Deployment": [ingress], "AuthorizationPolicy": [testlib.authz_policy("istio-system", "deny-all", {})]})
}

test_dry_run_policy_does_not_count if {
	p := object.union(gw_ap, {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	count(ing_05.deny) == 1 with input as testlib.live({"Deployment": [ingress], "AuthorizationPolicy": [p]})
}

test_policy_in_other_namespace_does_not_count if {
	p := testlib.authz_policy("web", "x", {"selector": {"matchLabels": {"istio": "ingressgateway"}}})
	count(ing_05.deny) == 1 with input as testlib.live({"Deployment": [ingress], "AuthorizationPolicy": [p]})
}

# Without mesh-wide evidence a root policy the input does not show may
# apply: no finding, nothing judged, not applicable with the reason.
test_manifest_without_mesh_evidence_not_applicable if {
	g := deploy("istio-ingress", "gw", {"istio": "ingressgateway"})
	inp := testlib.inp({"Deployment": [g]})
	count(ing_05.deny) == 0 with input as inp
	count(ing_05.judged) == 0 with input as inp
	ing_05.not_applicable == {"no policy of the input applies to its gateways, and the input holds no mesh-wide evidence (mesh config or Istio policy in root namespace \"istio-system\"): a root-namespace policy may authorize and authenticate them"} with input as inp
}

# An object that merely lives in the root namespace is no evidence.
test_manifest_with_root_service_only_not_applicable if {
	g := deploy("istio-ingress", "gw", {"istio": "ingressgateway"})
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "namespace": "istio-system"}}
	count(ing_05.deny) == 0 with input as testlib.inp({"Deployment": [g], "Service": [svc]})
}

test_manifest_with_mesh_evidence_fails if {
	g := deploy("istio-ingress", "gw", {"istio": "ingressgateway"})
	count(ing_05.deny) == 1 with input as testlib.inp({"Deployment": [g], "PeerAuthentication": [testlib.root_strict_pa]})
}

test_user_facing_gateway_without_authn_fails_on_workload if {
	testlib.strip(ing_05.deny) == {{
		"msg": concat("", ["gateway workload Deployment istio-system/istio-ingressgateway: it serves user-facing Gateway web/edge and no RequestAuthentication or CUSTOM AuthorizationPolicy applies to it, so end users are not authenticated at the edge: ", authn_fix]),
		"resource": ingress_res,
	}} with input as testlib.live({"Deployment": [ingress], "AuthorizationPolicy": [gw_ap], "Gateway": [gw([https])]})
}

# issue 14: three Gateways selecting istio: ingressgateway give one finding
# on the gateway workload, listing them, with both problems.
test_one_finding_per_gateway_workload if {
	g2 := object.union(gw([https]), {"metadata": {"name": "shop", "namespace": "shop"}})
	g3 := object.union(gw([https]), {"metadata": {"name": "admin", "namespace": "web"}})
	inp := testlib.live({"Deployment": [ingress], "Gateway": [gw([https]), g2, g3]})
	testlib.strip(ing_05.deny) == {{
		"msg": concat("", [
			"gateway workload Deployment istio-system/istio-ingressgateway: ", authz_problem,
			"; it serves user-facing Gateways shop/shop, web/admin, web/edge and no RequestAuthentication or CUSTOM AuthorizationPolicy applies to it, so end users are not authenticated at the edge: ", authn_fix,
		]),
		"resource": ingress_res,
	}} with input as inp
	some f in ing_05.deny with input as inp
	{"path": "spec.selector", "value": {"istio": "ingressgateway"}, "resource": {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "shop", "name": "shop"}} in f.evidence
	count(f.evidence) == 5
}

# Gateway workload not in the input: one finding per distinct selector, on
# the first Gateway, naming the others.
test_unresolved_gateways_one_finding_per_selector if {
	g2 := object.union(gw([https]), {"metadata": {"name": "shop", "namespace": "shop"}})
	g3 := object.union(gw([https]), {"metadata": {"name": "admin", "namespace": "web"}})
	other := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "partner", "namespace": "web"}, "spec": {"selector": {"istio": "partner-gw"}, "servers": [https]}}
	inp := testlib.inp({"Gateway": [gw([https]), g2, g3, other], "PeerAuthentication": [testlib.root_strict_pa]})
	testlib.strip(ing_05.deny) == {
		{
			"msg": concat("", ["user-facing Gateway selects gateway workload {\"istio\":\"ingressgateway\"}, which is not in the input, and no RequestAuthentication or CUSTOM AuthorizationPolicy covers that selector, so end users are not authenticated at the edge (also for web/admin, web/edge, which select the same workload): ", authn_fix]),
			"resource": {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "shop", "name": "shop"},
		},
		{
			"msg": concat("", ["user-facing Gateway selects gateway workload {\"istio\":\"partner-gw\"}, which is not in the input, and no RequestAuthentication or CUSTOM AuthorizationPolicy covers that selector, so end users are not authenticated at the edge: ", authn_fix]),
			"resource": {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "web", "name": "partner"},
		},
	} with input as inp
}

test_custom_policy_counts if {
	c := testlib.authz_policy("istio-system", "ext-authz", {"action": "CUSTOM", "provider": {"name": "oauth2"}, "selector": {"matchLabels": {"istio": "ingressgateway"}}, "rules": [{}]})
	count(ing_05.deny) == 0 with input as testlib.live({"Deployment": [ingress], "AuthorizationPolicy": [gw_ap, c], "Gateway": [gw([https])]})
}

test_redirect_only_gateway_not_user_facing if {
	count(ing_05.deny) == 0 with input as testlib.live({"Deployment": [ingress], "AuthorizationPolicy": [gw_ap], "Gateway": [gw([redirect])]})
}

test_unresolved_gateway_manifest if {
	some f in ing_05.deny with input as testlib.inp({"Gateway": [gw([https])], "PeerAuthentication": [testlib.root_strict_pa]})
	f.resource == gw_res
	f.evidence[0] == {"path": "spec.selector", "value": {"istio": "ingressgateway"}}
	inp := testlib.inp({"Gateway": [gw([https])], "RequestAuthentication": [gw_ra]})
	count(ing_05.deny) == 0 with input as inp
	ing_05.judged == {gw_res} with input as inp
}

test_gateway_api if {
	g := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "api", "namespace": "web"}, "spec": {"gatewayClassName": "istio", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "api.example.com"}]}}
	g_res := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "web", "name": "api"}
	testlib.strip(ing_05.deny) == {{
		"msg": concat("", ["user-facing Gateway has no RequestAuthentication or CUSTOM AuthorizationPolicy on its gateway pods (gateway.networking.k8s.io/gateway-name=api, not in the input), so end users are not authenticated at the edge: ", authn_fix]),
		"resource": g_res,
	}} with input as testlib.inp({"Gateway.gateway.networking.k8s.io": [g], "PeerAuthentication": [testlib.root_strict_pa]})
	r := ra("web", "jwt", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "api"}]})
	count(ing_05.deny) == 0 with input as testlib.inp({"Gateway.gateway.networking.k8s.io": [g], "RequestAuthentication": [r]})
}

test_waypoint_not_ingress if {
	w := deploy("app", "waypoint", {"gateway.networking.k8s.io/gateway-name": "waypoint", "gateway.istio.io/managed": "istio.io-mesh-controller"})
	count(ing_05.deny) == 0 with input as testlib.live({"Deployment": [w]})
	ing_05.not_applicable == {"no ingress gateway workload and no user-facing Gateway in the input"} with input as testlib.live({"Deployment": [w]})
	count(ing_05.not_applicable) == 0 with input as testlib.live({"Deployment": [ingress]})
}

# An egress gateway's ISTIO_MUTUAL server faces mesh sidecars, not end users.
test_egress_gateway_server_is_not_user_facing if {
	gw := {
		"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
		"metadata": {"name": "istio-egressgateway", "namespace": "istio-system"},
		"spec": {"selector": {"istio": "egressgateway"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["payments/api.stripe.com"], "tls": {"mode": "ISTIO_MUTUAL"}}]},
	}
	count(ing_05.deny) == 0 with input as {"cluster": "c", "source": "manifests", "objects": {"Gateway": [gw]}}
}

# An ingress HTTPS server still is.
test_ingress_https_server_is_user_facing if {
	gw := {
		"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"selector": {"istio": "ingressgateway"}, "servers": [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["shop.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "shop-cert"}}]},
	}
	count(ing_05.deny) == 1 with input as {"cluster": "c", "source": "manifests", "objects": {"Gateway": [gw], "PeerAuthentication": [testlib.root_strict_pa]}}
}
