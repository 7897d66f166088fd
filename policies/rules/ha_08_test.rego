package meshaudit.rules.ha_08_test

import data.meshaudit.lib
import data.meshaudit.rules.ha_08
import data.meshaudit.testlib
import rego.v1

crit := {"meshaudit.io/critical": "true"}

service(name, lbls, ports) := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": name, "namespace": "shop", "labels": lbls},
	"spec": {"selector": {"app": name}, "ports": ports},
}

http_port := [{"name": "http", "port": 8080}]

svc_res := {"apiVersion": "v1", "kind": "Service", "namespace": "shop", "name": "cart"}

deploy(name, meta_labels, tmpl_labels, annotations) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "shop", "labels": meta_labels},
	"spec": {"template": {
		"metadata": {"labels": tmpl_labels, "annotations": annotations},
		"spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
	}},
}

dr(ns, name, host, spec) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "DestinationRule",
	"metadata": {"name": name, "namespace": ns},
	"spec": object.union({"host": host}, spec),
}

good_policy := {"trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 100}}, "outlierDetection": {"consecutive5xxErrors": 5}}}

vs(ns, name, hosts, routes) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "VirtualService",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"hosts": hosts, "http": routes},
}

good_route := {"route": [{"destination": {"host": "cart"}}], "timeout": "5s", "retries": {"attempts": 2, "perTryTimeout": "2s"}}

vs_res := {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "namespace": "shop", "name": "cart"}

compliant := {
	"Service": [service("cart", crit, http_port)],
	"DestinationRule": [dr("shop", "cart", "cart", good_policy)],
	"VirtualService": [vs("shop", "cart", ["cart"], [good_route])],
}

# msgs: the problems found (before they are merged into one finding per
# subject).
msgs(objs) := {f.msg | some f in ha_08.finding with input as testlib.live(objs)}

test_nothing_critical_not_applicable if {
	inp := testlib.live({"Service": [service("cart", {}, http_port)]})
	count(ha_08.deny) == 0 with input as inp
	ha_08.not_applicable == {"no workload or Service labelled meshaudit.io/critical: \"true\""} with input as inp
}

# Gateways are judged only once something is labelled critical.
test_gateways_not_judged_without_critical_label if {
	gw := deploy("gw", {}, {"istio": "ingressgateway", "sidecar.istio.io/inject": "true"}, {"inject.istio.io/templates": "gateway"})
	count(ha_08.deny) == 0 with input as testlib.live({"Deployment": [gw]})
}

test_compliant_critical_service_passes if {
	count(ha_08.deny) == 0 with input as testlib.live(compliant)
	count(ha_08.not_applicable) == 0 with input as testlib.live(compliant)
	count(ha_08.unknown) == 0 with input as testlib.live(compliant)
}

test_missing_dr_and_vs_fail if {
	testlib.strip(ha_08.finding) == {
		{
			"msg": "no DestinationRule for critical host cart.shop.svc.cluster.local sets trafficPolicy.connectionPool or trafficPolicy.outlierDetection (DestinationRules for the host: none): add them to a DestinationRule for the host",
			"resource": svc_res,
		},
		{
			"msg": "no VirtualService bound to the mesh routes critical host cart.shop.svc.cluster.local, so its HTTP routes have no timeout and no retries policy: add one with timeout and retries on its HTTP routes",
			"resource": svc_res,
		},
	} with input as testlib.live({"Service": [service("cart", crit, http_port)]})
	# one finding on the Service listing both (issue 14)
	count(ha_08.deny) == 1 with input as testlib.live({"Service": [service("cart", crit, http_port)]})
}

test_dr_missing_outlier_detection if {
	d := dr("shop", "cart-tls", "cart.shop.svc.cluster.local", {"trafficPolicy": {"connectionPool": {"http": {"http2MaxRequests": 100}}, "tls": {"mode": "ISTIO_MUTUAL"}}})
	msgs(object.union(compliant, {"DestinationRule": [d]})) == {"no DestinationRule for critical host cart.shop.svc.cluster.local sets trafficPolicy.outlierDetection (DestinationRules for the host: shop/cart-tls): add them to a DestinationRule for the host"}
}

# Settings may come from several DestinationRules, port-level settings, every subset, or a wildcard.
test_dr_variants_pass if {
	pool := dr("shop", "a", "cart", {"trafficPolicy": {"portLevelSettings": [{"port": {"number": 8080}, "connectionPool": {"tcp": {"maxConnections": 10}}}]}})
	outlier := dr("shop", "b", "cart", {"subsets": [
		{"name": "v1", "labels": {"v": "1"}, "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 3}}},
		{"name": "v2", "labels": {"v": "2"}, "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 3}}},
	]})
	count(ha_08.deny) == 0 with input as testlib.live(object.union(compliant, {"DestinationRule": [pool, outlier]}))
	mesh_wide := dr("istio-system", "default", "*.local", good_policy)
	count(ha_08.deny) == 0 with input as testlib.live(object.union(compliant, {"DestinationRule": [mesh_wide]}))
}

test_subset_policy_on_some_subsets_only_fails if {
	d := dr("shop", "cart", "cart", {"trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 10}}}, "subsets": [
		{"name": "v1", "trafficPolicy": {"outlierDetection": {"consecutive5xxErrors": 3}}},
		{"name": "v2"},
	]})
	msgs(object.union(compliant, {"DestinationRule": [d]})) == {"no DestinationRule for critical host cart.shop.svc.cluster.local sets trafficPolicy.outlierDetection (DestinationRules for the host: shop/cart): add them to a DestinationRule for the host"}
}

# A short name in another namespace means a different host; "cart.shop" is not expanded by Istio.
test_short_names_resolve_in_rule_namespace if {
	other := dr("payments", "cart", "cart", good_policy)
	dotted := dr("shop", "cart-dotted", "cart.shop", good_policy)
	msgs(object.union(compliant, {"DestinationRule": [other, dotted]})) == {"no DestinationRule for critical host cart.shop.svc.cluster.local sets trafficPolicy.connectionPool or trafficPolicy.outlierDetection (DestinationRules for the host: none): add them to a DestinationRule for the host"}
}

test_route_without_timeout_and_retries_fails if {
	v := vs("shop", "cart", ["cart.shop.svc.cluster.local"], [{"route": [{"destination": {"host": "cart"}}]}])
	testlib.strip(ha_08.deny) == {{
		"msg": "http[0] of VirtualService shop/cart for critical host cart.shop.svc.cluster.local has no timeout and no retries policy: set a timeout and retries with attempts above 0",
		"resource": vs_res,
	}} with input as testlib.live(object.union(compliant, {"VirtualService": [v]}))
}

test_disabled_timeout_and_retries_fail if {
	v := vs("shop", "cart", ["cart"], [
		good_route,
		{"route": [{"destination": {"host": "cart"}}], "timeout": "0s", "retries": {"attempts": 0}},
		{"route": [{"destination": {"host": "cart"}}], "timeout": "3s", "retries": {"perTryTimeout": "1s"}},
		{"redirect": {"uri": "/v2"}},
		{"directResponse": {"status": 503}},
	])
	msgs(object.union(compliant, {"VirtualService": [v]})) == {
		"http[1] of VirtualService shop/cart for critical host cart.shop.svc.cluster.local has timeout 0s, which disables it and retries.attempts 0, which disables retries: set a timeout and retries with attempts above 0",
		"http[2] of VirtualService shop/cart for critical host cart.shop.svc.cluster.local has retries without attempts (0), which disables retries: set a timeout and retries with attempts above 0",
	}
}

# A VirtualService bound only to a gateway does not apply to mesh clients.
test_gateway_only_vs_does_not_count if {
	v := object.union(vs("shop", "cart", ["cart"], [good_route]), {"spec": {"gateways": ["shop/public"]}})
	msgs(object.union(compliant, {"VirtualService": [v]})) == {"no VirtualService bound to the mesh routes critical host cart.shop.svc.cluster.local, so its HTTP routes have no timeout and no retries policy: add one with timeout and retries on its HTTP routes"}
	m := object.union(vs("shop", "cart", ["cart"], [good_route]), {"spec": {"gateways": ["mesh", "shop/public"]}})
	count(ha_08.deny) == 0 with input as testlib.live(object.union(compliant, {"VirtualService": [m]}))
}

# A TCP-only Service needs no HTTP timeouts.
test_tcp_service_needs_no_vs if {
	s := service("cart", crit, [{"name": "tcp-db", "port": 5432}, {"port": 5433, "appProtocol": "mysql"}])
	count(ha_08.deny) == 0 with input as testlib.live({"Service": [s], "DestinationRule": [dr("shop", "cart", "cart", good_policy)]})
}

# A critical workload makes the Services selecting it critical.
test_critical_workload_selects_service if {
	d := deploy("cart", {}, object.union({"app": "cart"}, crit), {})
	count(ha_08.finding) == 2 with input as testlib.live({"Service": [service("cart", {}, http_port)], "Deployment": [d]})
	count(ha_08.deny) == 1 with input as testlib.live({"Service": [service("cart", {}, http_port)], "Deployment": [d]})
	d2 := deploy("cart", crit, {"app": "cart"}, {})
	count(ha_08.deny) == 0 with input as testlib.live(object.union(compliant, {"Service": [service("cart", {}, http_port)], "Deployment": [d2]}))
}

test_critical_workload_without_service if {
	d := deploy("worker", crit, {"app": "worker"}, {})
	inp := testlib.inp({"Deployment": [d]})
	count(ha_08.deny) == 0 with input as inp
	ha_08.not_applicable == {"critical Deployment shop/worker: no Service in the input selects it, so its host is not in the input"} with input as inp
	count(ha_08.judged) == 0 with input as inp
	count(ha_08.unknown) == 0 with input as testlib.live({"Deployment": [d]})
}

test_excluded_namespace_not_critical if {
	s := object.union(service("cart", crit, http_port), {"metadata": {"namespace": "kube-system"}})
	ha_08.not_applicable == {"no workload or Service labelled meshaudit.io/critical: \"true\""} with input as testlib.live({"Service": [s]})
}

test_critical_label_parameter if {
	s := service("cart", {"example.com/tier-1": "True"}, http_port)
	count(ha_08.finding) == 2 with input as testlib.live({"Service": [s]})
		with data.meshaudit.params as object.union(lib.params, {"critical_label": "example.com/tier-1"})
	count(ha_08.deny) == 0 with input as testlib.live({"Service": [s]})
}

# ---- gateways --------------------------------------------------------------------

gateway(annotations) := deploy("ingress", {}, {"istio": "ingressgateway", "sidecar.istio.io/inject": "true"}, object.union({"inject.istio.io/templates": "gateway"}, annotations))

gw_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "ingress"}

with_gw(annotations) := object.union(compliant, {"Deployment": [gateway(annotations)]})

test_gateway_without_limit_fails if {
	testlib.strip(ha_08.deny) == {{
		"msg": "the Istio gateway does not limit downstream connections: no overload.global_downstream_max_connections in runtimeValues of its proxy.istio.io/config annotation or the mesh config's defaultConfig, and no EnvoyFilter adds a connection limit: set it in the annotation's runtimeValues",
		"resource": gw_res,
	}} with input as testlib.live(with_gw({}))
}

test_gateway_annotation_limit_passes if {
	a := {"proxy.istio.io/config": "runtimeValues:\n  overload.global_downstream_max_connections: \"50000\"\n"}
	count(ha_08.deny) == 0 with input as testlib.live(with_gw(a))
	j := {"proxy.istio.io/config": "{\"runtimeValues\": {\"overload.global_downstream_max_connections\": 50000}}"}
	count(ha_08.deny) == 0 with input as testlib.live(with_gw(j))
}

test_gateway_unlimited_value_fails if {
	a := {"proxy.istio.io/config": "runtimeValues:\n  overload.global_downstream_max_connections: \"2147483647\"\n"}
	msgs(with_gw(a)) == {"the Istio gateway sets overload.global_downstream_max_connections to 2147483647 in the proxy.istio.io/config annotation, which is no limit: set it to the number of connections the gateway can serve"}
}

test_gateway_mesh_default_limit_passes if {
	cm := testlib.mesh_cm("defaultConfig:\n  runtimeValues:\n    overload.global_downstream_max_connections: \"100000\"\n")
	count(ha_08.deny) == 0 with input as testlib.live(object.union(with_gw({}), {"ConfigMap": [cm]}))
}

test_gateway_envoyfilter_limit_passes if {
	ef := {
		"apiVersion": "networking.istio.io/v1alpha3",
		"kind": "EnvoyFilter",
		"metadata": {"name": "gw-conn-limit", "namespace": "istio-system"},
		"spec": {
			"workloadSelector": {"labels": {"istio": "ingressgateway"}},
			"configPatches": [{"applyTo": "NETWORK_FILTER", "match": {"context": "GATEWAY"}, "patch": {"operation": "INSERT_FIRST", "value": {"name": "envoy.filters.network.connection_limit", "typed_config": {"max_connections": 10000}}}}],
		},
	}
	count(ha_08.deny) == 0 with input as testlib.live(object.union(with_gw({}), {"EnvoyFilter": [ef]}))
	other := object.union(ef, {"spec": {"workloadSelector": {"labels": {"istio": "egressgateway"}}}})
	count(ha_08.deny) == 1 with input as testlib.live(object.union(with_gw({}), {"EnvoyFilter": [other]}))
}

test_gateway_bootstrap_override_unknown if {
	inp := testlib.live(with_gw({"sidecar.istio.io/bootstrapOverride": "gw-bootstrap"}))
	count(ha_08.deny) == 0 with input as inp
	ha_08.unknown == {"Deployment shop/ingress: its custom bootstrap (ConfigMap gw-bootstrap of sidecar.istio.io/bootstrapOverride) is not collected and may limit downstream connections"} with input as inp
}

test_gateway_manifests_without_mesh_config_unknown if {
	inp := testlib.inp(with_gw({}))
	count(ha_08.deny) == 0 with input as inp
	count(ha_08.unknown) == 0 with input as inp

	# the critical Service is judged, the gateway is not
	ha_08.judged == {svc_res} with input as inp
	count(ha_08.deny) == 1 with input as testlib.inp(object.union(with_gw({}), {"ConfigMap": [testlib.mesh_cm("rootNamespace: istio-system\n")]}))
}

# ---- evidence and judged -----------------------------------------------------------

test_evidence_missing_dr_and_vs if {
	fs := ha_08.finding with input as testlib.live({"Service": [service("cart", crit, http_port)], "DestinationRule": [dr("shop", "cart", "CART", {"trafficPolicy": {"connectionPool": {}}})]})
	some f in fs
	startswith(f.msg, "no DestinationRule")
	f.evidence == [
		{"path": "metadata.labels[\"meshaudit.io/critical\"]", "value": "true"},
		{"path": "DestinationRule for host cart.shop.svc.cluster.local setting trafficPolicy.outlierDetection", "value": 0},
		{"path": "spec.host", "value": "CART", "resource": {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "namespace": "shop", "name": "cart"}},
	]
}

test_evidence_route_problems if {
	v := vs("shop", "cart", ["cart"], [good_route, {"route": [{"destination": {"host": "cart"}}], "timeout": "0s"}])
	some f in ha_08.deny with input as testlib.live(object.union(compliant, {"VirtualService": [v]}))
	f.evidence == [{"path": "spec.http[1].timeout", "value": "0s"}, {"path": "spec.http[1].retries"}]
}

test_evidence_gateway_limit if {
	a := {"proxy.istio.io/config": "runtimeValues:\n  overload.global_downstream_max_connections: \"2147483647\"\n"}
	some f in ha_08.deny with input as testlib.live(with_gw(a))
	f.evidence == [{"path": "spec.template.metadata.annotations[\"proxy.istio.io/config\"]: runtimeValues[\"overload.global_downstream_max_connections\"]", "value": "2147483647"}]
}

test_judged_on_pass if {
	ha_08.judged == {svc_res} with input as testlib.live(compliant)
	ha_08.judged == {svc_res, gw_res} with input as testlib.live(with_gw({"proxy.istio.io/config": "runtimeValues:\n  overload.global_downstream_max_connections: \"50000\"\n"}))
}

# Hosts are matched case-insensitively, wildcards by the shared matcher.
test_host_case_and_wildcard if {
	upper_dr := dr("shop", "cart", "Cart.Shop.svc.cluster.local", good_policy)
	count(ha_08.deny) == 0 with input as testlib.live(object.union(compliant, {"DestinationRule": [upper_dr]}))
	wild := dr("istio-system", "w", "*.shop.svc.cluster.local", good_policy)
	count(ha_08.deny) == 0 with input as testlib.live(object.union(compliant, {"DestinationRule": [wild]}))
	other := dr("istio-system", "w", "*.payments.svc.cluster.local", good_policy)
	count(ha_08.deny) == 1 with input as testlib.live(object.union(compliant, {"DestinationRule": [other]}))
}
