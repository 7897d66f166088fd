package meshaudit.rules.mtls_03_test

import data.meshaudit.rules.mtls_03
import data.meshaudit.testlib
import rego.v1

deploy(ns, app) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": app, "namespace": ns},
	"spec": {"template": {
		"metadata": {"labels": {"app": app}},
		"spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
	}},
}

service(ns, app) := {
	"apiVersion": "v1",
	"kind": "Service",
	"metadata": {"name": app, "namespace": ns},
	"spec": {"selector": {"app": app}, "ports": [{"port": 9080}]},
}

dr(ns, name, host, spec) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "DestinationRule",
	"metadata": {"name": name, "namespace": ns},
	"spec": object.union({"host": host}, spec),
}

tls(mode) := {"trafficPolicy": {"tls": {"mode": mode}}}

dr_res(ns, name) := {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "namespace": ns, "name": name}

svc_res(ns, name) := {"apiVersion": "v1", "kind": "Service", "namespace": ns, "name": name}

# app/reviews is a meshed Service.
base := {
	"Namespace": [testlib.enrolled("app"), testlib.enrolled("front"), testlib.namespace("legacy", {})],
	"Deployment": [deploy("app", "reviews"), deploy("front", "web"), deploy("legacy", "old")],
	"Service": [service("app", "reviews"), service("legacy", "old")],
}

live(drs) := {"cluster": "c1", "source": "cluster", "objects": object.union(base, {"DestinationRule": drs})}

manifests(drs) := {"cluster": "c1", "source": "manifests", "objects": object.union(base, {"DestinationRule": drs})}

disable_msg := "trafficPolicy.tls.mode DISABLE sends plaintext to meshed Service app/reviews instead of Istio mTLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL"

test_disable_short_name_fails if {
	testlib.strip(mtls_03.deny) == {{"msg": disable_msg, "resource": dr_res("app", "reviews")}} with input as live([dr("app", "reviews", "reviews", tls("DISABLE"))])
}

test_disable_fqdn_from_client_namespace_fails if {
	testlib.strip(mtls_03.deny) == {{"msg": disable_msg, "resource": dr_res("front", "to-reviews")}} with input as live([dr("front", "to-reviews", "reviews.app.svc.cluster.local", tls("DISABLE"))])
}

test_istio_mutual_and_no_tls_pass if {
	count(mtls_03.deny) == 0 with input as live([
		dr("app", "a", "reviews", tls("ISTIO_MUTUAL")),
		dr("front", "b", "reviews.app.svc.cluster.local", {"trafficPolicy": {"connectionPool": {}}}),
	])
}

test_simple_is_medium if {
	testlib.strip(mtls_03.deny) == {{
		"msg": "trafficPolicy.tls.mode SIMPLE toward meshed Service app/reviews replaces Istio mTLS and the mesh identity with application TLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
		"resource": dr_res("app", "reviews"),
		"severity": "medium",
	}} with input as live([dr("app", "reviews", "reviews", tls("SIMPLE"))])
}

test_tls_without_mode_is_disable if {
	testlib.strip(mtls_03.deny) == {{
		"msg": "trafficPolicy.tls without mode (Istio's default DISABLE) sends plaintext to meshed Service app/reviews instead of Istio mTLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
		"resource": dr_res("app", "reviews"),
	}} with input as live([dr("app", "reviews", "reviews", {"trafficPolicy": {"tls": {"sni": "reviews"}}})])
}

# A short name is relative to the rule's namespace: "reviews" in front is
# reviews.front.svc.cluster.local, not the meshed Service. Istio does not
# expand "name.namespace" hosts either.
test_short_names_resolve_in_rule_namespace if {
	count(mtls_03.deny) == 0 with input as live([
		dr("front", "a", "reviews", tls("DISABLE")),
		dr("front", "b", "reviews.app", tls("DISABLE")),
	])
}

test_unmeshed_or_selectorless_service_passes if {
	headless := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "app"}, "spec": {"ports": [{"port": 80}]}}
	inp := live([dr("legacy", "a", "old", tls("DISABLE")), dr("app", "b", "ext", tls("DISABLE"))])
	count(mtls_03.deny) == 0 with input as object.union(inp, {"objects": {"Service": [service("app", "reviews"), service("legacy", "old"), headless]}})
}

test_port_level_and_subsets if {
	spec := {
		"trafficPolicy": {"portLevelSettings": [
			{"port": {"number": 9080}, "tls": {"mode": "DISABLE"}},
			{"port": {"number": 1234}, "tls": {"mode": "DISABLE"}},
		]},
		"subsets": [{"name": "v1", "labels": {"version": "v1"}, "trafficPolicy": {"tls": {"mode": "MUTUAL"}}}],
	}
	testlib.strip(mtls_03.finding) == {
		{
			"msg": "trafficPolicy.portLevelSettings[port 9080].tls.mode DISABLE sends plaintext to meshed Service app/reviews instead of Istio mTLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
			"resource": dr_res("app", "reviews"),
		},
		{
			"msg": "subsets[v1].trafficPolicy.tls.mode MUTUAL toward meshed Service app/reviews replaces Istio mTLS and the mesh identity with application TLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
			"resource": dr_res("app", "reviews"),
			"severity": "medium",
		},
	} with input as live([dr("app", "reviews", "reviews", spec)])
	# one finding on the DestinationRule (issue 14), at the highest severity
	d := mtls_03.deny with input as live([dr("app", "reviews", "reviews", spec)])
	count(d) == 1
	some f in d
	not f.severity
	startswith(f.msg, "subsets[v1].trafficPolicy.tls.mode MUTUAL toward meshed Service app/reviews")
}

test_wildcard_lists_every_meshed_service if {
	inp := live([dr("istio-system", "all", "*.local", tls("DISABLE"))])
	objs := object.union(inp.objects, {
		"Deployment": array.concat(base.Deployment, [deploy("app", "ratings")]),
		"Service": array.concat(base.Service, [service("app", "ratings")]),
	})
	testlib.strip(mtls_03.deny) == {{
		"msg": "trafficPolicy.tls.mode DISABLE sends plaintext to meshed Services app/ratings, app/reviews instead of Istio mTLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
		"resource": dr_res("istio-system", "all"),
	}} with input as object.union(inp, {"objects": objs})
}

test_exact_host_beats_wildcard if {
	count(mtls_03.deny) == 0 with input as live([
		dr("istio-system", "all", "*.local", tls("DISABLE")),
		dr("istio-system", "reviews", "reviews.app.svc.cluster.local", tls("ISTIO_MUTUAL")),
	])
}

test_not_exported_is_ignored if {
	count(mtls_03.deny) == 0 with input as manifests([dr("istio-system", "all", "*.local", object.union(tls("DISABLE"), {"exportTo": ["~"]}))])
}

# Live: the meshed clients (app, front) both find app's exported rule first,
# so the root rule is never used.
test_root_rule_shadowed_for_every_client if {
	count(mtls_03.deny) == 0 with input as live([
		dr("istio-system", "all", "*.local", tls("DISABLE")),
		dr("app", "reviews", "reviews", tls("ISTIO_MUTUAL")),
	])
}

# exportTo "." hides app's rule from other namespaces: their clients fall
# back to the root rule.
test_root_rule_used_where_service_rule_not_exported if {
	testlib.strip(mtls_03.deny) == {{
		"msg": disable_msg,
		"resource": dr_res("istio-system", "all"),
	}} with input as live([
		dr("istio-system", "all", "*.local", tls("DISABLE")),
		dr("app", "reviews", "reviews", object.union(tls("ISTIO_MUTUAL"), {"exportTo": ["."]})),
	])
}

test_client_namespace_rule_overrides_service_namespace if {
	testlib.strip(mtls_03.deny) == {{"msg": disable_msg, "resource": dr_res("front", "mine")}} with input as live([
		dr("app", "reviews", "reviews", tls("ISTIO_MUTUAL")),
		dr("front", "mine", "reviews.app.svc.cluster.local", tls("DISABLE")),
	])
}

test_rule_exported_only_elsewhere_applies_there if {
	# exported to front only: not used by app's own clients, but by front's.
	d := dr("app", "reviews", "reviews", object.union(tls("DISABLE"), {"exportTo": ["front"]}))
	testlib.strip(mtls_03.deny) == {{"msg": disable_msg, "resource": dr_res("app", "reviews")}} with input as live([d])
}

test_auto_mtls_off_without_istio_mutual_fails if {
	inp := manifests([])
	testlib.strip(mtls_03.deny) == {{
		"msg": "enableAutoMtls is false and no DestinationRule sets tls.mode ISTIO_MUTUAL toward meshed Service app/reviews for clients in namespaces app, front, istio-system, legacy and any other namespace, so they send plaintext; add a DestinationRule for it with trafficPolicy.tls.mode ISTIO_MUTUAL",
		"resource": svc_res("app", "reviews"),
	}} with input as object.union(inp, {"objects": {"ConfigMap": [testlib.mesh_cm("enableAutoMtls: false\n")]}})
}

test_auto_mtls_off_partial_coverage if {
	inp := live([dr("app", "reviews", "reviews", object.union(tls("ISTIO_MUTUAL"), {"exportTo": ["."]}))])
	testlib.strip(mtls_03.deny) == {{
		"msg": "enableAutoMtls is false and no DestinationRule sets tls.mode ISTIO_MUTUAL toward meshed Service app/reviews for clients in namespace front, so they send plaintext; add a DestinationRule for it with trafficPolicy.tls.mode ISTIO_MUTUAL",
		"resource": svc_res("app", "reviews"),
	}} with input as object.union(inp, {"objects": {"ConfigMap": [testlib.mesh_cm("enableAutoMtls: false\n")]}})
}

test_auto_mtls_off_with_mesh_wide_istio_mutual_passes if {
	inp := live([dr("istio-system", "default", "*.local", tls("ISTIO_MUTUAL"))])
	count(mtls_03.deny) == 0 with input as object.union(inp, {"objects": {"ConfigMap": [testlib.mesh_cm("enableAutoMtls: false\n")]}})
}

test_auto_mtls_default_on if {
	inp := live([])
	count(mtls_03.deny) == 0 with input as object.union(inp, {"objects": {"ConfigMap": [testlib.mesh_cm("accessLogFile: /dev/stdout\n")]}})
}

test_gateway_backed_service_not_meshed if {
	gw := {
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": {"name": "ingress", "namespace": "gw"},
		"spec": {"template": {
			"metadata": {"labels": {"app": "ingress"}, "annotations": {"inject.istio.io/templates": "gateway"}},
			"spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]},
		}},
	}
	inp := live([dr("gw", "ingress", "ingress", tls("SIMPLE"))])
	count(mtls_03.deny) == 0 with input as object.union(inp, {"objects": {
		"Deployment": array.concat(base.Deployment, [gw]),
		"Service": array.concat(base.Service, [service("gw", "ingress")]),
	}})
}

# ---- evidence, judged subjects, policies as subjects -------------------------

test_disable_evidence if {
	some f in mtls_03.deny with input as live([dr("app", "reviews", "reviews", tls("DISABLE"))])
	f.evidence == [
		{"path": "spec.host", "value": "reviews"},
		{"path": "spec.trafficPolicy.tls.mode", "value": "DISABLE"},
		{"path": "spec.selector", "value": {"app": "reviews"}, "resource": svc_res("app", "reviews")},
	]
}

test_evidence_paths_of_port_level_and_subsets if {
	spec := {
		"trafficPolicy": {"portLevelSettings": [{"port": {"number": 9080}, "tls": {}}]},
		"subsets": [{"name": "v1", "trafficPolicy": {"tls": {"mode": "SIMPLE"}}}],
	}
	fs := mtls_03.deny with input as live([dr("app", "reviews", "reviews", spec)])
	paths := {e.path | some f in fs; some e in f.evidence}
	"spec.trafficPolicy.portLevelSettings[0].tls.mode" in paths
	"spec.subsets[0].trafficPolicy.tls.mode" in paths

	# the unset mode is evidence without a value
	some f in fs
	{"path": "spec.trafficPolicy.portLevelSettings[0].tls.mode"} in f.evidence
}

test_judged_meshed_services_on_pass if {
	j := mtls_03.judged with input as live([dr("app", "reviews", "reviews", tls("ISTIO_MUTUAL"))])
	j == {svc_res("app", "reviews")}
	count(mtls_03.not_applicable) == 0 with input as live([])
}

# The Service is in an injection-enabled namespace but no workload of the
# input backs it: the DestinationRule is judged on the namespace's enrolment.
test_service_without_workload_in_enrolled_namespace_fails if {
	inp := {"cluster": "c1", "source": "manifests", "objects": {
		"Namespace": [testlib.enrolled("shop")],
		"Service": [service("shop", "ratings")],
		"DestinationRule": [dr("shop", "ratings", "ratings", tls("DISABLE"))],
	}}
	testlib.strip(mtls_03.deny) == {{
		"msg": "trafficPolicy.tls.mode DISABLE sends plaintext to meshed Service shop/ratings (no workload of the input backs it; namespace \"shop\" is enrolled: istio-injection=enabled) instead of Istio mTLS; remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
		"resource": dr_res("shop", "ratings"),
	}} with input as inp
	some f in mtls_03.deny with input as inp
	{"path": "metadata.labels[\"istio-injection\"]", "value": "enabled", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"}} in f.evidence
	mtls_03.judged == {svc_res("shop", "ratings")} with input as inp
}

# A repository of mesh policy: the namespace is enrolled, none of its
# Services or workloads is in the input: the DestinationRule is the subject.
test_policy_repository_disable_fails_on_rule if {
	inp := {"cluster": "c1", "source": "manifests", "objects": {
		"Namespace": [testlib.enrolled("shop")],
		"DestinationRule": [
			dr("shop", "ratings", "ratings", tls("DISABLE")),
			dr("shop", "ok", "cart.shop.svc.cluster.local", tls("ISTIO_MUTUAL")),
		],
	}}
	testlib.strip(mtls_03.deny) == {{
		"msg": "trafficPolicy.tls.mode DISABLE sends plaintext instead of Istio mTLS to host ratings.shop.svc.cluster.local of namespace \"shop\", which is enrolled in the mesh (istio-injection=enabled; none of its Services or workloads is in the input); remove the tls block (auto mTLS then uses Istio mTLS) or set tls.mode ISTIO_MUTUAL",
		"resource": dr_res("shop", "ratings"),
	}} with input as inp
	mtls_03.judged == {dr_res("shop", "ratings"), dr_res("shop", "ok")} with input as inp
}

test_policy_repository_simple_is_medium if {
	inp := {"cluster": "c1", "source": "manifests", "objects": {
		"Namespace": [testlib.enrolled("shop")],
		"DestinationRule": [dr("front", "to-cart", "cart.shop.svc.cluster.local", tls("MUTUAL"))],
	}}
	some f in mtls_03.deny with input as inp
	f.severity == "medium"
	f.resource == dr_res("front", "to-cart")
}

# An implied namespace (no Namespace object) counts as not enrolled: a
# Service there without a workload is not meshed, and nothing is judged.
test_implied_namespace_not_meshed if {
	inp := {"cluster": "c1", "source": "manifests", "objects": {
		"Service": [service("shop", "ratings")],
		"DestinationRule": [dr("shop", "ratings", "ratings", tls("DISABLE"))],
	}}
	count(mtls_03.deny) == 0 with input as inp
	count(mtls_03.judged) == 0 with input as inp
	count(mtls_03.not_applicable) == 1 with input as inp
}

# ... unless params.namespace_labels states its labels.
test_implied_namespace_labels_from_params if {
	inp := {"cluster": "c1", "source": "manifests", "objects": {
		"DestinationRule": [dr("shop", "ratings", "ratings", tls("DISABLE"))],
	}}
	params := object.union(data.meshaudit.params, {"namespace_labels": {"shop": {"istio-injection": "enabled"}}})
	some f in mtls_03.deny with input as inp with data.meshaudit.params as params
	contains(f.msg, "namespace \"shop\" (implied: no Namespace object in the input; labels from params.namespace_labels)")
	{"path": "params.namespace_labels[\"shop\"][\"istio-injection\"]", "value": "enabled"} in f.evidence
}

test_auto_mtls_off_evidence if {
	inp := object.union(manifests([]), {"objects": {"ConfigMap": [testlib.mesh_cm("enableAutoMtls: false\n")]}})
	some f in mtls_03.deny with input as inp
	f.evidence[0] == {"path": "data.mesh: enableAutoMtls", "value": false, "resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}}
	f.evidence[1].value == 0
}
