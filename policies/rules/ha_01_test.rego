package meshaudit.rules.ha_01_test

import data.meshaudit.rules.ha_01
import data.meshaudit.testlib
import rego.v1

workload(kind, spec) := {
	"apiVersion": "apps/v1",
	"kind": kind,
	"metadata": {"name": "web", "namespace": "shop"},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

res(kind) := {"apiVersion": "apps/v1", "kind": kind, "namespace": "shop", "name": "web"}

run(kind, spec) := testlib.strip(d) if {
	d := ha_01.deny with input as testlib.inp({kind: [workload(kind, spec)]})
}

ready := {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5}

live := {"tcpSocket": {"port": 8080}, "periodSeconds": 10}

probed(name) := {"name": name, "image": "registry.example.com/app:1.0", "readinessProbe": ready, "livenessProbe": live}

bare(name) := {"name": name, "image": "registry.example.com/app:1.0"}

test_probed_containers_pass if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
		count(run(kind, {"containers": [probed("app")]})) == 0
	}
}

test_missing_both_fires_for_every_long_running_kind if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"] {
		run(kind, {"containers": [bare("app")]}) == {{
			"msg": "container \"app\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
			"resource": res(kind),
		}}
	}
}

test_names_the_missing_probe if {
	spec := {"containers": [
		object.remove(probed("api"), ["livenessProbe"]),
		object.remove(probed("worker"), ["readinessProbe"]),
		probed("ok"),
	]}
	run("Deployment", spec) == {{"msg": "container \"api\" has no livenessProbe; add livenessProbe (and a startupProbe where it starts slowly); container \"worker\" has no readinessProbe; add readinessProbe (and a startupProbe where it starts slowly)", "resource": res("Deployment")}}
}

# A probe without a handler (or null) probes nothing.
test_probe_without_handler_is_missing if {
	c := object.union(bare("app"), {"readinessProbe": {"periodSeconds": 5}, "livenessProbe": null})
	run("Deployment", {"containers": [c]}) == {{
		"msg": "container \"app\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
		"resource": res("Deployment"),
	}}
}

test_exec_and_grpc_handlers_count if {
	c := object.union(bare("app"), {"readinessProbe": {"grpc": {"port": 9090}}, "livenessProbe": {"exec": {"command": ["true"]}}})
	count(run("Deployment", {"containers": [c]})) == 0
}

# Ordinary init containers run to completion and cannot have these probes;
# native sidecars (restartPolicy: Always) run for the pod's life and can.
test_init_containers if {
	spec := {
		"initContainers": [
			bare("migrate"),
			object.union(bare("log-shipper"), {"restartPolicy": "Always", "readinessProbe": ready}),
			object.union(probed("proxy"), {"restartPolicy": "Always"}),
		],
		"containers": [probed("app")],
	}
	run("Deployment", spec) == {{
		"msg": "sidecar init container \"log-shipper\" has no livenessProbe; add livenessProbe (and a startupProbe where it starts slowly)",
		"resource": res("Deployment"),
	}}
}

test_ephemeral_containers_ignored if {
	spec := {"containers": [probed("app")], "ephemeralContainers": [bare("debugger")]}
	count(run("Deployment", spec)) == 0
}

test_jobs_and_cronjobs_not_judged if {
	job := {
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": {"name": "migrate", "namespace": "shop"},
		"spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [bare("migrate")]}}},
	}
	cj := {
		"apiVersion": "batch/v1", "kind": "CronJob",
		"metadata": {"name": "nightly", "namespace": "shop"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [bare("report")]}}}}},
	}
	count(ha_01.deny) == 0 with input as testlib.inp({"Job": [job], "CronJob": [cj]})
}

pod(meta, spec) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": object.union({"name": "web-abc", "namespace": "shop"}, meta),
	"spec": spec,
}

pod_res := {"apiVersion": "v1", "kind": "Pod", "namespace": "shop", "name": "web-abc"}

test_bare_pod_fires if {
	testlib.strip(ha_01.deny) == {{
		"msg": "container \"app\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
		"resource": pod_res,
	}} with input as testlib.inp({"Pod": [pod({}, {"containers": [bare("app")]})]})
}

test_run_to_completion_pods_not_judged if {
	never := pod({}, {"restartPolicy": "Never", "containers": [bare("app")]})
	job_pod := pod(
		{"ownerReferences": [{"kind": "Job", "name": "migrate-123", "controller": true}]},
		{"containers": [bare("app")]},
	)
	count(ha_01.deny) == 0 with input as testlib.inp({"Pod": [never, job_pod]})
}

test_istio_containers_on_injected_pod_ignored if {
	p := pod(
		{"annotations": {"sidecar.istio.io/status": "{}"}},
		{
			"initContainers": [
				bare("istio-init"),
				object.union(bare("istio-proxy"), {"restartPolicy": "Always", "image": "docker.io/istio/proxyv2:1.24.0"}),
			],
			"containers": [probed("app")],
		},
	)
	count(ha_01.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

test_gateway_auto_image_ignored if {
	count(run("Deployment", {"containers": [{"name": "istio-proxy", "image": "auto"}]})) == 0
}

test_istio_named_container_on_non_injected_pod_fires if {
	spec := {"containers": [probed("app"), bare("istio-proxy")]}
	run("Deployment", spec) == {{
		"msg": "container \"istio-proxy\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
		"resource": res("Deployment"),
	}}
}

test_owned_replicaset_and_pod_not_double_reported if {
	spec := {"containers": [bare("app")]}
	rs := {
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": {"name": "web-5d8", "namespace": "shop", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
		"spec": {"template": {"spec": spec}},
	}
	p := pod({"ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d8", "controller": true}]}, spec)
	testlib.strip(ha_01.deny) == {{
		"msg": "container \"app\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
		"resource": res("Deployment"),
	}} with input as testlib.inp({"Deployment": [workload("Deployment", spec)], "ReplicaSet": [rs], "Pod": [p]})
}

test_excluded_namespace_ignored if {
	d := object.union(workload("Deployment", {"containers": [bare("app")]}), {"metadata": {"namespace": "kube-system"}})
	count(ha_01.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}

# A template with `metadata: null` is judged: lib.workloads reads a null
# field as absent, as the collectors do.
test_template_with_null_metadata_still_checked if {
	d := object.union(workload("Deployment", {"containers": [bare("app")]}), {"spec": {"template": {"metadata": null}}})
	testlib.strip(ha_01.deny) == {{
		"msg": "container \"app\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
		"resource": res("Deployment"),
	}} with input as testlib.inp({"Deployment": [d]})
}

# One finding per workload with the absent probe fields as evidence (and
# the value of a probe set without a handler).
test_evidence if {
	c := object.union(bare("api"), {"readinessProbe": {"periodSeconds": 5}})
	d := ha_01.deny with input as testlib.inp({"Deployment": [workload("Deployment", {"containers": [probed("ok"), c]})]})
	d == {{
		"msg": "container \"api\" has no readinessProbe and no livenessProbe; add readinessProbe and livenessProbe (and a startupProbe where it starts slowly)",
		"resource": res("Deployment"),
		"evidence": [
			{"path": "spec.template.spec.containers[1].readinessProbe", "value": {"periodSeconds": 5}},
			{"path": "spec.template.spec.containers[1].livenessProbe"},
		],
	}}
}

test_judged if {
	j := ha_01.judged with input as testlib.inp({"Deployment": [workload("Deployment", {"containers": [probed("ok")]})]})
	j == {res("Deployment")}
	j2 := ha_01.judged with input as testlib.inp({"Job": [workload("Job", {"containers": [bare("x")]})]})
	count(j2) == 0
	na := ha_01.not_applicable with input as testlib.inp({"Job": [workload("Job", {"containers": [bare("x")]})]})
	count(na) == 1
	na2 := ha_01.not_applicable with input as testlib.inp({"Deployment": [workload("Deployment", {"containers": [probed("ok")]})]})
	count(na2) == 0
}
