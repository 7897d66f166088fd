package meshaudit.rules.authz_06_test

import data.meshaudit.rules.authz_06
import data.meshaudit.testlib
import rego.v1

ra(ns, name, spec) := {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "metadata": {"name": name, "namespace": ns}, "spec": spec}

ra_res(ns, name) := {"apiVersion": "security.istio.io/v1", "kind": "RequestAuthentication", "namespace": ns, "name": name}

inp(objs) := {"cluster": "c1", "source": "manifests", "objects": object.union({"PeerAuthentication": [testlib.root_strict_pa]}, objs)}

jwt := {"jwtRules": [{"issuer": "https://issuer.example"}]}

web_ra := ra("app", "web-jwt", object.union(jwt, {"selector": {"matchLabels": {"app": "web", "tier": "front"}}}))

require_any := {"rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]}

deny_tokenless := {"action": "DENY", "rules": [{"from": [{"source": {"notRequestPrincipals": ["*"]}}]}]}

msg(scope) := sprintf("no AuthorizationPolicy requiring a token (ALLOW with from.source.requestPrincipals, or DENY with notRequestPrincipals [\"*\"]) applies to %s, so requests without a JWT are accepted", [scope])

test_ra_alone_fails if {
	testlib.strip(authz_06.deny) == {{
		"msg": msg(`selector {"app":"web","tier":"front"}`),
		"resource": ra_res("app", "web-jwt"),
	}} with input as inp({"RequestAuthentication": [web_ra]})
}

test_same_selector_allow_passes if {
	p := testlib.authz_policy("app", "require-jwt", object.union(require_any, {"selector": {"matchLabels": {"app": "web", "tier": "front"}}}))
	count(authz_06.deny) == 0 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [p]})
}

test_subset_selector_deny_passes if {
	p := testlib.authz_policy("app", "deny-tokenless", object.union(deny_tokenless, {"selector": {"matchLabels": {"app": "web"}}}))
	count(authz_06.deny) == 0 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [p]})
}

test_namespace_wide_policy_passes if {
	count(authz_06.deny) == 0 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [testlib.authz_policy("app", "deny-tokenless", deny_tokenless)]})
}

test_root_policy_passes if {
	count(authz_06.deny) == 0 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [testlib.authz_policy("istio-system", "deny-tokenless", deny_tokenless)]})
}

test_other_namespace_policy_fails if {
	count(authz_06.deny) == 1 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [testlib.authz_policy("other", "deny-tokenless", deny_tokenless)]})
}

test_narrower_policy_fails if {
	p := testlib.authz_policy("app", "p", object.union(require_any, {"selector": {"matchLabels": {"app": "web", "tier": "front", "v": "2"}}}))
	count(authz_06.deny) == 1 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [p]})
}

test_dry_run_policy_does_not_count if {
	p := object.union(testlib.authz_policy("app", "deny-tokenless", deny_tokenless), {"metadata": {"annotations": {"istio.io/dry-run": "true"}}})
	count(authz_06.deny) == 1 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [p]})
}

test_policy_not_requiring_token_fails if {
	p := testlib.authz_policy("app", "p", {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/app/sa/x"]}}]}]})
	d := testlib.authz_policy("app", "d", {"action": "DENY", "rules": [{"from": [{"source": {"notRequestPrincipals": ["iss/sub"]}}]}]})
	count(authz_06.deny) == 1 with input as inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [p, d]})
}

# Different selectors that select the same workloads in the input.
test_covered_by_workloads_passes if {
	r := ra("app", "r", object.union(jwt, {"selector": {"matchLabels": {"app": "web"}}}))
	p := testlib.authz_policy("app", "p", object.union(require_any, {"selector": {"matchLabels": {"tier": "front"}}}))
	count(authz_06.deny) == 0 with input as inp({
		"RequestAuthentication": [r],
		"AuthorizationPolicy": [p],
		"Deployment": [testlib.deployment("app", "web", {"app": "web", "tier": "front"})],
	})
}

test_namespace_ra_needs_wide_policy if {
	r := ra("app", "r", jwt)
	p := testlib.authz_policy("app", "p", object.union(require_any, {"selector": {"matchLabels": {"app": "web"}}}))
	testlib.strip(authz_06.deny) == {{"msg": msg(`namespace "app"`), "resource": ra_res("app", "r")}} with input as inp({"RequestAuthentication": [r], "AuthorizationPolicy": [p]})
}

test_mesh_ra if {
	r := ra("istio-system", "r", jwt)
	testlib.strip(authz_06.deny) == {{"msg": msg("the whole mesh"), "resource": ra_res("istio-system", "r")}} with input as inp({"RequestAuthentication": [r], "AuthorizationPolicy": [testlib.authz_policy("app", "deny-tokenless", deny_tokenless)]})
}

test_target_refs if {
	refs := {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"}]}
	r := ra("app", "r", object.union(jwt, refs))
	testlib.strip(authz_06.deny) == {{"msg": msg("targetRefs Gateway/edge"), "resource": ra_res("app", "r")}} with input as inp({"RequestAuthentication": [r]})
	count(authz_06.deny) == 0 with input as inp({"RequestAuthentication": [r], "AuthorizationPolicy": [testlib.authz_policy("app", "p", object.union(deny_tokenless, refs))]})
}

# ---- verdict: judged, evidence, mesh-wide guard ---------------------------------

test_evidence if {
	some f in authz_06.deny with input as inp({"RequestAuthentication": [web_ra]})
	f.evidence == [
		{"path": "spec.selector.matchLabels", "value": {"app": "web", "tier": "front"}},
		{"path": "AuthorizationPolicy requiring a token, not in dry-run, in namespace \"app\" or root namespace \"istio-system\", covering this scope", "value": 0},
	]
}

# Without mesh-wide evidence an uncovered RequestAuthentication is not
# judged (a root-namespace policy kept elsewhere may cover it).
test_without_mesh_evidence_not_judged if {
	i := testlib.inp({"RequestAuthentication": [web_ra]})
	count(authz_06.deny) == 0 with input as i
	count(authz_06.judged) == 0 with input as i
	authz_06.not_applicable == {"no AuthorizationPolicy of the input requires a token for RequestAuthentications app/web-jwt, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in root namespace \"istio-system\"), so a mesh-wide policy there that covers them is not ruled out"} with input as i
}

# ... a covered one is judged (pass) even so.
test_covered_judged_without_mesh_evidence if {
	p := testlib.authz_policy("app", "require-jwt", object.union(require_any, {"selector": {"matchLabels": {"app": "web", "tier": "front"}}}))
	i := testlib.inp({"RequestAuthentication": [web_ra], "AuthorizationPolicy": [p]})
	authz_06.judged == {ra_res("app", "web-jwt")} with input as i
	count(authz_06.not_applicable) == 0 with input as i
}

test_live_judged_and_fails if {
	i := {"cluster": "c1", "source": "cluster", "objects": {"RequestAuthentication": [web_ra]}}
	count(authz_06.deny) == 1 with input as i
	authz_06.judged == {ra_res("app", "web-jwt")} with input as i
}

test_no_subject_not_applicable if {
	some r in authz_06.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_06.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}
