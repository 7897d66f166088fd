package meshaudit.rules.cp_06_test

import data.meshaudit.lib
import data.meshaudit.rules.cp_06
import data.meshaudit.testlib
import rego.v1

ef(ns, name, spec) := {
	"apiVersion": "networking.istio.io/v1alpha3",
	"kind": "EnvoyFilter",
	"metadata": {"name": name, "namespace": ns},
	"spec": spec,
}

eres(ns, name) := {"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter", "namespace": ns, "name": name}

sel := {"workloadSelector": {"labels": {"app": "web"}}}

add_patch := {"applyTo": "HTTP_FILTER", "patch": {"operation": "INSERT_FIRST", "value": {"name": "lua"}}}

deny_for(f) := testlib.strip(d) if {
	d := cp_06.deny with input as testlib.inp({"EnvoyFilter": [f]})
}

test_scoped_root_filter_passes if {
	count(deny_for(ef("istio-system", "lua", object.union(sel, {"configPatches": [add_patch]})))) == 0
}

test_target_refs_count_as_scope if {
	count(deny_for(ef("istio-system", "wp", {"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}], "configPatches": [add_patch]}))) == 0
}

test_unscoped_root_filter_is_mesh_wide if {
	deny_for(ef("istio-system", "global", {"configPatches": [add_patch]})) == {{
		"msg": "EnvoyFilter istio-system/global has no workloadSelector or targetRefs, so it patches every proxy of the mesh (it is in the root namespace)",
		"resource": eres("istio-system", "global"),
	}}
}

test_app_namespace_not_allowlisted if {
	deny_for(ef("app", "lua", object.union(sel, {"configPatches": [add_patch]}))) == {{
		"msg": "EnvoyFilter app/lua is in namespace app, which is neither the root namespace istio-system nor in the allowed EnvoyFilter namespaces",
		"resource": eres("app", "lua"),
	}}
}

test_app_namespace_allowlisted_but_unscoped if {
	p := object.union(lib.params, {"allowed_envoyfilter_namespaces": ["app"]})
	testlib.strip(cp_06.deny) == {{
		"msg": "EnvoyFilter app/lua has no workloadSelector or targetRefs, so it patches every proxy of namespace app",
		"resource": eres("app", "lua"),
	}} with input as testlib.inp({"EnvoyFilter": [ef("app", "lua", {"configPatches": [add_patch]})]}) with data.meshaudit.params as p
}

test_relative_operation_without_priority_low if {
	patch := {"applyTo": "HTTP_FILTER", "patch": {"operation": "INSERT_BEFORE", "value": {}}}
	deny_for(ef("istio-system", "rel", object.union(sel, {"configPatches": [patch]}))) == {{
		"msg": "EnvoyFilter istio-system/rel patch 0 uses the relative operation INSERT_BEFORE without a priority, so it may not be applied (istioctl analyze IST0151)",
		"resource": eres("istio-system", "rel"),
		"severity": "low",
	}}
}

test_relative_operation_with_proxy_version if {
	patch := {"applyTo": "HTTP_FILTER", "match": {"proxy": {"proxyVersion": "^1\\.31.*"}}, "patch": {"operation": "INSERT_AFTER", "value": {}}}
	some f in deny_for(ef("istio-system", "rel", object.union(sel, {"configPatches": [add_patch, patch]})))
	f.msg == "EnvoyFilter istio-system/rel patch 1 uses the relative operation INSERT_AFTER without a priority and matches a proxyVersion, which breaks it during upgrades, so it may not be applied (istioctl analyze IST0155)"
}

test_priority_set_passes if {
	patch := {"applyTo": "HTTP_FILTER", "patch": {"operation": "INSERT_BEFORE", "value": {}}}
	count(deny_for(ef("istio-system", "rel", object.union(sel, {"priority": 10, "configPatches": [patch]})))) == 0
}

test_replace_on_cluster if {
	patch := {"applyTo": "CLUSTER", "patch": {"operation": "REPLACE", "value": {}}}
	some f in deny_for(ef("istio-system", "rep", object.union(sel, {"priority": 1, "configPatches": [patch]})))
	f.msg == "EnvoyFilter istio-system/rep patch 0 uses REPLACE on CLUSTER; REPLACE is only valid for HTTP_FILTER and NETWORK_FILTER (istioctl analyze IST0152)"
}

test_add_and_remove_on_routes if {
	p1 := {"applyTo": "HTTP_ROUTE", "patch": {"operation": "ADD", "value": {}}}
	p2 := {"applyTo": "ROUTE_CONFIGURATION", "patch": {"operation": "REMOVE"}}
	d := deny_for(ef("istio-system", "routes", object.union(sel, {"configPatches": [p1, p2]})))
	{f.msg | some f in d} == {
		"EnvoyFilter istio-system/routes patch 0 uses ADD on HTTP_ROUTE, which Istio ignores (istioctl analyze IST0153)",
		"EnvoyFilter istio-system/routes patch 1 uses REMOVE on ROUTE_CONFIGURATION, which Istio ignores (istioctl analyze IST0154)",
	}
}

test_removed_fields if {
	d := deny_for(ef("istio-system", "old", {"workloadLabels": {"app": "web"}, "filters": []}))
	{f.msg | some f in d} == {
		"EnvoyFilter istio-system/old has no workloadSelector or targetRefs, so it patches every proxy of the mesh (it is in the root namespace)",
		"EnvoyFilter istio-system/old uses the removed field spec.workloadLabels, which current Istio ignores",
		"EnvoyFilter istio-system/old uses the removed field spec.filters, which current Istio ignores",
	}
}

test_excluded_namespace_skipped if {
	count(deny_for(ef("kube-system", "x", {}))) == 0
}

test_evidence if {
	f := ef("istio-system", "lua", {"workloadSelector": {"labels": {"app": "web"}}, "configPatches": [{"applyTo": "HTTP_FILTER", "patch": {"operation": "INSERT_BEFORE"}}]})
	inp := testlib.inp({"EnvoyFilter": [f]})
	{x.evidence | some x in cp_06.deny} == {[
		{"path": "spec.configPatches[0].patch.operation", "value": "INSERT_BEFORE"},
		{"path": "spec.priority"},
	]} with input as inp
	cp_06.judged == {eres("istio-system", "lua")} with input as inp
}
