package meshaudit.rules.tel_01_test

import data.meshaudit.rules.tel_01
import data.meshaudit.testlib
import rego.v1

tel(n, name, spec) := {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"name": name, "namespace": n}, "spec": spec}

tres(n, name) := {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "namespace": n, "name": name}

envoy := {"accessLogging": [{"providers": [{"name": "envoy"}]}]}

mesh_off_msg := "access logging is not enabled mesh-wide: the mesh config sets no accessLogFile or defaultProviders.accessLogging and no selector-less Telemetry in the root namespace enables accessLogging with a provider"

test_access_log_file_passes if {
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("accessLogFile: /dev/stdout\n")]})
}

test_default_providers_pass if {
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("defaultProviders:\n  accessLogging: [envoy]\n")]})
}

test_root_telemetry_passes if {
	count(tel_01.deny) == 0 with input as testlib.input_from("cluster", {"Telemetry": [tel("istio-system", "mesh-default", envoy)]})
}

test_mesh_config_without_logging_fails if {
	testlib.strip(tel_01.deny) == {{"msg": mesh_off_msg, "resource": testlib.mesh_cm_ref}} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: true\n")]})
}

test_live_defaults_fail if {
	testlib.strip(tel_01.deny) == {{"msg": mesh_off_msg, "resource": {"kind": "Mesh", "name": "c1"}}} with input as testlib.input_from("cluster", {"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}]})
}

# A manifest scan with the root Telemetry but no mesh ConfigMap still judges it.
test_manifests_root_telemetry_without_mesh_config_passes if {
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"Telemetry": [tel("istio-system", "mesh-default", envoy)]})
	not tel_01.unknown with input as testlib.input_from("manifests", {"Telemetry": [tel("istio-system", "mesh-default", envoy)]})
	{"kind": "Mesh", "name": "c1"} in tel_01.judged with input as testlib.input_from("manifests", {"Telemetry": [tel("istio-system", "mesh-default", envoy)]})
}

# The mesh is undecided, but the Telemetry itself is judged (nothing
# disabled): never unknown.
test_manifests_root_telemetry_empty_providers_mesh_not_judged if {
	t := tel("istio-system", "mesh-default", {"accessLogging": [{}]})
	not tel_01.unknown with input as testlib.input_from("manifests", {"Telemetry": [t]})
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"Telemetry": [t]})
	tel_01.judged == {tres("istio-system", "mesh-default"), {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "istio-system"}} with input as testlib.input_from("manifests", {"Telemetry": [t]})
	count(tel_01.not_applicable) == 0 with input as testlib.input_from("manifests", {"Telemetry": [t]})
}

test_evidence if {
	{f.evidence | some f in tel_01.deny} == {[
		{"path": "data.mesh.accessLogFile", "resource": testlib.mesh_cm_ref},
		{"path": "data.mesh.defaultProviders.accessLogging", "resource": testlib.mesh_cm_ref},
		{"path": "selector-less Telemetry with accessLogging in root namespace \"istio-system\"", "value": 0},
	]} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: true\n")]})
	tel_01.judged == {testlib.mesh_cm_ref} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: true\n")]})
	t := tel("shop", "quiet", {"accessLogging": [{"disabled": true}]})
	{f.evidence | some f in tel_01.deny} == {[{"path": "spec.accessLogging[0].disabled", "value": true}]} with input as testlib.input_from("manifests", {"Telemetry": [t]})
}

# A disabling Telemetry is a finding on itself, with or without the mesh
# config; the mesh-wide "off" finding needs the mesh config.
test_disabled_without_mesh_config if {
	t := tel("istio-system", "mesh-default", {"accessLogging": [{"disabled": true}]})
	{f.resource | some f in tel_01.deny} == {tres("istio-system", "mesh-default")} with input as testlib.input_from("manifests", {"Telemetry": [t]})
}

test_empty_providers_without_defaults_fails if {
	t := tel("istio-system", "mesh-default", {"accessLogging": [{"providers": []}]})
	testlib.strip(tel_01.deny) == {
		{"msg": mesh_off_msg, "resource": testlib.mesh_cm_ref},
		{"msg": "Telemetry istio-system/mesh-default has accessLogging[0] without providers and the mesh config sets no defaultProviders.accessLogging, so Istio ignores it (IST0157)", "resource": tres("istio-system", "mesh-default")},
	} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("{}\n")], "Telemetry": [t]})
}

test_empty_providers_with_defaults_passes if {
	t := tel("istio-system", "mesh-default", {"accessLogging": [{}]})
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("defaultProviders:\n  accessLogging: [otel]\n")], "Telemetry": [t]})
}

# Istio ignores the empty-provider Telemetry: accessLogFile still applies.
test_ignored_root_telemetry_falls_back_to_mesh_config if {
	t := tel("istio-system", "mesh-default", {"accessLogging": [{}]})
	d := tel_01.deny with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("accessLogFile: /dev/stdout\n")], "Telemetry": [t]})
	count(d) == 1
	some f in d
	f.resource == tres("istio-system", "mesh-default")
}

test_root_disabled_overrides_access_log_file if {
	t := tel("istio-system", "mesh-default", {"accessLogging": [{"disabled": true}]})
	testlib.strip(tel_01.deny) == {{
		"msg": "Telemetry istio-system/mesh-default sets accessLogging[0].disabled: true, turning off access logs for the whole mesh",
		"resource": tres("istio-system", "mesh-default"),
	}} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("accessLogFile: /dev/stdout\n")], "Telemetry": [t]})
}

test_namespace_disabled_fails if {
	t := tel("shop", "quiet", {"accessLogging": [{"providers": [{"name": "envoy"}], "disabled": true}]})
	testlib.strip(tel_01.deny) == {{
		"msg": "Telemetry shop/quiet sets accessLogging[0].disabled: true, turning off access logs for namespace \"shop\"",
		"resource": tres("shop", "quiet"),
	}} with input as testlib.input_from("manifests", {"Telemetry": [t]})
}

test_workload_disabled_fails if {
	t := tel("shop", "gw", {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "accessLogging": [{"disabled": true}]})
	some f in tel_01.deny with input as testlib.input_from("manifests", {"Telemetry": [t]})
	f.msg == "Telemetry shop/gw sets accessLogging[0].disabled: true, turning off access logs for the workloads it selects in namespace \"shop\""
}

test_conflicting_selectorless_fails if {
	objs := {"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}], "Telemetry": [tel("istio-system", "mesh-default", envoy), tel("istio-system", "tracing", {"tracing": [{"randomSamplingPercentage": 1}]})]}
	testlib.strip(tel_01.deny) == {{
		"msg": "namespace \"istio-system\" has 2 Telemetries without selector (mesh-default, tracing): Istio applies only one of them (IST0160)",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "istio-system"},
	}} with input as testlib.input_from("cluster", objs)
}

test_conflicting_workload_selectors_fail if {
	deploy := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"}, "spec": {"template": {"metadata": {"labels": {"app": "web", "tier": "fe"}}, "spec": {"containers": [{"name": "app"}]}}}}
	objs := {
		"Telemetry": [
			tel("istio-system", "mesh-default", envoy),
			tel("shop", "a", {"selector": {"matchLabels": {"app": "web"}}}),
			tel("shop", "b", {"selector": {"matchLabels": {"tier": "fe"}}}),
		],
		"Deployment": [deploy],
	}
	testlib.strip(tel_01.deny) == {{
		"msg": "pods of Deployment shop/web are selected by 2 Telemetries (a, b): Istio applies only one of them (IST0159)",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
	}} with input as testlib.input_from("cluster", objs)
}

test_not_applicable_without_mesh_config_or_telemetry if {
	tel_01.not_applicable == {"only a live scan can tell whether access logging is on mesh-wide: neither a mesh config source nor any Telemetry is in the input"} with input as testlib.input_from("manifests", {"Deployment": []})
	count(tel_01.judged) == 0 with input as testlib.input_from("manifests", {"Deployment": []})
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"Deployment": []})
}

# Namespace Telemetries only: the mesh-wide setting is not judged.
test_manifests_namespace_telemetry_only if {
	count(tel_01.deny) == 0 with input as testlib.input_from("manifests", {"Telemetry": [tel("shop", "logs", envoy)]})
	tel_01.judged == {tres("shop", "logs"), {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"}} with input as testlib.input_from("manifests", {"Telemetry": [tel("shop", "logs", envoy)]})
}

test_targetref_telemetry_not_root_default if {
	t := tel("istio-system", "gw", object.union(envoy, {"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}]}))
	testlib.strip(tel_01.deny) == {{"msg": mesh_off_msg, "resource": testlib.mesh_cm_ref}} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("{}\n")], "Telemetry": [t]})
}
