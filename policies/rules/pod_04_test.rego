package meshaudit.rules.pod_04_test

import data.meshaudit.lib
import data.meshaudit.rules.pod_04
import data.meshaudit.testlib
import rego.v1

deploy(ns, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

run(spec) := testlib.strip(d) if {
	d := pod_04.deny with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

baseline := object.union(lib.params, {"pod_security_level": "baseline"})

run_baseline(spec) := testlib.strip(d) if {
	d := pod_04.deny with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
		with data.meshaudit.params as baseline
}

c(name, caps) := {"name": name, "image": "r/app:1", "securityContext": {"capabilities": caps}}

test_drop_all_passes if {
	count(run({"containers": [c("app", {"drop": ["ALL"]})]})) == 0
}

test_drop_all_add_net_bind_passes if {
	count(run({"containers": [c("app", {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})]})) == 0
}

test_nothing_set_fails_restricted if {
	run({"containers": [{"name": "app", "image": "r/app:1"}]}) == {{
		"msg": "container \"app\": capabilities.drop does not include ALL (drop: none); drop ALL and add back at most NET_BIND_SERVICE",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_restricted_extra_add_and_partial_drop if {
	run({"initContainers": [c("setup", {"drop": ["NET_RAW"], "add": ["SYS_TIME", "CHOWN"]})], "containers": [c("app", {"drop": ["ALL"]})]}) == {{
		"msg": "init container \"setup\": capabilities.drop does not include ALL (drop: NET_RAW) and adds CHOWN, SYS_TIME (restricted allows adding only NET_BIND_SERVICE); drop ALL and add back at most NET_BIND_SERVICE",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

# Pod Security admission compares names exactly.
test_lowercase_all_not_accepted if {
	count(run({"containers": [c("app", {"drop": ["all"]})]})) == 1
}

test_baseline_allows_list_without_drop if {
	count(run_baseline({"containers": [c("app", {"add": ["CHOWN", "SETUID", "NET_BIND_SERVICE"]}), {"name": "b", "image": "r/b:1"}]})) == 0
}

test_baseline_rejects_net_admin if {
	run_baseline({"containers": [c("app", {"add": ["NET_ADMIN", "SYS_ADMIN", "CHOWN"]})]}) == {{
		"msg": "container \"app\": adds NET_ADMIN, SYS_ADMIN, outside the Pod Security baseline list; add only capabilities of the baseline list",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_baseline_cap_prefix_not_in_list if {
	count(run_baseline({"containers": [c("app", {"add": ["CAP_CHOWN"]})]})) == 1
}

test_ephemeral_container_judged if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "shop"},
		"spec": {
			"containers": [c("app", {"drop": ["ALL"]})],
			"ephemeralContainers": [c("debugger", {"add": ["SYS_PTRACE"]})],
		},
	}
	some f in pod_04.deny with input as testlib.inp({"Pod": [p]})
	startswith(f.msg, "ephemeral container \"debugger\": ")
}

# Injected istio-init/istio-proxy are Istio's own.
test_injected_istio_containers_ignored if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {
			"initContainers": [c("istio-init", {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]})],
			"containers": [c("app", {"drop": ["ALL"]}), {"name": "istio-proxy", "image": "proxyv2"}],
		},
	}
	count(pod_04.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

# Not injected: a container named istio-init is just a container.
test_uninjected_istio_named_container_judged if {
	count(run({"initContainers": [c("istio-init", {"add": ["NET_ADMIN"], "drop": ["ALL"]})], "containers": [c("app", {"drop": ["ALL"]})]})) == 1
}

test_istio_node_agents_ignored if {
	ds := {
		"apiVersion": "apps/v1",
		"kind": "DaemonSet",
		"metadata": {"name": "ztunnel", "namespace": "istio-system"},
		"spec": {"template": {"metadata": {"labels": {"app": "ztunnel"}}, "spec": {"containers": [c("istio-proxy", {"add": ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"], "drop": ["ALL"]})]}}},
	}
	count(pod_04.deny) == 0 with input as testlib.inp({"DaemonSet": [ds]})
}

test_windows_pod_ignored if {
	count(run({"os": {"name": "windows"}, "containers": [{"name": "app", "image": "r/app:1"}]})) == 0
}

test_excluded_namespace_ignored if {
	count(pod_04.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", {"containers": [{"name": "app"}]})]})
}

test_null_security_context if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "shop"},
		"spec": {"template": {"spec": {"containers": [{"name": "app", "securityContext": null}]}}},
	}
	count(pod_04.deny) == 1 with input as testlib.inp({"Deployment": [d]})
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("shop", {"containers": [{"name": "app"}]}), {"spec": {"template": {"metadata": null}}})
	testlib.strip(pod_04.deny) == {{
		"msg": "container \"app\": capabilities.drop does not include ALL (drop: none); drop ALL and add back at most NET_BIND_SERVICE",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}

# One finding per workload, every container listed, with the capability
# lists that decided it as evidence.
test_one_finding_per_workload_with_evidence if {
	spec := {
		"initContainers": [c("setup", {"drop": ["NET_RAW"]})],
		"containers": [c("app", {"drop": ["ALL"], "add": ["SYS_ADMIN"]}), {"name": "ok", "image": "r/ok:1", "securityContext": {"capabilities": {"drop": ["ALL"]}}}],
	}
	pod_04.deny == {{
		"msg": "init container \"setup\": capabilities.drop does not include ALL (drop: NET_RAW); container \"app\": adds SYS_ADMIN (restricted allows adding only NET_BIND_SERVICE); drop ALL and add back at most NET_BIND_SERVICE",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.spec.initContainers[0].securityContext.capabilities.drop", "value": ["NET_RAW"]},
			{"path": "spec.template.spec.containers[0].securityContext.capabilities.add", "value": ["SYS_ADMIN"]},
		],
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
	pod_04.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

test_absent_drop_evidence_has_no_value if {
	some f in pod_04.deny with input as testlib.inp({"Deployment": [deploy("shop", {"containers": [{"name": "app", "image": "r/app:1"}]})]})
	f.evidence == [{"path": "spec.template.spec.containers[0].securityContext.capabilities.drop"}]
}

test_windows_and_node_agents_not_judged if {
	count(pod_04.judged) == 0 with input as testlib.inp({"Deployment": [deploy("shop", {"os": {"name": "windows"}, "containers": [{"name": "app"}]})]})
}
