package meshaudit.rules.authz_01_test

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

msg(n) := sprintf("namespace %q has no allow-nothing AuthorizationPolicy and root namespace \"istio-system\" has none either, so Istio allows every request to workloads no ALLOW policy selects", [n])

ns_res(n) := {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": n}

test_root_allow_nothing_passes_everywhere if {
	count(authz_01.deny) == 0 with input as inp({
		"Namespace": [enrolled("shop"), enrolled("pay")],
		"AuthorizationPolicy": [ap("istio-system", "allow-nothing", {})],
	})
}

test_enrolled_namespace_without_policy_fails if {
	authz_01.deny == {{"msg": msg("pay"), "resource": ns_res("pay")}} with input as inp({
		"Namespace": [enrolled("shop"), enrolled("pay"), namespace("legacy", {})],
		"AuthorizationPolicy": [ap("shop", "allow-nothing", {"action": "ALLOW"})],
	})
}

test_revision_label_enrols if {
	authz_01.deny == {{"msg": msg("rev"), "resource": ns_res("rev")}} with input as inp({"Namespace": [namespace("rev", {"istio.io/rev": "1-22"})]})
}

# Manifest scan without a Namespace object: judged by its meshed workloads.
test_meshed_workload_namespace_judged if {
	d := deployment("api", "api", [{"name": "app", "image": "x"}, {"name": "istio-proxy", "image": "auto"}])
	plain := deployment("batch", "worker", [{"name": "app", "image": "x"}])
	authz_01.deny == {{"msg": msg("api"), "resource": ns_res("api")}} with input as {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d, plain]}}
}

test_inject_label_workload_judged if {
	d := deployment("shop", "api", [{"name": "app", "image": "x"}])
	d2 := json.patch(d, [{"op": "add", "path": "/spec/template/metadata/labels/sidecar.istio.io~1inject", "value": "true"}])
	authz_01.deny == {{"msg": msg("shop"), "resource": ns_res("shop")}} with input as inp({"Namespace": [namespace("shop", {})], "Deployment": [d2]})
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
	authz_01.deny == {{"msg": msg("shop"), "resource": ns_res("shop")}} with input as inp({"Namespace": [enrolled("shop")], "AuthorizationPolicy": [p]})
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

# Without the root namespace in a manifest scan, the namespaces are judged.
test_manifest_scan_without_root_judges_namespace if {
	authz_01.deny == {{"msg": msg("shop"), "resource": ns_res("shop")}} with input as {"cluster": "c1", "source": "manifests", "objects": {"Namespace": [enrolled("shop")]}}
}
