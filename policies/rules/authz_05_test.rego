package meshaudit.rules.authz_05_test

import data.meshaudit.rules.authz_05
import data.meshaudit.testlib
import rego.v1

from(src) := {"rules": [{"from": [{"source": src}]}]}

test_namespace_wildcards_fail if {
	p := testlib.authz_policy("app", "p", from({"namespaces": ["*", "prod-*", "billing"]}))
	testlib.strip(authz_05.deny) == {{
		"msg": "ALLOW policy admits callers by wildcard outside namespace \"app\": from.source.namespaces \"*\", \"prod-*\"; list cross-namespace callers exactly",
		"resource": testlib.authz_policy_ref("app", "p"),
	}} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_principal_wildcards_fail if {
	p := testlib.authz_policy("app", "p", from({"principals": ["cluster.local/ns/other/*", "*/sa/web", "cluster.local/ns/app/sa/*", "cluster.local/ns/billing/sa/api"]}))
	testlib.strip(authz_05.deny) == {{
		"msg": "ALLOW policy admits callers by wildcard outside namespace \"app\": from.source.principals \"*/sa/web\", \"cluster.local/ns/other/*\"; list cross-namespace callers exactly",
		"resource": testlib.authz_policy_ref("app", "p"),
	}} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_own_namespace_wildcard_passes if {
	p := testlib.authz_policy("app", "p", from({"principals": ["cluster.local/ns/app/sa/*", "*/ns/app/sa/web"], "namespaces": ["app", "billing"]}))
	count(authz_05.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_conditions_fail if {
	p := testlib.authz_policy("app", "p", {"rules": [{"when": [{"key": "source.namespace", "values": ["team-*"]}, {"key": "request.headers[x]", "values": ["*"]}]}]})
	testlib.strip(authz_05.deny) == {{
		"msg": "ALLOW policy admits callers by wildcard outside namespace \"app\": when source.namespace \"team-*\"; list cross-namespace callers exactly",
		"resource": testlib.authz_policy_ref("app", "p"),
	}} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_deny_policy_passes if {
	p := testlib.authz_policy("app", "p", object.union(from({"namespaces": ["*"]}), {"action": "DENY"}))
	count(authz_05.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_excluded_namespace_ignored if {
	p := testlib.authz_policy("kube-system", "p", from({"namespaces": ["*"]}))
	count(authz_05.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [p]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence_values if {
	p := testlib.authz_policy("app", "p", from({"namespaces": ["billing", "prod-*", "*"]}))
	some f in authz_05.deny with input as testlib.inp({"AuthorizationPolicy": [p]})
	f.evidence == [
		{"path": "spec.rules[0].from[0].source.namespaces[2]", "value": "*"},
		{"path": "spec.rules[0].from[0].source.namespaces[1]", "value": "prod-*"},
	]
}

test_judged_allow_policies if {
	a := testlib.authz_policy("app", "a", from({"namespaces": ["billing"]}))
	d := testlib.authz_policy("app", "d", object.union(from({"namespaces": ["*"]}), {"action": "DENY"}))
	authz_05.judged == {testlib.authz_policy_ref("app", "a")} with input as testlib.inp({"AuthorizationPolicy": [a, d]})
}

test_no_subject_not_applicable if {
	some r in authz_05.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_05.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}

# One finding per policy, listing every field with wildcards.
test_one_finding_per_policy if {
	p := testlib.authz_policy("app", "p", {"rules": [{"from": [{"source": {"namespaces": ["*"], "principals": ["*/sa/web"]}}]}]})
	d := testlib.strip(authz_05.deny) with input as testlib.inp({"AuthorizationPolicy": [p]})
	d == {{
		"msg": "ALLOW policy admits callers by wildcard outside namespace \"app\": from.source.namespaces \"*\"; from.source.principals \"*/sa/web\"; list cross-namespace callers exactly",
		"resource": testlib.authz_policy_ref("app", "p"),
	}}
}
