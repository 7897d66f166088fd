package meshaudit.rules.mesh_06_test

import data.meshaudit.rules.mesh_06
import data.meshaudit.testlib
import rego.v1

ds(n, labels, host) := {
	"apiVersion": "apps/v1",
	"kind": "DaemonSet",
	"metadata": {"name": "agent", "namespace": n},
	"spec": {"template": {
		"metadata": {"labels": labels},
		"spec": {"hostNetwork": host, "containers": [{"name": "agent", "image": "agent:1"}]},
	}},
}

res(n) := {"apiVersion": "apps/v1", "kind": "DaemonSet", "namespace": n, "name": "agent"}

test_host_network_in_enrolled_namespace_fails if {
	testlib.strip(mesh_06.deny) == {{
		"msg": "pod template sets hostNetwork: true although namespace \"app\" is enrolled in the mesh: Istio never meshes host-network pods and NetworkPolicy does not apply to them, so its traffic has no mTLS and no authorization; remove hostNetwork (or move the workload out of the mesh's namespaces)",
		"resource": res("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})], "DaemonSet": [ds("app", {}, true)]})
}

test_host_network_in_ambient_namespace_fails if {
	count(mesh_06.deny) == 1 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio.io/dataplane-mode": "ambient"})], "DaemonSet": [ds("app", {}, true)]})
}

test_revision_namespace_fails if {
	count(mesh_06.deny) == 1 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio.io/rev": "canary"})], "DaemonSet": [ds("app", {}, true)]})
}

test_no_host_network_passes if {
	count(mesh_06.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})], "DaemonSet": [ds("app", {}, false)]})
}

test_unenrolled_namespace_passes if {
	count(mesh_06.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "DaemonSet": [ds("app", {}, true)]})
}

test_pod_label_asks_for_sidecar_fails if {
	testlib.strip(mesh_06.deny) == {{
		"msg": "pod template sets hostNetwork: true although its pod label sidecar.istio.io/inject=true asks for a sidecar: Istio never meshes host-network pods and NetworkPolicy does not apply to them, so its traffic has no mTLS and no authorization; remove hostNetwork (or move the workload out of the mesh's namespaces)",
		"resource": res("app"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "DaemonSet": [ds("app", {"sidecar.istio.io/inject": "true"}, true)]})
}

test_pod_rev_label_fails_implied_namespace if {
	some f in mesh_06.deny with input as testlib.inp({"DaemonSet": [ds("app", {"istio.io/rev": "1-30"}, true)]})
	contains(f.msg, "istio.io/rev=1-30")
}

test_excluded_namespace_ignored if {
	count(mesh_06.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("kube-system", {"istio-injection": "enabled"})], "DaemonSet": [ds("kube-system", {}, true)]})
}

test_root_namespace_ignored if {
	count(mesh_06.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("istio-system", {"istio-injection": "enabled"})], "DaemonSet": [ds("istio-system", {}, true)]})
}

test_evidence_and_judged if {
	i := testlib.inp({"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})], "DaemonSet": [ds("app", {}, true), object.union(ds("app", {}, false), {"metadata": {"name": "other"}})]})
	some f in mesh_06.deny with input as i
	f.evidence == [
		{"path": "spec.template.spec.hostNetwork", "value": true},
		{"path": "metadata.labels[\"istio-injection\"]", "value": "enabled", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}},
	]
	count(mesh_06.judged) == 2 with input as i
}

# An implied namespace is not enrolled: only a pod-level signal counts.
test_implied_namespace_not_enrolled if {
	count(mesh_06.deny) == 0 with input as testlib.inp({"DaemonSet": [ds("app", {}, true)]})
	count(mesh_06.judged) == 1 with input as testlib.inp({"DaemonSet": [ds("app", {}, true)]})
}
