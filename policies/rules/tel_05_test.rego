package meshaudit.rules.tel_05_test

import data.meshaudit.rules.tel_05
import data.meshaudit.testlib
import rego.v1

obj(kind, api, n, name, spec) := {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": n}, "spec": spec}

vs(n, name, spec) := obj("VirtualService", "networking.istio.io/v1", n, name, spec)

gw(n, name) := obj("Gateway", "networking.istio.io/v1", n, name, {"selector": {"istio": "ingressgateway"}, "servers": []})

dr(n, name, spec) := obj("DestinationRule", "networking.istio.io/v1", n, name, spec)

se(n, name, spec) := obj("ServiceEntry", "networking.istio.io/v1", n, name, spec)

svc(n, name, sel) := obj("Service", "v1", n, name, {"selector": sel, "ports": [{"port": 9080}]})

deploy(n, name, labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": n},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app"}]}}},
}

res(o) := {"apiVersion": o.apiVersion, "kind": o.kind, "namespace": o.metadata.namespace, "name": o.metadata.name}

# ---- gateways ----

test_gateway_refs_resolve if {
	v := vs("shop", "web", {"hosts": ["shop.example.com"], "gateways": ["mesh", "web-gw", "istio-system/public"], "http": [{"match": [{"gateways": ["web-gw"]}], "route": [{"destination": {"host": "web"}}]}]})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"VirtualService": [v], "Gateway": [gw("shop", "web-gw"), gw("istio-system", "public")]})
}

# Manifests: judged when the input holds Gateways of that namespace.
test_missing_gateway_fails if {
	v := vs("shop", "web", {"hosts": ["shop.example.com"], "gateways": ["web-gw"]})
	tel_05.deny == {{
		"msg": "gateway \"web-gw\" of VirtualService shop/web resolves to no Gateway shop/web-gw, so its routes are not applied there; name an existing Gateway (namespace/name) or add it",
		"resource": res(v),
		"evidence": [{"path": "spec.gateways[0]", "value": "web-gw"}, {"path": "Gateway shop/web-gw", "value": 0}],
	}} with input as testlib.input_from("manifests", {"VirtualService": [v], "Gateway": [gw("shop", "other-gw")]})
	tel_05.judged == {res(v)} with input as testlib.input_from("manifests", {"VirtualService": [v], "Gateway": [gw("shop", "other-gw")]})
}

# Issue 14: a Gateway not in the input, in a manifest scan that holds no
# Gateway of its namespace, ships elsewhere: no finding, not judged.
test_gateway_not_in_input_not_judged_in_manifests if {
	v := vs("shop", "web", {"hosts": ["shop.example.com"], "gateways": ["web-gw"]})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"VirtualService": [v]})
	count(tel_05.judged) == 0 with input as testlib.input_from("manifests", {"VirtualService": [v]})
	tel_05.not_applicable == {"only a live scan can tell whether 1 reference(s) resolve: the input does not hold where their targets would live (gateway \"web-gw\" of VirtualService shop/web)"} with input as testlib.input_from("manifests", {"VirtualService": [v]})
	count(tel_05.not_applicable) == 0 with input as testlib.input_from("cluster", {"VirtualService": [v]})
	count(tel_05.deny) == 1 with input as testlib.input_from("cluster", {"VirtualService": [v]})
}

test_match_gateway_missing_fails if {
	v := vs("shop", "web", {"hosts": ["shop.example.com"], "http": [{"match": [{"gateways": ["istio-system/public"]}]}]})
	count(tel_05.deny) == 1 with input as testlib.input_from("cluster", {"VirtualService": [v]})
}

# Manifests: a Gateway in a namespace outside the input cannot be judged.
test_gateway_in_other_namespace_not_judged_in_manifests if {
	v := vs("shop", "web", {"hosts": ["shop.example.com"], "gateways": ["istio-system/public"]})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"VirtualService": [v]})
	count(tel_05.deny) == 1 with input as testlib.input_from("cluster", {"VirtualService": [v]})
}

# ---- DestinationRule hosts and subsets ----

reviews_objs := {
	"Service": [svc("shop", "reviews", {"app": "reviews"})],
	"Deployment": [deploy("shop", "reviews-v1", {"app": "reviews", "version": "v1"}), deploy("shop", "reviews-v2", {"app": "reviews", "version": "v2"})],
}

subsets := [{"name": "v1", "labels": {"version": "v1"}}, {"name": "v2", "labels": {"version": "v2"}}]

test_subsets_resolve if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": subsets})
	d2 := dr("other", "reviews", {"host": "reviews.shop.svc.cluster.local", "subsets": subsets})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d, d2]}))
}

# Live: every pod is in the input, so a subset matching none is a finding.
test_subset_without_pods_fails_live if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": array.concat(subsets, [{"name": "v3", "labels": {"version": "v3"}}])})
	tel_05.deny == {{
		"msg": "subset \"v3\" of DestinationRule shop/reviews (labels version=v3) matches no pod of Service shop/reviews, so traffic routed to it finds no endpoint",
		"resource": res(d),
		"evidence": [
			{"path": "spec.subsets[2].labels", "value": {"version": "v3"}},
			{"path": "spec.selector", "value": {"app": "reviews"}, "resource": {"apiVersion": "v1", "kind": "Service", "namespace": "shop", "name": "reviews"}},
		],
	}} with input as testlib.input_from("cluster", object.union(reviews_objs, {"DestinationRule": [d]}))
}

# Issue 14 (bookinfo's destination-rule-all.yaml): in a manifest scan the
# pods of another version ship in other files of the application: no
# finding; the matching subsets are judged.
test_subset_of_version_elsewhere_not_a_finding_in_manifests if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": array.concat(subsets, [{"name": "v3", "labels": {"version": "v3"}}])})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d]}))
	count(tel_05.judged) == 0 with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d]}))
	tel_05.not_applicable == {"only a live scan can tell whether 1 reference(s) resolve: the input does not hold where their targets would live (subset \"v3\" of DestinationRule shop/reviews)"} with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d]}))
	d2 := dr("shop", "reviews", {"host": "reviews", "subsets": subsets})
	tel_05.judged == {res(d2)} with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d2]}))
	count(tel_05.not_applicable) == 0 with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d2]}))
}

# A subset whose labels contradict the Service's selector can match no pod
# of it, whatever other files ship: a finding in a manifest scan too.
test_subset_contradicting_selector_fails_in_manifests if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": [{"name": "v1", "labels": {"app": "review", "version": "v1"}}]})
	{f.msg | some f in tel_05.deny} == {"subset \"v1\" of DestinationRule shop/reviews (labels app=review, version=v1) matches no pod of Service shop/reviews (its labels contradict the Service's selector), so traffic routed to it finds no endpoint"} with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d]}))
}

# A Service whose pods are not in the input: subsets are not judged.
test_subsets_not_judged_without_pods if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": [{"name": "v3", "labels": {"version": "v3"}}]})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"Service": [svc("shop", "reviews", {"app": "reviews"})], "DestinationRule": [d]})
}

test_dr_host_without_service_fails if {
	d := dr("shop", "ratings", {"host": "ratings"})
	testlib.strip(tel_05.deny) == {{
		"msg": "host \"ratings\" of DestinationRule shop/ratings matches no Service ratings in namespace \"shop\", so Istio never applies it",
		"resource": res(d),
	}} with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d]}))
}

test_dr_host_other_namespace_manifests_not_judged if {
	d := dr("shop", "ratings", {"host": "ratings.payments.svc.cluster.local"})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"DestinationRule": [d]})
	count(tel_05.deny) == 1 with input as testlib.input_from("cluster", {"DestinationRule": [d]})
}

test_dr_external_host_not_resolved_against_services if {
	d := dr("shop", "stripe", {"host": "api.stripe.com", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}})
	count(tel_05.deny) == 0 with input as testlib.input_from("cluster", {"DestinationRule": [d]})
}

test_dr_host_declared_by_service_entry_passes if {
	d := dr("shop", "legacy", {"host": "legacy.shop.svc.cluster.local"})
	s := se("shop", "legacy", {"hosts": ["legacy.shop.svc.cluster.local"], "resolution": "STATIC", "endpoints": [{"address": "10.0.0.1"}]})
	count(tel_05.deny) == 0 with input as testlib.input_from("cluster", {"DestinationRule": [d], "ServiceEntry": [s]})
}

# ---- VirtualService routes to subsets ----

route_vs(subset) := vs("shop", "reviews", {"hosts": ["reviews"], "http": [{"route": [{"destination": {"host": "reviews", "subset": subset}}]}]})

test_route_to_defined_subset_passes if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": subsets})
	count(tel_05.deny) == 0 with input as testlib.input_from("cluster", object.union(reviews_objs, {"DestinationRule": [d], "VirtualService": [route_vs("v2")]}))
}

test_route_to_undefined_subset_fails if {
	d := dr("shop", "reviews", {"host": "reviews", "subsets": subsets})
	v := route_vs("v3")
	testlib.strip(tel_05.deny) == {{
		"msg": "VirtualService shop/reviews routes to subset \"v3\" of reviews, which no DestinationRule defines, so those requests fail",
		"resource": res(v),
	}} with input as testlib.input_from("cluster", object.union(reviews_objs, {"DestinationRule": [d], "VirtualService": [v]}))
}

# Manifests: a route to a subset is judged when the input holds a
# DestinationRule for the host.
test_route_subset_manifests_without_destination_rule_not_judged if {
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", object.union(reviews_objs, {"VirtualService": [route_vs("v3")]}))
	d := dr("shop", "reviews", {"host": "reviews", "subsets": subsets})
	{f.evidence | some f in tel_05.deny} == {[
		{"path": "spec.http[0].route[0].destination.subset", "value": "v3"},
		{"path": "DestinationRule subset \"v3\" for host reviews.shop.svc.cluster.local", "value": 0},
	]} with input as testlib.input_from("manifests", object.union(reviews_objs, {"DestinationRule": [d], "VirtualService": [route_vs("v3")]}))
}

# ---- ServiceEntry hosts ----

test_service_entry_fqdn_passes if {
	s := se("shop", "stripe", {"hosts": ["api.stripe.com"], "resolution": "DNS", "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}]})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"ServiceEntry": [s]})
}

test_service_entry_wildcard_dns_fails if {
	s := se("shop", "wiki", {"hosts": ["*.wikipedia.org"], "resolution": "DNS"})
	testlib.strip(tel_05.deny) == {{
		"msg": "ServiceEntry shop/wiki resolves host \"*.wikipedia.org\" by DNS without endpoints, but it is not a fully qualified name, so Istio rejects it",
		"resource": res(s),
	}} with input as testlib.input_from("manifests", {"ServiceEntry": [s]})
}

test_service_entry_wildcard_none_passes if {
	s := se("shop", "wiki", {"hosts": ["*.wikipedia.org"], "resolution": "NONE"})
	count(tel_05.deny) == 0 with input as testlib.input_from("manifests", {"ServiceEntry": [s]})
}

test_service_entry_star_and_invalid_fail if {
	s := se("shop", "bad", {"hosts": ["*", "bad_host!.com"], "resolution": "NONE"})
	testlib.strip(tel_05.deny) == {
		{"msg": "ServiceEntry shop/bad has host \"*\", which Istio rejects", "resource": res(s)},
		{"msg": "ServiceEntry shop/bad has host \"bad_host!.com\", which is not a valid DNS name", "resource": res(s)},
	} with input as testlib.input_from("manifests", {"ServiceEntry": [s]})
}

test_service_entry_no_hosts_fails if {
	s := se("shop", "empty", {"resolution": "NONE"})
	some f in tel_05.deny with input as testlib.input_from("manifests", {"ServiceEntry": [s]})
	f.msg == "ServiceEntry shop/empty has no hosts, so Istio rejects it"
}

test_excluded_namespace_ignored if {
	v := vs("kube-system", "x", {"hosts": ["x"], "gateways": ["nope"]})
	count(tel_05.deny) == 0 with input as testlib.input_from("cluster", {"VirtualService": [v]})
}
