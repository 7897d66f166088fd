package meshaudit.rules.mtls_06_test

import data.meshaudit.lib
import data.meshaudit.rules.mtls_06
import data.meshaudit.testlib
import rego.v1

istiod(env) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
	"spec": {"template": {
		"metadata": {"labels": {"app": "istiod"}},
		"spec": {"containers": [{"name": "discovery", "image": "docker.io/istio/pilot:1.31.2", "env": env}]},
	}},
}

deploy(ann) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "app"},
	"spec": {"template": {"metadata": {"annotations": ann}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

test_defaults_pass if {
	inp := testlib.inp({"Deployment": [istiod([])], "ConfigMap": [testlib.mesh_cm("{}")]})
	count(mtls_06.deny) == 0 with input as inp
	count(mtls_06.unknown) == 0 with input as inp
	count(mtls_06.not_applicable) == 0 with input as inp
}

test_default_ttl_too_long_fails if {
	testlib.strip(mtls_06.deny) == {{
		"msg": "istiod istio-system/istiod sets DEFAULT_WORKLOAD_CERT_TTL=2160h, above the maximum workload certificate lifetime 24h",
		"resource": testlib.deployment_ref("istio-system", "istiod"),
	}} with input as testlib.inp({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "2160h"}])]})
}

test_max_ttl_explicit_too_long_fails if {
	count(mtls_06.deny) == 1 with input as testlib.inp({"Deployment": [istiod([{"name": "MAX_WORKLOAD_CERT_TTL", "value": "48h"}])]})
}

test_short_ttls_pass if {
	count(mtls_06.deny) == 0 with input as testlib.inp({"Deployment": [istiod([
		{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "12h"},
		{"name": "MAX_WORKLOAD_CERT_TTL", "value": "1440m"},
	])]})
}

test_redacted_env_unknown if {
	inp := testlib.inp({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "<redacted by meshaudit>"}])]})
	count(mtls_06.deny) == 0 with input as inp
	mtls_06.unknown == {"istiod istio-system/istiod sets DEFAULT_WORKLOAD_CERT_TTL but its value is not readable (env values are redacted in snapshots), so the certificate lifetime it allows is unknown"} with input as inp
}

test_value_from_unknown if {
	inp := testlib.inp({"Deployment": [istiod([{"name": "MAX_WORKLOAD_CERT_TTL", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "ttl"}}}])]})
	mtls_06.unknown == {"istiod istio-system/istiod sets MAX_WORKLOAD_CERT_TTL but its value is not readable (taken from valueFrom), so the certificate lifetime it allows is unknown"} with input as inp
}

test_invalid_duration_unknown_not_error if {
	inp := testlib.inp({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "1d"}])]})
	count(mtls_06.deny) == 0 with input as inp
	count(mtls_06.unknown) == 1 with input as inp
}

test_mesh_secret_ttl_too_long_fails if {
	testlib.strip(mtls_06.deny) == {{
		"msg": "mesh config defaultConfig.proxyMetadata sets SECRET_TTL=48h, above the maximum workload certificate lifetime 24h",
		"resource": testlib.mesh_cm_ref,
	}} with input as testlib.inp({"ConfigMap": [testlib.mesh_cm("defaultConfig:\n  proxyMetadata:\n    SECRET_TTL: 48h\n")]})
}

test_mesh_secret_ttl_short_passes if {
	count(mtls_06.deny) == 0 with input as testlib.inp({"ConfigMap": [testlib.mesh_cm("defaultConfig:\n  proxyMetadata:\n    SECRET_TTL: 12h\n")]})
}

test_pod_annotation_too_long_fails if {
	d := deploy({"proxy.istio.io/config": "proxyMetadata:\n  SECRET_TTL: 720h\n"})
	testlib.strip(mtls_06.deny) == {{
		"msg": "proxy.istio.io/config sets SECRET_TTL=720h, above the maximum workload certificate lifetime 24h",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}

test_pod_annotation_json_and_short_passes if {
	d := deploy({"proxy.istio.io/config": "{\"proxyMetadata\": {\"SECRET_TTL\": \"1h\"}}"})
	inp := testlib.inp({"Deployment": [d]})
	count(mtls_06.deny) == 0 with input as inp
	count(mtls_06.not_applicable) == 0 with input as inp
}

test_pod_annotation_invalid_yaml_ignored if {
	d := deploy({"proxy.istio.io/config": "proxyMetadata: [unclosed"})
	count(mtls_06.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}

test_stricter_parameter_flags_defaults if {
	p := object.union(lib.params, {"max_workload_cert_ttl": "12h"})
	testlib.strip(mtls_06.deny) == {
		{
			"msg": "istiod istio-system/istiod leaves DEFAULT_WORKLOAD_CERT_TTL unset (Istio's default 24h), above the maximum workload certificate lifetime 12h",
			"resource": testlib.deployment_ref("istio-system", "istiod"),
		},
		{
			"msg": "SECRET_TTL is unset in the mesh config's defaultConfig.proxyMetadata, so proxies request Istio's default 24h, above the maximum workload certificate lifetime 12h",
			"resource": testlib.mesh_cm_ref,
		},
	} with input as testlib.inp({"Deployment": [istiod([])], "ConfigMap": [testlib.mesh_cm("{}")]}) with data.meshaudit.params as p
}

test_nothing_to_judge_not_applicable if {
	mtls_06.not_applicable == {"only a live scan can tell the workload certificate lifetimes: no istiod Deployment, mesh config or proxy.istio.io/config SECRET_TTL is in the input"} with input as testlib.inp({"Deployment": [deploy({})]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence_istiod_env if {
	d := istiod([{"name": "PILOT_X", "value": "1"}, {"name": "MAX_WORKLOAD_CERT_TTL", "value": "48h"}])
	some f in mtls_06.deny with input as testlib.inp({"Deployment": [d]})
	f.evidence == [{"path": "spec.template.spec.containers[0].env[1].value", "value": "48h"}]
}

test_evidence_unset_and_mesh if {
	p := object.union(lib.params, {"max_workload_cert_ttl": "12h"})
	d := mtls_06.deny with input as testlib.inp({"Deployment": [istiod([])], "ConfigMap": [testlib.mesh_cm("{}")]}) with data.meshaudit.params as p
	{[f.resource.kind, f.evidence] | some f in d} == {
		["Deployment", [{"path": "spec.template.spec.containers[0].env"}]],
		["ConfigMap", [{"path": "data.mesh.defaultConfig.proxyMetadata.SECRET_TTL"}]],
	}
}

test_evidence_pod_annotation if {
	ann := "proxyMetadata:\n  SECRET_TTL: 720h\n"
	some f in mtls_06.deny with input as testlib.inp({"Deployment": [deploy({"proxy.istio.io/config": ann})]})
	f.evidence == [{"path": "spec.template.metadata.annotations[\"proxy.istio.io/config\"]", "value": ann}]
}

test_judged_subjects if {
	w := deploy({"proxy.istio.io/config": "proxyMetadata:\n  SECRET_TTL: 1h\n"})
	plain_web := object.union(deploy({}), {"metadata": {"name": "other"}})
	mtls_06.judged == {testlib.deployment_ref("istio-system", "istiod"), testlib.mesh_cm_ref, testlib.deployment_ref("app", "web")} with input as testlib.inp({"Deployment": [istiod([]), w, plain_web], "ConfigMap": [testlib.mesh_cm("{}")]})
}

# An istiod whose TTL cannot be read is not judged.
test_unreadable_istiod_not_judged if {
	inp := testlib.inp({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "<redacted by meshaudit>"}])]})
	count(mtls_06.judged) == 0 with input as inp
}

# In a live scan the mesh is judged even without the ConfigMap (defaults).
test_live_mesh_judged if {
	mtls_06.judged == {{"kind": "Mesh", "name": "c1"}} with input as {"cluster": "c1", "source": "cluster", "objects": {}}
}

# One finding per istiod, listing every TTL above the maximum.
test_one_finding_per_istiod if {
	d := testlib.strip(mtls_06.deny) with input as testlib.inp({"Deployment": [istiod([
		{"name": "MAX_WORKLOAD_CERT_TTL", "value": "720h"},
		{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "168h"},
	])]})
	d == {{
		"msg": "istiod istio-system/istiod sets DEFAULT_WORKLOAD_CERT_TTL=168h and sets MAX_WORKLOAD_CERT_TTL=720h, above the maximum workload certificate lifetime 24h",
		"resource": testlib.deployment_ref("istio-system", "istiod"),
	}}
}
