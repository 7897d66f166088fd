package meshaudit.rules.ing_06_test

import data.meshaudit.rules.ing_06
import data.meshaudit.testlib
import rego.v1

svc(name, type, sel, extra) := object.union({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "app"}, "spec": {"type": type, "selector": sel}}, extra)

svc_res(name) := {"apiVersion": "v1", "kind": "Service", "namespace": "app", "name": name}

deploy(name, lbls, containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "app"},
	"spec": {"template": {"metadata": {"labels": lbls}, "spec": {"containers": containers}}},
}

ingress_obj(name, spec, ann) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": name, "namespace": "app", "annotations": ann}, "spec": spec}

ing_res(name) := {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "namespace": "app", "name": name}

gw_sel := {"istio": "ingressgateway", "app": "istio-ingressgateway"}

test_gateway_services_pass if {
	count(ing_06.deny) == 0 with input as testlib.inp({"Service": [
		svc("istio-ingressgateway", "LoadBalancer", gw_sel, {}),
		svc("egress", "NodePort", {"istio": "egressgateway"}, {}),
		svc("web", "ClusterIP", {"app": "web"}, {}),
	]})
}

test_app_load_balancer_fails if {
	testlib.strip(ing_06.deny) == {{
		"msg": "LoadBalancer Service selects {\"app\":\"db\"}, not a designated gateway ({\"istio\":\"ingressgateway\"} or {\"istio\":\"egressgateway\"}), so it exposes pods outside the gateways: make it ClusterIP and expose it through the gateway",
		"resource": svc_res("db"),
	}} with input as testlib.inp({"Service": [svc("db", "LoadBalancer", {"app": "db"}, {})]})
}

test_node_port_without_selector_fails if {
	s := json.patch(svc("legacy", "NodePort", {}, {}), [{"op": "remove", "path": "/spec/selector"}])
	testlib.strip(ing_06.deny) == {{
		"msg": "NodePort Service has no selector: its manually managed endpoints are exposed outside the designated gateways: make it ClusterIP and expose it through the gateway",
		"resource": svc_res("legacy"),
	}} with input as testlib.inp({"Service": [s]})
}

test_external_ips_fail if {
	testlib.strip(ing_06.deny) == {{
		"msg": "Service sets externalIPs 203.0.113.7, which route outside traffic to pods that are not designated gateways: remove spec.externalIPs",
		"resource": svc_res("web"),
	}} with input as testlib.inp({"Service": [svc("web", "ClusterIP", {"app": "web"}, {"spec": {"externalIPs": ["203.0.113.7"]}})]})
}

test_host_port_fails_except_gateway if {
	app := deploy("web", {"app": "web"}, [{"name": "app", "image": "r/a:1", "ports": [{"containerPort": 8080, "hostPort": 8080}]}])
	gw := deploy("gw", gw_sel, [{"name": "istio-proxy", "image": "auto", "ports": [{"containerPort": 8443, "hostPort": 443}]}])
	testlib.strip(ing_06.deny) == {{
		"msg": "container \"app\" binds hostPort 8080 on its node, a way in that skips the designated gateways: remove hostPort and expose it through the gateway",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "app", "name": "web"},
	}} with input as testlib.inp({"Deployment": [app, gw]})
}

test_ingresses if {
	testlib.strip(ing_06.deny) == {
		{"msg": "Ingress with class \"nginx\" is served by a controller other than the Istio gateway, a way in that skips the designated gateways: set ingressClassName istio or replace it with a Gateway and VirtualService", "resource": ing_res("nginx")},
		{"msg": "Ingress names no ingress class, so the cluster's default controller serves it, which is not known to be the Istio gateway: set ingressClassName istio", "resource": ing_res("none")},
	} with input as testlib.inp({"Ingress": [
		ingress_obj("nginx", {"ingressClassName": "nginx"}, {}),
		ingress_obj("none", {}, {}),
		ingress_obj("istio", {"ingressClassName": "istio"}, {}),
		ingress_obj("istio-ann", {}, {"kubernetes.io/ingress.class": "istio"}),
	]})
}

test_internal_gateway_lb_needs_source_ranges if {
	internal := svc("istio-ingressgateway", "LoadBalancer", gw_sel, {"metadata": {"annotations": {"networking.gke.io/load-balancer-type": "Internal"}}})
	testlib.strip(ing_06.deny) == {{
		"msg": "internal gateway load balancer (networking.gke.io/load-balancer-type) sets no loadBalancerSourceRanges, so any network that reaches it can connect: set them to the networks allowed to reach it",
		"resource": svc_res("istio-ingressgateway"),
	}} with input as testlib.inp({"Service": [internal]})
	count(ing_06.deny) == 0 with input as testlib.inp({"Service": [object.union(internal, {"spec": {"loadBalancerSourceRanges": ["10.0.0.0/8"]}})]})
}

test_excluded_namespace_ignored if {
	s := object.union(svc("dns", "LoadBalancer", {"k8s-app": "dns"}, {}), {"metadata": {"namespace": "kube-system"}})
	count(ing_06.deny) == 0 with input as testlib.inp({"Service": [s]})
}

test_evidence if {
	app := deploy("web", {"app": "web"}, [{"name": "app", "image": "r/a:1", "ports": [{"containerPort": 9090}, {"containerPort": 8080, "hostPort": 8080}]}])
	some f in ing_06.deny with input as testlib.inp({"Deployment": [app]})
	f.evidence == [{"path": "spec.template.spec.containers[0].ports[1].hostPort", "value": 8080}]
	some g in ing_06.deny with input as testlib.inp({"Service": [svc("web", "NodePort", {"app": "web"}, {})]})
	g.evidence == [{"path": "spec.type", "value": "NodePort"}, {"path": "spec.selector", "value": {"app": "web"}}]
}

test_judged if {
	ing_06.judged == {svc_res("web")} with input as testlib.inp({"Service": [svc("web", "ClusterIP", {"app": "web"}, {})]})
	ing_06.not_applicable == {"no Service, Ingress or workload in the input"} with input as testlib.inp({})
}
