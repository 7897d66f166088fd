package meshaudit.rules.egr_03_test

import data.meshaudit.lib
import data.meshaudit.rules.egr_03
import data.meshaudit.testlib
import rego.v1

egw_svc := "istio-egressgateway.istio-system.svc.cluster.local"

se(name, hosts) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "ServiceEntry",
	"metadata": {"name": name, "namespace": "app"},
	"spec": {"hosts": hosts, "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}], "resolution": "DNS", "location": "MESH_EXTERNAL"},
}

se_res(name) := {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "namespace": "app", "name": name}

gateway(ns, name, selector, hosts) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "Gateway",
	"metadata": {"name": name, "namespace": ns},
	"spec": {
		"selector": selector,
		"servers": [{"port": {"number": 443, "name": "tls", "protocol": "TLS"}, "hosts": hosts, "tls": {"mode": "PASSTHROUGH"}}],
	},
}

vs(ns, name, spec) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "VirtualService",
	"metadata": {"name": name, "namespace": ns},
	"spec": spec,
}

tls_route(gws, sni, dest) := {
	"match": [{"gateways": gws, "port": 443, "sniHosts": sni}],
	"route": [{"destination": {"host": dest, "port": {"number": 443}}}],
}

# The Istio egress gateway task: one VirtualService for mesh and the gateway.
egress_vs(host) := vs("istio-system", "direct-through-egress", {
	"hosts": [host],
	"gateways": ["mesh", "istio-system/egress"],
	"tls": [
		tls_route(["mesh"], [host], egw_svc),
		tls_route(["istio-system/egress"], [host], host),
	],
})

egress_gw(hosts) := gateway("istio-system", "egress", {"istio": "egressgateway"}, hosts)

all_missing := "missing a VirtualService on gateway mesh that routes it to the egress gateway Service; a Gateway selecting istio=egressgateway with a server for it and a VirtualService bound to that Gateway"

test_egress_task_pattern_passes if {
	count(egr_03.deny) == 0 with input as testlib.inp({
		"ServiceEntry": [se("cnn", ["edition.cnn.com"])],
		"Gateway": [egress_gw(["edition.cnn.com"])],
		"VirtualService": [egress_vs("edition.cnn.com")],
	})
}

test_no_routing_fails if {
	testlib.strip(egr_03.deny) == {{
		"msg": sprintf("external host \"edition.cnn.com\" is not routed through the egress gateway: %s", [all_missing]),
		"resource": se_res("cnn"),
	}} with input as testlib.inp({"ServiceEntry": [se("cnn", ["edition.cnn.com"])]})
}

test_one_finding_per_host if {
	d := egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("multi", ["a.example.com", "b.example.com"])],
		"Gateway": [egress_gw(["a.example.com"])],
		"VirtualService": [egress_vs("a.example.com")],
	})
	testlib.strip(d) == {{
		"msg": sprintf("external host \"b.example.com\" is not routed through the egress gateway: %s", [all_missing]),
		"resource": se_res("multi"),
	}}
}

test_mesh_internal_skipped if {
	s := object.union(se("internal", ["db.corp.internal"]), {"spec": {"location": "MESH_INTERNAL"}})
	count(egr_03.deny) == 0 with input as testlib.inp({"ServiceEntry": [s]})
}

# location defaults to MESH_EXTERNAL.
test_location_unset_is_external if {
	s := object.remove(se("ext", ["api.example.com"]), ["spec"])
	s2 := object.union(s, {"spec": {"hosts": ["api.example.com"]}})
	count(egr_03.deny) == 1 with input as testlib.inp({"ServiceEntry": [s2]})
}

test_gateway_without_bound_vs_fails if {
	testlib.strip(egr_03.deny) == {{
		"msg": "external host \"api.example.com\" is not routed through the egress gateway: missing a VirtualService on gateway mesh that routes it to the egress gateway Service; a VirtualService bound to egress Gateway istio-system/egress for it",
		"resource": se_res("api"),
	}} with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [egress_gw(["api.example.com"])],
	})
}

# A mesh VirtualService that sends the host straight out does not count.
test_mesh_vs_not_to_egress_fails if {
	direct := vs("app", "direct", {"hosts": ["api.example.com"], "tls": [tls_route(["mesh"], ["api.example.com"], "api.example.com")]})
	gwvs := vs("istio-system", "gw", {"hosts": ["api.example.com"], "gateways": ["egress"], "tls": [tls_route([], ["api.example.com"], "api.example.com")]})
	testlib.strip(egr_03.deny) == {{
		"msg": "external host \"api.example.com\" is not routed through the egress gateway: missing a VirtualService on gateway mesh that routes it to the egress gateway Service",
		"resource": se_res("api"),
	}} with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [egress_gw(["api.example.com"])],
		"VirtualService": [direct, gwvs],
	})
}

# Split objects: a mesh VS with no `gateways` (defaults to mesh) in the app
# namespace, and a gateway VS bound by short name in the Gateway's namespace.
test_split_virtual_services_pass if {
	mesh_vs := vs("app", "to-egress", {"hosts": ["api.example.com"], "http": [{"route": [{"destination": {"host": "istio-egressgateway.istio-system"}}]}]})
	gwvs := vs("istio-system", "from-egress", {"hosts": ["api.example.com"], "gateways": ["egress"], "http": [{"route": [{"destination": {"host": "api.example.com"}}]}]})
	count(egr_03.deny) == 0 with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [egress_gw(["./api.example.com"])],
		"VirtualService": [mesh_vs, gwvs],
	})
}

# A short gateway name only binds a Gateway of the VirtualService's namespace.
test_short_gateway_name_other_namespace_fails if {
	mesh_vs := vs("app", "to-egress", {"hosts": ["api.example.com"], "http": [{"route": [{"destination": {"host": egw_svc}}]}]})
	gwvs := vs("app", "from-egress", {"hosts": ["api.example.com"], "gateways": ["egress"], "http": [{"route": [{"destination": {"host": "api.example.com"}}]}]})
	some f in egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [egress_gw(["api.example.com"])],
		"VirtualService": [mesh_vs, gwvs],
	})
	endswith(f.msg, "missing a VirtualService bound to egress Gateway istio-system/egress for it")
}

# A VirtualService bound only to the egress gateway does not route sidecars.
test_vs_without_mesh_gateway_fails if {
	v := vs("istio-system", "only-gw", {
		"hosts": ["api.example.com"],
		"gateways": ["istio-system/egress"],
		"tls": [tls_route([], ["api.example.com"], egw_svc)],
	})
	some f in egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [egress_gw(["api.example.com"])],
		"VirtualService": [v],
	})
	endswith(f.msg, "missing a VirtualService on gateway mesh that routes it to the egress gateway Service")
}

# A route whose match limits it to the egress gateway does not apply to sidecars.
test_route_matched_to_gateway_only_fails if {
	v := vs("istio-system", "v", {
		"hosts": ["api.example.com"],
		"gateways": ["mesh", "istio-system/egress"],
		"tls": [tls_route(["istio-system/egress"], ["api.example.com"], egw_svc)],
	})
	some f in egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [egress_gw(["api.example.com"])],
		"VirtualService": [v],
	})
	endswith(f.msg, "missing a VirtualService on gateway mesh that routes it to the egress gateway Service")
}

test_ingress_gateway_does_not_count if {
	ingress := gateway("istio-system", "ingress", {"istio": "ingressgateway"}, ["api.example.com"])
	v := object.union(egress_vs("api.example.com"), {"spec": {"gateways": ["mesh", "istio-system/ingress"]}})
	some f in egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [ingress],
		"VirtualService": [v],
	})
	endswith(f.msg, "missing a Gateway selecting istio=egressgateway with a server for it and a VirtualService bound to that Gateway")
}

test_wildcards_cover_hosts if {
	count(egr_03.deny) == 0 with input as testlib.inp({
		"ServiceEntry": [se("w", ["*.example.com", "api.example.com"])],
		"Gateway": [egress_gw(["*.example.com"])],
		"VirtualService": [egress_vs("*.example.com")],
	})
}

# A narrower VirtualService host does not cover a wildcard ServiceEntry host.
test_narrow_vs_does_not_cover_wildcard if {
	d := egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("w", ["*.example.com"])],
		"Gateway": [egress_gw(["*.example.com"])],
		"VirtualService": [egress_vs("api.example.com")],
	})
	some f in d
	startswith(f.msg, "external host \"*.example.com\" is not routed through the egress gateway: missing a VirtualService on gateway mesh")
	contains(f.msg, "a VirtualService bound to egress Gateway istio-system/egress for it")
}

# Any Service selecting the egress gateway pods is the egress gateway Service,
# and a Gateway selecting pods that carry the egress labels is an egress Gateway.
test_custom_egress_service_and_selector_pass if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "egress", "namespace": "egress"}, "spec": {"selector": {"app": "egress"}}}
	dep := {
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "egress", "namespace": "egress"},
		"spec": {"template": {"metadata": {"labels": {"app": "egress", "istio": "egressgateway"}}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}},
	}
	gw := gateway("egress", "gw", {"app": "egress"}, ["api.example.com"])
	v := vs("egress", "v", {
		"hosts": ["api.example.com"],
		"gateways": ["mesh", "gw"],
		"tls": [tls_route(["mesh"], ["api.example.com"], "egress.egress.svc.cluster.local"), tls_route(["gw"], ["api.example.com"], "api.example.com")],
	})
	count(egr_03.deny) == 0 with input as testlib.inp({
		"ServiceEntry": [se("api", ["api.example.com"])],
		"Gateway": [gw],
		"VirtualService": [v],
		"Service": [svc],
		"Deployment": [dep],
	})
}

test_egress_labels_parameter if {
	gw := gateway("istio-system", "egress", {"app": "corp-egress"}, ["api.example.com"])
	v := object.union(egress_vs("api.example.com"), {"spec": {"gateways": ["mesh", "istio-system/egress"]}})
	objs := {"ServiceEntry": [se("api", ["api.example.com"])], "Gateway": [gw], "VirtualService": [v]}
	count(egr_03.deny) == 1 with input as testlib.inp(objs)
	count(egr_03.deny) == 0 with input as testlib.inp(objs)
		with data.meshaudit.params as object.union(object.remove(lib.params, ["egress_gateway_labels"]), {"egress_gateway_labels": {"app": "corp-egress"}})
}

# The talk's etcd pattern: an egress Gateway with TLS PASSTHROUGH servers for
# the etcd hosts and a VirtualService routing them from sidecars to the egress
# gateway and from the gateway out by SNI.
etcd_hosts := [
	"etcd-1-1.us-south.c1.cloud.example.com",
	"etcd-1-2.us-south.c1.cloud.example.com",
	"etcd-1-3.us-south.c1.cloud.example.com",
]

talk_objects := {
	"ServiceEntry": [{
		"apiVersion": "networking.istio.io/v1alpha3",
		"kind": "ServiceEntry",
		"metadata": {"name": "etcd", "namespace": "armada"},
		"spec": {"hosts": etcd_hosts, "ports": [{"number": 30379, "name": "tls-etcd", "protocol": "TLS"}], "resolution": "DNS", "location": "MESH_EXTERNAL"},
	}],
	"Gateway": [{
		"apiVersion": "networking.istio.io/v1alpha3",
		"kind": "Gateway",
		"metadata": {"name": "egress-etcd", "namespace": "armada"},
		"spec": {
			"selector": {"istio": "egressgateway"},
			"servers": [{"port": {"number": 30379, "name": "tls-etcd", "protocol": "TLS"}, "hosts": etcd_hosts, "tls": {"mode": "PASSTHROUGH"}}],
		},
	}],
	"VirtualService": [{
		"apiVersion": "networking.istio.io/v1alpha3",
		"kind": "VirtualService",
		"metadata": {"name": "etcd", "namespace": "armada"},
		"spec": {
			"hosts": etcd_hosts,
			"gateways": ["mesh", "egress-etcd"],
			"tls": array.concat(
				[{"match": [{"gateways": ["mesh"], "port": 30379, "sniHosts": [h]}], "route": [{"destination": {"host": egw_svc, "port": {"number": 30379}}}]} | some h in etcd_hosts],
				[{"match": [{"gateways": ["egress-etcd"], "port": 30379, "sniHosts": [h]}], "route": [{"destination": {"host": h, "port": {"number": 30379}}}]} | some h in etcd_hosts],
			),
		},
	}],
}

test_talk_etcd_pattern_passes if {
	count(egr_03.deny) == 0 with input as testlib.inp(talk_objects)
}

test_talk_etcd_without_mesh_route_fails if {
	objs := json.patch(talk_objects, [{"op": "replace", "path": "/VirtualService/0/spec/gateways", "value": ["egress-etcd"]}])

	# one finding on the ServiceEntry, naming the three hosts (issue 14)
	testlib.strip(egr_03.deny) == {{
		"msg": "external hosts \"etcd-1-1.us-south.c1.cloud.example.com\", \"etcd-1-2.us-south.c1.cloud.example.com\", \"etcd-1-3.us-south.c1.cloud.example.com\" are not routed through the egress gateway: missing a VirtualService on gateway mesh that routes it to the egress gateway Service",
		"resource": {"apiVersion": "networking.istio.io/v1alpha3", "kind": "ServiceEntry", "namespace": "armada", "name": "etcd"},
	}} with input as testlib.inp(objs)
}

# No egress gateway labels configured: nothing counts as the egress gateway.
test_empty_egress_labels if {
	objs := {"ServiceEntry": [se("cnn", ["edition.cnn.com"])], "Gateway": [egress_gw(["edition.cnn.com"])], "VirtualService": [egress_vs("edition.cnn.com")]}
	some f in egr_03.deny with input as testlib.inp(objs)
		with data.meshaudit.params as object.union(object.remove(lib.params, ["egress_gateway_labels"]), {"egress_gateway_labels": null})
	f.msg == "external host \"edition.cnn.com\" is not routed through the egress gateway: missing a Gateway selecting egress gateway pods (parameter egress_gateway_labels is empty) with a server for it and a VirtualService bound to that Gateway"
}

# ---- evidence, judged, case, references to Gateways elsewhere ----------------------

test_evidence if {
	some f in egr_03.deny with input as testlib.inp({"ServiceEntry": [se("cnn", ["edition.cnn.com"])]})
	f.evidence == [
		{"path": "spec.hosts[0]", "value": "edition.cnn.com"},
		{"path": "VirtualService on gateways [mesh] routing \"edition.cnn.com\" to the egress gateway Service", "value": 0},
		{"path": "Gateway selecting istio=egressgateway with a server for \"edition.cnn.com\"", "value": 0},
	]
}

test_hosts_lacking_different_items_in_one_finding if {
	d := egr_03.deny with input as testlib.inp({
		"ServiceEntry": [se("multi", ["a.example.com", "b.example.com"])],
		"Gateway": [egress_gw(["a.example.com"])],
	})
	testlib.strip(d) == {{
		"msg": sprintf("external host \"b.example.com\" is not routed through the egress gateway: %s. external host \"a.example.com\" is not routed through the egress gateway: missing a VirtualService on gateway mesh that routes it to the egress gateway Service; a VirtualService bound to egress Gateway istio-system/egress for it", [all_missing]),
		"resource": se_res("multi"),
	}}
}

test_judged if {
	objs := {"ServiceEntry": [se("cnn", ["edition.cnn.com"])], "Gateway": [egress_gw(["edition.cnn.com"])], "VirtualService": [egress_vs("edition.cnn.com")]}
	egr_03.judged == {se_res("cnn")} with input as testlib.inp(objs)
	egr_03.not_applicable == {"no external ServiceEntry (location MESH_EXTERNAL, the default) in the input"} with input as testlib.inp({"Gateway": [egress_gw(["x.example.com"])]})
}

test_hosts_case_insensitive if {
	count(egr_03.deny) == 0 with input as testlib.inp({
		"ServiceEntry": [se("cnn", ["Edition.CNN.com"])],
		"Gateway": [egress_gw(["edition.cnn.com"])],
		"VirtualService": [egress_vs("EDITION.cnn.com")],
	})
}

# An application repository: the mesh VirtualService routes to the egress
# gateway and binds a Gateway of istio-system that the input does not hold
# (nor any Gateway of istio-system): the gateway side is judged elsewhere.
test_gateway_elsewhere_not_judged if {
	v := vs("app", "cnn", {
		"hosts": ["edition.cnn.com"],
		"gateways": ["mesh", "istio-system/egress"],
		"tls": [tls_route(["mesh"], ["edition.cnn.com"], "istio-egressgateway.istio-system"), tls_route(["istio-system/egress"], ["edition.cnn.com"], "edition.cnn.com")],
	})
	objs := {"ServiceEntry": [se("cnn", ["edition.cnn.com"])], "VirtualService": [v]}
	count(egr_03.deny) == 0 with input as testlib.inp(objs)
	count(egr_03.judged) == 0 with input as testlib.inp(objs)
	count(egr_03.not_applicable) == 1 with input as testlib.inp(objs)

	# a live scan read every Gateway: missing is missing
	count(egr_03.deny) == 1 with input as object.union(testlib.inp(objs), {"source": "cluster"})
}
