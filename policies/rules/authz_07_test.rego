package meshaudit.rules.authz_07_test

import data.meshaudit.rules.authz_07
import rego.v1

ap(ns, name, spec) := {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}

res(ns, name) := {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "namespace": ns, "name": name}

deploy(ns, name, lbls) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {"metadata": {"labels": lbls}, "spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

live(objs) := {"cluster": "c1", "source": "cluster", "objects": objs}

manifests(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

# plain: the findings without their evidence (asserted in tests of their own).
plain(d) := {object.remove(f, ["evidence"]) | some f in d}

web := deploy("app", "web", {"app": "web"})

sel(ns, name, lbls) := ap(ns, name, {"selector": {"matchLabels": lbls}, "rules": [{}]})

test_dry_run_medium if {
	p := object.union(ap("app", "p", {"action": "DENY", "rules": [{}]}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	plain(authz_07.deny) == {{
		"msg": "policy is in dry-run (istio.io/dry-run: \"true\"): its DENY action is logged but never enforced",
		"resource": res("app", "p"),
	}} with input as manifests({"AuthorizationPolicy": [p]})
}

test_dry_run_false_passes if {
	p := object.union(ap("app", "p", {}), {"metadata": {"annotations": {"istio.io/dry-run": "false"}}})
	count(authz_07.deny) == 0 with input as manifests({"AuthorizationPolicy": [p]})
}

test_selector_matches_nothing_low if {
	plain(authz_07.deny) == {{
		"msg": "selector {\"app\":\"wbe\"} matches no workload in namespace \"app\", so the policy applies to nothing",
		"resource": res("app", "typo"),
		"severity": "low",
	}} with input as manifests({"AuthorizationPolicy": [sel("app", "typo", {"app": "wbe"})], "Deployment": [web]})
}

test_selector_matches_passes if {
	count(authz_07.deny) == 0 with input as live({"AuthorizationPolicy": [sel("app", "ok", {"app": "web"})], "Deployment": [web]})
}

test_selector_other_namespace_does_not_count if {
	count(authz_07.deny) == 1 with input as live({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})], "Deployment": [deploy("other", "web", {"app": "web"})]})
}

# Manifests without workloads of the namespace: not judged.
test_manifest_without_namespace_workloads_not_judged if {
	count(authz_07.deny) == 0 with input as manifests({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})], "Deployment": [deploy("other", "x", {"app": "x"})]})
}

# A live scan holds every workload: an empty namespace is judged.
test_live_empty_namespace_judged if {
	count(authz_07.deny) == 1 with input as live({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})]})
}

test_root_selector_matches_any_namespace if {
	count(authz_07.deny) == 0 with input as live({"AuthorizationPolicy": [sel("istio-system", "p", {"app": "web"})], "Deployment": [web]})
	plain(authz_07.deny) == {{
		"msg": "selector {\"app\":\"nope\"} matches no workload in any namespace, so the policy applies to nothing",
		"resource": res("istio-system", "p"),
		"severity": "low",
	}} with input as live({"AuthorizationPolicy": [sel("istio-system", "p", {"app": "nope"})], "Deployment": [web]})
}

test_target_refs_not_judged if {
	p := ap("app", "p", {"selector": {"matchLabels": {"x": "y"}}, "targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}]})
	count(authz_07.deny) == 0 with input as live({"AuthorizationPolicy": [p]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence if {
	d := authz_07.deny with input as manifests({"AuthorizationPolicy": [sel("app", "typo", {"app": "wbe"})], "Deployment": [web]})
	some f in d
	f.evidence == [
		{"path": "spec.selector.matchLabels", "value": {"app": "wbe"}},
		{"path": "workload with these pod labels in namespace \"app\"", "value": 0},
	]
	p := object.union(ap("app", "p", {}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	some g in authz_07.deny with input as manifests({"AuthorizationPolicy": [p]})
	g.evidence == [{"path": "metadata.annotations[\"istio.io/dry-run\"]", "value": "true"}]
}

test_judged if {
	i := manifests({
		"AuthorizationPolicy": [sel("app", "ok", {"app": "web"}), sel("far", "unchecked", {"app": "x"}), ap("app", "wide", {})],
		"Deployment": [web],
	})
	authz_07.judged == {res("app", "ok"), res("app", "wide")} with input as i
}

test_unchecked_selector_not_applicable if {
	i := manifests({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})]})
	count(authz_07.judged) == 0 with input as i
	authz_07.not_applicable == {"the selectors of AuthorizationPolicies app/p cannot be checked: the input holds no workload of the namespaces they can select"} with input as i
}

test_no_subject_not_applicable if {
	some r in authz_07.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_07.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}
