package meshaudit.rules.mesh_08_test

import data.meshaudit.rules.mesh_08
import data.meshaudit.testlib
import rego.v1

job(labels, annotations, containers) := {
	"apiVersion": "batch/v1",
	"kind": "Job",
	"metadata": {"name": "alert-conf", "namespace": "app"},
	"spec": {"template": {
		"metadata": {"labels": labels, "annotations": annotations},
		"spec": {"restartPolicy": "Never", "containers": containers},
	}},
}

cronjob(annotations, containers) := {
	"apiVersion": "batch/v1",
	"kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "app"},
	"spec": {"jobTemplate": {"spec": {"template": {
		"metadata": {"annotations": annotations},
		"spec": {"restartPolicy": "Never", "containers": containers},
	}}}},
}

jres := {"apiVersion": "batch/v1", "kind": "Job", "namespace": "app", "name": "alert-conf"}

plain := [{"name": "job", "image": "job:1", "command": ["/alert-conf"]}]

# The talk's documented hack.
talk_script := concat("\n", [
	"until curl -fsI http://localhost:15021/healthz/ready; do echo \"Waiting for Istio Proxy Sidecar...\"; sleep 3; done;",
	"/alert-conf;",
	"x=$(echo $?); curl -fsI -X POST http://localhost:15020/quitquitquit && exit $x",
])

quitting := [{"name": "job", "image": "job:1", "command": ["/bin/sh", "-c"], "args": ["/alert-conf; curl -fsI -X POST http://localhost:15020/quitquitquit"]}]

hold_json := {"proxy.istio.io/config": "{ \"holdApplicationUntilProxyStarts\": true }"}

# mesh config with Istio's defaults: the mesh default of
# holdApplicationUntilProxyStarts (false) is known.
mesh_cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "defaultConfig: {}\n"}}

deny_for(w) := testlib.strip(x) if {
	x := mesh_08.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ConfigMap": [mesh_cm], w.kind: [w]})
}

test_plain_job_fails_naming_both if {
	deny_for(job({}, {}, plain)) == {{
		"msg": "no native sidecar and no holdApplicationUntilProxyStarts and no container calls /quitquitquit: the job can start before its proxy is ready and the proxy keeps the pod running after the work is done; set sidecar.istio.io/nativeSidecar: \"true\" (or holdApplicationUntilProxyStarts plus a /quitquitquit call)",
		"resource": jres,
	}}
}

# The talk: hold annotation alone keeps the job running forever.
test_hold_without_quit_fails if {
	deny_for(job({}, hold_json, plain)) == {{
		"msg": "no native sidecar and no /quitquitquit call in any container: the proxy keeps the pod running after the job's work is done; set sidecar.istio.io/nativeSidecar: \"true\" (or holdApplicationUntilProxyStarts plus a /quitquitquit call)",
		"resource": jres,
	}}
}

test_quit_without_hold_fails if {
	deny_for(job({}, {}, quitting)) == {{
		"msg": "no native sidecar and no holdApplicationUntilProxyStarts: the job's containers can start before the proxy is ready; set sidecar.istio.io/nativeSidecar: \"true\" (or holdApplicationUntilProxyStarts plus a /quitquitquit call)",
		"resource": jres,
	}}
}

test_hold_json_and_quit_pass if {
	count(deny_for(job({}, hold_json, quitting))) == 0
}

test_hold_yaml_and_quit_pass if {
	count(deny_for(job({}, {"proxy.istio.io/config": "holdApplicationUntilProxyStarts: true\n"}, quitting))) == 0
}

test_hold_false_fails if {
	d := deploy_deny(job({}, {"proxy.istio.io/config": "{\"holdApplicationUntilProxyStarts\": false}"}, quitting))
	some f in d
	contains(f.msg, "no holdApplicationUntilProxyStarts")
}

deploy_deny(w) := deny_for(w)

test_invalid_proxy_config_does_not_error if {
	count(deny_for(job({}, {"proxy.istio.io/config": "{not yaml: ["}, quitting))) == 1
}

test_talk_hack_passes if {
	c := [{"name": "job", "image": "job:1", "command": ["/bin/sh", "-c", talk_script]}]
	count(deny_for(job({}, hold_json, c))) == 0
}

test_talk_readiness_wait_counts_as_hold if {
	c := [{"name": "job", "image": "job:1", "command": ["/bin/sh", "-c", talk_script]}]
	count(deny_for(job({}, {}, c))) == 0
}

test_mesh_default_hold_with_quit_passes if {
	cm := {
		"apiVersion": "v1",
		"kind": "ConfigMap",
		"metadata": {"name": "istio", "namespace": "istio-system"},
		"data": {"mesh": "defaultConfig:\n  holdApplicationUntilProxyStarts: true\n"},
	}
	count(mesh_08.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({}, {}, quitting)], "ConfigMap": [cm]})
}

test_native_annotation_passes if {
	count(deny_for(job({}, {"sidecar.istio.io/nativeSidecar": "true"}, plain))) == 0
}

test_native_init_container_passes if {
	w := json.patch(job({}, {}, plain), [{"op": "add", "path": "/spec/template/spec/initContainers", "value": [{"name": "istio-proxy", "image": "auto", "restartPolicy": "Always"}]}])
	count(deny_for(w)) == 0
}

test_istiod_native_env_passes if {
	istiod := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
		"spec": {"template": {"spec": {"containers": [{"name": "discovery", "env": [{"name": "ENABLE_NATIVE_SIDECARS", "value": "true"}]}]}}},
	}
	count(mesh_08.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({}, {}, plain)], "Deployment": [istiod]})
	count(mesh_08.deny) == 1 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({}, {"sidecar.istio.io/nativeSidecar": "false"}, plain)], "Deployment": [istiod]})
}

test_opt_out_workaround_fails if {
	deny_for(job({"sidecar.istio.io/inject": "false"}, {}, plain)) == {{
		"msg": "sidecar.istio.io/inject label \"false\" keeps the Job out of the mesh as a sidecar-lifecycle workaround; use native sidecars instead",
		"resource": jres,
	}}
}

test_opt_out_by_annotation_fails if {
	some f in deny_for(job({}, {"sidecar.istio.io/inject": "false"}, plain))
	f.msg == "sidecar.istio.io/inject annotation \"false\" keeps the Job out of the mesh as a sidecar-lifecycle workaround; use native sidecars instead"
}

test_label_true_wins_over_annotation_false if {
	d := deny_for(job({"sidecar.istio.io/inject": "true"}, {"sidecar.istio.io/inject": "false"}, plain))
	count(d) == 1
	some f in d
	startswith(f.msg, "no native sidecar")
}

test_opt_out_in_unenrolled_namespace_not_reported if {
	count(mesh_08.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Job": [job({"sidecar.istio.io/inject": "false"}, {}, plain)]})
}

test_unenrolled_namespace_not_judged if {
	count(mesh_08.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Job": [job({}, {}, plain)]})
}

test_label_opt_in_in_unenrolled_namespace_judged if {
	count(mesh_08.deny) == 1 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Job": [job({"sidecar.istio.io/inject": "true"}, {}, plain)]})
}

# Without the mesh config the mesh default of holdApplicationUntilProxyStarts
# is not known: only the /quitquitquit part is judged.
test_no_mesh_config_judges_quit_only if {
	mesh_08.deny == {{
		"msg": "no native sidecar and no /quitquitquit call in any container: the proxy keeps the pod running after the job's work is done; set sidecar.istio.io/nativeSidecar: \"true\" (or holdApplicationUntilProxyStarts plus a /quitquitquit call)",
		"resource": jres,
		"evidence": [
			{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/nativeSidecar\"]"},
			{"path": "spec.template.spec.containers[*].command, args (a call to /quitquitquit)"},
		],
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({}, {}, plain)]})
	count(mesh_08.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({}, {}, quitting)]})
	count(mesh_08.judged) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({}, {}, quitting)]})
}

test_evidence_with_mesh_config if {
	some f in mesh_08.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ConfigMap": [mesh_cm], "Job": [job({}, {}, plain)]})
	f.evidence == [
		{"path": "spec.template.metadata.annotations[\"sidecar.istio.io/nativeSidecar\"]"},
		{"path": "spec.template.metadata.annotations[\"proxy.istio.io/config\"]"},
		{"path": "spec.template.spec.containers[*].command, args (a call to /quitquitquit)"},
	]
	mesh_08.judged == {jres} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "ConfigMap": [mesh_cm], "Job": [job({}, {}, plain)]})
}

test_opt_out_evidence if {
	some f in mesh_08.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Job": [job({"sidecar.istio.io/inject": "false"}, {}, plain)]})
	f.evidence == [{"path": "spec.template.metadata.labels[\"sidecar.istio.io/inject\"]", "value": "false"}]
}

test_implied_namespace_not_judged if {
	count(mesh_08.deny) == 0 with input as testlib.inp({"Job": [job({}, {}, plain)]})
}

test_ambient_namespace_not_judged if {
	count(mesh_08.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio.io/dataplane-mode": "ambient"})], "Job": [job({}, {}, plain)]})
}

test_cronjob_fails if {
	some f in deny_for(cronjob({}, plain))
	f.resource == {"apiVersion": "batch/v1", "kind": "CronJob", "namespace": "app", "name": "nightly"}
}

test_deployment_not_judged if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "app"},
		"spec": {"template": {"metadata": {}, "spec": {"containers": plain}}},
	}
	count(deny_for(d)) == 0
}

# Live: the CronJob's template is never injected; its pods show the native
# sidecar.
test_live_native_pods_pass if {
	j := {
		"apiVersion": "batch/v1",
		"kind": "Job",
		"metadata": {"name": "nightly-28001", "namespace": "app", "ownerReferences": [{"kind": "CronJob", "name": "nightly", "controller": true}]},
		"spec": {"template": {"metadata": {}, "spec": {"containers": plain}}},
	}
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "nightly-28001-x", "namespace": "app", "annotations": {"sidecar.istio.io/status": "{}"}, "ownerReferences": [{"kind": "Job", "name": "nightly-28001", "controller": true}]},
		"spec": {"initContainers": [{"name": "istio-proxy", "restartPolicy": "Always"}], "containers": plain},
	}
	objs := {"Namespace": [testlib.enrolled("app")], "CronJob": [cronjob({}, plain)], "Job": [j], "Pod": [p]}
	count(mesh_08.deny) == 0 with input as {"cluster": "c1", "source": "cluster", "objects": objs}
	count(mesh_08.deny) == 1 with input as {"cluster": "c1", "source": "manifests", "objects": objs}
}
