package meshaudit.rules.tel_03_test

import data.meshaudit.rules.tel_03
import data.meshaudit.testlib
import rego.v1

deploy(n, name, annotations, ports) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": n},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"containers": [{"name": name, "image": "img:1", "ports": [{"containerPort": p} | some p in ports]}]},
	}},
}

razee := testlib.namespace("razee", {"istio-injection": "enabled"})

scrape(port) := {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics", "prometheus.io/port": port}

# The talk's alb-api: Prometheus scrapes 6969 through Envoy.
test_talk_alb_api_passes if {
	a := object.union(scrape("6969"), {"traffic.sidecar.istio.io/includeInboundPorts": "15090,6969"})
	objs := {"Namespace": [razee], "Deployment": [deploy("razee", "alb-api", a, [6969])], "ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: true\n")]}
	count(tel_03.deny) == 0 with input as testlib.input_from("manifests", objs)
	not tel_03.unknown with input as testlib.input_from("manifests", objs)
	tel_03.judged == {testlib.mesh_cm_ref, testlib.deployment_ref("razee", "alb-api")} with input as testlib.input_from("manifests", objs)
}

test_scrape_port_not_included_fails_with_fix if {
	a := object.union(scrape("6969"), {"traffic.sidecar.istio.io/includeInboundPorts": "15090"})
	testlib.strip(tel_03.deny) == {{
		"msg": "prometheus.io/port 6969 is not in traffic.sidecar.istio.io/includeInboundPorts \"15090\", so the scrape bypasses the sidecar (plaintext, and Prometheus using Istio certificates fails); set traffic.sidecar.istio.io/includeInboundPorts: \"15090,6969\"",
		"resource": testlib.deployment_ref("razee", "alb-api"),
	}} with input as testlib.input_from("manifests", {"Namespace": [razee], "Deployment": [deploy("razee", "alb-api", a, [6969])]})
}

test_scrape_port_excluded_fails_with_fix if {
	a := object.union(scrape("9100"), {"traffic.sidecar.istio.io/excludeInboundPorts": "9100, 5432"})
	testlib.strip(tel_03.deny) == {{
		"msg": "prometheus.io/port 9100 is excluded by traffic.sidecar.istio.io/excludeInboundPorts \"9100, 5432\", so the scrape bypasses the sidecar (plaintext, and Prometheus using Istio certificates fails); set traffic.sidecar.istio.io/excludeInboundPorts: \"5432\"",
		"resource": testlib.deployment_ref("razee", "api"),
	}} with input as testlib.input_from("manifests", {"Namespace": [razee], "Deployment": [deploy("razee", "api", a, [8080])]})
}

test_only_excluded_port_fix_removes_annotation if {
	a := object.union(scrape("9100"), {"traffic.sidecar.istio.io/excludeInboundPorts": "9100"})
	some f in tel_03.deny with input as testlib.input_from("manifests", {"Namespace": [razee], "Deployment": [deploy("razee", "api", a, [8080])]})
	endswith(f.msg, "; remove traffic.sidecar.istio.io/excludeInboundPorts")
}

test_declared_ports_used_without_port_annotation if {
	a := {"prometheus.io/scrape": "true", "traffic.sidecar.istio.io/includeInboundPorts": ""}
	a2 := object.union(a, {"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.0.0.0/8"})
	testlib.strip(tel_03.deny) == {{
		"msg": "scrape port 8080 (a declared port: no prometheus.io/port) is not in traffic.sidecar.istio.io/includeInboundPorts \"\", so the scrape bypasses the sidecar (plaintext, and Prometheus using Istio certificates fails); set traffic.sidecar.istio.io/includeInboundPorts: \"8080\"",
		"resource": testlib.deployment_ref("razee", "api"),
	}} with input as testlib.input_from("manifests", {"Namespace": [razee], "Deployment": [deploy("razee", "api", a2, [8080])]})
}

test_default_capture_passes if {
	count(tel_03.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": [razee], "Deployment": [deploy("razee", "api", scrape("8080"), [8080])]})
}

test_unmeshed_workload_ignored if {
	a := object.union(scrape("6969"), {"traffic.sidecar.istio.io/includeInboundPorts": "15090"})
	count(tel_03.deny) == 0 with input as testlib.input_from("manifests", {"Namespace": [testlib.namespace("razee", {})], "Deployment": [deploy("razee", "api", a, [6969])]})
}

# Live injected pods: the injector rewrote the annotations to 15020.
test_merged_metrics_port_ignored if {
	pod := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "api-1", "namespace": "razee", "annotations": object.union(scrape("15020"), {"sidecar.istio.io/status": "{}", "traffic.sidecar.istio.io/includeInboundPorts": "8080"})},
		"spec": {"containers": [{"name": "api", "ports": [{"containerPort": 8080}]}]},
	}
	count(tel_03.deny) == 0 with input as testlib.input_from("cluster", {"Namespace": [razee], "Pod": [pod]})
}

prometheus(certs) := deploy("monitoring", "prometheus", object.union(
	{
		"traffic.sidecar.istio.io/includeInboundPorts": "",
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "",
		"prometheus.io/scrape": "true",
	},
	{"proxy.istio.io/config": certs},
), [9090])

good_prometheus := prometheus("proxyMetadata:\n  OUTPUT_CERTS: /etc/istio-output-certs\n")

test_merge_off_without_pattern_fails if {
	testlib.strip(tel_03.deny) == {{
		"msg": "mesh config sets enablePrometheusMerge: false and no Prometheus in the input scrapes with Istio certificates (includeInboundPorts \"\", includeOutboundIPRanges \"\" and proxyMetadata.OUTPUT_CERTS), so Prometheus cannot scrape STRICT mTLS workloads",
		"resource": testlib.mesh_cm_ref,
	}} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: false\n")]})
}

test_merge_off_with_pattern_passes if {
	objs := {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: false\n")], "Namespace": [testlib.namespace("monitoring", {"istio-injection": "enabled"})], "Deployment": [good_prometheus]}
	count(tel_03.deny) == 0 with input as testlib.input_from("manifests", objs)
}

test_pattern_without_output_certs_fails if {
	objs := {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: false\n")], "Namespace": [testlib.namespace("monitoring", {"istio-injection": "enabled"})], "Deployment": [prometheus("holdApplicationUntilProxyStarts: true\n")]}
	d := tel_03.deny with input as testlib.input_from("manifests", objs)
	count(d) == 2
	some f in d
	f.resource == testlib.deployment_ref("monitoring", "prometheus")
	startswith(f.msg, "Prometheus pattern without certificates")
}

test_pod_merge_off_live_fails if {
	a := object.union(scrape("8080"), {"prometheus.istio.io/merge-metrics": "false"})
	testlib.strip(tel_03.deny) == {{
		"msg": "prometheus.istio.io/merge-metrics \"false\" turns off metrics merging and no Prometheus in the input scrapes with Istio certificates (includeInboundPorts \"\", includeOutboundIPRanges \"\" and proxyMetadata.OUTPUT_CERTS), so Prometheus cannot scrape it under STRICT mTLS",
		"resource": testlib.deployment_ref("razee", "api"),
	}} with input as testlib.input_from("cluster", {"Namespace": [razee], "Deployment": [deploy("razee", "api", a, [8080])]})
}

test_pod_merge_off_live_with_pattern_passes if {
	a := object.union(scrape("8080"), {"prometheus.istio.io/merge-metrics": "false"})
	objs := {"Namespace": [razee, testlib.namespace("monitoring", {"istio-injection": "enabled"})], "Deployment": [deploy("razee", "api", a, [8080]), good_prometheus]}
	count(tel_03.deny) == 0 with input as testlib.input_from("cluster", objs)
}

# An application repository: where Prometheus runs is not in the input, so
# the workload is not judged (never unknown, never pass).
test_pod_merge_off_app_repo_not_judged if {
	a := object.union(scrape("8080"), {"prometheus.istio.io/merge-metrics": "false"})
	objs := {"Namespace": [razee], "Deployment": [deploy("razee", "api", a, [8080])]}
	count(tel_03.deny) == 0 with input as testlib.input_from("manifests", objs)
	not tel_03.unknown with input as testlib.input_from("manifests", objs)
	count(tel_03.judged) == 0 with input as testlib.input_from("manifests", objs)
	tel_03.not_applicable == {"only a live scan can tell whether metrics merging is on: the input holds no mesh config source (the mesh ConfigMap, an IstioOperator, --mesh-config)", "razee/api turns off metrics merging (prometheus.istio.io/merge-metrics \"false\"); whether Prometheus scrapes it with Istio certificates is not in the input: neither a mesh config source nor a Prometheus with proxyMetadata.OUTPUT_CERTS"} with input as testlib.input_from("manifests", objs)
}

# An implied namespace counts as not enrolled: its workloads are not judged
# unless params.namespace_labels (or a pod-level signal) enrols them.
test_implied_namespace_not_enrolled if {
	a := object.union(scrape("6969"), {"traffic.sidecar.istio.io/includeInboundPorts": "15090"})
	objs := {"Deployment": [deploy("razee", "alb-api", a, [6969])]}
	count(tel_03.deny) == 0 with input as testlib.input_from("manifests", objs)
	count(tel_03.judged) == 0 with input as testlib.input_from("manifests", objs)
	p := object.union(data.meshaudit.lib.params, {"namespace_labels": {"razee": {"istio-injection": "enabled"}}})
	count(tel_03.deny) == 1 with input as testlib.input_from("manifests", objs) with data.meshaudit.params as p
}

test_evidence if {
	a := object.union(scrape("6969"), {"traffic.sidecar.istio.io/includeInboundPorts": "15090"})
	{f.evidence | some f in tel_03.deny} == {[
		{"path": "spec.template.metadata.annotations[\"prometheus.io/port\"]", "value": "6969"},
		{"path": "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/includeInboundPorts\"]", "value": "15090"},
	]} with input as testlib.input_from("manifests", {"Namespace": [razee], "Deployment": [deploy("razee", "alb-api", a, [6969])]})
	{f.evidence | some f in tel_03.deny} == {[
		{"path": "data.mesh.enablePrometheusMerge", "value": false, "resource": testlib.mesh_cm_ref},
		{"path": "Deployment or Pod with includeInboundPorts \"\", includeOutboundIPRanges \"\" and proxyMetadata.OUTPUT_CERTS (a Prometheus scraping with Istio certificates)", "value": 0},
	]} with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("enablePrometheusMerge: false\n")]})
}

test_merge_on_by_default_live if {
	count(tel_03.deny) == 0 with input as testlib.input_from("cluster", {"Namespace": [razee], "Deployment": [deploy("razee", "api", scrape("8080"), [8080])]})
}
