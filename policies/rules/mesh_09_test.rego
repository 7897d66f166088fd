package meshaudit.rules.mesh_09_test

import data.meshaudit.rules.mesh_09
import data.meshaudit.testlib
import rego.v1

root_ns := testlib.namespace("istio-system", {})

sidecar(n, name, spec) := {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": name, "namespace": n}, "spec": spec}

sres(n, name) := {"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "namespace": n, "name": name}

scoped := {"egress": [{"hosts": ["./*", "istio-system/*"]}]}

deploy(n, name, labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": n},
	"spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

test_root_default_scoped_passes if {
	count(mesh_09.deny) == 0 with input as testlib.input_from("manifests", {
		"Namespace": [root_ns, testlib.enrolled("shop")],
		"Sidecar": [sidecar("istio-system", "default", scoped)],
		"Deployment": [deploy("shop", "web", {"app": "web"})],
	})
}

test_namespace_sidecar_scoped_passes if {
	count(mesh_09.deny) == 0 with input as testlib.input_from("cluster", {
		"Namespace": [testlib.enrolled("shop")],
		"Sidecar": [sidecar("shop", "default", scoped)],
	})
}

test_no_sidecar_live_fails if {
	testlib.strip(mesh_09.deny) == {{
		"msg": "namespace \"shop\" has no Sidecar and the root namespace \"istio-system\" has no default Sidecar, so its proxies get configuration for, and can reach, every service in the mesh; add a Sidecar whose egress lists only the hosts it needs (e.g. \"./*\", \"istio-system/*\")",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"},
	}} with input as testlib.input_from("cluster", {"Namespace": [testlib.enrolled("shop"), testlib.namespace("other", {})], "Deployment": [deploy("other", "x", {})]})
}

test_manifests_without_root_not_judged if {
	objs := {"Namespace": [testlib.enrolled("shop")], "Deployment": [deploy("shop", "web", {})]}
	count(mesh_09.deny) == 0 with input as testlib.input_from("manifests", objs)
	mesh_09.not_applicable == {"no namespace with sidecars can be judged: they have no Sidecar of their own and the input holds no mesh-wide evidence (the root namespace's default Sidecar or other mesh policy)"} with input as testlib.input_from("manifests", objs)
	count(mesh_09.judged) == 0 with input as testlib.input_from("manifests", objs)
}

# An object that merely lives in the root namespace (a Service, a Role) is
# not mesh-wide evidence; a root PeerAuthentication is.
test_root_object_is_not_mesh_evidence if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istiod", "namespace": "istio-system"}, "spec": {}}
	objs := {"Namespace": [testlib.enrolled("shop")], "Deployment": [deploy("shop", "web", {})], "Service": [svc]}
	count(mesh_09.deny) == 0 with input as testlib.input_from("manifests", objs)
	pa := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}}
	mesh_09.deny == {{
		"msg": "namespace \"shop\" has no Sidecar and the root namespace \"istio-system\" has no default Sidecar, so its proxies get configuration for, and can reach, every service in the mesh; add a Sidecar whose egress lists only the hosts it needs (e.g. \"./*\", \"istio-system/*\")",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"},
		"evidence": [
			{"path": "Sidecar without workloadSelector in namespace \"shop\"", "value": 0},
			{"path": "Sidecar without workloadSelector in namespace \"istio-system\"", "value": 0},
		],
	}} with input as testlib.input_from("manifests", object.union(objs, {"PeerAuthentication": [pa]}))
	mesh_09.judged == {{"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"}} with input as testlib.input_from("manifests", object.union(objs, {"PeerAuthentication": [pa]}))
}

test_wide_egress_evidence if {
	sc := sidecar("shop", "default", {"egress": [{"hosts": ["./*"]}, {"hosts": ["*/*"]}]})
	some f in mesh_09.deny with input as testlib.input_from("cluster", {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sc]})
	f.evidence == [{"path": "spec.egress[1].hosts", "value": ["*/*"]}]
}

test_wide_egress_fails if {
	sc := sidecar("shop", "default", {"egress": [{"hosts": ["./*"]}, {"hosts": ["*/*"]}]})
	testlib.strip(mesh_09.deny) == {{
		"msg": "Sidecar shop/default lists egress host \"*/*\", so the proxies it applies to can reach every service in the mesh; list only the hosts they need",
		"resource": sres("shop", "default"),
	}} with input as testlib.input_from("cluster", {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sc]})
}

test_wide_root_default_fails if {
	sc := sidecar("istio-system", "default", {"egress": [{"hosts": ["*/*"]}]})
	some f in mesh_09.deny with input as testlib.input_from("manifests", {"Namespace": [root_ns, testlib.enrolled("shop")], "Sidecar": [sc]})
	f.resource == sres("istio-system", "default")
}

test_root_default_without_egress_fails if {
	sc := sidecar("istio-system", "default", {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}})
	testlib.strip(mesh_09.deny) == {{
		"msg": "default Sidecar istio-system/default in the root namespace sets no egress, so proxies without a namespace Sidecar can reach every service in the mesh; give it egress hosts (e.g. \"./*\", \"istio-system/*\")",
		"resource": sres("istio-system", "default"),
	}} with input as testlib.input_from("cluster", {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sc]})
}

test_namespace_sidecar_without_egress_inherits_root if {
	objs := {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sidecar("shop", "ingress", {"ingress": [{"port": {"number": 80, "protocol": "HTTP", "name": "http"}}]}), sidecar("istio-system", "default", scoped)]}
	count(mesh_09.deny) == 0 with input as testlib.input_from("cluster", objs)
}

test_namespace_sidecar_without_egress_no_root_fails if {
	objs := {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sidecar("shop", "default", {"ingress": []})]}
	testlib.strip(mesh_09.deny) == {{
		"msg": "Sidecar shop/default sets no egress and the root namespace \"istio-system\" has no default Sidecar, so its proxies can reach every service in the mesh; give it egress hosts (or add a scoped default Sidecar in the root namespace)",
		"resource": sres("shop", "default"),
	}} with input as testlib.input_from("cluster", objs)
}

test_multiple_selectorless_fails if {
	objs := {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sidecar("shop", "a", scoped), sidecar("shop", "b", scoped)]}
	testlib.strip(mesh_09.deny) == {{
		"msg": "namespace \"shop\" has 2 Sidecars without workloadSelector (a, b): Istio applies only one of them; keep one",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"},
	}} with input as testlib.input_from("cluster", objs)
}

test_overlapping_selectors_fail if {
	s1 := sidecar("shop", "web", object.union(scoped, {"workloadSelector": {"labels": {"app": "web"}}}))
	s2 := sidecar("shop", "v1", object.union(scoped, {"workloadSelector": {"labels": {"version": "v1"}}}))
	objs := {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sidecar("shop", "default", scoped), s1, s2], "Deployment": [deploy("shop", "web", {"app": "web", "version": "v1"}), deploy("shop", "api", {"app": "api", "version": "v1"})]}
	testlib.strip(mesh_09.deny) == {{
		"msg": "pods of Deployment shop/web are selected by 2 Sidecars (v1, web): Istio applies only one of them; make their workloadSelectors disjoint",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
	}} with input as testlib.input_from("cluster", objs)
}

test_unenrolled_namespace_not_judged if {
	count(mesh_09.deny) == 0 with input as testlib.input_from("cluster", {"Namespace": [testlib.namespace("plain", {})], "Deployment": [deploy("plain", "web", {})]})
}

test_excluded_namespace_sidecar_ignored if {
	objs := {"Namespace": [testlib.enrolled("shop")], "Sidecar": [sidecar("istio-system", "default", scoped), sidecar("kube-system", "x", {"egress": [{"hosts": ["*/*"]}]})]}
	count(mesh_09.deny) == 0 with input as testlib.input_from("cluster", objs)
}

# An implied namespace enrolled through params.namespace_labels is judged
# even without workloads, and the message says it is implied.
test_implied_namespace_enrolled_by_params if {
	svc := {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": {}}
	some f in mesh_09.deny with input as testlib.input_from("cluster", {"Service": [svc]})
		with data.meshaudit.params.namespace_labels as {"shop": {"istio-injection": "enabled"}}
	startswith(f.msg, "namespace \"shop\" (implied: no Namespace object in the input; labels from params.namespace_labels) has no Sidecar")
}
