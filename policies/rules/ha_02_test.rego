package meshaudit.rules.ha_02_test

import data.meshaudit.rules.ha_02
import data.meshaudit.testlib
import rego.v1

off := {"sidecar.istio.io/rewriteAppHTTPProbers": "false"}

container(probes) := object.union(
	{"name": "app", "image": "registry.example/app:1.0", "ports": [{"name": "http", "containerPort": 8080}, {"containerPort": 5432}]},
	probes,
)

deploy(annotations, lbls, c) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "app"},
	"spec": {"template": {
		"metadata": {"labels": lbls, "annotations": annotations},
		"spec": {"containers": [c]},
	}},
}

http_ready := {"readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}

test_http_probe_under_strict_fails if {
	testlib.strip(ha_02.deny) == {{
		"msg": "readinessProbe (httpGet) of container \"app\" fails: port 8080 is STRICT (PeerAuthentication istio-system/default) and sidecar.istio.io/rewriteAppHTTPProbers is \"false\", so the kubelet's plaintext probe is rejected by the sidecar",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

test_grpc_named_port_and_namespace_policy if {
	c := container({"livenessProbe": {"grpc": {"port": 8080}}, "startupProbe": {"httpGet": {"path": "/", "port": "http"}}})
	testlib.strip(ha_02.deny) == {{
		"msg": "livenessProbe (grpc) of container \"app\" fails: port 8080 is STRICT (PeerAuthentication app/default) and sidecar.istio.io/rewriteAppHTTPProbers is \"false\", so the kubelet's plaintext probe is rejected by the sidecar; startupProbe (httpGet) of container \"app\" fails: port 8080 is STRICT (PeerAuthentication app/default) and sidecar.istio.io/rewriteAppHTTPProbers is \"false\", so the kubelet's plaintext probe is rejected by the sidecar",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, c)],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "STRICT")],
	})
}

# Rewrite on (the default): Istio's agent answers the probes.
test_rewrite_enabled_passes if {
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy({}, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy({"sidecar.istio.io/rewriteAppHTTPProbers": "true"}, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

test_permissive_http_probe_passes if {
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
	})
}

# A port-level PERMISSIVE exception lets the kubelet's plaintext through.
test_port_level_permissive_passes if {
	p := object.union(testlib.peer_auth("app", "web", "STRICT"), {"spec": {"selector": {"matchLabels": {"app": "web"}}, "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}}}})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [p],
	})
}

test_exec_probe_passes if {
	c := container({"livenessProbe": {"exec": {"command": ["true"]}}})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, c)],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

test_port_excluded_from_capture_passes if {
	a := object.union(off, {"traffic.sidecar.istio.io/excludeInboundPorts": "9000, 8080"})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(a, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
	b := object.union(off, {"traffic.sidecar.istio.io/includeInboundPorts": "9000"})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(b, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

# includeInboundPorts "*" captures everything.
test_include_all_ports_still_fails if {
	a := object.union(off, {"traffic.sidecar.istio.io/includeInboundPorts": "*"})
	count(ha_02.deny) == 1 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(a, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

# tcpSocket probes do not fail under STRICT: they always succeed (any mode).
test_tcp_probe_always_succeeds_low if {
	c := container({"livenessProbe": {"tcpSocket": {"port": 5432}}})
	testlib.strip(ha_02.deny) == {{
		"msg": "livenessProbe (tcpSocket) of container \"app\" on port 5432 always succeeds while the sidecar runs: sidecar.istio.io/rewriteAppHTTPProbers is \"false\", so the kubelet's connection is accepted by the sidecar, not the application",
		"resource": testlib.deployment_ref("app", "web"),
		"severity": "low",
	}} with input as testlib.live({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy(off, {"app": "web"}, c)]})
}

test_not_meshed_passes if {
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.namespace("app", {})],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(object.union(off, {"sidecar.istio.io/inject": "false"}), {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

# Ambient pods: the kubelet's probes are not captured by ztunnel.
test_ambient_passes if {
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.namespace("app", {"istio.io/dataplane-mode": "ambient"})],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

# Injected via the pod label in an unlabelled namespace.
test_label_injected_fails if {
	count(ha_02.deny) == 1 with input as testlib.live({
		"Namespace": [testlib.namespace("app", {})],
		"Deployment": [deploy(off, {"app": "web", "sidecar.istio.io/inject": "true"}, container(http_ready))],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

test_excluded_namespace_skipped if {
	d := object.union(deploy(off, {"app": "web"}, container(http_ready)), {"metadata": {"namespace": "kube-system"}})
	count(ha_02.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.namespace("kube-system", {"istio-injection": "enabled"})],
		"Deployment": [d],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

# Without mesh-wide evidence the mesh default is not shown: the workload is
# not judged, and the rule says why (never unknown, never pass). An
# unrelated object in the root namespace is no evidence.
test_manifests_without_mesh_evidence_not_judged if {
	gw := {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": {"name": "acme", "namespace": "istio-system"}, "spec": {}}
	inp := testlib.inp({"Namespace": [testlib.enrolled("app")], "Gateway": [gw], "Deployment": [deploy(off, {"app": "web"}, container(http_ready))]})
	count(ha_02.deny) == 0 with input as inp
	count(ha_02.judged) == 0 with input as inp
	ha_02.not_applicable == {"Deployment app/web has httpGet or grpc probes with sidecar.istio.io/rewriteAppHTTPProbers \"false\" whose mTLS mode falls through to the mesh-wide PeerAuthentication, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy in root namespace \"istio-system\")"} with input as inp
}

# A workload keeping the rewrite on is judged (and passes) in any scan.
test_rewrite_on_judged if {
	inp := testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [deploy({}, {"app": "web"}, container(http_ready))]})
	ha_02.judged == {testlib.deployment_ref("app", "web")} with input as inp
	count(ha_02.not_applicable) == 0 with input as inp
}

# One finding per workload: a failing httpGet probe and a tcpSocket probe
# that checks nothing; medium (the highest), with evidence for each.
test_evidence if {
	c := container({"readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}}, "livenessProbe": {"tcpSocket": {"port": 8080}}})
	d := ha_02.deny with input as testlib.live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, c)],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
	count(d) == 1
	some f in d
	not f.severity
	f.evidence == [
		{"path": "spec.template.spec.containers[0].livenessProbe.tcpSocket.port", "value": 8080},
		{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/rewriteAppHTTPProbers\"]", "value": "false"},
		{"path": "spec.template.spec.containers[0].readinessProbe.httpGet.port", "value": "http"},
		{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/rewriteAppHTTPProbers\"]", "value": "false"},
		{"path": "spec.mtls.mode", "value": "STRICT", "resource": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "namespace": "istio-system", "name": "default"}},
	]
}

test_manifests_with_root_judged if {
	inp := testlib.inp({
		"Namespace": [testlib.enrolled("app"), testlib.namespace("istio-system", {})],
		"ConfigMap": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "{}"}}],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
	})
	count(ha_02.deny) == 0 with input as inp
	ha_02.judged == {testlib.deployment_ref("app", "web")} with input as inp
}

test_manifests_namespace_strict_decides if {
	inp := testlib.inp({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [deploy(off, {"app": "web"}, container(http_ready))],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "STRICT")],
	})
	count(ha_02.deny) == 1 with input as inp
}

# A native sidecar init container is probed; an ordinary one is not.
test_native_sidecar_init_container_probed if {
	d := object.union(deploy(off, {"app": "web"}, container({})), {"spec": {"template": {"spec": {"initContainers": [
		object.union(container(http_ready), {"name": "helper", "restartPolicy": "Always"}),
		object.union(container(http_ready), {"name": "setup"}),
	]}}}})
	{f.msg | some f in ha_02.deny} == {"readinessProbe (httpGet) of container \"helper\" fails: port 8080 is STRICT (PeerAuthentication istio-system/default) and sidecar.istio.io/rewriteAppHTTPProbers is \"false\", so the kubelet's plaintext probe is rejected by the sidecar"} with input as testlib.live({"Namespace": [testlib.enrolled("app")], "Deployment": [d], "PeerAuthentication": [testlib.root_strict_pa]})
}
