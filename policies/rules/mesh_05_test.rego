package meshaudit.rules.mesh_05_test

import data.meshaudit.rules.mesh_05
import data.meshaudit.testlib
import rego.v1

deploy(name, annotations, podsc, containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "app"},
	"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"securityContext": podsc, "containers": containers},
	}},
}

app := {"name": "app", "image": "app:1"}

dres(name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "app", "name": name}

deny_for(d) := testlib.strip(x) if {
	x := mesh_05.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_plain_workload_passes if {
	count(deny_for(deploy("web", {}, {}, [app]))) == 0
}

test_interception_none_annotation_fails if {
	deny_for(deploy("web", {"sidecar.istio.io/interceptionMode": "NONE"}, {}, [app])) == {{
		"msg": "annotation sidecar.istio.io/interceptionMode sets interception mode NONE: no iptables redirection is installed, so the pod's traffic bypasses its sidecar (no mTLS, no authorization); remove the interception mode NONE and run application containers as another UID",
		"resource": dres("web"),
	}}
}

test_interception_tproxy_passes if {
	count(deny_for(deploy("web", {"sidecar.istio.io/interceptionMode": "TPROXY"}, {}, [app]))) == 0
}

test_interception_none_proxy_config_fails if {
	d := deploy("web", {"proxy.istio.io/config": "interceptionMode: NONE\n"}, {}, [app])
	some f in deny_for(d)
	f.msg == "interceptionMode of proxy.istio.io/config sets interception mode NONE: no iptables redirection is installed, so the pod's traffic bypasses its sidecar (no mTLS, no authorization); remove the interception mode NONE and run application containers as another UID"
}

# The annotation wins over proxy.istio.io/config.
test_annotation_overrides_proxy_config if {
	d := deploy("web", {"proxy.istio.io/config": "interceptionMode: NONE\n", "sidecar.istio.io/interceptionMode": "REDIRECT"}, {}, [app])
	count(deny_for(d)) == 0
}

test_unmeshed_namespace_ignored if {
	d := deploy("web", {"sidecar.istio.io/interceptionMode": "NONE"}, {"runAsUser": 1337}, [app])
	count(mesh_05.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [d]})
}

test_opted_out_ignored if {
	d := deploy("web", {"sidecar.istio.io/inject": "false", "sidecar.istio.io/interceptionMode": "NONE"}, {}, [app])
	count(deny_for(d)) == 0
}

test_mesh_default_interception_none_fails if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "defaultConfig:\n  interceptionMode: NONE\n"}}
	testlib.strip(mesh_05.deny) == {{
		"msg": "mesh config sets defaultConfig.interceptionMode NONE: sidecars without their own interception mode get no iptables redirection, so their traffic bypasses the proxy; remove it (REDIRECT is the default)",
		"resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"},
	}} with input as testlib.inp({"ConfigMap": [cm]})
}

sidecar_res(spec) := {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "default", "namespace": "app"}, "spec": spec}

test_sidecar_capture_none_fails if {
	sc := sidecar_res({
		"ingress": [{"port": {"number": 9080, "protocol": "HTTP", "name": "http"}, "defaultEndpoint": "127.0.0.1:8080", "captureMode": "NONE"}],
		"egress": [{"hosts": ["./*"], "captureMode": "NONE"}, {"hosts": ["istio-system/*"], "captureMode": "IPTABLES"}],
	})
	mesh_05.deny == {{
		"msg": "Sidecar app/default: ingress listener port 9080 sets captureMode NONE; egress listener without a port sets captureMode NONE, so their traffic is not captured by the sidecar; remove captureMode NONE (DEFAULT or IPTABLES)",
		"resource": {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "namespace": "app", "name": "default"},
		"evidence": [
			{"path": "spec.ingress[0].captureMode", "value": "NONE"},
			{"path": "spec.egress[0].captureMode", "value": "NONE"},
		],
	}} with input as testlib.inp({"Sidecar": [sc]})
	mesh_05.judged == {{"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "namespace": "app", "name": "default"}} with input as testlib.inp({"Sidecar": [sc]})
}

test_sidecar_excluded_namespace_ignored if {
	sc := object.union(sidecar_res({"egress": [{"hosts": ["./*"], "captureMode": "NONE"}]}), {"metadata": {"namespace": "kube-system"}})
	count(mesh_05.deny) == 0 with input as testlib.inp({"Sidecar": [sc]})
}

test_uid_1337_from_pod_fails if {
	deny_for(deploy("web", {}, {"runAsUser": 1337}, [app])) == {{
		"msg": "container app runs as UID 1337 (from the pod securityContext), the sidecar proxy's UID: istio-iptables does not redirect its traffic, so it bypasses the sidecar; remove the interception mode NONE and run application containers as another UID",
		"resource": dres("web"),
	}}
}

test_uid_1337_on_container_fails if {
	c := object.union(app, {"securityContext": {"runAsUser": 1337}})
	deny_for(deploy("web", {}, {"runAsUser": 1000}, [c])) == {{
		"msg": "container app runs as UID 1337 (from its securityContext), the sidecar proxy's UID: istio-iptables does not redirect its traffic, so it bypasses the sidecar; remove the interception mode NONE and run application containers as another UID",
		"resource": dres("web"),
	}}
}

# The container's runAsUser overrides the pod's.
test_container_overrides_pod_uid if {
	c := object.union(app, {"securityContext": {"runAsUser": 1000}})
	count(deny_for(deploy("web", {}, {"runAsUser": 1337}, [c]))) == 0
}

# Istio's own containers run as 1337 by design (gateway pods set it on the pod).
test_istio_containers_ignored if {
	proxy := {"name": "istio-proxy", "image": "auto"}
	d := object.union(deploy("gw", {"inject.istio.io/templates": "gateway"}, {"runAsUser": 1337}, [proxy]), {"spec": {"template": {"metadata": {"labels": {"sidecar.istio.io/inject": "true"}}}}})
	count(deny_for(d)) == 0
}

test_injected_pod_proxy_ignored if {
	pod := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "web-1", "namespace": "app", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {
			"initContainers": [{"name": "istio-init", "image": "proxyv2", "securityContext": {"runAsUser": 0}}],
			"containers": [app, {"name": "istio-proxy", "image": "proxyv2", "securityContext": {"runAsUser": 1337}}],
		},
	}
	count(mesh_05.deny) == 0 with input as {"cluster": "c1", "source": "cluster", "objects": {"Namespace": [testlib.enrolled("app")], "Pod": [pod]}}
}

test_init_container_uid_1337_fails if {
	d := object.union(deploy("web", {}, {}, [app]), {"spec": {"template": {"spec": {"initContainers": [{"name": "setup", "image": "s:1", "securityContext": {"runAsUser": 1337}}]}}}})
	some f in deny_for(d)
	startswith(f.msg, "container setup runs as UID 1337")
}

# An implied namespace is not enrolled (docs/verdicts.md): not judged.
test_implied_namespace_not_enrolled if {
	d := deploy("web", {"sidecar.istio.io/interceptionMode": "NONE"}, {}, [app])
	count(mesh_05.deny) == 0 with input as testlib.inp({"Deployment": [d]})
	count(mesh_05.judged) == 0 with input as testlib.inp({"Deployment": [d]})
}

test_one_finding_per_workload_with_evidence if {
	c := object.union(app, {"securityContext": {"runAsUser": 1337}})
	d := deploy("web", {"sidecar.istio.io/interceptionMode": "NONE"}, {}, [c])
	mesh_05.deny == {{
		"msg": "annotation sidecar.istio.io/interceptionMode sets interception mode NONE: no iptables redirection is installed, so the pod's traffic bypasses its sidecar (no mTLS, no authorization); container app runs as UID 1337 (from its securityContext), the sidecar proxy's UID: istio-iptables does not redirect its traffic, so it bypasses the sidecar; remove the interception mode NONE and run application containers as another UID",
		"resource": dres("web"),
		"evidence": [
			{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/interceptionMode\"]", "value": "NONE"},
			{"path": "spec.template.spec.containers[0].securityContext.runAsUser", "value": 1337},
		],
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
	mesh_05.judged == {dres("web")} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}
