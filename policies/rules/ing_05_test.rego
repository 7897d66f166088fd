package meshaudit.rules.ing_05_test

import data.meshaudit.rules.ing_05
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

ap(ns, name, spec) := {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}

ra(ns, name, spec) := {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": {"name": name, "namespace": ns}, "spec": object.union({"jwtRules": [{"issuer": "https://id.example"}]}, spec)}

gw(servers) := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "web"}, "spec": {"selector": {"istio": "ingressgateway"}, "servers": servers}}

gw_res := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "namespace": "web", "name": "edge"}

https := {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["a.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "c"}}

redirect := {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a.example.com"], "tls": {"httpsRedirect": true}}

gw_ap := ap("istio-system", "ingress", {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "rules": [{"to": [{"operation": {"hosts": ["a.example.com"]}}]}]})

gw_ra := ra("istio-system", "jwt", {"selector": {"matchLabels": {"istio": "ingressgateway"}}})

live(objs) := {"cluster": "c1", "source": "cluster", "objects": objs}

manifests(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

test_protected_gateway_passes if {
	count(ing_05.deny) == 0 with input as live({"Deployment": [ingress, egress], "AuthorizationPolicy": [gw_ap], "RequestAuthentication": [gw_ra], "Gateway": [gw([https, redirect])]})
}

test_gateway_without_policy_fails if {
	ing_05.deny == {{
		"msg": "ingress gateway is selected by no enforced AuthorizationPolicy, so it admits every request",
		"resource": ingress_res,
	}} with input as live({"Deployment": [ingress, egress]})
}

test_selector_less_root_policy_counts if {
	count(ing_05.deny) == 0 with input as live({"Deployment": [ingress], "AuthorizationPolicy": [ap("istio-system", "deny-all", {})]})
}

test_dry_run_policy_does_not_count if {
	p := object.union(gw_ap, {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	count(ing_05.deny) == 1 with input as live({"Deployment": [ingress], "AuthorizationPolicy": [p]})
}

test_policy_in_other_namespace_does_not_count if {
	p := ap("web", "x", {"selector": {"matchLabels": {"istio": "ingressgateway"}}})
	count(ing_05.deny) == 1 with input as live({"Deployment": [ingress], "AuthorizationPolicy": [p]})
}

test_manifest_without_root_unknown if {
	g := deploy("istio-ingress", "gw", {"istio": "ingressgateway"})
	ing_05.unknown == {"no AuthorizationPolicy in the input selects ingress gateway Deployment istio-ingress/gw and the root namespace \"istio-system\" is not in the input"} with input as manifests({"Deployment": [g]})
	count(ing_05.deny) == 0 with input as manifests({"Deployment": [g]})
}

test_user_facing_gateway_without_authn_fails if {
	ing_05.deny == {{
		"msg": "user-facing Gateway has no RequestAuthentication or CUSTOM AuthorizationPolicy on its gateway workload Deployment istio-system/istio-ingressgateway, so end users are not authenticated at the edge",
		"resource": gw_res,
	}} with input as live({"Deployment": [ingress], "AuthorizationPolicy": [gw_ap], "Gateway": [gw([https])]})
}

test_custom_policy_counts if {
	c := ap("istio-system", "ext-authz", {"action": "CUSTOM", "provider": {"name": "oauth2"}, "selector": {"matchLabels": {"istio": "ingressgateway"}}, "rules": [{}]})
	count(ing_05.deny) == 0 with input as live({"Deployment": [ingress], "AuthorizationPolicy": [gw_ap, c], "Gateway": [gw([https])]})
}

test_redirect_only_gateway_not_user_facing if {
	count(ing_05.deny) == 0 with input as live({"Deployment": [ingress], "AuthorizationPolicy": [gw_ap], "Gateway": [gw([redirect])]})
}

test_unresolved_gateway_manifest if {
	ing_05.deny == {{
		"msg": "user-facing Gateway has no RequestAuthentication or CUSTOM AuthorizationPolicy on its selector {\"istio\":\"ingressgateway\"}, so end users are not authenticated at the edge",
		"resource": gw_res,
	}} with input as manifests({"Gateway": [gw([https])]})
	count(ing_05.deny) == 0 with input as manifests({"Gateway": [gw([https])], "RequestAuthentication": [gw_ra]})
}

test_gateway_api if {
	g := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "api", "namespace": "web"}, "spec": {"gatewayClassName": "istio", "listeners": [{"name": "https", "port": 443, "protocol": "HTTPS", "hostname": "api.example.com"}]}}
	g_res := {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "namespace": "web", "name": "api"}
	ing_05.deny == {{
		"msg": "user-facing Gateway has no RequestAuthentication or CUSTOM AuthorizationPolicy on its gateway pods (gateway.networking.k8s.io/gateway-name=api), so end users are not authenticated at the edge",
		"resource": g_res,
	}} with input as manifests({"Gateway.gateway.networking.k8s.io": [g]})
	r := ra("web", "jwt", {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "api"}]})
	count(ing_05.deny) == 0 with input as manifests({"Gateway.gateway.networking.k8s.io": [g], "RequestAuthentication": [r]})
}

test_waypoint_not_ingress if {
	w := deploy("app", "waypoint", {"gateway.networking.k8s.io/gateway-name": "waypoint", "gateway.istio.io/managed": "istio.io-mesh-controller"})
	count(ing_05.deny) == 0 with input as live({"Deployment": [w]})
	ing_05.not_applicable == {"no ingress gateway workload and no user-facing Gateway in the input"} with input as live({"Deployment": [w]})
	count(ing_05.not_applicable) == 0 with input as live({"Deployment": [ingress]})
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
	count(ing_05.deny) == 1 with input as {"cluster": "c", "source": "manifests", "objects": {"Gateway": [gw]}}
}
