package meshaudit.rules.authz_01_test

import data.meshaudit.lib
import data.meshaudit.rules.authz_01
import rego.v1

ap(ns, name, spec) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "AuthorizationPolicy",
	"metadata": {"name": name, "namespace": ns},
	"spec": spec,
}

namespace(name, labels) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}

enrolled(name) := namespace(name, {"istio-injection": "enabled"})

deployment(ns, name, containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": containers}}},
}

inp(objs) := {"cluster": "c1", "source": "cluster", "objects": objs}

msg(n) := sprintf("namespace %q%s has no allow-nothing AuthorizationPolicy and root namespace \"istio-system\" has none either, so Istio allows every request to workloads no ALLOW policy selects; add an allow-nothing AuthorizationPolicy (spec: {}) to the namespace, or one to \"istio-system\" for the whole mesh", [n, ""])

implied_note := " (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels)"

# plain: the findings without their evidence (asserted in tests of their own).
plain(d) := {object.remove(f, ["evidence"]) | some f in d}

ns_res(n) := {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": n}

test_root_allow_nothing_passes_everywhere if {
	count(authz_01.deny) == 0 with input as inp({
		"Namespace": [enrolled("shop"), enrolled("pay")],
		"AuthorizationPolicy": [ap("istio-system", "allow-nothing", {})],
	})
}

test_enrolled_namespace_without_policy_fails if {
	plain(authz_01.deny) == {{"msg": msg("pay"), "resource": ns_res("pay")}} with input as inp({
		"Namespace": [enrolled("shop"), enrolled("pay"), namespace("legacy", {})],
		"AuthorizationPolicy": [ap("shop", "allow-nothing", {"action": "ALLOW"})],
	})
}

test_revision_label_enrols if {
	plain(authz_01.deny) == {{"msg": msg("rev"), "resource": ns_res("rev")}} with input as inp({"Namespace": [namespace("rev", {"istio.io/rev": "1-22"})]})
}

# Manifest scan without a Namespace object: judged by its meshed workloads
# when the root namespace's policy is known.
test_meshed_workload_namespace_judged if {
	d := deployment("api", "api", [{"name": "app", "image": "x"}, {"name": "istio-proxy", "image": "auto"}])
	unmeshed := deployment("batch", "worker", [{"name": "app", "image": "x"}])
	i := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d, unmeshed], "PeerAuthentication": [root_pa]}}
	authz_01.deny == {{
		"msg": sprintf("namespace \"api\"%s has no allow-nothing AuthorizationPolicy and root namespace \"istio-system\" has none either, so Istio allows every request to workloads no ALLOW policy selects; add an allow-nothing AuthorizationPolicy (spec: {}) to the namespace, or one to \"istio-system\" for the whole mesh", [implied_note]),
		"resource": ns_res("api"),
		"evidence": [{"path": "AuthorizationPolicy with an empty spec (allow-nothing) in namespace \"api\" or root namespace \"istio-system\"", "value": 0}],
	}} with input as i
	authz_01.judged == {ns_res("api")} with input as i
}

root_pa := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}}

test_inject_label_workload_judged if {
	d := deployment("shop", "api", [{"name": "app", "image": "x"}])
	d2 := json.patch(d, [{"op": "add", "path": "/spec/template/metadata/labels/sidecar.istio.io~1inject", "value": "true"}])
	plain(authz_01.deny) == {{"msg": msg("shop"), "resource": ns_res("shop")}} with input as inp({"Namespace": [namespace("shop", {})], "Deployment": [d2]})
}

test_unmeshed_workload_not_judged if {
	d := deployment("shop", "api", [{"name": "app", "image": "x"}])
	count(authz_01.deny) == 0 with input as inp({"Namespace": [namespace("shop", {"istio-injection": "disabled"})], "Deployment": [d]})
}

test_root_and_excluded_namespaces_not_judged if {
	count(authz_01.deny) == 0 with input as inp({"Namespace": [enrolled("istio-system"), enrolled("kube-system")]})
}

test_policy_with_selector_is_not_default_deny if {
	p := ap("shop", "deny-api", {"selector": {"matchLabels": {"app": "api"}}})
	plain(authz_01.deny) == {{"msg": msg("shop"), "resource": ns_res("shop")}} with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_empty_selector_is_namespace_wide if {
	p := ap("shop", "allow-nothing", {"selector": {"matchLabels": {}}})
	count(authz_01.deny) == 0 with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_policy_with_rules_is_not_default_deny if {
	p := ap("shop", "allow-get", {"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})
	count(authz_01.deny) == 1 with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_deny_action_is_not_allow_nothing if {
	p := ap("istio-system", "deny", {"action": "DENY"})
	count(authz_01.deny) == 1 with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_dry_run_is_not_enforced if {
	p := object.union(ap("istio-system", "allow-nothing", {}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	count(authz_01.deny) == 1 with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
}

test_target_refs_is_not_namespace_wide if {
	p := ap("shop", "waypoint", {"targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}]})
	count(authz_01.deny) == 1 with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
}

# Without mesh-wide evidence in a manifest scan, a namespace without its own
# allow-nothing policy is not judged: a mesh-wide one may be kept elsewhere.
test_manifest_scan_without_root_not_judged if {
	i := {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [enrolled("shop")]}}
	count(authz_01.deny) == 0 with input as i
	count(authz_01.judged) == 0 with input as i
	authz_01.not_applicable == {"namespaces \"shop\" have no allow-nothing AuthorizationPolicy, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in root namespace \"istio-system\"), so a mesh-wide one there is not ruled out"} with input as i
}

# ... but its own allow-nothing policy is judged (pass).
test_manifest_scan_own_policy_judged if {
	i := {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [enrolled("shop")], "AuthorizationPolicy": [ap("shop", "allow-nothing", {})]}}
	count(authz_01.deny) == 0 with input as i
	authz_01.judged == {ns_res("shop")} with input as i
	count(authz_01.not_applicable) == 0 with input as i
}

# An unrelated object of the root namespace is no mesh-wide evidence.
test_root_role_is_no_evidence if {
	role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "istio-system"}}
	count(authz_01.deny) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [enrolled("shop")], "Role": [role]}}
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
	i := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d], "PeerAuthentication": [root_pa]}}
	p := object.union(lib.params, {"namespace_labels": {"default": {"istio-injection": "enabled"}}})
	some f in authz_01.deny with input as i with data.meshaudit.params as p
	f.resource == ns_res("default")
	contains(f.msg, "(implied: no Namespace object in the input; labels from params.namespace_labels)")
	authz_01.judged == {ns_res("default")} with input as i with data.meshaudit.params as p
}

test_judged_only_mesh_namespaces if {
	authz_01.judged == {ns_res("shop"), {"kind": "Mesh", "name": "c1"}} with input as inp({
		"Namespace": [enrolled("shop"), namespace("legacy", {}), enrolled("istio-system")],
		"AuthorizationPolicy": [ap("istio-system", "allow-nothing", {})],
	})
}

# A platform repository holding only the root's allow-nothing policy: the
# mesh is judged on it.
test_root_allow_nothing_judges_mesh if {
	i := {"cluster": "c1", "source": "manifests", "objects": {"AuthorizationPolicy": [ap("istio-system", "allow-nothing", {})]}}
	authz_01.judged == {{"kind": "Mesh", "name": "c1"}} with input as i
	count(authz_01.not_applicable) == 0 with input as i
	count(authz_01.deny) == 0 with input as i
}
