package meshaudit.rules.mtls_06_test

import data.meshaudit.lib
import data.meshaudit.rules.mtls_06
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

istiod_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istiod"}

cm(mesh) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": mesh}}

cm_res := {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}

deploy(ann) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "app"},
	"spec": {"template": {"metadata": {"annotations": ann}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

web_res := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "app", "name": "web"}

files(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

# plain: the findings without their evidence (asserted in tests of their own).
plain(d) := {object.remove(f, ["evidence"]) | some f in d}

test_defaults_pass if {
	inp := files({"Deployment": [istiod([])], "ConfigMap": [cm("{}")]})
	count(mtls_06.deny) == 0 with input as inp
	count(mtls_06.unknown) == 0 with input as inp
	count(mtls_06.not_applicable) == 0 with input as inp
}

test_default_ttl_too_long_fails if {
	plain(mtls_06.deny) == {{
		"msg": "istiod istio-system/istiod sets DEFAULT_WORKLOAD_CERT_TTL=2160h, above the maximum workload certificate lifetime 24h",
		"resource": istiod_res,
	}} with input as files({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "2160h"}])]})
}

test_max_ttl_explicit_too_long_fails if {
	count(mtls_06.deny) == 1 with input as files({"Deployment": [istiod([{"name": "MAX_WORKLOAD_CERT_TTL", "value": "48h"}])]})
}

test_short_ttls_pass if {
	count(mtls_06.deny) == 0 with input as files({"Deployment": [istiod([
		{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "12h"},
		{"name": "MAX_WORKLOAD_CERT_TTL", "value": "1440m"},
	])]})
}

test_redacted_env_unknown if {
	inp := files({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "<redacted by meshaudit>"}])]})
	count(mtls_06.deny) == 0 with input as inp
	mtls_06.unknown == {"istiod istio-system/istiod sets DEFAULT_WORKLOAD_CERT_TTL but its value is not readable (env values are redacted in snapshots), so the certificate lifetime it allows is unknown"} with input as inp
}

test_value_from_unknown if {
	inp := files({"Deployment": [istiod([{"name": "MAX_WORKLOAD_CERT_TTL", "valueFrom": {"configMapKeyRef": {"name": "x", "key": "ttl"}}}])]})
	mtls_06.unknown == {"istiod istio-system/istiod sets MAX_WORKLOAD_CERT_TTL but its value is not readable (taken from valueFrom), so the certificate lifetime it allows is unknown"} with input as inp
}

test_invalid_duration_unknown_not_error if {
	inp := files({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "1d"}])]})
	count(mtls_06.deny) == 0 with input as inp
	count(mtls_06.unknown) == 1 with input as inp
}

test_mesh_secret_ttl_too_long_fails if {
	plain(mtls_06.deny) == {{
		"msg": "mesh config defaultConfig.proxyMetadata sets SECRET_TTL=48h, above the maximum workload certificate lifetime 24h",
		"resource": cm_res,
	}} with input as files({"ConfigMap": [cm("defaultConfig:\n  proxyMetadata:\n    SECRET_TTL: 48h\n")]})
}

test_mesh_secret_ttl_short_passes if {
	count(mtls_06.deny) == 0 with input as files({"ConfigMap": [cm("defaultConfig:\n  proxyMetadata:\n    SECRET_TTL: 12h\n")]})
}

test_pod_annotation_too_long_fails if {
	d := deploy({"proxy.istio.io/config": "proxyMetadata:\n  SECRET_TTL: 720h\n"})
	plain(mtls_06.deny) == {{
		"msg": "proxy.istio.io/config sets SECRET_TTL=720h, above the maximum workload certificate lifetime 24h",
		"resource": web_res,
	}} with input as files({"Deployment": [d]})
}

test_pod_annotation_json_and_short_passes if {
	d := deploy({"proxy.istio.io/config": "{\"proxyMetadata\": {\"SECRET_TTL\": \"1h\"}}"})
	inp := files({"Deployment": [d]})
	count(mtls_06.deny) == 0 with input as inp
	count(mtls_06.not_applicable) == 0 with input as inp
}

test_pod_annotation_invalid_yaml_ignored if {
	d := deploy({"proxy.istio.io/config": "proxyMetadata: [unclosed"})
	count(mtls_06.deny) == 0 with input as files({"Deployment": [d]})
}

test_stricter_parameter_flags_defaults if {
	p := object.union(lib.params, {"max_workload_cert_ttl": "12h"})
	plain(mtls_06.deny) == {
		{
			"msg": "istiod istio-system/istiod leaves DEFAULT_WORKLOAD_CERT_TTL unset (Istio's default 24h), above the maximum workload certificate lifetime 12h",
			"resource": istiod_res,
		},
		{
			"msg": "SECRET_TTL is unset in the mesh config's defaultConfig.proxyMetadata, so proxies request Istio's default 24h, above the maximum workload certificate lifetime 12h",
			"resource": cm_res,
		},
	} with input as files({"Deployment": [istiod([])], "ConfigMap": [cm("{}")]}) with data.meshaudit.params as p
}

test_nothing_to_judge_not_applicable if {
	mtls_06.not_applicable == {"only a live scan can tell the workload certificate lifetimes: no istiod Deployment, mesh config or proxy.istio.io/config SECRET_TTL is in the input"} with input as files({"Deployment": [deploy({})]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence_istiod_env if {
	d := istiod([{"name": "PILOT_X", "value": "1"}, {"name": "MAX_WORKLOAD_CERT_TTL", "value": "48h"}])
	some f in mtls_06.deny with input as files({"Deployment": [d]})
	f.evidence == [{"path": "spec.template.spec.containers[0].env[1].value", "value": "48h"}]
}

test_evidence_unset_and_mesh if {
	p := object.union(lib.params, {"max_workload_cert_ttl": "12h"})
	d := mtls_06.deny with input as files({"Deployment": [istiod([])], "ConfigMap": [cm("{}")]}) with data.meshaudit.params as p
	{[f.resource.kind, f.evidence] | some f in d} == {
		["Deployment", [{"path": "spec.template.spec.containers[0].env"}]],
		["ConfigMap", [{"path": "data.mesh.defaultConfig.proxyMetadata.SECRET_TTL"}]],
	}
}

test_evidence_pod_annotation if {
	ann := "proxyMetadata:\n  SECRET_TTL: 720h\n"
	some f in mtls_06.deny with input as files({"Deployment": [deploy({"proxy.istio.io/config": ann})]})
	f.evidence == [{"path": "spec.template.metadata.annotations[\"proxy.istio.io/config\"]", "value": ann}]
}

test_judged_subjects if {
	w := deploy({"proxy.istio.io/config": "proxyMetadata:\n  SECRET_TTL: 1h\n"})
	plain_web := object.union(deploy({}), {"metadata": {"name": "other"}})
	mtls_06.judged == {istiod_res, cm_res, web_res} with input as files({"Deployment": [istiod([]), w, plain_web], "ConfigMap": [cm("{}")]})
}

# An istiod whose TTL cannot be read is not judged.
test_unreadable_istiod_not_judged if {
	inp := files({"Deployment": [istiod([{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "<redacted by meshaudit>"}])]})
	count(mtls_06.judged) == 0 with input as inp
}

# In a live scan the mesh is judged even without the ConfigMap (defaults).
test_live_mesh_judged if {
	mtls_06.judged == {{"kind": "Mesh", "name": "c1"}} with input as {"cluster": "c1", "source": "cluster", "objects": {}}
}

# One finding per istiod, listing every TTL above the maximum.
test_one_finding_per_istiod if {
	d := plain(mtls_06.deny) with input as files({"Deployment": [istiod([
		{"name": "MAX_WORKLOAD_CERT_TTL", "value": "720h"},
		{"name": "DEFAULT_WORKLOAD_CERT_TTL", "value": "168h"},
	])]})
	d == {{
		"msg": "istiod istio-system/istiod sets DEFAULT_WORKLOAD_CERT_TTL=168h and sets MAX_WORKLOAD_CERT_TTL=720h, above the maximum workload certificate lifetime 24h",
		"resource": istiod_res,
	}}
}
