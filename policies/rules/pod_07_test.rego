package meshaudit.rules.pod_07_test

import data.meshaudit.rules.pod_07
import data.meshaudit.testlib
import rego.v1

deploy(ns, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

run(spec) := testlib.strip(d) if {
	d := pod_07.deny with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

app := {"name": "app", "image": "r/app:1", "ports": [{"containerPort": 8080}]}

test_clean_pod_passes if {
	count(run({"containers": [app], "volumes": [{"name": "tmp", "emptyDir": {}}]})) == 0
}

test_host_path_fails if {
	run({"containers": [app], "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}]}) == {{
		"msg": "volume \"sock\" mounts hostPath /var/run/docker.sock from the node; remove the hostPath volumes (use emptyDir, a ConfigMap or a PersistentVolumeClaim) and the hostPorts (expose through a Service)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_host_port_fails if {
	c := {"name": "app", "image": "r/app:1", "ports": [{"containerPort": 8080, "hostPort": 80}, {"containerPort": 9090, "hostPort": 0}]}
	run({"containers": [c]}) == {{
		"msg": "container \"app\" binds hostPort 80 (containerPort 8080) on the node; remove the hostPath volumes (use emptyDir, a ConfigMap or a PersistentVolumeClaim) and the hostPorts (expose through a Service)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_one_finding_per_workload_with_evidence if {
	c := {"name": "app", "ports": [{"containerPort": 1, "hostPort": 1}, {"containerPort": 2, "hostPort": 2}]}
	spec := {"containers": [c], "volumes": [{"name": "a", "hostPath": {"path": "/a"}}, {"name": "b", "hostPath": {"path": "/b"}}]}
	pod_07.deny == {{
		"msg": "volume \"a\" mounts hostPath /a from the node; volume \"b\" mounts hostPath /b from the node; container \"app\" binds hostPort 1 (containerPort 1) on the node; container \"app\" binds hostPort 2 (containerPort 2) on the node; remove the hostPath volumes (use emptyDir, a ConfigMap or a PersistentVolumeClaim) and the hostPorts (expose through a Service)",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.spec.volumes[0].hostPath.path", "value": "/a"},
			{"path": "spec.template.spec.volumes[1].hostPath.path", "value": "/b"},
			{"path": "spec.template.spec.containers[0].ports[0].hostPort", "value": 1},
			{"path": "spec.template.spec.containers[0].ports[1].hostPort", "value": 2},
		],
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
	pod_07.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

test_init_container_host_port_fails if {
	c := {"name": "setup", "ports": [{"containerPort": 53, "hostPort": 53}]}
	run({"initContainers": [c], "containers": [app]}) == {{
		"msg": "init container \"setup\" binds hostPort 53 (containerPort 53) on the node; remove the hostPath volumes (use emptyDir, a ConfigMap or a PersistentVolumeClaim) and the hostPorts (expose through a Service)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_injected_istio_proxy_ignored if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {"containers": [app, {"name": "istio-proxy", "image": "proxyv2", "ports": [{"containerPort": 15090, "hostPort": 15090}]}]},
	}
	count(pod_07.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

test_istio_cni_node_ignored if {
	ds := {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {"name": "istio-cni-node", "namespace": "istio-system"},
		"spec": {"template": {"metadata": {"labels": {"k8s-app": "istio-cni-node"}}, "spec": {
			"containers": [{"name": "install-cni", "image": "istio/install-cni:1.30.0"}],
			"volumes": [{"name": "cni-bin-dir", "hostPath": {"path": "/opt/cni/bin"}}],
		}}},
	}
	count(pod_07.deny) == 0 with input as testlib.inp({"DaemonSet": [ds]})
	count(pod_07.judged) == 0 with input as testlib.inp({"DaemonSet": [ds]})
}

test_other_daemonset_host_path_fails if {
	ds := {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {"name": "log-agent", "namespace": "shop"},
		"spec": {"template": {"spec": {"containers": [app], "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}]}}},
	}
	count(pod_07.deny) == 1 with input as testlib.inp({"DaemonSet": [ds]})
}

test_excluded_namespace_ignored if {
	count(pod_07.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", {"containers": [app], "volumes": [{"name": "a", "hostPath": {"path": "/"}}]})]})
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("shop", {"containers": [app], "volumes": [{"name": "a", "hostPath": {"path": "/etc"}}]}), {"spec": {"template": {"metadata": null}}})
	testlib.strip(pod_07.deny) == {{
		"msg": "volume \"a\" mounts hostPath /etc from the node; remove the hostPath volumes (use emptyDir, a ConfigMap or a PersistentVolumeClaim) and the hostPorts (expose through a Service)",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}
