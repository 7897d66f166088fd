package meshaudit.rules.egr_01_test

import data.meshaudit.rules.egr_01
import rego.v1

cm(mesh) := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": {"name": "istio", "namespace": "istio-system"},
	"data": {"mesh": mesh},
}

cm_res := {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}

sidecar(ns, name, mode) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "Sidecar",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"outboundTrafficPolicy": {"mode": mode}},
}

inp(objs) := {"cluster": "c1", "source": "cluster", "objects": objs}

test_registry_only_passes if {
	count(egr_01.deny) == 0 with input as inp({"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")]})
}

test_registry_only_with_registry_only_sidecar_passes if {
	count(egr_01.deny) == 0 with input as inp({
		"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [sidecar("app", "default", "REGISTRY_ONLY")],
	})
}

test_unset_mode_fails_on_configmap if {
	egr_01.deny == {{
		"msg": "mesh config does not set outboundTrafficPolicy.mode, so Istio defaults to ALLOW_ANY and sidecars forward traffic to any external host (want REGISTRY_ONLY)",
		"resource": cm_res,
	}} with input as inp({"ConfigMap": [cm("accessLogFile: /dev/stdout\n")]})
}

test_empty_mesh_key_is_unset if {
	c := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {}}
	some f in egr_01.deny with input as inp({"ConfigMap": [c]})
	startswith(f.msg, "mesh config does not set outboundTrafficPolicy.mode")
	f.resource == cm_res
}

test_allow_any_fails if {
	egr_01.deny == {{
		"msg": "mesh config sets outboundTrafficPolicy.mode ALLOW_ANY, want REGISTRY_ONLY",
		"resource": cm_res,
	}} with input as inp({"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: ALLOW_ANY\n")]})
}

test_mode_case_insensitive if {
	count(egr_01.deny) == 0 with input as inp({"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: registry_only\n")]})
}

# Live scan without the istio ConfigMap: Istio's default (ALLOW_ANY), on the mesh.
test_live_without_configmap_fails_on_mesh if {
	egr_01.deny == {{
		"msg": "mesh config does not set outboundTrafficPolicy.mode, so Istio defaults to ALLOW_ANY and sidecars forward traffic to any external host (want REGISTRY_ONLY)",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as inp({"Deployment": []})
}

# A ConfigMap named istio outside the root namespace is not the mesh config.
test_configmap_outside_root_ignored if {
	c := object.union(cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n"), {"metadata": {"namespace": "app"}})
	some f in egr_01.deny with input as inp({"ConfigMap": [c]})
	f.resource == {"kind": "Mesh", "name": "c1"}
}

test_allow_any_sidecar_fails if {
	egr_01.deny == {{
		"msg": "sidecar resource sets outboundTrafficPolicy.mode ALLOW_ANY, so the workloads it applies to in namespace \"app\" can reach any external host",
		"resource": {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "namespace": "app", "name": "default"},
	}} with input as inp({
		"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [sidecar("app", "default", "ALLOW_ANY"), sidecar("other", "default", "REGISTRY_ONLY")],
	})
}

test_sidecar_without_outbound_policy_passes if {
	s := {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "default", "namespace": "app"}, "spec": {"egress": [{"hosts": ["./*"]}]}}
	count(egr_01.deny) == 0 with input as inp({
		"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [s],
	})
}

test_both_mesh_and_sidecar_reported if {
	d := egr_01.deny with input as inp({
		"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: ALLOW_ANY\n")],
		"Sidecar": [sidecar("app", "default", "allow_any")],
	})
	count(d) == 2
}

test_sidecar_in_excluded_namespace_ignored if {
	count(egr_01.deny) == 0 with input as inp({
		"ConfigMap": [cm("outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n")],
		"Sidecar": [sidecar("kube-system", "default", "ALLOW_ANY")],
	})
}
