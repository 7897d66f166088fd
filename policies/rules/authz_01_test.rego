package meshaudit.rules.authz_01_test

import data.meshaudit.lib
import data.meshaudit.rules.authz_01
import data.meshaudit.testlib
import rego.v1

deployment(ns, name, containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}},
}

msg(n) := sprintf("namespace %q%s has no allow-nothing AuthorizationPolicy and root namespace \"istio-system\" has none either, so Istio allows every request to workloads no ALLOW policy selects; add an allow-nothing AuthorizationPolicy (spec: {}) to the namespace, or one to \"istio-system\" for the whole mesh", [n, ""])

implied_note := " (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels)"

test_root_allow_nothing_passes_everywhere if {
	count(authz_01.deny) == 0 with input as testlib.live({
		"Namespace": [testlib.enrolled("shop"), testlib.enrolled("pay")],
		"AuthorizationPolicy": [testlib.authz_policy("istio-system", "allow-nothing", {})],
	})
}

test_enrolled_namespace_without_policy_fails if {
	testlib.strip(authz_01.deny) == {{"msg": msg("pay"), "resource": testlib.namespace_ref("pay")}} with input as testlib.live({
		"Namespace": [testlib.enrolled("shop"), testlib.enrolled("pay"), testlib.namespace("legacy", {})],
		"AuthorizationPolicy": [testlib.authz_policy("shop", "allow-nothing", {"action": "ALLOW"})],
	})
}

test_revision_label_enrols if {
	testlib.strip(authz_01.deny) == {{"msg": msg("rev"), "resource": testlib.namespace_ref("rev")}} with input as testlib.live({"Namespace": [testlib.namespace("rev", {"istio.io/rev": "1-22"})]})
}

# Manifest scan without a Namespace object: judged by its meshed workloads
# when the root namespace's policy is known.
test_meshed_workload_namespace_judged if {
	d := deployment("api", "api", [{"name": "app", "image": "x"}, {"name": "istio-proxy", "image": "auto"}])
	unmeshed := deployment("batch", "worker", [{"name": "app", "image": "x"}])
	i := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d, unmeshed], "PeerAuthentication": [testlib.root_strict_pa]}}
	authz_01.deny == {{
		"msg": sprintf("namespace \"api\"%s has no allow-nothing AuthorizationPolicy and root namespace \"istio-system\" has none either, so Istio allows every request to workloads no ALLOW policy selects; add an allow-nothing AuthorizationPolicy (spec: {}) to the namespace, or one to \"istio-system\" for the whole mesh", [implied_note]),
		"resource": testlib.namespace_ref("api"),
		"evidence": [{"path": "AuthorizationPolicy with an empty spec (allow-nothing) in namespace \"api\" or root namespace \"istio-system\"", "value": 0}],
	}} with input as i
	authz_01.judged == {testlib.namespace_ref("api")} with input as i
}

test_inject_label_workload_judged if {
	d := deployment("shop", "api", [{"name": "app", "image": "x"}])
	d2 := json.patch(d, [{"op": "add", "path": "/spec/template/metadata/labels/sidecar.istio.io~1inject", "value": "true"}])
	testlib.strip(authz_01.deny) == {{"msg": msg("shop"), "resource": testlib.namespace_ref("shop")}} with input as testlib.live({"Namespace": [testlib.namespace("shop", {})], "Deployment": [d2]})
}

test_unmeshed_workload_not_judged if {
	d := deployment("shop", "api", [{"name": "app", "image": "x"}])
	count(authz_01.deny) == 0 with input as testlib.live({"Namespace": [testlib.namespace("shop", {"istio-injection": "disabled"})], "Deployment": [d]})
}

test_root_and_excluded_namespaces_not_judged if {
	count(authz_01.deny) == 0 with input as testlib.live({"Namespace": [testlib.enrolled("istio-system"), testlib.enrolled("kube-system")]})
}

test_policy_with_selector_is_not_default_deny if {
	p := testlib.authz_policy("shop", "deny-api", {"selector": {"matchLabels": {"app": "api"}}})
	testlib.strip(authz_01.deny) == {{"msg": msg("shop"), "resource": testlib.namespace_ref("shop")}} with input as testlib.live({"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_empty_selector_is_namespace_wide if {
	p := testlib.authz_policy("shop", "allow-nothing", {"selector": {"matchLabels": {}}})
	count(authz_01.deny) == 0 with input as testlib.live({"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_policy_with_rules_is_not_default_deny if {
	p := testlib.authz_policy("shop", "allow-get", {"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})
	count(authz_01.deny) == 1 with input as testlib.live({"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_deny_action_is_not_allow_nothing if {
	p := testlib.authz_policy("istio-system", "deny", {"action": "DENY"})
	count(authz_01.deny) == 1 with input as testlib.live({"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_dry_run_is_not_enforced if {
	p := object.union(testlib.authz_policy("istio-system", "allow-nothing", {}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	count(authz_01.deny) == 1 with input as testlib.live({"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_target_refs_is_not_namespace_wide if {
	p := testlib.authz_policy("shop", "waypoint", {"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}]})
	count(authz_01.deny) == 1 with input as testlib.live({"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [p]})
}

# Without mesh-wide evidence in a manifest scan, a namespace without its own
# allow-nothing policy is not judged: a mesh-wide one may be kept elsewhere.
test_manifest_scan_without_root_not_judged if {
	i := {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [testlib.enrolled("shop")]}}
	count(authz_01.deny) == 0 with input as i
	count(authz_01.judged) == 0 with input as i
	authz_01.not_applicable == {"namespaces \"shop\" have no allow-nothing AuthorizationPolicy, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in root namespace \"istio-system\"), so a mesh-wide one there is not ruled out"} with input as i
}

# ... but its own allow-nothing policy is judged (pass).
test_manifest_scan_own_policy_judged if {
	i := {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [testlib.enrolled("shop")], "AuthorizationPolicy": [testlib.authz_policy("shop", "allow-nothing", {})]}}
	count(authz_01.deny) == 0 with input as i
	authz_01.judged == {testlib.namespace_ref("shop")} with input as i
	count(authz_01.not_applicable) == 0 with input as i
}

# An unrelated object of the root namespace is no mesh-wide evidence.
test_root_role_is_no_evidence if {
	role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "istio-system"}}
	count(authz_01.deny) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [testlib.enrolled("shop")], "Role": [role]}}
}

# Bookinfo alone (no Namespace object, no Istio policy): nothing in the mesh.
test_bookinfo_alone_not_applicable if {
	d := deployment("default", "details-v1", [{"name": "details", "image": "x"}])
	sa := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "bookinfo-details", "namespace": "default"}}
	i := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d], "ServiceAccount": [sa]}}
	count(authz_01.deny) == 0 with input as i
	count(authz_01.judged) == 0 with input as i
	authz_01.not_applicable == {sprintf("no namespace in the mesh in the input: namespaces \"default\"%s are not enrolled in the mesh and run no meshed workload", [implied_note])} with input as i
}

# An implied namespace stated enrolled in params.namespace_labels is judged.
test_implied_namespace_enrolled_by_params if {
	d := deployment("default", "details-v1", [{"name": "details", "image": "x"}])
	i := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d], "PeerAuthentication": [testlib.root_strict_pa]}}
	p := object.union(lib.params, {"namespace_labels": {"default": {"istio-injection": "enabled"}}})
	some f in authz_01.deny with input as i with data.meshaudit.params as p
	f.resource == testlib.namespace_ref("default")
	contains(f.msg, "(implied: no Namespace object in the input; labels from params.namespace_labels)")
	authz_01.judged == {testlib.namespace_ref("default")} with input as i with data.meshaudit.params as p
}

test_judged_only_mesh_namespaces if {
	authz_01.judged == {testlib.namespace_ref("shop"), {"kind": "Mesh", "name": "c1"}} with input as testlib.live({
		"Namespace": [testlib.enrolled("shop"), testlib.namespace("legacy", {}), testlib.enrolled("istio-system")],
		"AuthorizationPolicy": [testlib.authz_policy("istio-system", "allow-nothing", {})],
	})
}

# A platform repository holding only the root's allow-nothing policy: the
# mesh is judged on it.
test_root_allow_nothing_judges_mesh if {
	i := {"cluster": "c1", "source": "manifests", "objects": {"AuthorizationPolicy": [testlib.authz_policy("istio-system", "allow-nothing", {})]}}
	authz_01.judged == {{"kind": "Mesh", "name": "c1"}} with input as i
	count(authz_01.not_applicable) == 0 with input as i
	count(authz_01.deny) == 0 with input as i
}
