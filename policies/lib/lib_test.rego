package meshaudit.lib_test

import data.meshaudit.lib
import data.meshaudit.testlib
import rego.v1

# ---- builders ----------------------------------------------------------------

pa(ns, name, mode, ts) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "PeerAuthentication",
	"metadata": {"name": name, "namespace": ns, "creationTimestamp": ts},
	"spec": {"mtls": {"mode": mode}},
}

pa_sel(ns, name, mode, ts, sel) := object.union(pa(ns, name, mode, ts), {"spec": {"selector": {"matchLabels": sel}}})

# A workload entry as lib.workloads builds it.
wl(ns, lbls) := {"namespace": ns, "labels": lbls, "annotations": {}, "spec": {}}

web := wl("app", {"app": "web"})

mode(w, port, pas) := m if {
	m := lib.effective_mode(w, port) with input as testlib.live({"PeerAuthentication": pas})
}

# ---- EffMode -----------------------------------------------------------------

test_no_policy_is_default_permissive if {
	mode(web, 8080, []) == ["PERMISSIVE", null]
}

test_mesh_policy_applies if {
	mode(web, 8080, [pa("istio-system", "default", "STRICT", "")]) == ["STRICT", testlib.peer_auth_ref("istio-system", "default")]
}

test_namespace_beats_mesh if {
	mode(web, 8080, [
		pa("istio-system", "default", "STRICT", ""),
		pa("app", "ns", "PERMISSIVE", ""),
	]) == ["PERMISSIVE", testlib.peer_auth_ref("app", "ns")]
}

test_workload_beats_namespace if {
	mode(web, 8080, [
		pa("istio-system", "default", "PERMISSIVE", ""),
		pa("app", "ns", "PERMISSIVE", ""),
		pa_sel("app", "wl", "STRICT", "", {"app": "web"}),
	]) == ["STRICT", testlib.peer_auth_ref("app", "wl")]
}

test_workload_selector_must_match if {
	mode(web, 8080, [
		pa("app", "ns", "DISABLE", ""),
		pa_sel("app", "other", "STRICT", "", {"app": "other"}),
		pa_sel("other-ns", "same-labels", "STRICT", "", {"app": "web"}),
	]) == ["DISABLE", testlib.peer_auth_ref("app", "ns")]
}

test_unset_falls_through if {
	mode(web, 8080, [
		pa("istio-system", "default", "STRICT", ""),
		pa("app", "ns", "UNSET", ""),
		pa_sel("app", "wl", "UNSET", "", {"app": "web"}),
	]) == ["STRICT", testlib.peer_auth_ref("istio-system", "default")]

	# a policy without mtls at all is UNSET too
	no_mtls := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "ns", "namespace": "app"}, "spec": {}}
	mode(web, 8080, [pa("istio-system", "default", "DISABLE", ""), no_mtls]) == ["DISABLE", testlib.peer_auth_ref("istio-system", "default")]

	# everything UNSET: Istio's default
	mode(web, 8080, [pa("istio-system", "default", "UNSET", "")]) == ["PERMISSIVE", null]
}

test_oldest_wins_at_every_level if {
	old := "2024-01-01T00:00:00Z"
	new := "2024-06-01T00:00:00Z"
	mode(web, 8080, [
		pa("istio-system", "a-new", "STRICT", new),
		pa("istio-system", "z-old", "DISABLE", old),
	]) == ["DISABLE", testlib.peer_auth_ref("istio-system", "z-old")]
	mode(web, 8080, [
		pa("app", "a-new", "STRICT", new),
		pa("app", "z-old", "PERMISSIVE", old),
	]) == ["PERMISSIVE", testlib.peer_auth_ref("app", "z-old")]
	mode(web, 8080, [
		pa_sel("app", "a-new", "STRICT", new, {"app": "web"}),
		pa_sel("app", "z-old", "DISABLE", old, {}),
		pa_sel("app", "y-old", "DISABLE", old, {"app": "web"}),
	]) == ["DISABLE", testlib.peer_auth_ref("app", "y-old")]
}

test_equal_timestamps_pick_by_name if {
	lib.mesh_pa.metadata.name == "a" with input as testlib.live({"PeerAuthentication": [
		pa("istio-system", "b", "STRICT", ""),
		pa("istio-system", "a", "STRICT", ""),
	]})
}

test_identical_keys_do_not_conflict if {
	p1 := pa("app", "dup", "STRICT", "")
	p2 := pa("app", "dup", "PERMISSIVE", "")
	[m, _] := mode(web, 8080, [p1, p2])
	m in {"STRICT", "PERMISSIVE"}
}

# Istio ignores PeerAuthentications with a selector in the root namespace
# (pilot ComposePeerAuthentication; PeerAuthentication reference): they apply
# to no workload, not even those of the root namespace.
test_root_selector_policy_is_ignored if {
	root_wl := wl("istio-system", {"app": "gw"})
	pas := [
		pa("istio-system", "default", "PERMISSIVE", ""),
		pa_sel("istio-system", "gw", "STRICT", "", {"app": "gw"}),
		pa_sel("istio-system", "web", "STRICT", "", {"app": "web"}),
	]
	mode(root_wl, 8080, pas) == ["PERMISSIVE", testlib.peer_auth_ref("istio-system", "default")]
	mode(web, 8080, pas) == ["PERMISSIVE", testlib.peer_auth_ref("istio-system", "default")]
	count(lib.mesh_pas) == 1 with input as testlib.live({"PeerAuthentication": pas})
}

test_empty_selector_is_namespace_wide if {
	mode(web, 8080, [pa_sel("app", "ns", "DISABLE", "", {})]) == ["DISABLE", testlib.peer_auth_ref("app", "ns")]
	count(lib.mesh_pas) == 1 with input as testlib.live({"PeerAuthentication": [pa_sel("istio-system", "m", "STRICT", "", {})]})
}

port_pa := object.union(pa_sel("app", "wl", "STRICT", "", {"app": "web"}), {"spec": {"portLevelMtls": {
	"9090": {"mode": "PERMISSIVE"},
	"9091": {"mode": "UNSET"},
}}})

test_port_level_overrides_per_port if {
	mode(web, 9090, [port_pa]) == ["PERMISSIVE", testlib.peer_auth_ref("app", "wl")]
	mode(web, 8080, [port_pa]) == ["STRICT", testlib.peer_auth_ref("app", "wl")]
	lib.workload_mode(web) == ["STRICT", testlib.peer_auth_ref("app", "wl")] with input as testlib.live({"PeerAuthentication": [port_pa]})
}

test_port_level_unset_inherits_workload_mode if {
	mode(web, 9091, [port_pa]) == ["STRICT", testlib.peer_auth_ref("app", "wl")]

	# workload mode UNSET: the port inherits the namespace mode
	p := object.union(port_pa, {"spec": {"mtls": {"mode": "UNSET"}}})
	mode(web, 9091, [pa("app", "ns", "DISABLE", ""), p]) == ["DISABLE", testlib.peer_auth_ref("app", "ns")]
}

test_port_level_ignored_without_selector if {
	p := object.union(pa("app", "ns", "STRICT", ""), {"spec": {"portLevelMtls": {"9090": {"mode": "DISABLE"}}}})
	mode(web, 9090, [p]) == ["STRICT", testlib.peer_auth_ref("app", "ns")]
}

# ---- workloads ----------------------------------------------------------------

deploy := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "web", "namespace": "app"},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app"}]}}},
}

rs := {
	"apiVersion": "apps/v1", "kind": "ReplicaSet",
	"metadata": {"name": "web-7d", "namespace": "app", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
	"spec": deploy.spec,
}

pod := {
	"apiVersion": "v1", "kind": "Pod",
	"metadata": {"name": "web-7d-x", "namespace": "app", "labels": {"app": "web"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d", "controller": true}]},
	"spec": {"containers": [{"name": "app"}]},
}

names(objs) := ns if {
	ws := lib.workloads with input as testlib.live(objs)
	ns := {[w.kind, w.resource.name] | some w in ws}
}

test_owned_objects_dropped_when_owner_present if {
	names({"Deployment": [deploy], "ReplicaSet": [rs], "Pod": [pod]}) == {["Deployment", "web"]}
}

test_owned_objects_kept_when_owner_absent if {
	names({"Pod": [pod]}) == {["Pod", "web-7d-x"]}
	names({"ReplicaSet": [rs], "Pod": [pod]}) == {["ReplicaSet", "web-7d"]}
	names({"Deployment": [deploy], "Pod": [pod]}) == {["Deployment", "web"], ["Pod", "web-7d-x"]}
}

test_owner_in_other_namespace_or_not_controller_kept if {
	elsewhere := object.union(deploy, {"metadata": {"namespace": "other"}})
	names({"Deployment": [elsewhere], "ReplicaSet": [rs]}) == {["Deployment", "web"], ["ReplicaSet", "web-7d"]}
	loose := object.union(rs, {"metadata": {"ownerReferences": [{"kind": "Deployment", "name": "web"}]}})
	names({"Deployment": [deploy], "ReplicaSet": [loose]}) == {["Deployment", "web"], ["ReplicaSet", "web-7d"]}
}

cronjob := {
	"apiVersion": "batch/v1", "kind": "CronJob",
	"metadata": {"name": "nightly", "namespace": "app"},
	"spec": {"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": {
		"metadata": {"labels": {"job": "nightly"}, "annotations": {"a": "b"}},
		"spec": {"restartPolicy": "Never", "containers": [{"name": "run", "image": "x"}]},
	}}}},
}

test_cronjob_template_extracted if {
	ws := lib.workloads with input as testlib.live({"CronJob": [cronjob]})
	count(ws) == 1
	some w in ws
	w.kind == "CronJob"
	w.namespace == "app"
	w.labels == {"job": "nightly"}
	w.annotations == {"a": "b"}
	w.spec.containers[0].name == "run"
	w.resource == {"apiVersion": "batch/v1", "kind": "CronJob", "namespace": "app", "name": "nightly"}
}

test_job_owned_by_cronjob_dropped if {
	job := {
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": {"name": "nightly-1", "namespace": "app", "ownerReferences": [{"kind": "CronJob", "name": "nightly", "controller": true}]},
		"spec": cronjob.spec.jobTemplate.spec,
	}
	names({"CronJob": [cronjob], "Job": [job]}) == {["CronJob", "nightly"]}
}

# ---- containers ---------------------------------------------------------------

injected_pod := {
	"namespace": "app", "labels": {}, "annotations": {"sidecar.istio.io/status": "{\"containers\":[\"istio-proxy\"]}"},
	"spec": {
		"initContainers": [{"name": "istio-init", "image": "proxyv2"}, {"name": "migrate", "image": "app"}],
		"containers": [{"name": "app", "image": "app", "ports": [{"containerPort": 8080}]}, {"name": "istio-proxy", "image": "proxyv2", "ports": [{"containerPort": 15090}]}],
	},
}

test_app_containers_exclude_istio_on_injected_pods if {
	[x.c.name | some x in lib.app_containers(injected_pod)] == ["migrate", "app"]
	count(lib.all_containers(injected_pod)) == 4
	lib.container_ports(injected_pod) == {8080}
}

test_app_containers_keep_istio_names_on_uninjected_pods if {
	w := json.patch(injected_pod, [{"op": "replace", "path": "/annotations", "value": {}}])
	[x.c.name | some x in lib.app_containers(w)] == ["istio-init", "migrate", "app", "istio-proxy"]
}

test_gateway_auto_image_proxy_excluded if {
	w := {"namespace": "gw", "labels": {}, "annotations": {}, "spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}
	lib.app_containers(w) == []
}

# ---- mesh membership ----------------------------------------------------------

nss := [
	testlib.namespace("on", {"istio-injection": "enabled"}),
	testlib.namespace("rev", {"istio.io/rev": "canary"}),
	testlib.namespace("off", {"istio-injection": "disabled"}),
	testlib.namespace("plain", {}),
	testlib.namespace("amb", {"istio.io/dataplane-mode": "ambient"}),
]

pw(ns, lbls, anns) := {"namespace": ns, "labels": lbls, "annotations": anns, "spec": {}}

is_meshed(w) if lib.meshed(w) with input as testlib.live({"Namespace": nss})

inject := "sidecar.istio.io/inject"

test_meshed_by_namespace if {
	is_meshed(pw("on", {}, {}))
	is_meshed(pw("rev", {}, {}))
	is_meshed(pw("amb", {}, {}))
	not is_meshed(pw("plain", {}, {}))
	not is_meshed(pw("off", {}, {}))
}

test_label_wins_over_annotation if {
	# enrolled namespace: label true beats annotation false, label false beats annotation true
	is_meshed(pw("on", {inject: "true"}, {inject: "false"}))
	not is_meshed(pw("on", {inject: "false"}, {inject: "true"}))

	# annotation alone opts out; any non-true value opts out
	not is_meshed(pw("on", {}, {inject: "false"}))
	not is_meshed(pw("on", {}, {inject: "no"}))
	is_meshed(pw("on", {}, {inject: "yes"}))
	lib.inject_setting(pw("on", {inject: "False"}, {inject: "true"})) == "false"
	lib.inject_setting(pw("on", {}, {inject: "TRUE"})) == "true"
}

test_label_opt_in_needs_unlabelled_namespace if {
	is_meshed(pw("plain", {inject: "true"}, {}))
	is_meshed(pw("no-namespace-object", {inject: "true"}, {}))

	# the injector's object selector reads labels only
	not is_meshed(pw("plain", {}, {inject: "true"}))
	not is_meshed(pw("off", {inject: "true"}, {}))
}

test_pod_revision_label if {
	is_meshed(pw("plain", {"istio.io/rev": "canary"}, {}))
	not is_meshed(pw("plain", {"istio.io/rev": "canary", inject: "false"}, {}))
	not is_meshed(pw("off", {"istio.io/rev": "canary"}, {}))
}

test_host_network_never_injected if {
	w := object.union(pw("on", {}, {}), {"spec": {"hostNetwork": true}})
	not is_meshed(w)
}

test_ambient_opt_out if {
	not is_meshed(pw("amb", {"istio.io/dataplane-mode": "none"}, {}))
	is_meshed(pw("plain", {"istio.io/dataplane-mode": "ambient"}, {}))
}

test_live_injected_pod_is_meshed if {
	is_meshed(pw("plain", {}, {"sidecar.istio.io/status": "{}"}))
}

test_gateway_detection if {
	lib.gateway({"labels": {}, "annotations": {}, "spec": {"containers": [{"name": "istio-proxy", "args": ["proxy", "router"]}]}})
	lib.gateway({"labels": {}, "annotations": {"inject.istio.io/templates": "gateway"}, "spec": {}})
	lib.gateway({"labels": {"gateway.networking.k8s.io/gateway-name": "gw"}, "annotations": {}, "spec": {}})
	not lib.gateway({"labels": {}, "annotations": {}, "spec": {"containers": [{"name": "istio-proxy", "args": ["proxy", "sidecar"]}]}})
}

# ---- mesh config and scope ------------------------------------------------------

test_mesh_config_parsed if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "enableAutoMtls: false\nrootNamespace: istio-system\n"}}
	lib.mesh_config == {"enableAutoMtls": false, "rootNamespace": "istio-system"} with input as testlib.live({"ConfigMap": [cm]})
	lib.mesh_config == {} with input as testlib.live({})
}

test_scope if {
	lib.in_scope("app")
	not lib.in_scope("kube-system")
	lib.in_scope("istio-system")
	not lib.app_ns("istio-system")
	lib.app_ns("app")
}

# ---- indexes, owners, selectors, sidecar ----------------------------------------

test_group_indexes_pairs if {
	lib.group([["a", 1], ["b", 2], ["a", 3], ["a", 1]]) == {"a": {1, 3}, "b": {2}}
	lib.group([[["k", "n"], "x"]]) == {["k", "n"]: {"x"}}
	lib.group([]) == {}
	idx := lib.group([[["k", "n"], "x"]])
	object.get(idx, [["k", "n"]], set()) == {"x"}
	object.get(idx, [["k", "m"]], set()) == set()
}

test_namespace_objects_by_name if {
	n := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": {"istio-injection": "enabled"}}}
	objs := lib.namespace_objects with input as testlib.live({"Namespace": [n]})
	objs == {"app": n}
	lib.ns_labels("app") == {"istio-injection": "enabled"} with input as testlib.live({"Namespace": [n]})
}

test_owner_refs_and_workload_objects if {
	objs := {"Deployment": [deploy], "ReplicaSet": [rs], "Pod": [pod]}
	refs := lib.owner_refs with input as testlib.live(objs)
	refs == {
		["ReplicaSet", "app", "web-7d"]: {{"kind": "Deployment", "name": "web", "controller": true}},
		["Pod", "app", "web-7d-x"]: {{"kind": "ReplicaSet", "name": "web-7d", "controller": true}},
	}
	lib.workload_objects("ReplicaSet", "app", "web-7d") == {rs} with input as testlib.live(objs)
	lib.workload_objects("ReplicaSet", "app", "nope") == set() with input as testlib.live(objs)
}

wl_entry(obj) := w if {
	some w in lib.workloads
	w.obj == obj
}

test_pods_of_follows_two_controller_links if {
	objs := {"Deployment": [deploy], "ReplicaSet": [rs], "Pod": [pod]}
	lib.pods_of(wl_entry(deploy)) == {pod} with input as testlib.live(objs)

	# owner absent: the pod belongs to the ReplicaSet
	lib.pods_of(wl_entry(rs)) == {pod} with input as testlib.live({"ReplicaSet": [rs], "Pod": [pod]})

	# the Job's pods belong to the CronJob
	job := {
		"apiVersion": "batch/v1", "kind": "Job",
		"metadata": {"name": "nightly-1", "namespace": "app", "ownerReferences": [{"kind": "CronJob", "name": "nightly", "controller": true}]},
		"spec": cronjob.spec.jobTemplate.spec,
	}
	jp := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nightly-1-a", "namespace": "app", "ownerReferences": [{"kind": "Job", "name": "nightly-1", "controller": true}]}, "spec": {}}
	lib.pods_of(wl_entry(cronjob)) == {jp} with input as testlib.live({"CronJob": [cronjob], "Job": [job], "Pod": [jp]})
}

test_pods_of_ignores_other_namespaces_and_non_controllers if {
	elsewhere := object.union(pod, {"metadata": {"namespace": "other"}})
	loose := object.union(pod, {"metadata": {"name": "loose", "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d"}]}})
	objs := {"Deployment": [deploy], "ReplicaSet": [rs], "Pod": [elsewhere, loose]}
	lib.pods_of(wl_entry(deploy)) == set() with input as testlib.live(objs)
}

test_label_selector_matches if {
	l := {"app": "web", "tier": "front"}
	lib.label_selector_matches({}, l)
	lib.label_selector_matches({}, {})
	lib.label_selector_matches({"matchLabels": {"app": "web"}}, l)
	not lib.label_selector_matches({"matchLabels": {"app": "api"}}, l)
	lib.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]}, l)
	not lib.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api"]}]}, l)
	not lib.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, l)
	lib.label_selector_matches({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}, l)
	lib.label_selector_matches({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, l)
	not lib.label_selector_matches({"matchExpressions": [{"key": "env", "operator": "Exists"}]}, l)
	lib.label_selector_matches({"matchExpressions": [{"key": "env", "operator": "DoesNotExist"}]}, l)
	not lib.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, l)
	not lib.label_selector_matches({"matchExpressions": [{"key": "app", "operator": "Bogus"}]}, l)
	not lib.label_selector_matches({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "Exists"}]}, l)
}

sc(ns, lbls, ann, spec) := {"namespace": ns, "labels": lbls, "annotations": ann, "spec": spec}

test_sidecar if {
	nss := {"Namespace": [
		testlib.namespace("on", {"istio-injection": "enabled"}),
		testlib.namespace("rev", {"istio.io/rev": "1-30"}),
		testlib.namespace("off", {"istio-injection": "disabled"}),
		testlib.namespace("amb", {"istio.io/dataplane-mode": "ambient"}),
	]}
	lib.sidecar(sc("on", {}, {}, {})) with input as testlib.live(nss)
	lib.sidecar(sc("rev", {}, {}, {})) with input as testlib.live(nss)
	not lib.sidecar(sc("on", {"sidecar.istio.io/inject": "false"}, {}, {})) with input as testlib.live(nss)
	not lib.sidecar(sc("off", {}, {}, {})) with input as testlib.live(nss)
	not lib.sidecar(sc("off", {"sidecar.istio.io/inject": "true"}, {}, {})) with input as testlib.live(nss)

	# ambient capture is not a sidecar
	not lib.sidecar(sc("amb", {}, {}, {})) with input as testlib.live(nss)

	# object selectors in unlabelled (or unknown) namespaces
	lib.sidecar(sc("amb", {"sidecar.istio.io/inject": "true"}, {}, {})) with input as testlib.live(nss)
	lib.sidecar(sc("unknown", {"istio.io/rev": "1-30"}, {}, {})) with input as testlib.live(nss)
	not lib.sidecar(sc("unknown", {"istio.io/rev": "1-30", "sidecar.istio.io/inject": "false"}, {}, {})) with input as testlib.live(nss)

	# already injected, or an explicit istio-proxy container
	lib.sidecar(sc("off", {}, {"sidecar.istio.io/status": "{}"}, {})) with input as testlib.live(nss)
	lib.sidecar(sc("off", {}, {}, {"containers": [{"name": "istio-proxy"}]})) with input as testlib.live(nss)

	# host-network pods are not excluded here (callers check host_network)
	lib.sidecar(sc("on", {}, {}, {"hostNetwork": true})) with input as testlib.live(nss)
}

test_collected_reads_kind_status if {
	lib.collected("Secret") with input as {"kinds": {"Secret": "collected"}}
	not lib.collected("Secret") with input as {"kinds": {"Secret": "forbidden"}}
	lib.kind_status("Secret") == "not collected" with input as {"kinds": {}}
}

# ---- input.derived (computed by the Go engine) --------------------------------

# The engine precomputes the library's object-wide documents into
# input.derived; lib reads them when present (the Rego fallback, used by
# these unit tests, computes the same values: compared on generated 1k/10k
# clusters and the scenarios when this was written; the scenario and
# determinism tests run the derived path).
test_derived_documents_are_read if {
	d := {
		"namespaces": {"from-go"},
		"present": {["Deployment", "n", "d"]},
		"workloads": {"w"},
		"workloads_by_ref": {"k": {"v"}},
		"owner_refs": {"o": {"r"}},
		"pods_by_owner": {"p": {"q"}},
	}
	i := object.union(testlib.live({}), {"derived": d})
	lib.namespaces == {"from-go"} with input as i
	lib.present == {["Deployment", "n", "d"]} with input as i
	lib.workloads == {"w"} with input as i
	lib.workloads_by_ref == {"k": {"v"}} with input as i
	lib.owner_refs == {"o": {"r"}} with input as i
	lib.pods_by_owner == {"p": {"q"}} with input as i
}

test_derived_absent_falls_back_to_rego if {
	i := testlib.live({"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}]})
	lib.namespaces == {"a"} with input as i
	count(lib.workloads) == 0 with input as i
}

# ---- mesh-wide evidence and implied namespaces (docs/verdicts.md) ---------------

root_obj(kind, name) := {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": "istio-system"}}

test_unrelated_root_objects_are_not_mesh_evidence if {
	not lib.has_mesh_evidence with input as {"source": "manifests", "objects": {
		"Role": [root_obj("Role", "meshaudit-read-mesh-config")],
		"Gateway": [object.union(root_obj("Gateway", "cm-acme-http01"), {"apiVersion": "networking.istio.io/v1"})],
		"Service": [root_obj("Service", "istiod")],
		"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "istio-system"}}],
	}}
	not lib.mesh_policy_known with input as {"source": "manifests", "objects": {"Role": [root_obj("Role", "r")]}}
}

test_root_policy_and_mesh_config_are_mesh_evidence if {
	lib.has_mesh_evidence with input as {"source": "manifests", "objects": {"PeerAuthentication": [root_obj("PeerAuthentication", "default")]}}
	lib.has_mesh_evidence with input as {"source": "manifests", "objects": {"Telemetry": [root_obj("Telemetry", "mesh-default")]}}
	lib.has_mesh_evidence with input as {"source": "manifests", "objects": {"ConfigMap": [object.union(root_obj("ConfigMap", "istio"), {"data": {"mesh": "{}"}})]}}
	not lib.has_mesh_evidence with input as {"source": "manifests", "objects": {"PeerAuthentication": [{"kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "shop"}}]}}
	lib.mesh_policy_known with input as {"source": "cluster", "objects": {}}
}

test_implied_namespace_labels if {
	inp := {"source": "manifests", "objects": {"Deployment": [{"kind": "Deployment", "metadata": {"name": "a", "namespace": "shop"}}]}}
	lib.implied("shop") with input as inp
	lib.ns_labels("shop") == {} with input as inp
	not lib.namespace_enrolled("shop") with input as inp
	lib.namespace_enrolled("shop") with input as inp with data.meshaudit.params.namespace_labels as {"shop": {"istio-injection": "enabled"}}
	contains(lib.ns_note("shop"), "implied") with input as inp
	lib.ns_note("shop") == "" with input as {"source": "manifests", "objects": {"Namespace": [{"kind": "Namespace", "metadata": {"name": "shop"}}]}}
}

test_evidence_paths if {
	d := {"kind": "Deployment", "spec": {"containers": [{"name": "a"}, {"name": "b"}]}}
	some x in lib.all_containers(d)
	x.c.name == "b"
	lib.container_path(d, x) == "spec.template.spec.containers[1]"
	lib.container_path({"kind": "Pod"}, {"kind": "initContainers", "i": 0}) == "spec.initContainers[0]"
	lib.annotation_path({"kind": "CronJob"}, "sidecar.istio.io/inject") == "spec.jobTemplate.spec.template.metadata.annotations[\"sidecar.istio.io/inject\"]"
}

# ---- workload facts (w.facts from input.derived.workloads) -------------------

# A plain workload in an unlabelled namespace: Rego's definitions say no.
plain_w := pw("plain", {}, {})

with_facts(w, f) := object.union(w, {"facts": f})

test_fact_true_decides if {
	lib.injected(with_facts(plain_w, {"injected": true}))
	lib.gateway(with_facts(plain_w, {"gateway": true}))
	lib.host_network(with_facts(plain_w, {"host_network": true}))
	lib.opted_out(with_facts(plain_w, {"opted_out": true}))
	lib.has_proxy_container(with_facts(plain_w, {"has_proxy_container": true}))
	is_meshed(with_facts(plain_w, {"meshed": true}))
	lib.sidecar(with_facts(plain_w, {"sidecar": true})) with input as testlib.live({"Namespace": nss})
	lib.runs_sidecar(with_facts(plain_w, {"runs_sidecar": true})) with input as testlib.live({"Namespace": nss})
}

# A false fact makes the predicate undefined, whatever the definition says.
test_fact_false_decides if {
	w := pw("on", {}, {"sidecar.istio.io/status": "{}"})
	lib.injected(w)
	not lib.injected(with_facts(w, {"injected": false}))
	is_meshed(w)
	not is_meshed(with_facts(w, {"meshed": false}))
}

# A fact left out: the definition decides (reading the facts that are
# there for the predicates it calls).
test_fact_missing_falls_back if {
	is_meshed(with_facts(pw("on", {}, {}), {"injected": false}))
	not is_meshed(with_facts(plain_w, {"injected": false}))
	is_meshed(with_facts(plain_w, {"injected": true}))
	not is_meshed(with_facts(pw("on", {}, {}), {"opted_out": true}))
}

# meshed, sidecar and runs_sidecar read namespace labels: their facts hold
# for a namespace with its object, or implied without a
# params.namespace_labels entry; else the definition decides.
test_ns_fact_needs_derive_labels if {
	inp := testlib.live({"Namespace": nss})
	lib.meshed(with_facts(pw("implied", {}, {}), {"meshed": true})) with input as inp
	not lib.meshed(with_facts(pw("implied", {}, {}), {"meshed": true})) with input as inp
		with data.meshaudit.params.namespace_labels as {"implied": {"istio-injection": "disabled"}}
	lib.meshed(with_facts(pw("implied", {}, {}), {"meshed": false})) with input as inp
		with data.meshaudit.params.namespace_labels as {"implied": {"istio-injection": "enabled"}}
	not lib.meshed(with_facts(pw("implied", {}, {}), {"meshed": false})) with input as inp
}
