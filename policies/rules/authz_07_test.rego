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

web := deploy("app", "web", {"app": "web"})

sel(ns, name, lbls) := ap(ns, name, {"selector": {"matchLabels": lbls}, "rules": [{}]})

test_dry_run_medium if {
	p := object.union(ap("app", "p", {"action": "DENY", "rules": [{}]}), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	authz_07.deny == {{
		"msg": "policy is in dry-run (istio.io/dry-run: \"true\"): its DENY action is logged but never enforced",
		"resource": res("app", "p"),
	}} with input as manifests({"AuthorizationPolicy": [p]})
}

test_dry_run_false_passes if {
	p := object.union(ap("app", "p", {}), {"metadata": {"annotations": {"istio.io/dry-run": "false"}}})
	count(authz_07.deny) == 0 with input as manifests({"AuthorizationPolicy": [p]})
}

test_selector_matches_nothing_low if {
	authz_07.deny == {{
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
	authz_07.deny == {{
		"msg": "selector {\"app\":\"nope\"} matches no workload in any namespace, so the policy applies to nothing",
		"resource": res("istio-system", "p"),
		"severity": "low",
	}} with input as live({"AuthorizationPolicy": [sel("istio-system", "p", {"app": "nope"})], "Deployment": [web]})
}

test_target_refs_not_judged if {
	p := ap("app", "p", {"selector": {"matchLabels": {"x": "y"}}, "targetRefs": [{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "gw"}]})
	count(authz_07.deny) == 0 with input as live({"AuthorizationPolicy": [p]})
}
