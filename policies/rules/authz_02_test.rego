package meshaudit.rules.authz_02_test

import data.meshaudit.rules.authz_02
import data.meshaudit.testlib
import rego.v1

ap(name, spec) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "AuthorizationPolicy",
	"metadata": {"name": name, "namespace": "shop"},
	"spec": spec,
}

res(name) := {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "namespace": "shop", "name": name}

inp(list) := {"cluster": "c1", "source": "manifests", "objects": {"AuthorizationPolicy": list}}

test_empty_rule_fails if {
	testlib.strip(authz_02.deny) == {{
		"msg": "action ALLOW with rules[0] matching every request: it has no from, to or when conditions",
		"resource": res("allow-all"),
	}} with input as inp([ap("allow-all", {"action": "ALLOW", "rules": [{}]})])
}

test_unset_action_empty_rule_fails if {
	testlib.strip(authz_02.deny) == {{
		"msg": "action unset (ALLOW) with rules[1] matching every request: it has no from, to or when conditions",
		"resource": res("p"),
	}} with input as inp([ap("p", {"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}, {"from": [], "to": [], "when": []}]})])
}

test_wildcard_principals_fails if {
	testlib.strip(authz_02.deny) == {{
		"msg": "action ALLOW with rules[0] matching every request: its only constraint is source.principals [\"*\"]",
		"resource": res("any-peer"),
	}} with input as inp([ap("any-peer", {"action": "ALLOW", "rules": [{"from": [{"source": {"principals": ["*"]}}]}]})])
}

test_wildcard_principals_and_namespaces_fails if {
	some f in authz_02.deny with input as inp([ap("p", {"rules": [{"from": [{"source": {"namespaces": ["*"], "principals": ["*"]}}]}]})])
	f.msg == "action unset (ALLOW) with rules[0] matching every request: its only constraint is source.namespaces [\"*\"] and source.principals [\"*\"]"
}

# from entries are ORed: one wildcard source opens the rule to everyone.
test_one_wildcard_source_among_many_fails if {
	p := ap("p", {"rules": [{"from": [
		{"source": {"namespaces": ["shop"]}},
		{"source": {"namespaces": ["*"]}},
		{"source": {"principals": ["*"]}},
	]}]})
	d := testlib.strip(authz_02.deny) with input as inp([p])
	d == {{
		"msg": "action unset (ALLOW) with rules[0] matching every request: its only constraint is source.namespaces [\"*\"]",
		"resource": res("p"),
	}}
}

test_empty_source_fails if {
	some f in authz_02.deny with input as inp([ap("p", {"rules": [{"from": [{"source": {}}]}]})])
	f.msg == "action unset (ALLOW) with rules[0] matching every request: its from has an empty source"
}

test_one_finding_per_policy if {
	count(authz_02.deny) == 1 with input as inp([ap("p", {"rules": [{}, {}, {"from": [{"source": {"principals": ["*"]}}]}]})])
}

test_wildcard_with_to_passes if {
	p := ap("p", {"rules": [{"from": [{"source": {"principals": ["*"]}}], "to": [{"operation": {"paths": ["/healthz"]}}]}]})
	count(authz_02.deny) == 0 with input as inp([p])
}

test_wildcard_with_when_passes if {
	p := ap("p", {"rules": [{"from": [{"source": {"namespaces": ["*"]}}], "when": [{"key": "request.auth.claims[iss]", "values": ["https://idp"]}]}]})
	count(authz_02.deny) == 0 with input as inp([p])
}

test_specific_principals_pass if {
	p := ap("p", {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/web"], "namespaces": ["*"]}}]}]})
	count(authz_02.deny) == 0 with input as inp([p])
}

test_allow_nothing_passes if {
	count(authz_02.deny) == 0 with input as inp([ap("allow-nothing", {}), ap("allow-nothing-2", {"action": "ALLOW", "rules": []})])
}

test_deny_and_audit_rules_pass if {
	count(authz_02.deny) == 0 with input as inp([
		ap("deny-all", {"action": "DENY", "rules": [{}]}),
		ap("audit", {"action": "AUDIT", "rules": [{}]}),
		ap("ext", {"action": "CUSTOM", "provider": {"name": "opa"}, "rules": [{}]}),
	])
}

test_selector_does_not_exempt if {
	p := ap("p", {"selector": {"matchLabels": {"app": "api"}}, "rules": [{}]})
	count(authz_02.deny) == 1 with input as inp([p])
}

test_excluded_namespace_ignored if {
	p := object.union(ap("p", {"rules": [{}]}), {"metadata": {"namespace": "kube-system"}})
	count(authz_02.deny) == 0 with input as inp([p])
}

# ---- verdict: judged and evidence ------------------------------------------------

# A policy repository (no workload in the input): the allow-all policy is a
# finding on itself, with the rule that matches everything as evidence.
test_policy_repo_evidence if {
	d := authz_02.deny with input as inp([ap("allow-all", {"rules": [{}]})])
	d == {{
		"msg": "action unset (ALLOW) with rules[0] matching every request: it has no from, to or when conditions",
		"resource": res("allow-all"),
		"evidence": [{"path": "spec.rules[0]", "value": {}}, {"path": "spec.action"}],
	}}
}

test_judged_every_policy if {
	authz_02.judged == {res("a"), res("b")} with input as inp([
		ap("a", {"action": "DENY", "rules": [{}]}),
		ap("b", {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/shop/sa/web"]}}]}]}),
	])
	count(authz_02.judged) == 0 with input as inp([])
}

test_excluded_namespace_not_judged if {
	p := json.patch(ap("a", {"rules": [{}]}), [{"op": "replace", "path": "/metadata/namespace", "value": "kube-system"}])
	count(authz_02.judged) == 0 with input as inp([p])
	count(authz_02.deny) == 0 with input as inp([p])
}

test_no_subject_not_applicable if {
	some r in authz_02.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_02.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}
