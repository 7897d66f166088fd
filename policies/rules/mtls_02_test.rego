package meshaudit.rules.mtls_02_test

import data.meshaudit.lib
import data.meshaudit.rules.mtls_02
import data.meshaudit.testlib
import rego.v1

deploy(ns, name, lbls, ports) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {
		"metadata": {"labels": lbls},
		"spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0", "ports": [{"containerPort": p} | some p in ports]}]},
	}},
}

pa_sel(ns, name, mode, sel) := object.union(testlib.peer_auth(ns, name, mode), {"spec": {"selector": {"matchLabels": sel}}})

live(objs) := testlib.input_from("cluster", objs)

manifests(objs) := testlib.input_from("manifests", objs)

web := deploy("app", "web", {"app": "web"}, [8080])

test_strict_mesh_passes if {
	count(mtls_02.deny) == 0 with input as live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.root_strict_pa],
	})
}

test_default_permissive_live_fails if {
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is PERMISSIVE (Istio's default: no PeerAuthentication sets a mode)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web]})
}

test_default_permissive_manifests_with_root_fails if {
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is PERMISSIVE (Istio's default: no PeerAuthentication sets a mode)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as manifests({
		"Namespace": [testlib.enrolled("app"), testlib.namespace("istio-system", {})],
		"ConfigMap": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "{}"}}],
		"Deployment": [web],
	})
}

# A manifest scan without the root namespace cannot see the mesh-wide policy:
# workloads relying on it are not judged.
test_mesh_unknown_manifests_not_judged if {
	count(mtls_02.deny) == 0 with input as manifests({"Namespace": [testlib.enrolled("app")], "Deployment": [web]})
}

test_mesh_unknown_unset_namespace_pa_not_judged if {
	count(mtls_02.deny) == 0 with input as manifests({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "UNSET")],
	})
}

# ... but a downgrade shown in the input is always reported.
test_mesh_unknown_namespace_permissive_fails if {
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is PERMISSIVE (set by PeerAuthentication app/default)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as manifests({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "PERMISSIVE")],
	})
}

test_namespace_downgrades_strict_mesh if {
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is DISABLE (set by PeerAuthentication app/default, overriding STRICT from PeerAuthentication istio-system/default)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.root_strict_pa, testlib.peer_auth("app", "default", "DISABLE")],
	})
}

test_workload_downgrades_strict_namespace if {
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is PERMISSIVE (set by PeerAuthentication app/web-permissive, overriding STRICT from PeerAuthentication app/default)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "STRICT"), pa_sel("app", "web-permissive", "PERMISSIVE", {"app": "web"})],
	})
}

test_unset_namespace_falls_through_to_strict_mesh if {
	count(mtls_02.deny) == 0 with input as live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.root_strict_pa, testlib.peer_auth("app", "default", "UNSET")],
	})
}

test_oldest_namespace_policy_decides if {
	old := object.union(testlib.peer_auth("app", "z-old", "PERMISSIVE"), {"metadata": {"creationTimestamp": "2024-01-01T00:00:00Z"}})
	new := object.union(testlib.peer_auth("app", "a-new", "STRICT"), {"metadata": {"creationTimestamp": "2024-06-01T00:00:00Z"}})
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is PERMISSIVE (set by PeerAuthentication app/z-old, overriding STRICT from PeerAuthentication istio-system/default)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.root_strict_pa, new, old],
	})
}

test_port_level_exception_reported_per_port if {
	w := deploy("app", "web", {"app": "web"}, [8080, 9090])
	p := object.union(pa_sel("app", "web", "STRICT", {"app": "web"}), {"spec": {"portLevelMtls": {"9090": {"mode": "PERMISSIVE"}}}})
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 9090 is PERMISSIVE (set by portLevelMtls of PeerAuthentication app/web, overriding STRICT from PeerAuthentication app/web)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [w], "PeerAuthentication": [p]})
}

test_port_level_unset_inherits if {
	p := object.union(pa_sel("app", "web", "DISABLE", {"app": "web"}), {"spec": {"portLevelMtls": {"8080": {"mode": "UNSET"}}}})
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 8080 is DISABLE (set by PeerAuthentication app/web, overriding STRICT from PeerAuthentication istio-system/default)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "PeerAuthentication": [testlib.root_strict_pa, p]})
}

test_port_level_strict_leaves_other_ports_permissive if {
	p := object.union(pa_sel("app", "web", "PERMISSIVE", {"app": "web"}), {"spec": {"portLevelMtls": {"8080": {"mode": "STRICT"}}}})
	testlib.strip(mtls_02.deny) == {{
		"msg": "ports other than 8080 are PERMISSIVE (set by PeerAuthentication app/web)",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "PeerAuthentication": [p]})
}

test_portless_workload_judged_at_workload_level if {
	w := deploy("app", "worker", {"app": "worker"}, [])
	testlib.strip(mtls_02.deny) == {{
		"msg": "all ports are PERMISSIVE (Istio's default: no PeerAuthentication sets a mode)",
		"resource": object.union(testlib.deployment_ref("app", "web"), {"name": "worker"}),
	}} with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [w]})
}

test_unmeshed_and_opted_out_not_judged if {
	out := deploy("app", "out", {"app": "out", "sidecar.istio.io/inject": "false"}, [8080])
	plain := deploy("legacy", "old", {"app": "old"}, [8080])
	count(mtls_02.deny) == 0 with input as live({
		"Namespace": [testlib.enrolled("app"), testlib.namespace("legacy", {})],
		"Deployment": [out, plain],
	})
}

test_excluded_namespace_not_judged if {
	w := deploy("kube-system", "dns", {"sidecar.istio.io/inject": "true"}, [53])
	count(mtls_02.deny) == 0 with input as live({"Deployment": [w]})
}

gateway_pod := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "istio-ingressgateway-x", "namespace": "istio-system", "labels": {"istio": "ingressgateway"}, "annotations": {"sidecar.istio.io/status": "{}"}},
	"spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2", "args": ["proxy", "router"], "ports": [{"containerPort": 8080}]}]},
}

# Gateways are not judged; a sidecar-injected workload in the root namespace is.
test_root_namespace_gateway_skipped_sidecar_judged if {
	addon := deploy("istio-system", "addon", {"app": "addon", "sidecar.istio.io/inject": "true"}, [3000])
	testlib.strip(mtls_02.deny) == {{
		"msg": "port 3000 is PERMISSIVE (set by PeerAuthentication istio-system/default)",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "addon"},
	}} with input as live({
		"Namespace": [testlib.namespace("istio-system", {})],
		"Pod": [gateway_pod],
		"Deployment": [addon],
		"PeerAuthentication": [testlib.peer_auth("istio-system", "default", "PERMISSIVE")],
	})
}

test_gateway_api_gateway_skipped if {
	gw := deploy("app", "gw-istio", {"gateway.networking.k8s.io/gateway-name": "gw"}, [80])
	count(mtls_02.deny) == 0 with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [gw]})
}

test_one_finding_per_owner if {
	rs := {
		"apiVersion": "apps/v1", "kind": "ReplicaSet",
		"metadata": {"name": "web-1", "namespace": "app", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
		"spec": web.spec,
	}
	pod := {
		"apiVersion": "v1", "kind": "Pod",
		"metadata": {"name": "web-1-a", "namespace": "app", "labels": {"app": "web"}, "annotations": {"sidecar.istio.io/status": "{}"}, "ownerReferences": [{"kind": "ReplicaSet", "name": "web-1", "controller": true}]},
		"spec": web.spec.template.spec,
	}
	d := mtls_02.deny with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "ReplicaSet": [rs], "Pod": [pod]})
	count(d) == 1
	some f in d
	f.resource == testlib.deployment_ref("app", "web")
}

test_port_level_without_selector_warns if {
	p := object.union(testlib.root_strict_pa, {"spec": {"portLevelMtls": {"9090": {"mode": "DISABLE"}, "8080": {"mode": "DISABLE"}}}})
	testlib.strip(mtls_02.deny) == {{
		"msg": "portLevelMtls (ports 8080, 9090) of PeerAuthentication istio-system/default is ignored by Istio because the policy has no selector",
		"resource": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "namespace": "istio-system", "name": "default"},
		"severity": "low",
	}} with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "PeerAuthentication": [p]})
}

test_root_selector_policy_warns_and_is_ignored if {
	gw := pa_sel("istio-system", "gw-strict", "STRICT", {"app": "addon"})
	addon := deploy("istio-system", "addon", {"app": "addon", "sidecar.istio.io/inject": "true"}, [3000])
	d := testlib.strip(mtls_02.deny) with input as live({"Deployment": [addon], "PeerAuthentication": [gw]})
	d == {
		{
			"msg": "selector of PeerAuthentication istio-system/gw-strict in root namespace \"istio-system\" selects nothing: Istio ignores workload policies in the root namespace",
			"resource": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "namespace": "istio-system", "name": "gw-strict"},
			"severity": "low",
		},
		{
			"msg": "port 3000 is PERMISSIVE (Istio's default: no PeerAuthentication sets a mode)",
			"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "addon"},
		},
	}
}

test_custom_root_namespace if {
	d := mtls_02.deny with input as live({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.peer_auth("mesh-root", "default", "STRICT")],
	})
		with data.meshaudit.params as object.union(lib.params, {"root_namespace": "mesh-root"})
	count(d) == 0
}

# ---- verdict: judged, evidence, policies as subjects ----------------------------

test_evidence_names_port_and_policy if {
	d := mtls_02.deny with input as manifests({
		"Namespace": [testlib.enrolled("app")],
		"Deployment": [web],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "permissive")],
	})
	d == {{
		"msg": "port 8080 is PERMISSIVE (set by PeerAuthentication app/default)",
		"resource": testlib.deployment_ref("app", "web"),
		"evidence": [
			{"path": "spec.template.spec.containers[0].ports[0].containerPort", "value": 8080},
			{"path": "spec.mtls.mode", "value": "permissive", "resource": testlib.peer_auth_ref("app", "default")},
		],
	}}
}

test_evidence_port_level_and_default if {
	w := deploy("app", "web", {"app": "web"}, [8080, 9090])
	p := object.union(pa_sel("app", "web", "STRICT", {"app": "web"}), {"spec": {"portLevelMtls": {"9090": {"mode": "DISABLE"}}}})
	d := mtls_02.deny with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [w], "PeerAuthentication": [p]})
	some f in d
	f.evidence == [
		{"path": "spec.template.spec.containers[0].ports[1].containerPort", "value": 9090},
		{"path": "spec.portLevelMtls[\"9090\"].mode", "value": "DISABLE", "resource": testlib.peer_auth_ref("app", "web")},
	]
	d2 := mtls_02.deny with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web]})
	some f2 in d2
	f2.evidence[1] == {"path": "PeerAuthentication setting a mode for this workload in namespace \"app\" or mesh-wide in root namespace \"istio-system\"", "value": 0}
}

test_judged_workloads_decided_by_evidence if {
	j := mtls_02.judged with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "PeerAuthentication": [testlib.root_strict_pa]})
	j == {testlib.deployment_ref("app", "web")}
}

# A workload whose mode falls through to an unseen mesh-wide policy is not
# judged, and the rule says why.
test_fall_through_not_judged_manifests if {
	j := mtls_02.judged with input as manifests({"Namespace": [testlib.enrolled("app")], "Deployment": [web]})
	count(j) == 0
	na := mtls_02.not_applicable with input as manifests({"Namespace": [testlib.enrolled("app")], "Deployment": [web]})
	na == {"the mTLS mode of the meshed workloads of the input (Deployment app/web) falls through to the mesh-wide PeerAuthentication of root namespace \"istio-system\", and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in \"istio-system\")"}
}

# An unrelated object in the root namespace is no mesh-wide evidence.
test_root_role_is_not_mesh_evidence if {
	role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "read-mesh", "namespace": "istio-system"}}
	inp := manifests({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "Role": [role]})
	count(mtls_02.deny) == 0 with input as inp
	count(mtls_02.judged) == 0 with input as inp
}

# Bookinfo alone: Deployments, Services, ServiceAccounts in an implied
# namespace, no Istio policy: nothing is meshed, nothing judged.
test_bookinfo_alone_not_applicable if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "details", "namespace": "default"}, "spec": {"ports": [{"port": 9080}]}}
	sa := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "bookinfo-details", "namespace": "default"}}
	inp := manifests({
		"Deployment": [deploy("default", "details-v1", {"app": "details"}, [9080])],
		"Service": [svc],
		"ServiceAccount": [sa],
	})
	count(mtls_02.deny) == 0 with input as inp
	count(mtls_02.judged) == 0 with input as inp
	mtls_02.not_applicable == {"no meshed workload in the input: namespaces \"default\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) put no workload in the mesh, and no namespace or workload PeerAuthentication"} with input as inp
}

# ... unless params.namespace_labels states the namespace enrolled.
test_implied_namespace_enrolled_by_params if {
	inp := manifests({"Deployment": [deploy("default", "details-v1", {"app": "details"}, [9080])], "PeerAuthentication": [testlib.peer_auth("default", "default", "PERMISSIVE")]})
	d := testlib.strip(mtls_02.deny) with input as inp
		with data.meshaudit.params as object.union(lib.params, {"namespace_labels": {"default": {"istio-injection": "enabled"}}})
	d == {{
		"msg": "port 9080 is PERMISSIVE (set by PeerAuthentication default/default)",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "details-v1"},
	}}
}

httpbin_disable := pa_sel("foo", "httpbin", "DISABLE", {"app": "httpbin"})

# A policy repository: the weakening policy is reported on itself.
test_policy_repo_workload_pa_reported_on_itself if {
	inp := manifests({"PeerAuthentication": [httpbin_disable]})
	mtls_02.deny == {{
		"msg": "sets mtls.mode DISABLE for pods labelled {\"app\":\"httpbin\"} in namespace \"foo\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels), so they accept plaintext; no meshed workload it applies to is in the input, so the policy itself is reported",
		"resource": testlib.peer_auth_ref("foo", "httpbin"),
		"evidence": [{"path": "spec.mtls.mode", "value": "DISABLE"}],
	}} with input as inp
	mtls_02.judged == {testlib.peer_auth_ref("foo", "httpbin")} with input as inp
}

test_policy_repo_namespace_and_port_level if {
	ns_pa := testlib.peer_auth("foo", "default", "PERMISSIVE")
	port_pa := object.union(pa_sel("foo", "api", "STRICT", {"app": "api"}), {"spec": {"portLevelMtls": {"9090": {"mode": "PERMISSIVE"}}}})
	d := mtls_02.deny with input as manifests({"Namespace": [testlib.enrolled("foo")], "PeerAuthentication": [ns_pa, port_pa]})
	{[f.resource.name, f.msg] | some f in d} == {
		["default", "sets mtls.mode PERMISSIVE for namespace \"foo\", so they accept plaintext; no meshed workload it applies to is in the input, so the policy itself is reported"],
		["api", "sets portLevelMtls port 9090 PERMISSIVE for pods labelled {\"app\":\"api\"} in namespace \"foo\", so they accept plaintext; no meshed workload it applies to is in the input, so the policy itself is reported"],
	}
	some f in d
	f.resource.name == "api"
	f.evidence == [{"path": "spec.portLevelMtls[\"9090\"].mode", "value": "PERMISSIVE"}]
}

# A STRICT policy repository passes: its policies are judged.
test_policy_repo_strict_judged_no_finding if {
	inp := manifests({"PeerAuthentication": [testlib.peer_auth("foo", "default", "STRICT")]})
	count(mtls_02.deny) == 0 with input as inp
	mtls_02.judged == {testlib.peer_auth_ref("foo", "default")} with input as inp
	count(mtls_02.not_applicable) == 0 with input as inp
}

# With the workload in the input, the finding is on the workload.
test_policy_with_workload_reported_on_workload if {
	httpbin := deploy("foo", "httpbin", {"app": "httpbin"}, [8000])
	inp := manifests({"Namespace": [testlib.enrolled("foo")], "Deployment": [httpbin], "PeerAuthentication": [httpbin_disable]})
	{f.resource.kind | some f in mtls_02.deny} == {"Deployment"} with input as inp
	mtls_02.judged == {{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "foo", "name": "httpbin"}} with input as inp
}

# A workload that is not meshed receives no mode: the policy is reported.
test_policy_with_unmeshed_workload_reported_on_itself if {
	httpbin := deploy("foo", "httpbin", {"app": "httpbin"}, [8000])
	inp := manifests({"Deployment": [httpbin], "PeerAuthentication": [httpbin_disable]})
	{f.resource.kind | some f in mtls_02.deny} == {"PeerAuthentication"} with input as inp
}

# A namespace policy every workload overrides decides nothing in the input:
# reported on itself (any other workload of the namespace would get it).
test_overridden_namespace_policy_reported_on_itself if {
	strict_web := pa_sel("app", "web", "STRICT", {"app": "web"})
	d := mtls_02.deny with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [web], "PeerAuthentication": [testlib.peer_auth("app", "default", "DISABLE"), strict_web]})
	{[f.resource.kind, f.resource.name] | some f in d} == {["PeerAuthentication", "default"]}
}

# A duplicate selector-less policy Istio ignores is not judged.
test_ignored_duplicate_namespace_policy_not_judged if {
	old := object.union(testlib.peer_auth("foo", "a-old", "STRICT"), {"metadata": {"creationTimestamp": "2024-01-01T00:00:00Z"}})
	new := object.union(testlib.peer_auth("foo", "b-new", "DISABLE"), {"metadata": {"creationTimestamp": "2024-06-01T00:00:00Z"}})
	inp := manifests({"PeerAuthentication": [old, new]})
	count(mtls_02.deny) == 0 with input as inp
	mtls_02.judged == {testlib.peer_auth_ref("foo", "a-old")} with input as inp
}

# One finding per workload, listing every port that accepts plaintext.
test_one_finding_lists_every_weak_port if {
	w := deploy("app", "web", {"app": "web"}, [9090, 8080, 7070])
	p := object.union(pa_sel("app", "web", "PERMISSIVE", {"app": "web"}), {"spec": {"portLevelMtls": {"9090": {"mode": "DISABLE"}, "7070": {"mode": "STRICT"}}}})
	d := mtls_02.deny with input as live({"Namespace": [testlib.enrolled("app")], "Deployment": [w], "PeerAuthentication": [p]})
	d == {{
		"msg": "port 8080 is PERMISSIVE (set by PeerAuthentication app/web); port 9090 is DISABLE (set by portLevelMtls of PeerAuthentication app/web)",
		"resource": testlib.deployment_ref("app", "web"),
		"evidence": [
			{"path": "spec.template.spec.containers[0].ports[1].containerPort", "value": 8080},
			{"path": "spec.mtls.mode", "value": "PERMISSIVE", "resource": testlib.peer_auth_ref("app", "web")},
			{"path": "spec.template.spec.containers[0].ports[0].containerPort", "value": 9090},
			{"path": "spec.portLevelMtls[\"9090\"].mode", "value": "DISABLE", "resource": testlib.peer_auth_ref("app", "web")},
		],
	}}
}
