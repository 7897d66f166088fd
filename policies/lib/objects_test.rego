package meshaudit.lib_objects_test

import data.meshaudit.lib
import data.meshaudit.testlib
import rego.v1

# ---- guards and names -------------------------------------------------------------

test_guards if {
	lib.as_array([1]) == [1]
	lib.as_array("x") == []
	lib.as_array({"a": 1}) == []
	lib.spec({"spec": {"a": 1}}) == {"a": 1}
	lib.spec({"spec": "x"}) == {}
	lib.spec({}) == {}
	lib.security_context({"securityContext": {"runAsUser": 1}}) == {"runAsUser": 1}
	lib.security_context({"securityContext": "x"}) == {}
	lib.security_context({}) == {}
}

test_names if {
	lib.ns_name({"metadata": {"name": "web", "namespace": "shop"}}) == "shop/web"
	lib.ns_name({"metadata": {"name": "c"}}) == "/c"
	lib.workload_name({"kind": "Deployment", "namespace": "shop", "resource": {"name": "web"}}) == "Deployment shop/web"
	lib.image_tag("docker.io/istio/pilot:1.31.2@sha256:abc") == "1.31.2"
	lib.image_tag("registry:5000/istio/pilot") == ""
	lib.image_tag("pilot") == ""
	lib.sort_by_ns_name([
		{"metadata": {"name": "b", "namespace": "a"}},
		{"metadata": {"name": "a", "namespace": "b"}},
		{"metadata": {"name": "a", "namespace": "a"}},
	]) == [
		{"metadata": {"name": "a", "namespace": "a"}},
		{"metadata": {"name": "b", "namespace": "a"}},
		{"metadata": {"name": "a", "namespace": "b"}},
	]
}

test_ports_text if {
	lib.comma_list(" 80, ,8080,*") == {"80", "8080", "*"}
	lib.comma_list(15020) == {"15020"}
	lib.format_ports({"8080", "443", "*", "http"}) == "443, 8080, *, http"
	lib.port_number({"port": 80}) == 80
	lib.port_number({"port": "80"}) == 80
	not lib.port_number({"port": "http"})
	lib.np_port_text({"port": 80}) == "80/TCP"
	lib.np_port_text({"port": 8000, "endPort": 8100, "protocol": "UDP"}) == "8000-8100/UDP"
	lib.np_port_text({"protocol": "SCTP"}) == "all SCTP ports"
	lib.np_ports_text({}) == "all ports"
	lib.np_ports_text({"ports": [{"port": 80}, {"port": 443}]}) == "ports 80/TCP, 443/TCP"
}

# ---- istiod -------------------------------------------------------------------------

istiod_dep(ns, name, obj_labels, tmpl_labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns, "labels": obj_labels},
	"spec": {"template": {"metadata": {"labels": tmpl_labels}}},
}

test_istiods_by_object_or_template_label if {
	a := istiod_dep("istio-system", "istiod", {"app": "istiod"}, {})
	b := istiod_dep("istio-system", "istiod-canary", {}, {"app": "istiod"})
	c := istiod_dep("istio-system", "other", {"app": "web"}, {"app": "web"})
	d := istiod_dep("kube-system", "istiod", {"app": "istiod"}, {})
	ds := lib.istiods with input as testlib.inp({"Deployment": [a, b, c, d]})
		with data.meshaudit.params.excluded_namespaces as ["kube-system"]
	ds == {a, b}
}

# ---- selectors --------------------------------------------------------------------

test_selector_matches if {
	lbls := {"app": "web", "tier": "front"}
	lib.selector_matches({}, lbls)
	lib.selector_matches(null, lbls)
	lib.selector_matches({"matchLabels": "x"}, lbls)
	lib.selector_matches({"matchLabels": {"app": "web"}}, lbls)
	not lib.selector_matches({"matchLabels": {"app": "api"}}, lbls)
	lib.selector_matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]}, lbls)
	lib.selector_matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, lbls)
	not lib.selector_matches({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, lbls)
	not lib.selector_matches({"matchExpressions": [{"key": "x", "operator": "Bogus"}]}, lbls)

	# a selector that must be set selects nothing when it is not
	not lib.set_selector_matches(null, lbls)
	lib.set_selector_matches({}, lbls)
	lib.set_selector_matches({"matchLabels": {"app": "web"}}, lbls)
}

test_match_labels_and_targeted if {
	lib.match_labels({"spec": {"selector": {"matchLabels": {"app": "web"}}}}) == {"app": "web"}
	lib.match_labels({"spec": {}}) == {}
	lib.targeted({"spec": {"targetRef": {"kind": "Gateway", "name": "gw"}}})
	lib.targeted({"spec": {"targetRefs": [{"kind": "Service", "name": "web"}]}})
	not lib.targeted({"spec": {"targetRefs": []}})
	not lib.targeted({"spec": {}})
}

# ---- workloads and sidecars ---------------------------------------------------------

wl(ns, lbls, spec) := {"kind": "Deployment", "namespace": ns, "labels": lbls, "annotations": {}, "spec": spec}

test_runs_sidecar if {
	ns := [testlib.enrolled("app"), testlib.namespace("plain", {})]
	lib.runs_sidecar(wl("app", {}, {})) with input as testlib.inp({"Namespace": ns})
	not lib.runs_sidecar(wl("plain", {}, {})) with input as testlib.inp({"Namespace": ns})
	lib.runs_sidecar(wl("plain", {"sidecar.istio.io/inject": "true"}, {})) with input as testlib.inp({"Namespace": ns})

	# a host-network pod is never injected; only a declared proxy counts
	not lib.runs_sidecar(wl("app", {}, {"hostNetwork": true})) with input as testlib.inp({"Namespace": ns})
	lib.runs_sidecar(wl("app", {}, {"hostNetwork": true, "containers": [{"name": "istio-proxy"}]})) with input as testlib.inp({"Namespace": ns})
}

test_app_workloads_and_indexes if {
	web := testlib.deployment("shop", "web", {"app": "web"})
	sys := testlib.deployment("istio-system", "gw", {"app": "gw"})
	i := testlib.inp({"Namespace": [testlib.enrolled("shop")], "Deployment": [web, sys]})
	{w.resource.name | some w in lib.app_workloads} == {"web"} with input as i
	{w.resource.name | some w in lib.sidecar_app_workloads} == {"web"} with input as i
	lib.app_namespaces == {"shop"} with input as i
	{w.resource.name | some w in lib.workloads_by_ns.shop} == {"web"} with input as i
	{w.resource.name | some w in object.get(lib.workloads_by_label, [["app", "gw"]], set())} == {"gw"} with input as i
}

test_inject_setting_source if {
	by_label := wl("app", {"sidecar.istio.io/inject": "false"}, {})
	lib.inject_source(by_label) == "label"
	lib.inject_raw(by_label) == "false"
	lib.inject_path(by_label) == "spec.template.metadata.labels[\"sidecar.istio.io/inject\"]"
	by_ann := object.union(wl("app", {}, {}), {"annotations": {"sidecar.istio.io/inject": "true"}})
	lib.inject_source(by_ann) == "annotation"
	lib.inject_raw(by_ann) == "true"
	not lib.inject_raw(wl("app", {}, {}))
}

test_proxy_config if {
	w := object.union(wl("app", {}, {}), {"annotations": {"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true"}})
	lib.proxy_config(w) == {"holdApplicationUntilProxyStarts": true}
	not lib.proxy_config(wl("app", {}, {}))
}

# ---- NetworkPolicy -------------------------------------------------------------------

test_np_policy_types if {
	lib.np_policy_types(testlib.network_policy("a", "n", {"policyTypes": ["Egress"]})) == {"Egress"}
	lib.np_policy_types(testlib.network_policy("a", "n", {"egress": [{}]})) == {"Ingress", "Egress"}
	lib.np_policy_types(testlib.network_policy("a", "n", {})) == {"Ingress"}
	lib.np_policy_types(testlib.network_policy("a", "n", {"policyTypes": "Egress"})) == {"Ingress"}
}

test_ns_selector_labels if {
	lib.ns_selector_labels("shop") == {"istio-injection": "enabled", "kubernetes.io/metadata.name": "shop"} with input as testlib.inp({"Namespace": [testlib.enrolled("shop")]})
}

# ---- mesh config subject and PeerAuthentication ------------------------------------------

test_mesh_config_subject if {
	lib.mesh_config_subject == lib.mesh_resource with input as testlib.inp({})
	lib.mesh_config_subject == testlib.mesh_cm_ref with input as testlib.inp({"ConfigMap": [testlib.mesh_cm("accessLogFile: /dev/stdout")]})
}

test_deciding_pa_and_mode_decided if {
	pa := testlib.peer_auth("app", "default", "STRICT")
	w := wl("app", {}, {})
	lib.deciding_pa(w, testlib.peer_auth_ref("app", "default")) == pa with input as testlib.inp({"PeerAuthentication": [pa]})
	not lib.deciding_pa(w, testlib.peer_auth_ref("app", "other")) with input as testlib.inp({"PeerAuthentication": [pa]})
	lib.mode_decided(testlib.peer_auth_ref("app", "default"))
	not lib.mode_decided(null) with input as testlib.inp({})
	lib.mode_decided(null) with input as testlib.live({})
}

test_egress_gateways if {
	gw := testlib.deployment("istio-system", "egress", {"istio": "egressgateway"})
	web := testlib.deployment("shop", "web", {"app": "web"})
	{w.resource.name | some w in lib.egress_gateways} == {"egress"} with input as testlib.inp({"Deployment": [gw, web]})
		with data.meshaudit.params.egress_gateway_labels as {"istio": "egressgateway"}
	count(lib.egress_gateways) == 0 with input as testlib.inp({"Deployment": [gw, web]})
		with data.meshaudit.params.egress_gateway_labels as "x"
}
