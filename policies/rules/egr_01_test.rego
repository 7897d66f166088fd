package meshaudit.rules.egr_01_test

import data.meshaudit.rules.egr_01
import data.meshaudit.testlib
import rego.v1

sidecar(ns, name, mode) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "Sidecar",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"outboundTrafficPolicy": {"mode": mode}},
}

test_registry_only_passes if {
	count(egr_01.deny) == 0 with input as testlib.live({"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")]})
}

test_registry_only_with_registry_only_sidecar_passes if {
	count(egr_01.deny) == 0 with input as testlib.live({
		"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [sidecar("app", "default", "REGISTRY_ONLY")],
	})
}

test_unset_mode_fails_on_configmap if {
	testlib.strip(egr_01.deny) == {{
		"msg": "mesh config does not set outboundTrafficPolicy.mode, so Istio defaults to ALLOW_ANY and sidecars forward traffic to any external host: set outboundTrafficPolicy.mode REGISTRY_ONLY in the mesh config",
		"resource": testlib.mesh_cm_ref,
	}} with input as testlib.live({"ConfigMap": [testlib.mesh_cm("accessLogFile: /dev/stdout\n")]})
}

test_empty_mesh_key_is_unset if {
	c := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {}}
	some f in egr_01.deny with input as testlib.live({"ConfigMap": [c]})
	startswith(f.msg, "mesh config does not set outboundTrafficPolicy.mode")
	f.resource == testlib.mesh_cm_ref
}

test_allow_any_fails if {
	testlib.strip(egr_01.deny) == {{
		"msg": "mesh config sets outboundTrafficPolicy.mode ALLOW_ANY: set it to REGISTRY_ONLY",
		"resource": testlib.mesh_cm_ref,
	}} with input as testlib.live({"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: ALLOW_ANY\n")]})
}

test_mode_case_insensitive if {
	count(egr_01.deny) == 0 with input as testlib.live({"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: registry_only\n")]})
}

# Live scan without the istio ConfigMap: Istio's default (ALLOW_ANY), on the mesh.
test_live_without_configmap_fails_on_mesh if {
	testlib.strip(egr_01.deny) == {{
		"msg": "mesh config does not set outboundTrafficPolicy.mode, so Istio defaults to ALLOW_ANY and sidecars forward traffic to any external host: set outboundTrafficPolicy.mode REGISTRY_ONLY in the mesh config",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as testlib.live({"Deployment": []})
}

# A ConfigMap named istio outside the root namespace is not the mesh config.
test_configmap_outside_root_ignored if {
	c := object.union(testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"), {"metadata": {"namespace": "app"}})
	some f in egr_01.deny with input as testlib.live({"ConfigMap": [c]})
	f.resource == {"kind": "Mesh", "name": "c1"}
}

test_allow_any_sidecar_fails if {
	testlib.strip(egr_01.deny) == {{
		"msg": "Sidecar sets outboundTrafficPolicy.mode ALLOW_ANY, so the workloads of namespace \"app\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) can reach any external host: set it to REGISTRY_ONLY (or remove it to inherit a REGISTRY_ONLY mesh config)",
		"resource": {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "namespace": "app", "name": "default"},
	}} with input as testlib.live({
		"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [sidecar("app", "default", "ALLOW_ANY"), sidecar("other", "default", "REGISTRY_ONLY")],
	})
}

test_sidecar_without_outbound_policy_passes if {
	s := {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "default", "namespace": "app"}, "spec": {"egress": [{"hosts": ["./*"]}]}}
	count(egr_01.deny) == 0 with input as testlib.live({
		"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [s],
	})
}

test_both_mesh_and_sidecar_reported if {
	d := egr_01.deny with input as testlib.live({
		"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: ALLOW_ANY\n")],
		"Sidecar": [sidecar("app", "default", "allow_any")],
	})
	count(d) == 2
}

test_sidecar_in_excluded_namespace_ignored if {
	count(egr_01.deny) == 0 with input as testlib.live({
		"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [sidecar("kube-system", "default", "ALLOW_ANY")],
	})
}

# ---- policies as subjects, mesh config known, evidence, judged -----------------

sc_res(ns, name) := {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "namespace": ns, "name": name}

# A repository of mesh policy without the mesh config: the ALLOW_ANY Sidecar
# is still a finding, on the Sidecar; the mesh is not judged.
test_allow_any_sidecar_without_mesh_config if {
	inp := testlib.inp({"Sidecar": [sidecar("istio-system", "default", "ALLOW_ANY"), sidecar("app", "ok", "REGISTRY_ONLY")]})
	testlib.strip(egr_01.deny) == {{
		"msg": "Sidecar sets outboundTrafficPolicy.mode ALLOW_ANY, so every workload of the mesh without a Sidecar of its own namespace can reach any external host: set it to REGISTRY_ONLY (or remove it to inherit a REGISTRY_ONLY mesh config)",
		"resource": sc_res("istio-system", "default"),
	}} with input as inp
	egr_01.judged == {sc_res("istio-system", "default"), sc_res("app", "ok")} with input as inp
	count(egr_01.not_applicable) == 0 with input as inp
}

test_sidecar_evidence if {
	some f in egr_01.deny with input as testlib.inp({"Sidecar": [sidecar("app", "default", "allow_any")]})
	f.evidence == [{"path": "spec.outboundTrafficPolicy.mode", "value": "allow_any"}]
}

test_workload_selector_sidecar_message if {
	s := object.union(sidecar("app", "web", "ALLOW_ANY"), {"spec": {"workloadSelector": {"labels": {"app": "web"}}}})
	some f in egr_01.deny with input as testlib.inp({"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}], "Sidecar": [s]})
	contains(f.msg, "so the workloads it selects in namespace \"app\" can reach any external host")
}

# Without the mesh config in a manifest scan, no finding on the mesh and
# nothing judged.
test_manifests_without_mesh_config_no_mesh_finding if {
	inp := testlib.inp({"Deployment": []})
	count(egr_01.deny) == 0 with input as inp
	count(egr_01.judged) == 0 with input as inp
	count(egr_01.not_applicable) == 1 with input as inp
}

test_mesh_config_evidence if {
	some f in egr_01.deny with input as testlib.live({"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: ALLOW_ANY\n")]})
	f.evidence == [{"path": "data.mesh: outboundTrafficPolicy.mode", "value": "ALLOW_ANY"}]
	some g in egr_01.deny with input as testlib.live({"ConfigMap": [testlib.mesh_cm("accessLogFile: x\n")]})
	g.evidence == [{"path": "data.mesh: outboundTrafficPolicy.mode"}]
}

test_judged_mesh_config_on_pass if {
	egr_01.judged == {testlib.mesh_cm_ref} with input as testlib.live({"ConfigMap": [testlib.mesh_cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")]})
}
