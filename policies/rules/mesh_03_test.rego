package meshaudit.rules.mesh_03_test

import data.meshaudit.lib
import data.meshaudit.rules.mesh_03
import data.meshaudit.testlib
import rego.v1

deploy(name, labels, annotations, ports) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "app"},
	"spec": {"template": {
		"metadata": {"labels": labels, "annotations": annotations},
		"spec": {"containers": [{"name": "app", "image": "app:1", "ports": [{"containerPort": p} | some p in ports]}]},
	}},
}

dres(name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "app", "name": name}

# The talk's alb-api: includeInboundPorts "15090,6969" with container port 6969.
test_talk_include_list_covering_ports_passes if {
	d := deploy(
		"alb-api", {"app": "alb-api"}, {
			"prometheus.io/scrape": "true",
			"prometheus.io/port": "6969",
			"traffic.sidecar.istio.io/includeInboundPorts": "15090,6969",
		},
		[6969],
	)
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_talk_spaces_in_list_pass if {
	d := deploy("alb-api", {}, {"traffic.sidecar.istio.io/includeInboundPorts": "15090, 6969"}, [6969])
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_include_list_omitting_ports_fails if {
	d := deploy("alb-api", {}, {"traffic.sidecar.istio.io/includeInboundPorts": "15090,6969"}, [8443, 6969, 443])
	testlib.strip(mesh_03.deny) == {{
		"msg": "traffic.sidecar.istio.io/includeInboundPorts \"15090,6969\" leaves container port(s) 443, 8443 out of inbound capture, so their traffic bypasses the sidecar (no mTLS, no authorization); add them to the list or remove the annotation (default \"*\")",
		"resource": dres("alb-api"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_empty_include_disables_capture if {
	d := deploy("prometheus", {}, {"traffic.sidecar.istio.io/includeInboundPorts": ""}, [9090])
	testlib.strip(mesh_03.deny) == {{
		"msg": "traffic.sidecar.istio.io/includeInboundPorts \"\" leaves container port(s) 9090 out of inbound capture, so their traffic bypasses the sidecar (no mTLS, no authorization); add them to the list or remove the annotation (default \"*\")",
		"resource": dres("prometheus"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_wildcard_include_passes if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/includeInboundPorts": "*"}, [8080])
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_exclude_fails if {
	d := deploy("db-proxy", {}, {"traffic.sidecar.istio.io/excludeInboundPorts": "5432,15020,9000"}, [5432])
	testlib.strip(mesh_03.deny) == {{
		"msg": "traffic.sidecar.istio.io/excludeInboundPorts \"5432,15020,9000\" lets inbound traffic to port(s) 5432, 9000 bypass the sidecar (no mTLS, no authorization); remove the annotation or list the port in allowed_inbound_bypass_ports with an approved exception",
		"resource": dres("db-proxy"),
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

# What the injector writes on live pods with Istio CNI: only the status port.
test_exclude_of_istio_ports_only_passes if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/excludeInboundPorts": "15020", "traffic.sidecar.istio.io/includeInboundPorts": "*"}, [8080])
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_exclude_allowlisted_passes if {
	d := deploy("db-proxy", {}, {"traffic.sidecar.istio.io/excludeInboundPorts": "5432"}, [5432])
	p := object.union(lib.params, {"allowed_inbound_bypass_ports": [5432]})
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
		with data.meshaudit.params as p
}

test_include_omission_allowlisted_passes if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/includeInboundPorts": "8080"}, [8080, 9000])
	p := object.union(lib.params, {"allowed_inbound_bypass_ports": [9000]})
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
		with data.meshaudit.params as p
}

# istio-iptables applies the exclusion list only when the inclusion list is "*".
test_exclude_ignored_with_explicit_include if {
	d := deploy(
		"web", {}, {
			"traffic.sidecar.istio.io/includeInboundPorts": "8080",
			"traffic.sidecar.istio.io/excludeInboundPorts": "8080",
		},
		[8080],
	)
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_not_meshed_workload_ignored if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/excludeInboundPorts": "8080"}, [8080])
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [d]})
}

test_opted_out_workload_ignored if {
	d := deploy("web", {"sidecar.istio.io/inject": "false"}, {"traffic.sidecar.istio.io/excludeInboundPorts": "8080"}, [8080])
	count(mesh_03.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_label_opt_in_unlabelled_namespace_judged if {
	d := deploy("web", {"sidecar.istio.io/inject": "true"}, {"traffic.sidecar.istio.io/excludeInboundPorts": "8080"}, [8080])
	count(mesh_03.deny) == 1 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [d]})
}

# No Namespace object: the implied namespace is not enrolled
# (docs/verdicts.md), so the workload has no sidecar to bypass: not judged.
test_implied_namespace_not_enrolled_not_judged if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/excludeInboundPorts": "8080"}, [8080])
	count(mesh_03.deny) == 0 with input as testlib.inp({"Deployment": [d]})
	count(mesh_03.judged) == 0 with input as testlib.inp({"Deployment": [d]})
}

# ... unless params.namespace_labels enrols it.
test_implied_namespace_enrolled_by_params_judged if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/excludeInboundPorts": "8080"}, [8080])
	mesh_03.deny == {{
		"msg": "traffic.sidecar.istio.io/excludeInboundPorts \"8080\" lets inbound traffic to port(s) 8080 bypass the sidecar (no mTLS, no authorization); remove the annotation or list the port in allowed_inbound_bypass_ports with an approved exception",
		"resource": dres("web"),
		"evidence": [{"path": "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/excludeInboundPorts\"]", "value": "8080"}],
	}} with input as testlib.inp({"Deployment": [d]}) with data.meshaudit.params.namespace_labels as {"app": {"istio-injection": "enabled"}}
	mesh_03.judged == {dres("web")} with input as testlib.inp({"Deployment": [d]}) with data.meshaudit.params.namespace_labels as {"app": {"istio-injection": "enabled"}}
}

test_live_injected_pod_judged if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "web-1", "namespace": "app", "annotations": {
			"sidecar.istio.io/status": "{}",
			"traffic.sidecar.istio.io/excludeInboundPorts": "8080,15020",
			"traffic.sidecar.istio.io/includeInboundPorts": "*",
		}},
		"spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080}]}, {"name": "istio-proxy", "ports": [{"containerPort": 15090}]}]},
	}
	testlib.strip(mesh_03.deny) == {{
		"msg": "traffic.sidecar.istio.io/excludeInboundPorts \"8080,15020\" lets inbound traffic to port(s) 8080 bypass the sidecar (no mTLS, no authorization); remove the annotation or list the port in allowed_inbound_bypass_ports with an approved exception",
		"resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "app", "name": "web-1"},
	}} with input as {"cluster": "c1", "source": "cluster", "objects": {"Namespace": [testlib.namespace("app", {})], "Pod": [p]}}
}

test_nothing_judged_says_why if {
	d := deploy("web", {}, {}, [8080])
	mesh_03.not_applicable == {"no workload with a sidecar in the input (a namespace implied by its objects is not enrolled unless params.namespace_labels says so)"} with input as testlib.inp({"Deployment": [d]})
	count(mesh_03.not_applicable) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}
