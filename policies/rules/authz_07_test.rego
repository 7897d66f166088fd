package meshaudit.rules.authz_07_test

import data.meshaudit.rules.authz_07
import data.meshaudit.testlib
import rego.v1

web := testlib.deployment("app", "web", {"app": "web"})

sel(ns, name, lbls) := testlib.authz_policy(ns, name, {"selector": {"matchLabels": lbls}, "rules": [{}]})

test_dry_run_medium if {
	p := object.union(testlib.authz_policy("app", "p", {"action": "DENY", "rules": [{}]}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	testlib.strip(authz_07.deny) == {{
		"msg": "policy is in dry-run (istio.io/dry-run: \"true\"): its DENY action is logged but never enforced",
		"resource": testlib.authz_policy_ref("app", "p"),
	}} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_dry_run_false_passes if {
	p := object.union(testlib.authz_policy("app", "p", {}), {"metadata": {"annotations": {"istio.io/dry-run": "false"}}})
	count(authz_07.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_selector_matches_nothing_low if {
	testlib.strip(authz_07.deny) == {{
		"msg": "selector {\"app\":\"wbe\"} matches no workload in namespace \"app\", so the policy applies to nothing",
		"resource": testlib.authz_policy_ref("app", "typo"),
		"severity": "low",
	}} with input as testlib.inp({"AuthorizationPolicy": [sel("app", "typo", {"app": "wbe"})], "Deployment": [web]})
}

test_selector_matches_passes if {
	count(authz_07.deny) == 0 with input as testlib.live({"AuthorizationPolicy": [sel("app", "ok", {"app": "web"})], "Deployment": [web]})
}

test_selector_other_namespace_does_not_count if {
	count(authz_07.deny) == 1 with input as testlib.live({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})], "Deployment": [testlib.deployment("other", "web", {"app": "web"})]})
}

# Manifests without workloads of the namespace: not judged.
test_manifest_without_namespace_workloads_not_judged if {
	count(authz_07.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})], "Deployment": [testlib.deployment("other", "x", {"app": "x"})]})
}

# A live scan holds every workload: an empty namespace is judged.
test_live_empty_namespace_judged if {
	count(authz_07.deny) == 1 with input as testlib.live({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})]})
}

test_root_selector_matches_any_namespace if {
	count(authz_07.deny) == 0 with input as testlib.live({"AuthorizationPolicy": [sel("istio-system", "p", {"app": "web"})], "Deployment": [web]})
	testlib.strip(authz_07.deny) == {{
		"msg": "selector {\"app\":\"nope\"} matches no workload in any namespace, so the policy applies to nothing",
		"resource": testlib.authz_policy_ref("istio-system", "p"),
		"severity": "low",
	}} with input as testlib.live({"AuthorizationPolicy": [sel("istio-system", "p", {"app": "nope"})], "Deployment": [web]})
}

test_target_refs_not_judged if {
	p := testlib.authz_policy("app", "p", {"selector": {"matchLabels": {"x": "y"}}, "targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}]})
	count(authz_07.deny) == 0 with input as testlib.live({"AuthorizationPolicy": [p]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence if {
	d := authz_07.deny with input as testlib.inp({"AuthorizationPolicy": [sel("app", "typo", {"app": "wbe"})], "Deployment": [web]})
	some f in d
	f.evidence == [
		{"path": "spec.selector.matchLabels", "value": {"app": "wbe"}},
		{"path": "workload with these pod labels in namespace \"app\"", "value": 0},
	]
	p := object.union(testlib.authz_policy("app", "p", {}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	some g in authz_07.deny with input as testlib.inp({"AuthorizationPolicy": [p]})
	g.evidence == [{"path": "metadata.annotations[\"istio.io/dry-run\"]", "value": "true"}]
}

test_judged if {
	i := testlib.inp({
		"AuthorizationPolicy": [sel("app", "ok", {"app": "web"}), sel("far", "unchecked", {"app": "x"}), testlib.authz_policy("app", "wide", {})],
		"Deployment": [web],
	})
	authz_07.judged == {testlib.authz_policy_ref("app", "ok"), testlib.authz_policy_ref("app", "wide")} with input as i
}

test_unchecked_selector_not_applicable if {
	i := testlib.inp({"AuthorizationPolicy": [sel("app", "p", {"app": "web"})]})
	count(authz_07.judged) == 0 with input as i
	authz_07.not_applicable == {"the selectors of AuthorizationPolicies app/p cannot be checked: the input holds no workload of the namespaces they can select"} with input as i
}

test_no_subject_not_applicable if {
	some r in authz_07.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_07.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}
